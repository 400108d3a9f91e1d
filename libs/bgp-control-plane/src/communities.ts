/**
 * BGP communities as CiliumBGPAdvertisement spells them: standard (RFC 1997) as a decimal u32 or
 * `u16:u16`, well-known by name (IANA values), large (RFC 8092) as `u32:u32:u32`.
 */

/** IANA well-known communities, by the names Cilium's CRD accepts. */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, number>> = {
  internet: 0x00000000,
  'planned-shut': 0xffff0000,
  'accept-own': 0xffff0001,
  'route-filter-translated-v4': 0xffff0002,
  'route-filter-v4': 0xffff0003,
  'route-filter-translated-v6': 0xffff0004,
  'route-filter-v6': 0xffff0005,
  'llgr-stale': 0xffff0006,
  'no-llgr': 0xffff0007,
  blackhole: 0xffff029a,
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'no-export-subconfed': 0xffffff03,
  'no-peer': 0xffffff04,
};

const U16 = /^(0|[1-9]\d{0,4})$/;
const U32 = /^(0|[1-9]\d{0,9})$/;

/** Parses a standard community (`65000:100` or `4259840100`) to its u32 value; undefined if invalid. */
export const parseStandardCommunity = (raw: string): number | undefined => {
  const parts = raw.trim().split(':');
  if (parts.length === 2) {
    if (!U16.test(parts[0]!) || !U16.test(parts[1]!)) return undefined;
    const hi = Number(parts[0]);
    const lo = Number(parts[1]);
    if (hi > 0xffff || lo > 0xffff) return undefined;
    return hi * 0x10000 + lo;
  }
  if (parts.length === 1 && U32.test(parts[0]!)) {
    const v = Number(parts[0]);
    return v <= 0xffffffff ? v : undefined;
  }
  return undefined;
};

/** Parses a well-known community name to its value; undefined if unknown. */
export const parseWellKnownCommunity = (raw: string): number | undefined =>
  Object.prototype.hasOwnProperty.call(WELL_KNOWN_COMMUNITIES, raw) ? WELL_KNOWN_COMMUNITIES[raw] : undefined;

/** `hi:lo` text of a community value. */
export const formatCommunity = (v: number): string => `${Math.floor(v / 0x10000)}:${v % 0x10000}`;

/** Parses a large community `a:b:c` into canonical text; undefined if invalid. */
export const parseLargeCommunity = (raw: string): string | undefined => {
  const parts = raw.trim().split(':');
  if (parts.length !== 3 || !parts.every((p) => U32.test(p) && Number(p) <= 0xffffffff)) return undefined;
  return parts.map((p) => String(Number(p))).join(':');
};

const largeKey = (c: string): string =>
  c
    .split(':')
    .map((p) => p.padStart(10, '0'))
    .join(':');

/** Sorted, deduplicated community values (as `hi:lo` text). */
export const normalizeCommunities = (values: Iterable<number>): string[] =>
  [...new Set(values)].sort((a, b) => a - b).map(formatCommunity);

/** Sorted, deduplicated large communities. */
export const normalizeLargeCommunities = (values: Iterable<string>): string[] =>
  [...new Set(values)].sort((a, b) => (largeKey(a) < largeKey(b) ? -1 : largeKey(a) > largeKey(b) ? 1 : 0));
