// Multi-namespace topologies built from the net primitives and peer launchers.
export * from './talk.js';
export * from './talk-suite.js';
export * from './talk-bgp.js';
