// Per-node L2 announcer (ARP/NDP).
export {};
