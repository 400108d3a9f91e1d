/**
 * IP addresses as bigints, so that an IPv6 /64 is just two numbers and never a list.
 * Parsing follows Go's `netip` (what Cilium uses): dotted-quad IPv4 without leading zeros,
 * IPv6 with at most one `::` and an optional dotted-quad tail, no zones.
 */
export type Family = 'IPv4' | 'IPv6';

export interface Address {
  readonly family: Family;
  readonly value: bigint;
}

export const FAMILY_BITS: Readonly<Record<Family, number>> = { IPv4: 32, IPv6: 128 };
export const FAMILIES: readonly Family[] = ['IPv4', 'IPv6'];

/** Dotted quad → number (no leading zeros, as Go's netip), or -1. Hand-written: it is hot. */
const parseV4Number = (s: string): number => {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  let leadingZero = false;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c === 46) {
      if (digits === 0 || part > 255 || (leadingZero && digits > 1)) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57 || digits === 3) return -1;
    if (digits === 0) leadingZero = c === 48;
    part = part * 10 + (c - 48);
    digits++;
  }
  return parts === 4 ? value : -1;
};

const parseV4 = (s: string): bigint | null => {
  const n = parseV4Number(s);
  return n < 0 ? null : BigInt(n);
};

const parseV6 = (s: string): bigint | null => {
  if (s.includes('%')) return null; // zones have no meaning for a load-balancer address
  let tail: bigint | null = null;
  let body = s;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    tail = parseV4(s.slice(lastColon + 1));
    if (tail === null) return null;
    body = s.slice(0, lastColon + 1) + '0:0'; // two placeholder groups, replaced below
  }
  const dbl = body.indexOf('::');
  if (dbl >= 0 && body.indexOf('::', dbl + 1) >= 0) return null;
  const groupsOf = (x: string): string[] | null => (x === '' ? [] : x.split(':'));
  let groups: string[];
  if (dbl >= 0) {
    const head = groupsOf(body.slice(0, dbl));
    const rest = groupsOf(body.slice(dbl + 2));
    if (!head || !rest) return null;
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  } else {
    groups = body.split(':');
    if (groups.length !== 8) return null;
  }
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail !== null) v = (v & ~0xffffffffn) | tail;
  return v;
};

/** Parses an IPv4 or IPv6 address; null when it is not one. */
export const parseAddress = (text: string): Address | null => {
  const s = text.trim();
  if (s === '') return null;
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === null ? null : { family: 'IPv6', value: v };
  }
  const v = parseV4(s);
  return v === null ? null : { family: 'IPv4', value: v };
};

const formatV4 = (v: bigint): string => {
  const n = Number(v);
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
};

/** RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
const formatV6 = (v: bigint): string => {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // IPv4-mapped addresses print their tail dotted, as Go does.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${formatV4(v & 0xffffffffn)}`;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
};

export const formatAddress = (family: Family, value: bigint): string => (family === 'IPv4' ? formatV4(value) : formatV6(value));

/** The canonical text of an address (`2001:DB8:0::1` → `2001:db8::1`), or null. */
export const canonicalAddress = (text: string): string | null => {
  const a = parseAddress(text);
  return a ? formatAddress(a.family, a.value) : null;
};

export interface AddressRange {
  readonly family: Family;
  /** First address, inclusive. */
  readonly from: bigint;
  /** Last address, inclusive. */
  readonly to: bigint;
}

/** A CIDR as the range it covers, host bits masked (`10.0.0.12/24` → 10.0.0.0–10.0.0.255). */
export const parseCidr = (text: string): (AddressRange & { readonly prefixLength: number }) | null => {
  const s = text.trim();
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = parseAddress(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(lenText) || (lenText.length > 1 && lenText[0] === '0')) return null;
  const bits = FAMILY_BITS[addr.family];
  const len = Number(lenText);
  if (len > bits) return null;
  const hostBits = BigInt(bits - len);
  const hostMask = (1n << hostBits) - 1n;
  const from = addr.value & ~hostMask;
  return { family: addr.family, from, to: from | hostMask, prefixLength: len };
};

/** `<first> - <last>`, as Cilium prints ranges in conflict messages. */
export const formatRange = (r: AddressRange): string => `${formatAddress(r.family, r.from)} - ${formatAddress(r.family, r.to)}`;

/** Inclusive overlap: each range starts no later than the other ends (Cilium's `Intersects`). */
export const rangesIntersect = (a: AddressRange, b: AddressRange): boolean => a.family === b.family && a.from <= b.to && b.from <= a.to;

export const rangeSize = (r: AddressRange): bigint => r.to - r.from + 1n;
