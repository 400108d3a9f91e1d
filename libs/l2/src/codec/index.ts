export * from './addresses';
export * from './ethernet';
export * from './arp';
export * from './ndp';
