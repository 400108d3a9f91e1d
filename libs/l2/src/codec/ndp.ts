import {
  IPV6_ALL_NODES,
  IPV6_UNSPECIFIED,
  ipv6FromBytes,
  ipv6MulticastMac,
  ipv6ToBytes,
  macFromBytes,
  macToBytes,
  solicitedNodeMulticast,
  type MacAddress,
} from './addresses';
import { ETHERTYPE_IPV6, FrameDecodeError, decodeEthernet, encodeEthernet, type EthernetHeader } from './ethernet';

/** IPv6 neighbour discovery (RFC 4861): neighbour solicitations and advertisements. */
export const IPV6_HEADER_LENGTH = 40;
export const NEXT_HEADER_ICMPV6 = 58;
/** NDP messages are sent with hop limit 255 and dropped by receivers with any other (RFC 4861 §7.1). */
export const NDP_HOP_LIMIT = 255;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
export const NDP_OPTION_SOURCE_LLA = 1;
export const NDP_OPTION_TARGET_LLA = 2;

export interface Ipv6Header {
  readonly source: string;
  readonly destination: string;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly payloadLength: number;
}

export const decodeIpv6 = (packet: Uint8Array): { header: Ipv6Header; payload: Buffer } => {
  if (packet.length < IPV6_HEADER_LENGTH) throw new FrameDecodeError(`ipv6: ${packet.length} bytes is shorter than a header`);
  const b = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  if (b[0]! >> 4 !== 6) throw new FrameDecodeError(`ipv6: version ${b[0]! >> 4}`);
  const payloadLength = b.readUInt16BE(4);
  if (IPV6_HEADER_LENGTH + payloadLength > b.length) throw new FrameDecodeError(`ipv6: payload length ${payloadLength} exceeds the packet`);
  return {
    header: { payloadLength, nextHeader: b[6]!, hopLimit: b[7]!, source: ipv6FromBytes(b, 8), destination: ipv6FromBytes(b, 24) },
    payload: b.subarray(IPV6_HEADER_LENGTH, IPV6_HEADER_LENGTH + payloadLength),
  };
};

export const encodeIpv6 = (h: Omit<Ipv6Header, 'payloadLength'>, payload: Uint8Array): Buffer => {
  const b = Buffer.alloc(IPV6_HEADER_LENGTH + payload.length);
  b.writeUInt32BE(0x60000000, 0); // version 6, traffic class 0, flow label 0
  b.writeUInt16BE(payload.length, 4);
  b[6] = h.nextHeader;
  b[7] = h.hopLimit;
  ipv6ToBytes(h.source).copy(b, 8);
  ipv6ToBytes(h.destination).copy(b, 24);
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(b, IPV6_HEADER_LENGTH);
  return b;
};

