// Cilium BGP Control Plane v2 semantics: per-node desired sessions and routes from the BGP resources (pure).
export {};
