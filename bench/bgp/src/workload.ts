/** The benchmark's routes: 100,000 IPv4 /32 and 10,000 IPv6 /128, the same for both speakers. */
export const IPV4_COUNT = 100_000;
export const IPV6_COUNT = 10_000;
export const CHURN_COUNT = 10_000;

export function ipv4Host(i: number): string {
  const n = ((10 << 24) >>> 0) + i;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function ipv6Host(i: number): string {
  return `2001:db8:${((i >>> 16) & 0xffff).toString(16)}::${(i & 0xffff).toString(16)}`;
}
