import { BROADCAST_MAC, ZERO_MAC, ipv4FromBytes, ipv4ToBytes, macFromBytes, macToBytes, type MacAddress } from './addresses';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, FrameDecodeError, decodeEthernet, encodeEthernet, type EthernetHeader } from './ethernet';

/** ARP for IPv4 over Ethernet (RFC 826). */
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export type ArpOperation = typeof ARP_REQUEST | typeof ARP_REPLY;

export const ARP_PACKET_LENGTH = 28;

export interface ArpPacket {
  readonly operation: ArpOperation;
  readonly senderMac: MacAddress;
  readonly senderIp: string;
  readonly targetMac: MacAddress;
  readonly targetIp: string;
}

export const encodeArp = (p: ArpPacket): Buffer => {
  const b = Buffer.alloc(ARP_PACKET_LENGTH);
  b.writeUInt16BE(1, 0); // hardware type: Ethernet
  b.writeUInt16BE(ETHERTYPE_IPV4, 2);
  b.writeUInt8(6, 4);
  b.writeUInt8(4, 5);
  b.writeUInt16BE(p.operation, 6);
  macToBytes(p.senderMac).copy(b, 8);
  ipv4ToBytes(p.senderIp).copy(b, 14);
  macToBytes(p.targetMac).copy(b, 18);
  ipv4ToBytes(p.targetIp).copy(b, 24);
  return b;
};

export const decodeArp = (payload: Uint8Array): ArpPacket => {
  if (payload.length < ARP_PACKET_LENGTH) throw new FrameDecodeError(`arp: ${payload.length} bytes, need ${ARP_PACKET_LENGTH}`);
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const htype = b.readUInt16BE(0);
  const ptype = b.readUInt16BE(2);
  if (htype !== 1 || ptype !== ETHERTYPE_IPV4 || b[4] !== 6 || b[5] !== 4) {
    throw new FrameDecodeError(`arp: not Ethernet/IPv4 (htype ${htype}, ptype 0x${ptype.toString(16)}, hlen ${b[4]}, plen ${b[5]})`);
  }
  const op = b.readUInt16BE(6);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) throw new FrameDecodeError(`arp: unknown operation ${op}`);
  return {
    operation: op,
    senderMac: macFromBytes(b, 8),
    senderIp: ipv4FromBytes(b, 14),
    targetMac: macFromBytes(b, 18),
    targetIp: ipv4FromBytes(b, 24),
  };
};

export interface ArpFrame {
  readonly ethernet: EthernetHeader;
  readonly arp: ArpPacket;
}

export const encodeArpFrame = (f: ArpFrame): Buffer => encodeEthernet({ ...f.ethernet, etherType: ETHERTYPE_ARP }, encodeArp(f.arp));

/** Decodes an Ethernet frame carrying ARP; null when the frame is something else. */
export const decodeArpFrame = (frame: Uint8Array): ArpFrame | null => {
  const { header, payload } = decodeEthernet(frame);
  if (header.etherType !== ETHERTYPE_ARP) return null;
  return { ethernet: header, arp: decodeArp(payload) };
};

/**
 * How Linux classifies an ARP packet as gratuitous (net/ipv4/arp.c, `arp_is_garp`): a request
 * whose sender IP equals its target IP, or a reply whose sender IP equals its target IP and
 * whose target MAC equals its sender MAC. Only these overwrite a fresh neighbour entry at once.
 */
export const isGratuitousArp = (p: ArpPacket): boolean =>
  p.senderIp === p.targetIp && (p.operation === ARP_REQUEST || p.targetMac === p.senderMac);

/** The reply to `request` saying that `mac` has the requested address. */
export const arpReply = (request: ArpFrame, mac: MacAddress): ArpFrame => ({
  ethernet: { destination: request.arp.senderMac, source: mac, etherType: ETHERTYPE_ARP },
  arp: {
    operation: ARP_REPLY,
    senderMac: mac,
    senderIp: request.arp.targetIp,
    targetMac: request.arp.senderMac,
    targetIp: request.arp.senderIp,
  },
});

/**
 * Both gratuitous forms Linux accepts (see `isGratuitousArp`), broadcast: the request form
 * (target MAC zero) and the reply form (target MAC = sender MAC). A reply with a broadcast
 * target MAC (MetalLB's form) is not gratuitous to Linux and is ignored within `locktime`.
 */
export const gratuitousArpFrames = (ip: string, mac: MacAddress): [ArpFrame, ArpFrame] => [
  {
    ethernet: { destination: BROADCAST_MAC, source: mac, etherType: ETHERTYPE_ARP },
    arp: { operation: ARP_REQUEST, senderMac: mac, senderIp: ip, targetMac: ZERO_MAC, targetIp: ip },
  },
  {
    ethernet: { destination: BROADCAST_MAC, source: mac, etherType: ETHERTYPE_ARP },
    arp: { operation: ARP_REPLY, senderMac: mac, senderIp: ip, targetMac: mac, targetIp: ip },
  },
];
