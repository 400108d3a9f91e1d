// LB IPAM service.
export {};
