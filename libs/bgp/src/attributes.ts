import { WELL_KNOWN_COMMUNITIES } from './constants.js';
import type { LargeCommunity, Origin } from './messages.js';

/** Attributes a route is advertised with, as a service sets them (Cilium's advertisement attributes). */
export interface RouteAttributes {
  /** Default `igp` (Cilium's legacy-origin flag uses `incomplete`). */
  readonly origin?: Origin;
  /** `"65000:100"`, a decimal u32, or a well-known name such as `"no-export"`. */
  readonly communities?: readonly (string | number)[];
  /** `"65000:1:2"`. */
  readonly largeCommunities?: readonly string[];
  /** Sent to iBGP peers only (dropped toward eBGP, as in Cilium). Default 100 on iBGP. */
  readonly localPreference?: number;
  readonly med?: number;
}

/** Validated, canonical attributes: communities sorted and deduplicated; `key` identifies equal sets. */
export interface NormalizedAttributes {
  readonly origin: Origin;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  readonly localPreference?: number;
  readonly med?: number;
  readonly key: string;
}

/** Bad route attributes: names the field and the reason. */
export class RouteAttributesError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'RouteAttributesError';
  }
}

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/** Parses a standard community: `asn:value` (u16:u16), a decimal u32, or a well-known name. */
export function parseCommunity(c: string | number, field = 'community'): number {
  if (typeof c === 'number') {
    if (!isU32(c)) throw new RouteAttributesError(field, `${c} is not an unsigned 32-bit value`);
    return c;
  }
  const known = WELL_KNOWN_COMMUNITIES[c.trim().toLowerCase()];
  if (known !== undefined) return known;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(c.trim());
  if (m) {
    const hi = Number(m[1]);
    const lo = Number(m[2]);
    if (hi > 0xffff || lo > 0xffff) throw new RouteAttributesError(field, `"${c}": both halves must be 0..65535`);
    return ((hi << 16) | lo) >>> 0;
  }
  if (/^\d{1,10}$/.test(c.trim()) && isU32(Number(c))) return Number(c);
  throw new RouteAttributesError(field, `"${c}" is not "asn:value", a 32-bit number or a well-known community name`);
}

/** Parses `global:local1:local2` (three u32). */
export function parseLargeCommunity(c: string, field = 'largeCommunity'): LargeCommunity {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(c.trim());
  if (!m || ![m[1], m[2], m[3]].every((x) => isU32(Number(x)))) throw new RouteAttributesError(field, `"${c}" is not "u32:u32:u32"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** `65000:100`, or the well-known name. */
export function formatCommunity(c: number): string {
  for (const [name, v] of Object.entries(WELL_KNOWN_COMMUNITIES)) if (v === c && c !== 0) return name;
  return `${c >>> 16}:${c & 0xffff}`;
}

const cache = new WeakMap<RouteAttributes, NormalizedAttributes>();
const interned = new Map<string, NormalizedAttributes>();

/**
 * Validates and canonicalises route attributes. Equal attribute sets return the same object, so
 * many prefixes sharing attributes cost one entry and pack into the same UPDATEs.
 */
export function normalizeRouteAttributes(a: RouteAttributes = {}, field = 'attributes'): NormalizedAttributes {
  const hit = cache.get(a);
  if (hit) return hit;
  const origin = a.origin ?? 'igp';
  if (origin !== 'igp' && origin !== 'egp' && origin !== 'incomplete') throw new RouteAttributesError(`${field}.origin`, `"${String(origin)}" is not igp, egp or incomplete`);
  const communities = [...new Set((a.communities ?? []).map((c, i) => parseCommunity(c, `${field}.communities[${i}]`)))].sort((x, y) => x - y);
  const largeSeen = new Map<string, LargeCommunity>();
  (a.largeCommunities ?? []).forEach((c, i) => {
    const l = parseLargeCommunity(c, `${field}.largeCommunities[${i}]`);
    largeSeen.set(l.join(':'), l);
  });
  const largeCommunities = [...largeSeen.values()].sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  if (a.localPreference !== undefined && !isU32(a.localPreference)) throw new RouteAttributesError(`${field}.localPreference`, `${a.localPreference} is not an unsigned 32-bit value`);
  if (a.med !== undefined && !isU32(a.med)) throw new RouteAttributesError(`${field}.med`, `${a.med} is not an unsigned 32-bit value`);
  const key = `${origin}|${communities.join(',')}|${largeCommunities.map((l) => l.join(':')).join(',')}|${a.localPreference ?? ''}|${a.med ?? ''}`;
  let n = interned.get(key);
  if (!n) {
    n = { origin, communities, largeCommunities, key, ...(a.localPreference !== undefined ? { localPreference: a.localPreference } : {}), ...(a.med !== undefined ? { med: a.med } : {}) };
    if (interned.size > 100_000) interned.clear();
    interned.set(key, n);
  }
  cache.set(a, n);
  return n;
}
