import ipaddr from 'ipaddr.js';
import type { Afi } from './model';

/** Address helpers: parsing without throwing, canonical text, masking to a prefix length. */

export interface ParsedAddress {
  readonly afi: Afi;
  readonly bytes: readonly number[];
  /** Canonical text (RFC 5952 for IPv6). */
  readonly text: string;
}

/**
 * Memo of parsed addresses: a node's reconcile parses the same few thousand addresses on every
 * run. Results are immutable; the memo is dropped when it grows past its bound.
 */
const addressMemo = new Map<string, ParsedAddress | null>();
const MEMO_LIMIT = 200_000;

/** Parses an IPv4 or IPv6 address (an IPv4-mapped IPv6 address counts as IPv4); undefined if invalid. */
export const parseAddress = (raw: unknown): ParsedAddress | undefined => {
  if (typeof raw !== 'string') return undefined;
  const hit = addressMemo.get(raw);
  if (hit !== undefined) return hit ?? undefined;
  const parsed = parseAddressUncached(raw);
  if (addressMemo.size >= MEMO_LIMIT) addressMemo.clear();
  addressMemo.set(raw, parsed ?? null);
  return parsed;
};

const parseAddressUncached = (raw: string): ParsedAddress | undefined => {
  const s = raw.trim().replace(/%.*$/, ''); // zone ids (`fe80::1%eth0`) are not part of the address
  if (!ipaddr.isValid(s)) return undefined;
  // ipaddr.isValid accepts legacy forms like "10.1"; insist on four-part decimal for IPv4.
  if (!s.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(s)) return undefined;
  const a = ipaddr.process(s);
  if (a.kind() === 'ipv4') return { afi: 'ipv4', bytes: a.toByteArray(), text: a.toString() };
  const v6 = a as ipaddr.IPv6;
  return { afi: 'ipv6', bytes: v6.toByteArray(), text: v6.toRFC5952String() };
};

export const bitLength = (afi: Afi): number => (afi === 'ipv4' ? 32 : 128);

/** `addr/len` with the host bits cleared, in canonical text. */
export const prefixOf = (addr: ParsedAddress, length: number): string => {
  if (length === bitLength(addr.afi)) return `${addr.text}/${length}`; // a host route: nothing to mask
  const bytes = [...addr.bytes];
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, length - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - bitsHere)) & 0xff);
  }
  const a = ipaddr.fromByteArray(bytes);
  const text = a.kind() === 'ipv4' ? a.toString() : (a as ipaddr.IPv6).toRFC5952String();
  return `${text}/${length}`;
};

export interface ParsedPrefix {
  readonly afi: Afi;
  readonly length: number;
  /** Canonical, host bits cleared. */
  readonly text: string;
}

/** Parses `addr/len`; undefined if invalid. Host bits are cleared. */
export const parsePrefix = (raw: unknown): ParsedPrefix | undefined => {
  if (typeof raw !== 'string') return undefined;
  const i = raw.indexOf('/');
  if (i < 0) return undefined;
  const addr = parseAddress(raw.slice(0, i));
  const lenText = raw.slice(i + 1).trim();
  if (!addr || !/^\d{1,3}$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > bitLength(addr.afi)) return undefined;
  return { afi: addr.afi, length, text: prefixOf(addr, length) };
};

const sortKeyMemo = new Map<string, string>();

/** A sort key for a canonical prefix: IPv4 before IPv6, then address bytes, then length. */
export const prefixSortKey = (prefix: string): string => {
  let key = sortKeyMemo.get(prefix);
  if (key === undefined) {
    key = prefixSortKeyUncached(prefix);
    if (sortKeyMemo.size >= MEMO_LIMIT) sortKeyMemo.clear();
    sortKeyMemo.set(prefix, key);
  }
  return key;
};

const prefixSortKeyUncached = (prefix: string): string => {
  const p = parsePrefix(prefix);
  if (!p) return `z${prefix}`;
  const bytes = parseAddress(p.text.slice(0, p.text.indexOf('/')))!.bytes;
  return `${p.afi === 'ipv4' ? 'a' : 'b'}${bytes.map((b) => b.toString(16).padStart(2, '0')).join('')}${p.length.toString().padStart(3, '0')}`;
};

/** Sorts canonical prefixes in address order (IPv4 first). */
export const sortPrefixes = <T>(items: readonly T[], prefixOfItem: (t: T) => string): T[] =>
  items
    .map((t) => ({ t, k: prefixSortKey(prefixOfItem(t)) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.t);

/** True for addresses that are never advertised from an interface (Cilium's Interface advert rule). */
export const isUnadvertisableInterfaceAddress = (addr: ParsedAddress): boolean => {
  const a = ipaddr.parse(addr.text);
  const range = a.range();
  return range === 'loopback' || range === 'multicast' || range === 'linkLocal' && addr.afi === 'ipv6' || range === 'unspecified';
};