/** ICMPv6 checksum (RFC 4443 §2.3): one's complement sum over the pseudo-header and the message. */
export const icmpv6Checksum = (source: string, destination: string, message: Uint8Array): number => {
  let sum = 0;
  const add16 = (b: Uint8Array, len: number) => {
    for (let i = 0; i + 1 < len; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
    if (len % 2 === 1) sum += b[len - 1]! << 8;
  };
  add16(ipv6ToBytes(source), 16);
  add16(ipv6ToBytes(destination), 16);
  sum += (message.length >>> 16) & 0xffff;
  sum += message.length & 0xffff;
  sum += NEXT_HEADER_ICMPV6;
  add16(message, message.length);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
};

export interface NdpOptions {
  /** Source link-layer address option (type 1). */
  readonly sourceLinkLayerAddress?: MacAddress;
  /** Target link-layer address option (type 2). */
  readonly targetLinkLayerAddress?: MacAddress;
}

export interface NeighborSolicitation extends NdpOptions {
  readonly type: 'NeighborSolicitation';
  readonly target: string;
}

export interface NeighborAdvertisement extends NdpOptions {
  readonly type: 'NeighborAdvertisement';
  readonly target: string;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
}

export type NdpMessage = NeighborSolicitation | NeighborAdvertisement;

const encodeOptions = (o: NdpOptions): Buffer[] => {
  const out: Buffer[] = [];
  const lla = (type: number, mac: MacAddress) => {
    const b = Buffer.alloc(8);
    b[0] = type;
    b[1] = 1; // length in units of 8 octets
    macToBytes(mac).copy(b, 2);
    out.push(b);
  };
  if (o.sourceLinkLayerAddress) lla(NDP_OPTION_SOURCE_LLA, o.sourceLinkLayerAddress);
  if (o.targetLinkLayerAddress) lla(NDP_OPTION_TARGET_LLA, o.targetLinkLayerAddress);
  return out;
};

const decodeOptions = (b: Buffer): NdpOptions => {
  let source: MacAddress | undefined;
  let target: MacAddress | undefined;
  let i = 0;
  while (i + 2 <= b.length) {
    const type = b[i]!;
    const len = b[i + 1]! * 8;
    // RFC 4861 §4.6: a zero-length option makes the whole packet invalid.
    if (len === 0) throw new FrameDecodeError('ndp: option with length 0');
    if (i + len > b.length) throw new FrameDecodeError(`ndp: option ${type} overruns the message`);
    if (len >= 8 && type === NDP_OPTION_SOURCE_LLA) source = macFromBytes(b, i + 2);
    if (len >= 8 && type === NDP_OPTION_TARGET_LLA) target = macFromBytes(b, i + 2);
    i += len;
  }
  return {
    ...(source ? { sourceLinkLayerAddress: source } : {}),
    ...(target ? { targetLinkLayerAddress: target } : {}),
  };
};

/** The ICMPv6 message (header included), checksummed for the given IPv6 source and destination. */
export const encodeNdp = (m: NdpMessage, source: string, destination: string): Buffer => {
  const head = Buffer.alloc(24);
  switch (m.type) {
    case 'NeighborSolicitation':
      head[0] = ICMPV6_NEIGHBOR_SOLICITATION;
      break;
    case 'NeighborAdvertisement':
      head[0] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
      head[4] = (m.router ? 0x80 : 0) | (m.solicited ? 0x40 : 0) | (m.override ? 0x20 : 0);
      break;
    default: {
      const never: never = m;
      throw new Error(`unknown NDP message ${JSON.stringify(never)}`);
    }
  }
  ipv6ToBytes(m.target).copy(head, 8);
  const msg = Buffer.concat([head, ...encodeOptions(m)]);
  msg.writeUInt16BE(icmpv6Checksum(source, destination, msg), 2);
  return msg;
};

/** Decodes an NS or NA; null for other ICMPv6 types. Checks code and checksum (RFC 4861 §7.1.1). */
export const decodeNdp = (message: Uint8Array, source: string, destination: string): NdpMessage | null => {
  const b = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (b.length < 4) throw new FrameDecodeError('icmpv6: message shorter than its header');
  const type = b[0]!;
  if (type !== ICMPV6_NEIGHBOR_SOLICITATION && type !== ICMPV6_NEIGHBOR_ADVERTISEMENT) return null;
  if (b.length < 24) throw new FrameDecodeError(`ndp: ${b.length} bytes, need 24`);
  if (b[1] !== 0) throw new FrameDecodeError(`ndp: code ${b[1]}`);
  if (icmpv6Checksum(source, destination, b) !== 0) throw new FrameDecodeError('ndp: bad checksum');
  const target = ipv6FromBytes(b, 8);
  const options = decodeOptions(b.subarray(24));
  if (type === ICMPV6_NEIGHBOR_SOLICITATION) return { type: 'NeighborSolicitation', target, ...options };
  const flags = b[4]!;
  return {
    type: 'NeighborAdvertisement',
    target,
    router: (flags & 0x80) !== 0,
    solicited: (flags & 0x40) !== 0,
    override: (flags & 0x20) !== 0,
    ...options,
  };
};

export interface NdpFrame {
  readonly ethernet: EthernetHeader;
  readonly ipv6: Omit<Ipv6Header, 'payloadLength' | 'nextHeader'>;
  readonly ndp: NdpMessage;
}

export const encodeNdpFrame = (f: NdpFrame): Buffer =>
  encodeEthernet(
    { ...f.ethernet, etherType: ETHERTYPE_IPV6 },
    encodeIpv6({ ...f.ipv6, nextHeader: NEXT_HEADER_ICMPV6 }, encodeNdp(f.ndp, f.ipv6.source, f.ipv6.destination)),
  );

/** Decodes an Ethernet frame carrying an NS or NA; null when it is anything else. */
export const decodeNdpFrame = (frame: Uint8Array): NdpFrame | null => {
  const { header, payload } = decodeEthernet(frame);
  if (header.etherType !== ETHERTYPE_IPV6) return null;
  const { header: ip, payload: icmp } = decodeIpv6(payload);
  if (ip.nextHeader !== NEXT_HEADER_ICMPV6) return null;
  const ndp = decodeNdp(icmp, ip.source, ip.destination);
  if (!ndp) return null;
  return { ethernet: header, ipv6: { source: ip.source, destination: ip.destination, hopLimit: ip.hopLimit }, ndp };
};

/**
 * The advertisement answering `solicitation` for an address we hold. Solicited, with the Target
 * link-layer address and Override set: with Override clear a client keeps an existing STALE
 * entry pointing at the old holder (RFC 4861 §7.2.5), which is exactly the failover case. A DAD
 * probe (source `::`) is answered to all-nodes with Solicited clear (RFC 4861 §7.2.4).
 */
export const neighborAdvertisementReply = (solicitation: NdpFrame, mac: MacAddress): NdpFrame => {
  const dad = solicitation.ipv6.source === IPV6_UNSPECIFIED;
  const destination = dad ? IPV6_ALL_NODES : solicitation.ipv6.source;
  const destinationMac = dad
    ? ipv6MulticastMac(IPV6_ALL_NODES)
    : (solicitation.ndp.sourceLinkLayerAddress ?? solicitation.ethernet.source);
  return {
    ethernet: { destination: destinationMac, source: mac, etherType: ETHERTYPE_IPV6 },
    ipv6: { source: solicitation.ndp.target, destination, hopLimit: NDP_HOP_LIMIT },
    ndp: {
      type: 'NeighborAdvertisement',
      target: solicitation.ndp.target,
      router: false,
      solicited: !dad,
      override: true,
      targetLinkLayerAddress: mac,
    },
  };
};

/** Unsolicited advertisement on takeover (RFC 4861 §7.2.6): to all-nodes, Override set, Target LLA. */
export const unsolicitedNeighborAdvertisement = (ip: string, mac: MacAddress): NdpFrame => ({
  ethernet: { destination: ipv6MulticastMac(IPV6_ALL_NODES), source: mac, etherType: ETHERTYPE_IPV6 },
  ipv6: { source: ip, destination: IPV6_ALL_NODES, hopLimit: NDP_HOP_LIMIT },
  ndp: { type: 'NeighborAdvertisement', target: ip, router: false, solicited: false, override: true, targetLinkLayerAddress: mac },
});

/** A neighbour solicitation for `target`, multicast to its solicited-node group (what `ndisc6` sends). */
export const neighborSolicitation = (target: string, sourceIp: string, mac: MacAddress): NdpFrame => {
  const group = solicitedNodeMulticast(target);
  return {
    ethernet: { destination: ipv6MulticastMac(group), source: mac, etherType: ETHERTYPE_IPV6 },
    ipv6: { source: sourceIp, destination: group, hopLimit: NDP_HOP_LIMIT },
    ndp: { type: 'NeighborSolicitation', target, ...(sourceIp === IPV6_UNSPECIFIED ? {} : { sourceLinkLayerAddress: mac }) },
  };
};
