import { macFromBytes, macToBytes, type MacAddress } from './addresses';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;

export const ETHERNET_HEADER_LENGTH = 14;
/** Shortest frame on the wire without the FCS; shorter frames are padded with zeros. */
export const ETHERNET_MIN_FRAME = 60;

export interface EthernetHeader {
  readonly destination: MacAddress;
  readonly source: MacAddress;
  readonly etherType: number;
}

export class FrameDecodeError extends Error {
  override readonly name = 'FrameDecodeError';
}

export const decodeEthernet = (frame: Uint8Array): { header: EthernetHeader; payload: Buffer } => {
  if (frame.length < ETHERNET_HEADER_LENGTH) throw new FrameDecodeError(`ethernet: frame of ${frame.length} bytes is shorter than a header`);
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  return {
    header: { destination: macFromBytes(b, 0), source: macFromBytes(b, 6), etherType: b.readUInt16BE(12) },
    payload: b.subarray(ETHERNET_HEADER_LENGTH),
  };
};

/** Header + payload, zero-padded to the 60-byte minimum (a NIC would pad; veth does not). */
export const encodeEthernet = (header: EthernetHeader, payload: Uint8Array): Buffer => {
  const len = Math.max(ETHERNET_MIN_FRAME, ETHERNET_HEADER_LENGTH + payload.length);
  const b = Buffer.alloc(len);
  macToBytes(header.destination).copy(b, 0);
  macToBytes(header.source).copy(b, 6);
  b.writeUInt16BE(header.etherType, 12);
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(b, ETHERNET_HEADER_LENGTH);
  return b;
};
