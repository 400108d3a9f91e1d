export * from './clock';
export * from './protocol';
export * from './port';
export * from './links';
export * from './multicast';
