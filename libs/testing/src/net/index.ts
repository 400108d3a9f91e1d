// Network-namespace primitives and real-peer launchers for interop tests.
export * from './exec.js';
export * from './wait.js';
export * from './process.js';
export * from './netns.js';
export * from './addresses.js';
export * from './ports.js';
export * from './topology.js';
export * from './peers/index.js';
