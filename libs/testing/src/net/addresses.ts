import { randomBytes } from 'node:crypto';
import { randomAlnum } from './netns.js';

/** Two ends of a random point-to-point subnet, both IPv4 (/30 in 100.64.0.0/10) and IPv6 (/64 in fd00:b05::/32). */
export interface PointToPointAddresses {
  readonly ipv4: readonly [string, string];
  readonly ipv6: readonly [string, string];
  /** The same, with prefix length: `100.64.1.1/30`, `fd00:b05:…::1/64`. */
  readonly ipv4Cidr: readonly [string, string];
  readonly ipv6Cidr: readonly [string, string];
}

/**
 * Random addresses for a link, so tests running side by side (also in the root namespace) do not
 * collide: 100.64.0.0/10 (shared address space) and a random /64 of fd00:b05::/32.
 */
export function randomPointToPointAddresses(): PointToPointAddresses {
  const r = randomBytes(8);
  const base = ((100 << 24) | (64 << 16)) >>> 0;
  const net = (base + (((r.readUInt32BE(0) & 0x3fffff) << 2) >>> 0)) >>> 0;
  const v4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const a4 = v4(net + 1);
  const b4 = v4(net + 2);
  const hex = (n: number): string => n.toString(16);
  const prefix6 = `fd00:b05:${hex(r.readUInt16BE(4))}:${hex(r.readUInt16BE(6))}`;
  const a6 = `${prefix6}::1`;
  const b6 = `${prefix6}::2`;
  return { ipv4: [a4, b4], ipv6: [a6, b6], ipv4Cidr: [`${a4}/30`, `${b4}/30`], ipv6Cidr: [`${a6}/64`, `${b6}/64`] };
}

/** A fresh interface name, `<prefix><random>`, at most 15 characters. */
export function randomInterfaceName(prefix: string): string {
  if (prefix.length > 9) throw new Error(`interface name prefix "${prefix}" is longer than 9 characters`);
  return `${prefix}${randomAlnum(15 - prefix.length)}`.slice(0, 15);
}
