/**
 * IP addresses and prefixes in wire form. Parsing is strict and allocation-light: the Adj-RIB-Out
 * holds hundreds of thousands of prefixes.
 */

export type AddressFamily = 'ipv4' | 'ipv6';

/** Parses dotted-quad IPv4; `undefined` if not exactly four decimal octets. */
export function parseIPv4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // no leading zeros (octal ambiguity)
      value = value * 10 + (c - 48);
      if (value > 255 || ++digits > 3) return undefined;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

/** Parses IPv6 text (RFC 4291 §2.2, including `::` and an embedded IPv4 tail); no zone. */
export function parseIPv6(s: string): Uint8Array | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const out = new Uint8Array(16);
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (!v4) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      words.push(parseInt(g, 16));
    }
    return words;
  };
  let words: number[];
  if (dbl === -1) {
    const w = parseGroups(s);
    if (!w || w.length !== 8) return undefined;
    words = w;
  } else {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  for (let i = 0; i < 8; i++) {
    out[i * 2] = words[i]! >> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  return out;
}

export function formatIPv4(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/** RFC 5952 canonical text (longest run of ≥2 zero groups compressed, lower case). */
export function formatIPv6(b: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[offset + i * 2]! << 8) | b[offset + i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped addresses keep their dotted tail (::ffff:a.b.c.d).
  if (bestStart === 0 && bestLen === 5 && words[5] === 0xffff) return `::ffff:${formatIPv4(b, offset + 12)}`;
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart === -1) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Parses either family; `undefined` when neither. */
export function parseAddress(s: string): { family: AddressFamily; bytes: Uint8Array } | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { family: 'ipv4', bytes: v4 };
  const v6 = parseIPv6(s);
  if (v6) return { family: 'ipv6', bytes: v6 };
  return undefined;
}

/** Canonical text of an address (`::FFFF:1.2.3.4` → `1.2.3.4` when `unmapV4`). */
export function canonicalAddress(s: string, unmapV4 = true): string | undefined {
  const a = parseAddress(s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s);
  if (!a) return undefined;
  if (a.family === 'ipv4') return formatIPv4(a.bytes);
  if (unmapV4 && isV4Mapped(a.bytes)) return formatIPv4(a.bytes, 12);
  return formatIPv6(a.bytes);
}

export function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

export function isIPv6LinkLocal(b: Uint8Array): boolean {
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** An IP prefix; `bytes` has exactly ceil(length / 8) octets, host bits zero. */
export interface Prefix {
  readonly family: AddressFamily;
  readonly length: number;
  readonly bytes: Uint8Array;
}

export class PrefixError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid prefix "${input}": ${reason}`);
    this.name = 'PrefixError';
  }
}

/** `10.0.0.1/32`, `fd00::/64`; a bare address means a host prefix. Host bits must be zero. */
export function parsePrefix(s: string): Prefix {
  const slash = s.indexOf('/');
  const addrText = slash === -1 ? s : s.slice(0, slash);
  const a = parseAddress(addrText);
  if (!a) throw new PrefixError(s, 'not an IPv4 or IPv6 address');
  const max = a.family === 'ipv4' ? 32 : 128;
  let length = max;
  if (slash !== -1) {
    const lenText = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) throw new PrefixError(s, 'prefix length is not a number');
    length = Number(lenText);
    if (length > max) throw new PrefixError(s, `prefix length ${length} exceeds ${max}`);
  }
  const n = (length + 7) >> 3;
  const bytes = a.bytes.slice(0, n);
  for (let bit = length; bit < max; bit++) {
    if (a.bytes[bit >> 3]! & (0x80 >> (bit & 7))) throw new PrefixError(s, `host bits set beyond /${length}`);
  }
  return { family: a.family, length, bytes };
}

/** Canonical text of a prefix (`10.0.0.1/32`). */
export function formatPrefix(p: Prefix): string {
  const full = new Uint8Array(p.family === 'ipv4' ? 4 : 16);
  full.set(p.bytes);
  return `${p.family === 'ipv4' ? formatIPv4(full) : formatIPv6(full)}/${p.length}`;
}

/** Wire NLRI encoding (RFC 4271 §4.3): length octet then the significant octets. */
export function encodePrefixNlri(p: Prefix): Uint8Array {
  const out = new Uint8Array(1 + p.bytes.length);
  out[0] = p.length;
  out.set(p.bytes, 1);
  return out;
}
