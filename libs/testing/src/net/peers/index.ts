export * from './types.js';
export * from './bird.js';
export * from './gobgp.js';
export * from './frr.js';
