import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, type AddressFamily, type Prefix } from './address.js';
import {
  AS_TRANS,
  AsPathSegmentType,
  AttrFlag,
  AttrType,
  BGP_VERSION,
  CapabilityCode,
  ErrorCode,
  HEADER_LENGTH,
  HeaderSubcode,
  MAX_MESSAGE_LENGTH,
  MessageType,
  OpenSubcode,
  RouteRefreshSubcode,
  UpdateSubcode,
} from './constants.js';
import type {
  AsPathSegment,
  AsPathSegmentKind,
  BgpError,
  BgpMessage,
  Capability,
  LargeCommunity,
  MpReach,
  MpUnreach,
  NotificationMessage,
  OpenMessage,
  PathAttributes,
  RouteRefreshMessage,
  UnknownAttribute,
  UpdateMessage,
} from './messages.js';

/** What the decoder/encoder must know about the session: negotiated 4-octet AS numbers. */
export interface CodecContext {
  readonly fourOctetAs: boolean;
}

export type DecodeResult = { readonly ok: true; readonly message: BgpMessage } | { readonly ok: false; readonly error: BgpError };

const EMPTY = new Uint8Array(0);

export function bgpError(code: number, subcode: number, reason: string, data: Uint8Array = EMPTY): BgpError {
  return { code, subcode, data, reason };
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u16be = (n: number): Uint8Array => Uint8Array.of((n >>> 8) & 0xff, n & 0xff);

// ---------------------------------------------------------------------------------------------
// Header and framing

/**
 * Checks the 19-octet header (RFC 4271 §6.1) of the message starting at `b[0]`, given that at
 * least 19 octets are present. Returns the message length or the header error.
 */
export function checkHeader(b: Uint8Array): { length: number; type: number } | BgpError {
  for (let i = 0; i < 16; i++) {
    if (b[i] !== 0xff) return bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, 'marker is not all ones');
  }
  const length = u16(b, 16);
  const type = b[18]!;
  if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) {
    return bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `message length ${length} outside 19..4096`, u16be(length));
  }
  const bad = (): BgpError => bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `length ${length} invalid for message type ${type}`, u16be(length));
  switch (type) {
    case MessageType.OPEN:
      if (length < 29) return bad();
      break;
    case MessageType.UPDATE:
      if (length < 23) return bad();
      break;
    case MessageType.NOTIFICATION:
      if (length < 21) return bad();
      break;
    case MessageType.KEEPALIVE:
      if (length !== 19) return bad();
      break;
    case MessageType.ROUTE_REFRESH:
      // A wrong length is a ROUTE-REFRESH Message Error (RFC 7313 §5), reported by the decoder.
      break;
    default:
      return bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, `unknown message type ${type}`, Uint8Array.of(type));
  }
  return { length, type };
}

const isError = (x: object): x is BgpError => 'code' in x;

/** Splits a TCP byte stream into whole BGP messages, checking each header. */
export class MessageFramer {
  private buf: Uint8Array = EMPTY;
  private off = 0;

  push(chunk: Uint8Array): void {
    if (this.off >= this.buf.length) {
      this.buf = chunk;
      this.off = 0;
      return;
    }
    const rest = this.buf.subarray(this.off);
    const merged = new Uint8Array(rest.length + chunk.length);
    merged.set(rest, 0);
    merged.set(chunk, rest.length);
    this.buf = merged;
    this.off = 0;
  }

  /** The next complete message (a view, valid until the next `push`), a header error, or `undefined` if more bytes are needed. */
  next(): { message: Uint8Array } | { error: BgpError } | undefined {
    const avail = this.buf.length - this.off;
    if (avail < HEADER_LENGTH) return undefined;
    const view = this.buf.subarray(this.off);
    const h = checkHeader(view);
    if (isError(h)) return { error: h };
    if (avail < h.length) return undefined;
    this.off += h.length;
    return { message: view.subarray(0, h.length) };
  }

  /** Bytes buffered but not yet returned. */
  get pending(): number {
    return this.buf.length - this.off;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decodes one whole message (header included). Never throws: malformed input yields the NOTIFICATION to send. */
export function decodeMessage(b: Uint8Array, ctx: CodecContext): DecodeResult {
  if (b.length < HEADER_LENGTH) {
    return { ok: false, error: bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `only ${b.length} octets`, u16be(b.length)) };
  }
  const h = checkHeader(b);
  if (isError(h)) return { ok: false, error: h };
  if (h.length !== b.length) {
    return { ok: false, error: bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `length field ${h.length} but ${b.length} octets`, u16be(h.length)) };
  }
  switch (h.type) {
    case MessageType.OPEN:
      return decodeOpen(b);
    case MessageType.UPDATE:
      return decodeUpdate(b, ctx);
    case MessageType.NOTIFICATION:
      return { ok: true, message: { type: 'notification', code: b[19]!, subcode: b[20]!, data: b.slice(21) } };
    case MessageType.KEEPALIVE:
      return { ok: true, message: { type: 'keepalive' } };
    case MessageType.ROUTE_REFRESH:
      if (b.length !== 23) {
        return { ok: false, error: bgpError(ErrorCode.ROUTE_REFRESH_MESSAGE, RouteRefreshSubcode.INVALID_MESSAGE_LENGTH, `ROUTE-REFRESH of ${b.length} octets`, b.slice()) };
      }
      return { ok: true, message: { type: 'route-refresh', afi: u16(b, 19), subtype: b[21]!, safi: b[22]! } };
    default:
      return { ok: false, error: bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, `unknown message type ${h.type}`, Uint8Array.of(h.type)) };
  }
}

