/**
 * BGP communities as CiliumBGPAdvertisement spells them: standard (RFC 1997) as a decimal u32 or
 * `u16:u16`, well-known by name (IANA values), large (RFC 8092) as `u32:u32:u32`.
 */

import { RouteAttributesError, WELL_KNOWN_COMMUNITIES, parseCommunity, parseLargeCommunity as parseLargeCommunityValue } from '@bosun/bgp';

// The IANA table and the parsers live with the BGP speaker; here they answer "undefined" for
// bad input, as the desired-state computation reports it instead of throwing.
export { WELL_KNOWN_COMMUNITIES };

const orUndefined = <T>(parse: () => T): T | undefined => {
  try {
    return parse();
  } catch (e) {
    if (e instanceof RouteAttributesError) return undefined;
    throw e;
  }
};

/** Parses a standard community (`65000:100` or `4259840100`) to its u32 value; undefined if invalid. */
export const parseStandardCommunity = (raw: string): number | undefined =>
  Object.prototype.hasOwnProperty.call(WELL_KNOWN_COMMUNITIES, raw.trim().toLowerCase()) ? undefined : orUndefined(() => parseCommunity(raw));

/** Parses a well-known community name to its value; undefined if unknown. */
export const parseWellKnownCommunity = (raw: string): number | undefined =>
  Object.prototype.hasOwnProperty.call(WELL_KNOWN_COMMUNITIES, raw) ? WELL_KNOWN_COMMUNITIES[raw] : undefined;

/** `hi:lo` text of a community value. */
export const formatCommunity = (v: number): string => `${Math.floor(v / 0x10000)}:${v % 0x10000}`;

/** Parses a large community `a:b:c` into canonical text; undefined if invalid. */
export const parseLargeCommunity = (raw: string): string | undefined => orUndefined(() => parseLargeCommunityValue(raw).join(':'));

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
