// LB IPAM decider: pools, allocations, sharing, conflicts (pure).
export {};