function decodeOpen(b: Uint8Array): DecodeResult {
  const fail = (subcode: number, reason: string, data: Uint8Array = EMPTY): DecodeResult => ({ ok: false, error: bgpError(ErrorCode.OPEN_MESSAGE, subcode, reason, data) });
  const version = b[19]!;
  if (version !== BGP_VERSION) return fail(OpenSubcode.UNSUPPORTED_VERSION_NUMBER, `version ${version}`, u16be(BGP_VERSION));
  const myAS = u16(b, 20);
  const holdTimeSeconds = u16(b, 22);
  const bgpIdentifier = formatIPv4(b, 24);
  let optLen = b[28]!;
  let p = 29;
  let extended = false;
  // RFC 9072 extended optional parameters: length 255 and a first parameter type of 255.
  if (optLen === 255 && b.length >= 32 && b[29] === 255) {
    extended = true;
    optLen = u16(b, 30);
    p = 32;
  }
  if (p + optLen !== b.length) return fail(0, `optional parameters length ${optLen} does not match the message`);
  const capabilities: Capability[] = [];
  const end = p + optLen;
  while (p < end) {
    const hdr = extended ? 3 : 2;
    if (p + hdr > end) return fail(0, 'truncated optional parameter');
    const ptype = b[p]!;
    const plen = extended ? u16(b, p + 1) : b[p + 1]!;
    p += hdr;
    if (p + plen > end) return fail(0, `optional parameter ${ptype} overruns the message`);
    if (ptype !== 2) return fail(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, `optional parameter type ${ptype}`);
    const caps = decodeCapabilities(b, p, p + plen);
    if (typeof caps === 'string') return fail(0, caps);
    capabilities.push(...caps);
    p += plen;
  }
  const open: OpenMessage = { type: 'open', version, myAS, holdTimeSeconds, bgpIdentifier, capabilities };
  return { ok: true, message: open };
}

function decodeCapabilities(b: Uint8Array, start: number, end: number): Capability[] | string {
  const out: Capability[] = [];
  let p = start;
  while (p < end) {
    if (p + 2 > end) return 'truncated capability';
    const code = b[p]!;
    const len = b[p + 1]!;
    p += 2;
    if (p + len > end) return `capability ${code} overruns its parameter`;
    const v = b.subarray(p, p + len);
    switch (code) {
      case CapabilityCode.MULTIPROTOCOL:
        if (len !== 4) return `multiprotocol capability of length ${len}`;
        out.push({ kind: 'multiprotocol', afi: u16(v, 0), safi: v[3]! });
        break;
      case CapabilityCode.ROUTE_REFRESH:
        if (len !== 0) return `route refresh capability of length ${len}`;
        out.push({ kind: 'route-refresh' });
        break;
      case CapabilityCode.ENHANCED_ROUTE_REFRESH:
        if (len !== 0) return `enhanced route refresh capability of length ${len}`;
        out.push({ kind: 'enhanced-route-refresh' });
        break;
      case CapabilityCode.FOUR_OCTET_AS:
        if (len !== 4) return `4-octet AS capability of length ${len}`;
        out.push({ kind: 'four-octet-as', asn: u32(v, 0) });
        break;
      case CapabilityCode.GRACEFUL_RESTART: {
        if (len < 2 || (len - 2) % 4 !== 0) return `graceful restart capability of length ${len}`;
        const families: { afi: number; safi: number; forwardingPreserved: boolean }[] = [];
        for (let i = 2; i < len; i += 4) families.push({ afi: u16(v, i), safi: v[i + 2]!, forwardingPreserved: (v[i + 3]! & 0x80) !== 0 });
        out.push({ kind: 'graceful-restart', restartState: (v[0]! & 0x80) !== 0, notification: (v[0]! & 0x40) !== 0, restartTimeSeconds: u16(v, 0) & 0x0fff, families });
        break;
      }
      case CapabilityCode.EXTENDED_NEXT_HOP: {
        if (len % 6 !== 0) return `extended next hop capability of length ${len}`;
        const entries: { afi: number; safi: number; nextHopAfi: number }[] = [];
        for (let i = 0; i < len; i += 6) entries.push({ afi: u16(v, i), safi: u16(v, i + 2), nextHopAfi: u16(v, i + 4) });
        out.push({ kind: 'extended-next-hop', entries });
        break;
      }
      default:
        // RFC 5492: unknown capabilities are ignored (kept for display).
        out.push({ kind: 'unknown', code, value: v.slice() });
    }
    p += len;
  }
  return out;
}

/** Parses a run of NLRI prefixes of one family; a string names the syntax error. */
function decodePrefixes(b: Uint8Array, start: number, end: number, family: AddressFamily, out: Prefix[]): string | undefined {
  const max = family === 'ipv4' ? 32 : 128;
  let p = start;
  while (p < end) {
    const length = b[p]!;
    if (length > max) return `prefix length ${length} exceeds ${max}`;
    const n = (length + 7) >> 3;
    if (p + 1 + n > end) return 'prefix overruns its field';
    const bytes = b.slice(p + 1, p + 1 + n);
    // Host bits beyond the length are ignored on receipt (mask them so equal prefixes compare equal).
    if (length & 7) bytes[n - 1]! &= (0xff << (8 - (length & 7))) & 0xff;
    out.push({ family, length, bytes });
    p += 1 + n;
  }
  return undefined;
}

