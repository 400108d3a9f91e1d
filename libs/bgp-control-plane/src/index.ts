// Cilium BGP Control Plane v2 semantics: per-node desired sessions and routes from the BGP resources (pure).
export * from './model';
export * from './ip';
export * from './communities';
export * from './read';
export * from './node-config';
export * from './peer-config';
export * from './advertisements';
export * from './desired-state';
export * from './session';
export * from './node-events';
export * from './node-info';
export * from './route-table';
