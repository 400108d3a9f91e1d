export * from './types';
export * from './interfaces';
export * from './select';