const attrName: Record<number, string> = {
  1: 'ORIGIN',
  2: 'AS_PATH',
  3: 'NEXT_HOP',
  4: 'MULTI_EXIT_DISC',
  5: 'LOCAL_PREF',
  6: 'ATOMIC_AGGREGATE',
  7: 'AGGREGATOR',
  8: 'COMMUNITIES',
  9: 'ORIGINATOR_ID',
  10: 'CLUSTER_LIST',
  14: 'MP_REACH_NLRI',
  15: 'MP_UNREACH_NLRI',
  16: 'EXTENDED_COMMUNITIES',
  17: 'AS4_PATH',
  18: 'AS4_AGGREGATOR',
  32: 'LARGE_COMMUNITY',
};

/** Expected Optional/Transitive bits of the attributes this speaker recognises. */
const expectedFlags: Record<number, number> = {
  1: AttrFlag.TRANSITIVE,
  2: AttrFlag.TRANSITIVE,
  3: AttrFlag.TRANSITIVE,
  4: AttrFlag.OPTIONAL,
  5: AttrFlag.TRANSITIVE,
  6: AttrFlag.TRANSITIVE,
  7: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
  8: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
  9: AttrFlag.OPTIONAL,
  10: AttrFlag.OPTIONAL,
  14: AttrFlag.OPTIONAL,
  15: AttrFlag.OPTIONAL,
  16: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
  17: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
  18: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
  32: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
};

const segmentKinds: Record<number, AsPathSegmentKind> = {
  [AsPathSegmentType.AS_SET]: 'set',
  [AsPathSegmentType.AS_SEQUENCE]: 'sequence',
  [AsPathSegmentType.AS_CONFED_SEQUENCE]: 'confed-sequence',
  [AsPathSegmentType.AS_CONFED_SET]: 'confed-set',
};

function decodeAsPath(v: Uint8Array, asSize: 2 | 4): AsPathSegment[] | string {
  const segs: AsPathSegment[] = [];
  let p = 0;
  while (p < v.length) {
    if (p + 2 > v.length) return 'truncated segment header';
    const kind = segmentKinds[v[p]!];
    if (!kind) return `segment type ${v[p]}`;
    const count = v[p + 1]!;
    if (count === 0) return 'empty segment';
    p += 2;
    if (p + count * asSize > v.length) return 'segment overruns the attribute';
    const asns: number[] = [];
    for (let i = 0; i < count; i++, p += asSize) asns.push(asSize === 4 ? u32(v, p) : u16(v, p));
    segs.push({ type: kind, asns });
  }
  return segs;
}

function decodeMpNextHop(v: Uint8Array, afi: number): string[] | undefined {
  if (afi === 1) {
    if (v.length === 4) return [formatIPv4(v)];
    // RFC 8950: IPv4 NLRI with an IPv6 next hop (global, or global + link-local).
    if (v.length === 16) return [formatIPv6(v)];
    if (v.length === 32) return [formatIPv6(v), formatIPv6(v, 16)];
    return undefined;
  }
  if (afi === 2) {
    if (v.length === 16) return [formatIPv6(v)];
    if (v.length === 32) return [formatIPv6(v), formatIPv6(v, 16)];
    return undefined;
  }
  return [];
}

const familyOfAfi = (afi: number, safi: number): AddressFamily | undefined => (safi !== 1 ? undefined : afi === 1 ? 'ipv4' : afi === 2 ? 'ipv6' : undefined);

