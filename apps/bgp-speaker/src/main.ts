// Per-node BGP speaker (Cilium BGP Control Plane v2).
export {};
