import { parsePrefix, type Prefix } from './address.js';
import { normalizeRouteAttributes, type NormalizedAttributes, type RouteAttributes } from './attributes.js';
import { AttrFlag, AttrType, MAX_MESSAGE_LENGTH, MessageType } from './constants.js';
import { RouteAttributesError } from './attributes.js';
import type { Family } from './negotiation.js';

/**
 * What to send next: withdrawals first, then announcements grouped by identical attributes.
 * Prefixes are in key form (`prefixKey`): the NLRI octets as a string, compact and ready to write.
 */
export interface RibOutPlan {
  readonly withdraw: readonly string[];
  readonly announce: ReadonlyArray<{ readonly attrs: NormalizedAttributes; readonly keys: readonly string[] }>;
}

/** Canonical map key of a prefix: its NLRI encoding (length octet, significant octets) as a string. */
export function prefixKey(p: Prefix): string {
  return String.fromCharCode(p.length, ...p.bytes);
}

export function prefixFromKey(key: string, family: Family): Prefix {
  const bytes = new Uint8Array(key.length - 1);
  for (let i = 1; i < key.length; i++) bytes[i - 1] = key.charCodeAt(i);
  return { family: family === 'ipv4-unicast' ? 'ipv4' : 'ipv6', length: key.charCodeAt(0), bytes };
}

/**
 * The key of an IPv4 prefix in text, without allocating (the hot path for large route sets);
 * `undefined` when the text is not a plain `a.b.c.d/len` (the caller then parses it fully).
 */
function fastIPv4Key(s: string): string | undefined {
  let octet = 0;
  let digits = 0;
  let part = 0;
  let addr = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else if (c === 46 || c === 47) {
      if (digits === 0) return undefined;
      addr = ((addr << 8) | octet) >>> 0;
      part++;
      octet = 0;
      digits = 0;
      if (c === 47) break;
      if (part > 3) return undefined;
    } else {
      return undefined;
    }
  }
  if (part !== 4 || i === s.length) return undefined;
  let len = 0;
  let ld = 0;
  for (i++; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57 || ++ld > 2) return undefined;
    len = len * 10 + (c - 48);
  }
  if (ld === 0 || len > 32) return undefined;
  if (len < 32 && (addr & (0xffffffff >>> len)) !== 0) return undefined; // host bits: full parse reports it
  const n = (len + 7) >> 3;
  switch (n) {
    case 0:
      return String.fromCharCode(len);
    case 1:
      return String.fromCharCode(len, addr >>> 24);
    case 2:
      return String.fromCharCode(len, addr >>> 24, (addr >>> 16) & 255);
    case 3:
      return String.fromCharCode(len, addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255);
    default:
      return String.fromCharCode(len, addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255);
  }
}

/**
 * The routes one peer should hold for one family (desired) and what it was sent: `plan()` yields
 * the difference, `commit()` records it as sent. After a session reset, `resetSent()`.
 */
export class AdjRibOut {
  private desired = new Map<string, NormalizedAttributes>();
  private sent = new Map<string, NormalizedAttributes>();
  private dirty = new Set<string>();
  private resendAll = false;

  constructor(readonly family: Family) {}

  /**
   * Validates `routes` entirely, then replaces the desired set (all or nothing). Keys are prefixes
   * in text (`10.0.0.1/32`); a prefix of the other family is an error.
   */
  setDesired(routes: ReadonlyMap<string, RouteAttributes> | Iterable<readonly [string, RouteAttributes]>): void {
    const next = new Map<string, NormalizedAttributes>();
    const v4 = this.family === 'ipv4-unicast';
    const want = v4 ? 'ipv4' : 'ipv6';
    let lastAttrs: RouteAttributes | undefined;
    let lastNorm: NormalizedAttributes | undefined;
    const add = (attrs: RouteAttributes, text: string): void => {
      let key = v4 && typeof text === 'string' ? fastIPv4Key(text) : undefined;
      if (key === undefined) {
        let prefix: Prefix;
        try {
          prefix = parsePrefix(text);
        } catch (e) {
          throw new RouteAttributesError(`routes["${text}"]`, (e as Error).message);
        }
        if (prefix.family !== want) throw new RouteAttributesError(`routes["${text}"]`, `is not an ${want} prefix (family ${this.family})`);
        key = prefixKey(prefix);
      }
      // Most routes share one attributes object: skip re-normalising (and building error paths).
      if (attrs !== lastAttrs) {
        lastNorm = normalizeRouteAttributes(attrs, `routes["${text}"]`);
        lastAttrs = attrs;
      }
      next.set(key, lastNorm!);
    };
    // Map.forEach allocates nothing per entry (entries() would, 100,000 times).
    if (routes instanceof Map) routes.forEach(add);
    else for (const [text, attrs] of routes as Iterable<readonly [string, RouteAttributes]>) add(attrs, text);
    const old = this.desired;
    next.forEach((a, key) => {
      if (old.get(key) !== a) this.dirty.add(key);
    });
    old.forEach((_a, key) => {
      if (!next.has(key)) this.dirty.add(key);
    });
    this.desired = next;
  }