function decodeUpdate(b: Uint8Array, ctx: CodecContext): DecodeResult {
  const reset = (subcode: number, reason: string, data: Uint8Array = EMPTY): DecodeResult => ({ ok: false, error: bgpError(ErrorCode.UPDATE_MESSAGE, subcode, reason, data) });
  const len = b.length;
  const withdrawnLen = u16(b, 19);
  if (21 + withdrawnLen + 2 > len) return reset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `withdrawn routes length ${withdrawnLen} overruns the message`);
  const withdrawn: Prefix[] = [];
  const werr = decodePrefixes(b, 21, 21 + withdrawnLen, 'ipv4', withdrawn);
  if (werr) return reset(UpdateSubcode.INVALID_NETWORK_FIELD, `withdrawn routes: ${werr}`);
  const attrStart = 23 + withdrawnLen;
  const totalAttrLen = u16(b, 21 + withdrawnLen);
  if (attrStart + totalAttrLen > len) return reset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `total path attribute length ${totalAttrLen} overruns the message`);
  const attrEnd = attrStart + totalAttrLen;

  // NLRI first: its location is known, so attribute errors can fall back to treat-as-withdraw.
  const nlri: Prefix[] = [];
  const nerr = decodePrefixes(b, attrEnd, len, 'ipv4', nlri);
  if (nerr) return reset(UpdateSubcode.INVALID_NETWORK_FIELD, `NLRI: ${nerr}`);

  const attrs: {
    -readonly [K in keyof PathAttributes]: PathAttributes[K];
  } = {};
  const unknown: UnknownAttribute[] = [];
  const discarded: string[] = [];
  const seen = new Set<number>();
  let withdrawAll: { subcode: number; reason: string } | undefined;
  const treatAsWithdraw = (subcode: number, reason: string): void => {
    if (!withdrawAll) withdrawAll = { subcode, reason };
  };

  let p = attrStart;
  while (p < attrEnd) {
    if (p + 3 > attrEnd) {
      // RFC 7606 §4: attribute header overruns the attribute block.
      if (attrs.mpReach || attrs.mpUnreach) return reset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'truncated attribute header');
      treatAsWithdraw(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'truncated attribute header');
      break;
    }
    const flags = b[p]!;
    const type = b[p + 1]!;
    const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    if (ext && p + 4 > attrEnd) {
      if (attrs.mpReach || attrs.mpUnreach) return reset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'truncated attribute header');
      treatAsWithdraw(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'truncated attribute header');
      break;
    }
    const alen = ext ? u16(b, p + 2) : b[p + 2]!;
    const vstart = p + (ext ? 4 : 3);
    const whole = b.subarray(p, Math.min(vstart + alen, attrEnd));
    if (vstart + alen > attrEnd) {
      const name = attrName[type] ?? `attribute ${type}`;
      if (type === AttrType.MP_REACH_NLRI || type === AttrType.MP_UNREACH_NLRI || attrs.mpReach || attrs.mpUnreach) {
        return reset(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} overruns the attribute block`, whole.slice());
      }
      treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} overruns the attribute block`);
      break;
    }
    const v = b.subarray(vstart, vstart + alen);
    p = vstart + alen;

    const known = expectedFlags[type];
    const name = attrName[type] ?? `attribute ${type}`;
    if (known === undefined) {
      if ((flags & AttrFlag.OPTIONAL) === 0) return reset(UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, `unrecognized well-known attribute ${type}`, whole.slice());
      unknown.push({ flags, type, value: v.slice() });
      continue;
    }
    if (seen.has(type)) {
      // RFC 7606 §3.g: duplicates are discarded, except MP_REACH/MP_UNREACH.
      if (type === AttrType.MP_REACH_NLRI || type === AttrType.MP_UNREACH_NLRI) return reset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `${name} appears twice`);
      discarded.push(`duplicate ${name}`);
      continue;
    }
    seen.add(type);
    const flagsOk = (flags & (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE)) === known;

    switch (type) {
      case AttrType.ORIGIN:
        if (!flagsOk) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
        else if (alen !== 1) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} length ${alen}`);
        else if (v[0]! > 2) treatAsWithdraw(UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE, `${name} value ${v[0]}`);
        else attrs.origin = (['igp', 'egp', 'incomplete'] as const)[v[0]!];
        break;
      case AttrType.AS_PATH: {
        if (!flagsOk) {
          treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
          break;
        }
        const segs = decodeAsPath(v, ctx.fourOctetAs ? 4 : 2);
        if (typeof segs === 'string') treatAsWithdraw(UpdateSubcode.MALFORMED_AS_PATH, `${name}: ${segs}`);
        else attrs.asPath = segs;
        break;
      }
      case AttrType.NEXT_HOP:
        if (!flagsOk) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
        else if (alen !== 4) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} length ${alen}`);
        else if (v[0] === 0 || v[0]! >= 224) treatAsWithdraw(UpdateSubcode.INVALID_NEXT_HOP_ATTRIBUTE, `${name} ${formatIPv4(v)}`);
        else attrs.nextHop = formatIPv4(v);
        break;
      case AttrType.MULTI_EXIT_DISC:
        if (!flagsOk) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
        else if (alen !== 4) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} length ${alen}`);
        else attrs.med = u32(v, 0);
        break;
      case AttrType.LOCAL_PREF:
        if (!flagsOk) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
        else if (alen !== 4) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} length ${alen}`);
        else attrs.localPreference = u32(v, 0);
        break;
      case AttrType.ATOMIC_AGGREGATE:
        // RFC 7606 §7.6: attribute discard.
        if (!flagsOk || alen !== 0) discarded.push(`${name} (flags 0x${flags.toString(16)}, length ${alen})`);
        else attrs.atomicAggregate = true;
        break;
      case AttrType.AGGREGATOR: {
        const want = ctx.fourOctetAs ? 8 : 6;
        if (!flagsOk || alen !== want) discarded.push(`${name} (flags 0x${flags.toString(16)}, length ${alen})`);
        else attrs.aggregator = ctx.fourOctetAs ? { asn: u32(v, 0), address: formatIPv4(v, 4) } : { asn: u16(v, 0), address: formatIPv4(v, 2) };
        break;
      }
      case AttrType.COMMUNITIES:
        if (!flagsOk) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
        else if (alen === 0 || alen % 4 !== 0) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} length ${alen}`);
        else {
          const cs: number[] = [];
          for (let i = 0; i < alen; i += 4) cs.push(u32(v, i));
          attrs.communities = cs;
        }
        break;
      case AttrType.ORIGINATOR_ID:
        if (!flagsOk) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
        else if (alen !== 4) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} length ${alen}`);
        else attrs.originatorId = formatIPv4(v);
        break;
      case AttrType.CLUSTER_LIST:
        if (!flagsOk) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
        else if (alen === 0 || alen % 4 !== 0) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} length ${alen}`);
        else {
          const ids: string[] = [];
          for (let i = 0; i < alen; i += 4) ids.push(formatIPv4(v, i));
          attrs.clusterList = ids;
        }
        break;
      case AttrType.EXTENDED_COMMUNITIES:
        if (!flagsOk) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
        else if (alen === 0 || alen % 8 !== 0) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} length ${alen}`);
        else {
          const ecs: Uint8Array[] = [];
          for (let i = 0; i < alen; i += 8) ecs.push(v.slice(i, i + 8));
          attrs.extendedCommunities = ecs;
        }
        break;
      case AttrType.AS4_PATH: {
        // RFC 6793 §6 / RFC 7606 §7.2: a malformed AS4_PATH is discarded.
        const segs = flagsOk ? decodeAsPath(v, 4) : 'bad flags';
        if (typeof segs === 'string') discarded.push(`${name} (${segs})`);
        else attrs.as4Path = segs;
        break;
      }
      case AttrType.AS4_AGGREGATOR:
        if (!flagsOk || alen !== 8) discarded.push(`${name} (flags 0x${flags.toString(16)}, length ${alen})`);
        else attrs.as4Aggregator = { asn: u32(v, 0), address: formatIPv4(v, 4) };
        break;
      case AttrType.LARGE_COMMUNITY:
        if (!flagsOk) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`);
        else if (alen === 0 || alen % 12 !== 0) treatAsWithdraw(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} length ${alen}`);
        else {
          const ls: LargeCommunity[] = [];
          for (let i = 0; i < alen; i += 12) ls.push([u32(v, i), u32(v, i + 4), u32(v, i + 8)]);
          attrs.largeCommunities = ls;
        }
        break;
      case AttrType.MP_REACH_NLRI: {
        // RFC 7606 §7.11: an MP_REACH_NLRI that cannot be parsed resets the session.
        if (!flagsOk) return reset(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`, whole.slice());
        if (alen < 5) return reset(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, `${name} length ${alen}`, whole.slice());
        const afi = u16(v, 0);
        const safi = v[2]!;
        const nhLen = v[3]!;
        if (4 + nhLen + 1 > alen) return reset(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, `${name} next hop length ${nhLen} overruns the attribute`, whole.slice());
        const family = familyOfAfi(afi, safi);
        const nl: Prefix[] = [];
        if (family) {
          const e = decodePrefixes(v, 4 + nhLen + 1, alen, family, nl);
          if (e) return reset(UpdateSubcode.INVALID_NETWORK_FIELD, `${name}: ${e}`, whole.slice());
        }
        const nextHops = decodeMpNextHop(v.subarray(4, 4 + nhLen), afi);
        const reach: MpReach = { afi, safi, nextHops: nextHops ?? [], nlri: nl };
        attrs.mpReach = reach;
        if (family && !nextHops) treatAsWithdraw(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, `${name} next hop length ${nhLen} for AFI ${afi}`);
        break;
      }
      case AttrType.MP_UNREACH_NLRI: {
        if (!flagsOk) return reset(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${name} flags 0x${flags.toString(16)}`, whole.slice());
        if (alen < 3) return reset(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, `${name} length ${alen}`, whole.slice());
        const afi = u16(v, 0);
        const safi = v[2]!;
        const family = familyOfAfi(afi, safi);
        const wd: Prefix[] = [];
        if (family) {
          const e = decodePrefixes(v, 3, alen, family, wd);
          if (e) return reset(UpdateSubcode.INVALID_NETWORK_FIELD, `${name}: ${e}`, whole.slice());
        }
        const unreach: MpUnreach = { afi, safi, withdrawn: wd };
        attrs.mpUnreach = unreach;
        break;
      }
      default:
        break;
    }
  }

  // RFC 7606 §3.d: missing well-known mandatory attributes ⇒ treat-as-withdraw.
  const reachNlri = attrs.mpReach?.nlri.length ?? 0;
  if (!withdrawAll && (nlri.length > 0 || reachNlri > 0)) {
    const missing: string[] = [];
    if (!attrs.origin) missing.push('ORIGIN');
    if (!attrs.asPath) missing.push('AS_PATH');
    if (nlri.length > 0 && !attrs.nextHop) missing.push('NEXT_HOP');
    if (missing.length) treatAsWithdraw(UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE, `missing ${missing.join(', ')}`);
  }
  if (unknown.length) attrs.unknown = unknown;

  if (withdrawAll) {
    // The content stays as decoded; `routeChanges()` turns its announcements into withdrawals.
    const update: UpdateMessage = { type: 'update', withdrawn, attributes: attrs, nlri, treatAsWithdraw: withdrawAll, ...(discarded.length ? { discarded } : {}) };
    return { ok: true, message: update };
  }
  const update: UpdateMessage = discarded.length ? { type: 'update', withdrawn, attributes: attrs, nlri, discarded } : { type: 'update', withdrawn, attributes: attrs, nlri };
  return { ok: true, message: update };
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A growable byte buffer for encoding. */
export class ByteWriter {
  private buf: Uint8Array;
  length = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf[this.length++] = (v >>> 24) & 0xff;
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  setU16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function header(w: ByteWriter, type: number): void {
  for (let i = 0; i < 16; i++) w.u8(0xff);
  w.u16(0).u8(type);
}

function sealMessage(w: ByteWriter): Uint8Array {
  w.setU16(16, w.length);
  return w.finish();
}

export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeError';
  }
}

