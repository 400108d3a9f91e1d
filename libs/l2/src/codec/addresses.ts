import ipaddr from 'ipaddr.js';

/** A 48-bit Ethernet (EUI-48) address in its canonical lower-case `aa:bb:cc:dd:ee:ff` form. */
export type MacAddress = string;

export const BROADCAST_MAC: MacAddress = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC: MacAddress = '00:00:00:00:00:00';

export class AddressFormatError extends Error {
  override readonly name = 'AddressFormatError';
}

const MAC_RE = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

export const macToBytes = (mac: MacAddress): Buffer => {
  if (!MAC_RE.test(mac)) throw new AddressFormatError(`invalid MAC address ${JSON.stringify(mac)}`);
  return Buffer.from(mac.split(/[:-]/).map((h) => parseInt(h, 16)));
};

export const macFromBytes = (b: Uint8Array, offset = 0): MacAddress => {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[offset + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
};

export const normaliseMac = (mac: MacAddress): MacAddress => macFromBytes(macToBytes(mac));

export type IpFamily = 4 | 6;

/** Family of a textual IP address, or null when it is not one. */
export const ipFamily = (ip: string): IpFamily | null => {
  if (ipaddr.IPv4.isValidFourPartDecimal(ip)) return 4;
  if (ipaddr.IPv6.isValid(ip)) return 6;
  return null;
};

/** Canonical text of an IP address (`2001:DB8::0:1` → `2001:db8::1`), so map keys agree. */
export const canonicalIp = (ip: string): string => {
  const fam = ipFamily(ip);
  if (fam === 4) return ipaddr.IPv4.parse(ip).toString();
  if (fam === 6) return ipaddr.IPv6.parse(ip).toString();
  throw new AddressFormatError(`invalid IP address ${JSON.stringify(ip)}`);
};

export const ipv4ToBytes = (ip: string): Buffer => {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) throw new AddressFormatError(`invalid IPv4 address ${JSON.stringify(ip)}`);
  return Buffer.from(ipaddr.IPv4.parse(ip).toByteArray());
};

export const ipv4FromBytes = (b: Uint8Array, offset = 0): string => `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;

export const ipv6ToBytes = (ip: string): Buffer => {
  if (!ipaddr.IPv6.isValid(ip)) throw new AddressFormatError(`invalid IPv6 address ${JSON.stringify(ip)}`);
  return Buffer.from(ipaddr.IPv6.parse(ip).toByteArray());
};

export const ipv6FromBytes = (b: Uint8Array, offset = 0): string =>
  ipaddr.fromByteArray(Array.from(b.subarray(offset, offset + 16))).toString();

export const IPV6_ALL_NODES = 'ff02::1';
export const IPV6_UNSPECIFIED = '::';

/** Solicited-node multicast group of an address (RFC 4291 §2.7.1): ff02::1:ffXX:XXXX. */
export const solicitedNodeMulticast = (ip: string): string => {
  const b = ipv6ToBytes(ip);
  const g = Buffer.from(ipv6ToBytes('ff02::1:ff00:0'));
  b.copy(g, 13, 13, 16);
  return ipv6FromBytes(g);
};

/** Ethernet address of an IPv6 multicast group (RFC 2464 §7): 33:33 + the low 32 bits. */
export const ipv6MulticastMac = (group: string): MacAddress => {
  const b = ipv6ToBytes(group);
  return macFromBytes(Buffer.from([0x33, 0x33, b[12]!, b[13]!, b[14]!, b[15]!]));
};