  /** Routes the peer holds from us (advertised count). */
  get advertisedCount(): number {
    return this.sent.size;
  }

  get desiredCount(): number {
    return this.desired.size;
  }

  get hasPendingChanges(): boolean {
    return this.dirty.size > 0;
  }

  /** The session went down: the peer holds nothing from us any more; everything desired is pending. */
  resetSent(): void {
    this.sent.clear();
    this.dirty = new Set(this.desired.keys());
  }

  /** Resend every desired route on the next plan (ROUTE-REFRESH, or next hops changed). */
  refreshAll(): void {
    for (const k of this.desired.keys()) this.dirty.add(k);
    this.resendAll = true;
  }

  /** The desired routes (prefix → attributes), for status and tests. */
  *desiredRoutes(): IterableIterator<[Prefix, NormalizedAttributes]> {
    for (const [key, a] of this.desired) yield [prefixFromKey(key, this.family), a];
  }

  /** Differences to send; commit() marks them sent. */
  plan(): RibOutPlan {
    const withdraw: string[] = [];
    const groups = new Map<NormalizedAttributes, string[]>();
    for (const key of this.dirty) {
      const want = this.desired.get(key);
      const have = this.sent.get(key);
      if (!want) {
        if (have) withdraw.push(key);
        continue;
      }
      if (have === want && !this.resendAll) continue;
      let g = groups.get(want);
      if (!g) groups.set(want, (g = []));
      g.push(key);
    }
    return { withdraw, announce: [...groups].map(([attrs, keys]) => ({ attrs, keys })) };
  }

  /** Like plan(), but resends unchanged routes too (ROUTE-REFRESH). */
  planRefresh(): RibOutPlan {
    this.refreshAll();
    return this.plan();
  }

  /** Records the plan as sent. */
  commit(plan: RibOutPlan): void {
    for (const k of plan.withdraw) this.sent.delete(k);
    for (const g of plan.announce) for (const k of g.keys) this.sent.set(k, g.attrs);
    this.dirty.clear();
    this.resendAll = false;
  }
}

/** How UPDATEs toward one peer are encoded for one family. */
export interface UpdateEncoding {
  readonly family: Family;
  /**
   * IPv4 unicast in the classic NLRI field with a NEXT_HOP attribute (false: MP_REACH_NLRI, as for
   * IPv6 or IPv4 with an IPv6 next hop under RFC 8950).
   */
  readonly classic: boolean;
  /** MP_REACH_NLRI next hop octets (4, 16 or 32), unused when classic. */
  readonly mpNextHop: Uint8Array;
  /**
   * Path attributes for an attribute set, split around where MP_REACH_NLRI goes (type order):
   * `head` = types below 14 (with NEXT_HOP when classic), `tail` = types above 15.
   */
  attributes(a: NormalizedAttributes): { readonly head: Uint8Array; readonly tail: Uint8Array };
}

/** Path attributes so large that not one prefix fits in a 4096-octet UPDATE. */
export class AttributesTooLargeError extends Error {
  constructor(readonly attributeOctets: number) {
    super(`path attributes of ${attributeOctets} octets leave no room for a prefix in a 4096-octet UPDATE`);
    this.name = 'AttributesTooLargeError';
  }
}

/** Collects encoded messages into large chunks for few socket writes. */
class ChunkWriter {
  readonly chunks: Buffer[] = [];
  private cur = Buffer.allocUnsafe(65536);
  private len = 0;
  messages = 0;
  begin(max: number): Buffer {
    if (this.len + max > this.cur.length) this.flushChunk();
    return this.cur;
  }
  get offset(): number {
    return this.len;
  }
  end(newLen: number): void {
    this.len = newLen;
    this.messages++;
  }
  private flushChunk(): void {
    if (this.len > 0) this.chunks.push(this.cur.subarray(0, this.len));
    this.cur = Buffer.allocUnsafe(65536);
    this.len = 0;
  }
  finish(): Buffer[] {
    this.flushChunk();
    return this.chunks;
  }
}

function writeHeader(buf: Buffer, at: number): void {
  buf.fill(0xff, at, at + 16);
  buf[at + 18] = MessageType.UPDATE;
}

