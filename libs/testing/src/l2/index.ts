// L2 announcement topologies: a hub LAN with nodes and a client, frame captures, announcer launcher.
export * from './capture.js';
export * from './lan.js';
export * from './announcer.js';
export * from './leases.js';
