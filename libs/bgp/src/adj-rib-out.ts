import { parsePrefix, type Prefix } from './address.js';
import { normalizeRouteAttributes, type NormalizedAttributes, type RouteAttributes } from './attributes.js';
import { AttrFlag, AttrType, MAX_MESSAGE_LENGTH, MessageType } from './constants.js';
import { RouteAttributesError } from './attributes.js';
import type { Family } from './negotiation.js';

interface Entry {
  readonly prefix: Prefix;
  readonly attrs: NormalizedAttributes;
}

/** What to send next: withdrawals first, then announcements grouped by identical attributes. */
export interface RibOutPlan {
  readonly withdraw: readonly Prefix[];
  readonly announce: ReadonlyArray<{ readonly attrs: NormalizedAttributes; readonly prefixes: readonly Prefix[] }>;
}

/** Canonical map key of a prefix: length then significant octets, as a compact string. */
export function prefixKey(p: Prefix): string {
  return String.fromCharCode(p.length, ...p.bytes);
}

/**
 * The routes one peer should hold for one family (desired) and what it was sent: `plan()` yields
 * the difference, `commit()` records it as sent. After a session reset, `resetSent()`.
 */
export class AdjRibOut {
  private desired = new Map<string, Entry>();
  private sent = new Map<string, NormalizedAttributes>();
  private dirty = new Set<string>();
  private resendAll = false;

  constructor(readonly family: Family) {}

  /**
   * Validates `routes` entirely, then replaces the desired set (all or nothing). Keys are prefixes
   * in text (`10.0.0.1/32`); a prefix of the other family is an error.
   */
  setDesired(routes: ReadonlyMap<string, RouteAttributes> | Iterable<readonly [string, RouteAttributes]>): void {
    const next = new Map<string, Entry>();
    const want = this.family === 'ipv4-unicast' ? 'ipv4' : 'ipv6';
    for (const [text, attrs] of routes instanceof Map ? routes.entries() : (routes as Iterable<readonly [string, RouteAttributes]>)) {
      let prefix: Prefix;
      try {
        prefix = parsePrefix(text);
      } catch (e) {
        throw new RouteAttributesError(`routes["${text}"]`, (e as Error).message);
      }
      if (prefix.family !== want) throw new RouteAttributesError(`routes["${text}"]`, `is not an ${want} prefix (family ${this.family})`);
      const key = prefixKey(prefix);
      const old = this.desired.get(key);
      const normalized = normalizeRouteAttributes(attrs, `routes["${text}"]`);
      next.set(key, old && old.attrs === normalized ? old : { prefix, attrs: normalized });
    }
    for (const [key, e] of next) if (this.desired.get(key)?.attrs !== e.attrs) this.dirty.add(key);
    for (const key of this.desired.keys()) if (!next.has(key)) this.dirty.add(key);
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
    for (const e of this.desired.values()) yield [e.prefix, e.attrs];
  }

  /** Differences to send; commit() marks them sent. */
  plan(): RibOutPlan {
    const withdraw: Prefix[] = [];
    const groups = new Map<NormalizedAttributes, Prefix[]>();
    for (const key of this.dirty) {
      const want = this.desired.get(key);
      const have = this.sent.get(key);
      if (!want) {
        if (have) withdraw.push(prefixFromKey(key, this.family));
        continue;
      }
      if (have === want.attrs && !this.resendAll) continue;
      let g = groups.get(want.attrs);
      if (!g) groups.set(want.attrs, (g = []));
      g.push(want.prefix);
    }
    return { withdraw, announce: [...groups].map(([attrs, prefixes]) => ({ attrs, prefixes })) };
  }

  /** Like plan(), but resends unchanged routes too (ROUTE-REFRESH). */
  planRefresh(): RibOutPlan {
    this.refreshAll();
    return this.plan();
  }

  /** Records the plan as sent. */
  commit(plan: RibOutPlan): void {
    for (const p of plan.withdraw) this.sent.delete(prefixKey(p));
    for (const g of plan.announce) for (const p of g.prefixes) this.sent.set(prefixKey(p), g.attrs);
    this.dirty.clear();
    this.resendAll = false;
  }
}

function prefixFromKey(key: string, family: Family): Prefix {
  const bytes = new Uint8Array(key.length - 1);
  for (let i = 1; i < key.length; i++) bytes[i - 1] = key.charCodeAt(i);
  return { family: family === 'ipv4-unicast' ? 'ipv4' : 'ipv6', length: key.charCodeAt(0), bytes };
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
          const pr = plan.withdraw[i]!;
          if (p + 1 + pr.bytes.length > limit) break;
          buf[p++] = pr.length;
          buf.set(pr.bytes, p);
          p += pr.bytes.length;
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
          const pr = plan.withdraw[i]!;
          if (p + 1 + pr.bytes.length > limit) break;
          buf[p++] = pr.length;
          buf.set(pr.bytes, p);
          p += pr.bytes.length;
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
    while (i < g.prefixes.length) {
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
        while (i < g.prefixes.length) {
          const pr = g.prefixes[i]!;
          if (p + 1 + pr.bytes.length > limit) break;
          buf[p++] = pr.length;
          buf.set(pr.bytes, p);
          p += pr.bytes.length;
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
        while (i < g.prefixes.length) {
          const pr = g.prefixes[i]!;
          if (p + 1 + pr.bytes.length > limit) break;
          buf[p++] = pr.length;
          buf.set(pr.bytes, p);
          p += pr.bytes.length;
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
