// BGP-4 speaker: codec, FSM, sessions, Adj-RIB-Out, standalone runner.
export * from './address.js';
export * from './constants.js';
export * from './messages.js';
export * from './codec.js';
export * from './negotiation.js';
export * from './fsm.js';
export * from './attributes.js';
export * from './adj-rib-out.js';
export * from './peer-config.js';
export * from './sockets.js';
export * from './session.js';
export * from './speaker.js';
export * from './speaker-config.js';
export * from './runner.js';
