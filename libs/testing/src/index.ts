// Network-namespace topologies, BIRD/GoBGP/FRR launchers, Postgres and NATS fixtures.
export * from './net/index.js';
export * from './postgres';
export * from './tracing';
export * from './nats';
export * from './l2/index.js';
export * from './topologies/index.js';