function ipv4Bytes(s: string, what: string): Uint8Array {
  const b = parseIPv4(s);
  if (!b) throw new EncodeError(`${what} "${s}" is not an IPv4 address`);
  return b;
}

function ipv6Bytes(s: string, what: string): Uint8Array {
  const b = parseIPv6(s);
  if (!b) throw new EncodeError(`${what} "${s}" is not an IPv6 address`);
  return b;
}

export function encodeCapability(c: Capability): Uint8Array {
  const w = new ByteWriter(16);
  switch (c.kind) {
    case 'multiprotocol':
      w.u8(CapabilityCode.MULTIPROTOCOL).u8(4).u16(c.afi).u8(0).u8(c.safi);
      break;
    case 'route-refresh':
      w.u8(CapabilityCode.ROUTE_REFRESH).u8(0);
      break;
    case 'enhanced-route-refresh':
      w.u8(CapabilityCode.ENHANCED_ROUTE_REFRESH).u8(0);
      break;
    case 'four-octet-as':
      w.u8(CapabilityCode.FOUR_OCTET_AS).u8(4).u32(c.asn);
      break;
    case 'graceful-restart': {
      if (c.restartTimeSeconds < 0 || c.restartTimeSeconds > 4095) throw new EncodeError(`graceful restart time ${c.restartTimeSeconds} outside 0..4095`);
      w.u8(CapabilityCode.GRACEFUL_RESTART).u8(2 + 4 * c.families.length);
      w.u16((c.restartState ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | c.restartTimeSeconds);
      for (const f of c.families) w.u16(f.afi).u8(f.safi).u8(f.forwardingPreserved ? 0x80 : 0);
      break;
    }
    case 'extended-next-hop':
      w.u8(CapabilityCode.EXTENDED_NEXT_HOP).u8(6 * c.entries.length);
      for (const e of c.entries) w.u16(e.afi).u16(e.safi).u16(e.nextHopAfi);
      break;
    case 'unknown':
      w.u8(c.code).u8(c.value.length).bytes(c.value);
      break;
    default: {
      const never: never = c;
      throw new EncodeError(`unknown capability ${JSON.stringify(never)}`);
    }
  }
  return w.finish();
}

export function encodeOpen(open: Omit<OpenMessage, 'type'>): Uint8Array {
  const w = new ByteWriter(128);
  header(w, MessageType.OPEN);
  w.u8(open.version).u16(open.myAS).u16(open.holdTimeSeconds).bytes(ipv4Bytes(open.bgpIdentifier, 'BGP identifier'));
  const caps = open.capabilities.map(encodeCapability);
  const capLen = caps.reduce((n, c) => n + c.length, 0);
  if (capLen === 0) {
    w.u8(0);
  } else if (capLen + 2 <= 255) {
    // One optional parameter carrying all capabilities (RFC 5492 allows either form).
    w.u8(capLen + 2).u8(2).u8(capLen);
    for (const c of caps) w.bytes(c);
  } else {
    // RFC 9072 extended optional parameters.
    w.u8(255).u8(255).u16(capLen + 3).u8(2).u16(capLen);
    for (const c of caps) w.bytes(c);
  }
  return sealMessage(w);
}

export function encodeKeepalive(): Uint8Array {
  const w = new ByteWriter(19);
  header(w, MessageType.KEEPALIVE);
  return sealMessage(w);
}

export function encodeNotification(n: { code: number; subcode: number; data?: Uint8Array }): Uint8Array {
  const w = new ByteWriter(32);
  header(w, MessageType.NOTIFICATION);
  w.u8(n.code).u8(n.subcode);
  const data = n.data ?? EMPTY;
  w.bytes(data.length > MAX_MESSAGE_LENGTH - 21 ? data.subarray(0, MAX_MESSAGE_LENGTH - 21) : data);
  return sealMessage(w);
}

export function encodeRouteRefresh(r: Omit<RouteRefreshMessage, 'type'>): Uint8Array {
  const w = new ByteWriter(23);
  header(w, MessageType.ROUTE_REFRESH);
  w.u16(r.afi).u8(r.subtype).u8(r.safi);
  return sealMessage(w);
}

/** RFC 9003 shutdown communication: data for Cease / Administrative Shutdown or Reset. */
export function shutdownCommunication(text: string): Uint8Array {
  let bytes = new TextEncoder().encode(text);
  if (bytes.length > 255) {
    // Truncate on a UTF-8 boundary.
    let n = 255;
    while (n > 0 && (bytes[n]! & 0xc0) === 0x80) n--;
    bytes = bytes.subarray(0, n);
  }
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** Reads an RFC 9003 shutdown communication from NOTIFICATION data, if it is one. */
export function readShutdownCommunication(n: Pick<NotificationMessage, 'code' | 'subcode' | 'data'>): string | undefined {
  if (n.code !== ErrorCode.CEASE || (n.subcode !== 2 && n.subcode !== 4) || n.data.length < 1) return undefined;
  const len = n.data[0]!;
  if (len === 0 || 1 + len > n.data.length) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(n.data.subarray(1, 1 + len));
  } catch {
    return undefined;
  }
}

function writeAttr(w: ByteWriter, flags: number, type: number, value: Uint8Array): void {
  if (value.length > 255) w.u8(flags | AttrFlag.EXTENDED_LENGTH).u8(type).u16(value.length);
  else w.u8(flags & ~AttrFlag.EXTENDED_LENGTH).u8(type).u8(value.length);
  w.bytes(value);
}

const segmentCode: Record<AsPathSegmentKind, number> = { set: 1, sequence: 2, 'confed-sequence': 3, 'confed-set': 4 };

export function encodeAsPath(segs: readonly AsPathSegment[], asSize: 2 | 4): Uint8Array {
  const w = new ByteWriter(16);
  for (const s of segs) {
    // Segments hold at most 255 ASNs: split longer ones.
    for (let i = 0; i < s.asns.length || (i === 0 && s.asns.length === 0); i += 255) {
      const part = s.asns.slice(i, i + 255);
      if (part.length === 0) break;
      w.u8(segmentCode[s.type]).u8(part.length);
      for (const a of part) {
        if (asSize === 2) w.u16(a > 0xffff ? AS_TRANS : a);
        else w.u32(a);
      }
    }
  }
  return w.finish();
}

function prefixBytes(w: ByteWriter, p: Prefix): void {
  w.u8(p.length).bytes(p.bytes);
}

export function encodeMpNextHop(afi: number, nextHops: readonly string[]): Uint8Array {
  const w = new ByteWriter(32);
  for (const nh of nextHops) {
    if (afi === 1 && parseIPv4(nh)) w.bytes(ipv4Bytes(nh, 'next hop'));
    else w.bytes(ipv6Bytes(nh, 'next hop'));
  }
  return w.finish();
}

/**
 * Encodes the path attributes (without MP_REACH/MP_UNREACH when `skipMp`) in type order. With
 * `fourOctetAs` false, AS numbers above 65535 become AS_TRANS and AS4_PATH carries the real path.
 */
export function encodePathAttributes(a: PathAttributes, ctx: CodecContext, skipMp = false): Uint8Array {
  const w = new ByteWriter(64);
  const T = AttrFlag.TRANSITIVE;
  const O = AttrFlag.OPTIONAL;
  if (a.origin !== undefined) writeAttr(w, T, AttrType.ORIGIN, Uint8Array.of(a.origin === 'igp' ? 0 : a.origin === 'egp' ? 1 : 2));
  if (a.asPath !== undefined) writeAttr(w, T, AttrType.AS_PATH, encodeAsPath(a.asPath, ctx.fourOctetAs ? 4 : 2));
  if (a.nextHop !== undefined) writeAttr(w, T, AttrType.NEXT_HOP, ipv4Bytes(a.nextHop, 'NEXT_HOP'));
  if (a.med !== undefined) writeAttr(w, O, AttrType.MULTI_EXIT_DISC, new ByteWriter(4).u32(a.med).finish());
  if (a.localPreference !== undefined) writeAttr(w, T, AttrType.LOCAL_PREF, new ByteWriter(4).u32(a.localPreference).finish());
  if (a.atomicAggregate) writeAttr(w, T, AttrType.ATOMIC_AGGREGATE, EMPTY);
  if (a.aggregator) {
    const v = new ByteWriter(8);
    if (ctx.fourOctetAs) v.u32(a.aggregator.asn);
    else v.u16(a.aggregator.asn > 0xffff ? AS_TRANS : a.aggregator.asn);
    writeAttr(w, O | T, AttrType.AGGREGATOR, v.bytes(ipv4Bytes(a.aggregator.address, 'AGGREGATOR address')).finish());
  }
  if (a.communities !== undefined && a.communities.length > 0) {
    const v = new ByteWriter(a.communities.length * 4);
    for (const c of a.communities) v.u32(c);
    writeAttr(w, O | T, AttrType.COMMUNITIES, v.finish());
  }
  if (a.originatorId !== undefined) writeAttr(w, O, AttrType.ORIGINATOR_ID, ipv4Bytes(a.originatorId, 'ORIGINATOR_ID'));
  if (a.clusterList !== undefined && a.clusterList.length > 0) {
    const v = new ByteWriter(a.clusterList.length * 4);
    for (const c of a.clusterList) v.bytes(ipv4Bytes(c, 'CLUSTER_LIST entry'));
    writeAttr(w, O, AttrType.CLUSTER_LIST, v.finish());
  }
  if (!skipMp && a.mpReach) {
    const v = new ByteWriter(64);
    const nh = encodeMpNextHop(a.mpReach.afi, a.mpReach.nextHops);
    v.u16(a.mpReach.afi).u8(a.mpReach.safi).u8(nh.length).bytes(nh).u8(0);
    for (const p of a.mpReach.nlri) prefixBytes(v, p);
    writeAttr(w, O, AttrType.MP_REACH_NLRI, v.finish());
  }
  if (!skipMp && a.mpUnreach) {
    const v = new ByteWriter(64);
    v.u16(a.mpUnreach.afi).u8(a.mpUnreach.safi);
    for (const p of a.mpUnreach.withdrawn) prefixBytes(v, p);
    writeAttr(w, O, AttrType.MP_UNREACH_NLRI, v.finish());
  }
  if (a.extendedCommunities !== undefined && a.extendedCommunities.length > 0) {
    const v = new ByteWriter(a.extendedCommunities.length * 8);
    for (const c of a.extendedCommunities) v.bytes(c);
    writeAttr(w, O | T, AttrType.EXTENDED_COMMUNITIES, v.finish());
  }
  // AS4_PATH toward a peer without 4-octet AS support when the path holds a 4-octet ASN.
  const as4 = a.as4Path ?? (!ctx.fourOctetAs && a.asPath?.some((s) => s.asns.some((x) => x > 0xffff)) ? a.asPath : undefined);
  if (as4 !== undefined && !ctx.fourOctetAs) writeAttr(w, O | T, AttrType.AS4_PATH, encodeAsPath(as4, 4));
  if (a.as4Aggregator !== undefined && !ctx.fourOctetAs) {
    writeAttr(w, O | T, AttrType.AS4_AGGREGATOR, new ByteWriter(8).u32(a.as4Aggregator.asn).bytes(ipv4Bytes(a.as4Aggregator.address, 'AS4_AGGREGATOR address')).finish());
  }
  if (a.largeCommunities !== undefined && a.largeCommunities.length > 0) {
    const v = new ByteWriter(a.largeCommunities.length * 12);
    for (const [g, l1, l2] of a.largeCommunities) v.u32(g).u32(l1).u32(l2);
    writeAttr(w, O | T, AttrType.LARGE_COMMUNITY, v.finish());
  }
  for (const u of a.unknown ?? []) writeAttr(w, u.flags, u.type, u.value);
  return w.finish();
}

/** Encodes an UPDATE as given (no splitting); throws EncodeError if it exceeds 4096 octets. */
export function encodeUpdate(u: Omit<UpdateMessage, 'type'>, ctx: CodecContext): Uint8Array {
  const w = new ByteWriter(256);
  header(w, MessageType.UPDATE);
  const wStart = w.length;
  w.u16(0);
  for (const p of u.withdrawn) prefixBytes(w, p);
  w.setU16(wStart, w.length - wStart - 2);
  const attrs = encodePathAttributes(u.attributes, ctx);
  w.u16(attrs.length).bytes(attrs);
  for (const p of u.nlri) prefixBytes(w, p);
  if (w.length > MAX_MESSAGE_LENGTH) throw new EncodeError(`UPDATE of ${w.length} octets exceeds ${MAX_MESSAGE_LENGTH}`);
  return sealMessage(w);
}

/** End-of-RIB (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI otherwise. */
export function encodeEndOfRib(afi: number, safi: number): Uint8Array {
  if (afi === 1 && safi === 1) return encodeUpdate({ withdrawn: [], attributes: {}, nlri: [] }, { fourOctetAs: true });
  return encodeUpdate({ withdrawn: [], attributes: { mpUnreach: { afi, safi, withdrawn: [] } }, nlri: [] }, { fourOctetAs: true });
}

/** True when an UPDATE is an End-of-RIB marker; returns its AFI/SAFI. */
export function endOfRibFamily(u: UpdateMessage): { afi: number; safi: number } | undefined {
  if (u.treatAsWithdraw || u.withdrawn.length || u.nlri.length) return undefined;
  const a = u.attributes;
  const keys = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  if (keys.length === 0) return { afi: 1, safi: 1 };
  if (keys.length === 1 && a.mpUnreach && a.mpUnreach.withdrawn.length === 0) return { afi: a.mpUnreach.afi, safi: a.mpUnreach.safi };
  return undefined;
}

/** The effect of an UPDATE on a receiver's Adj-RIB-In, per family (RFC 7606 treat-as-withdraw applied). */
export interface RouteChanges {
  readonly announced: ReadonlyArray<{ readonly family: AddressFamily; readonly prefixes: readonly Prefix[] }>;
  readonly withdrawn: ReadonlyArray<{ readonly family: AddressFamily; readonly prefixes: readonly Prefix[] }>;
}

export function routeChanges(u: UpdateMessage): RouteChanges {
  const announced: Array<{ family: AddressFamily; prefixes: readonly Prefix[] }> = [];
  const withdrawn: Array<{ family: AddressFamily; prefixes: readonly Prefix[] }> = [];
  if (u.withdrawn.length) withdrawn.push({ family: 'ipv4', prefixes: u.withdrawn });
  const unreach = u.attributes.mpUnreach;
  const unreachFamily = unreach ? familyOfAfi(unreach.afi, unreach.safi) : undefined;
  if (unreach && unreachFamily && unreach.withdrawn.length) withdrawn.push({ family: unreachFamily, prefixes: unreach.withdrawn });
  const target = u.treatAsWithdraw ? withdrawn : announced;
  if (u.nlri.length) target.push({ family: 'ipv4', prefixes: u.nlri });
  const reach = u.attributes.mpReach;
  const reachFamily = reach ? familyOfAfi(reach.afi, reach.safi) : undefined;
  if (reach && reachFamily && reach.nlri.length) target.push({ family: reachFamily, prefixes: reach.nlri });
  return { announced, withdrawn };
}

/** Message type name for logs. */
export function messageTypeName(t: number): string {
  return ({ 1: 'OPEN', 2: 'UPDATE', 3: 'NOTIFICATION', 4: 'KEEPALIVE', 5: 'ROUTE-REFRESH' } as Record<number, string>)[t] ?? `type ${t}`;
}

export { u16 as readU16, u32 as readU32 };
