export * from './timings';
export * from './rendezvous';
export * from './member';
export * from './election';
