// ARP/NDP codecs, L2 announcement policy semantics, the lease election, and packet I/O over libpcap.
export * from './codec';
export * from './policy';
export * from './lease';
export * from './io';
