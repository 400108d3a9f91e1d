// LB IPAM decider: pools, allocations, sharing, conflicts (pure).
export * from './address';
export * from './interval-set';
export * from './spec';
export * from './sharing';
export * from './state';
export * from './decide';