/**
 * Packs a plan into UPDATE messages of at most 4096 octets: withdrawals first (so a prefix that
 * moves is never briefly duplicated), then one run of UPDATEs per attribute set with as many
 * prefixes as fit. Returns buffers ready for the socket and the message count.
 */
export function packUpdates(plan: RibOutPlan, enc: UpdateEncoding): { chunks: Buffer[]; messages: number } {
  const w = new ChunkWriter();
  const afi = enc.family === 'ipv4-unicast' ? 1 : 2;
  const safi = 1;
  // --- withdrawals
  if (plan.withdraw.length) {
    let i = 0;
    while (i < plan.withdraw.length) {
      const buf = w.begin(MAX_MESSAGE_LENGTH);
      const start = w.offset;
      writeHeader(buf, start);
      let p = start + 19;
      if (enc.classic) {
        const wlenAt = p;
        p += 2;
        const limit = start + MAX_MESSAGE_LENGTH - 2;
        while (i < plan.withdraw.length) {
          const k = plan.withdraw[i]!;
          if (p + k.length > limit) break;
          for (let j = 0; j < k.length; j++) buf[p++] = k.charCodeAt(j);
          i++;
        }
        buf.writeUInt16BE(p - wlenAt - 2, wlenAt);
        buf.writeUInt16BE(0, p);
        p += 2;
      } else {
        buf.writeUInt16BE(0, p);
        p += 2;
        const attrLenAt = p;
        p += 2;
        buf[p] = AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH;
        buf[p + 1] = AttrType.MP_UNREACH_NLRI;
        const alenAt = p + 2;
        p += 4;
        buf.writeUInt16BE(afi, p);
        buf[p + 2] = safi;
        p += 3;
        const limit = start + MAX_MESSAGE_LENGTH;
        while (i < plan.withdraw.length) {
          const k = plan.withdraw[i]!;
          if (p + k.length > limit) break;
          for (let j = 0; j < k.length; j++) buf[p++] = k.charCodeAt(j);
          i++;
        }
        buf.writeUInt16BE(p - alenAt - 2, alenAt);
        buf.writeUInt16BE(p - attrLenAt - 2, attrLenAt);
      }
      buf.writeUInt16BE(p - start, start + 16);
      w.end(p);
    }
  }
  // --- announcements
  for (const g of plan.announce) {
    const { head, tail } = enc.attributes(g.attrs);
    let i = 0;
    while (i < g.keys.length) {
      const buf = w.begin(MAX_MESSAGE_LENGTH);
      const start = w.offset;
      writeHeader(buf, start);
      let p = start + 19;
      buf.writeUInt16BE(0, p); // no withdrawn routes
      p += 2;
      const attrLenAt = p;
      p += 2;
      buf.set(head, p);
      p += head.length;
      if (enc.classic) {
        buf.set(tail, p);
        p += tail.length;
        buf.writeUInt16BE(p - attrLenAt - 2, attrLenAt);
        const limit = start + MAX_MESSAGE_LENGTH;
        const first = i;
        while (i < g.keys.length) {
          const k = g.keys[i]!;
          if (p + k.length > limit) break;
          for (let j = 0; j < k.length; j++) buf[p++] = k.charCodeAt(j);
          i++;
        }
        if (i === first) throw new AttributesTooLargeError(head.length + tail.length);
      } else {
        buf[p] = AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH;
        buf[p + 1] = AttrType.MP_REACH_NLRI;
        const alenAt = p + 2;
        p += 4;
        buf.writeUInt16BE(afi, p);
        buf[p + 2] = safi;
        buf[p + 3] = enc.mpNextHop.length;
        p += 4;
        buf.set(enc.mpNextHop, p);
        p += enc.mpNextHop.length;
        buf[p++] = 0; // reserved
        const limit = start + MAX_MESSAGE_LENGTH - tail.length;
        const first = i;
        while (i < g.keys.length) {
          const k = g.keys[i]!;
          if (p + k.length > limit) break;
          for (let j = 0; j < k.length; j++) buf[p++] = k.charCodeAt(j);
          i++;
        }
        if (i === first) throw new AttributesTooLargeError(head.length + tail.length);
        buf.writeUInt16BE(p - alenAt - 2, alenAt);
        buf.set(tail, p);
        p += tail.length;
        buf.writeUInt16BE(p - attrLenAt - 2, attrLenAt);
      }
      buf.writeUInt16BE(p - start, start + 16);
      w.end(p);
    }
  }
  const messages = w.messages;
  return { chunks: w.finish(), messages };
}
