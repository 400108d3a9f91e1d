import { describe, expect, it } from 'vitest';
import {
  ARP_REPLY,
  ARP_REQUEST,
  arpReply,
  canonicalIp,
  decodeArpFrame,
  decodeNdpFrame,
  encodeArpFrame,
  encodeNdpFrame,
  FrameDecodeError,
  gratuitousArpFrames,
  icmpv6Checksum,
  ipFamily,
  ipv6MulticastMac,
  isGratuitousArp,
  macToBytes,
  neighborAdvertisementReply,
  neighborSolicitation,
  solicitedNodeMulticast,
  unsolicitedNeighborAdvertisement,
} from './index';

// Frames captured with tcpdump on a veth pair: Habets' arping, ndisc6 and the Linux kernel's answers.
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ARPING_REQUEST = hex(`ffff ffff ffff 0200 0000 000a 0806 0001 0800 0604 0001 0200 0000 000a c000 020a
  0000 0000 0000 c000 0214 0000 0000 0000 0000 0000 0000 0000 0000`);
const KERNEL_ARP_REPLY = hex(`0200 0000 000a 0200 0000 000b 0806 0001 0800 0604 0002 0200 0000 000b c000 0214
  0200 0000 000a c000 020a`);
const NDISC6_SOLICITATION = hex(`3333 ff00 0020 0200 0000 000a 86dd 600c e678 0020 3aff fe80 0000 0000 0000 0000
  00ff fe00 000a ff02 0000 0000 0000 0000 0001 ff00 0020 8700 4c11 0000 0000 2001
  0db8 0000 0000 0000 0000 0000 0020 0101 0200 0000 000a`);
const KERNEL_ADVERTISEMENT = hex(`0200 0000 000a 0200 0000 000b 86dd 6000 0000 0020 3aff 2001 0db8 0000 0000 0000
  0000 0000 0020 fe80 0000 0000 0000 0000 00ff fe00 000a 8800 ba5b 6000 0000 2001
  0db8 0000 0000 0000 0000 0000 0020 0201 0200 0000 000b`);

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';

describe('addresses', () => {
  it('computes the solicited-node group and its Ethernet address', () => {
    expect(solicitedNodeMulticast('2001:db8::20')).toBe('ff02::1:ff00:20');
    expect(solicitedNodeMulticast('2001:db8::abcd:1234:5678')).toBe('ff02::1:ff34:5678');
    expect(ipv6MulticastMac('ff02::1:ff00:20')).toBe('33:33:ff:00:00:20');
    expect(ipv6MulticastMac('ff02::1')).toBe('33:33:00:00:00:01');
  });
  it('canonicalises addresses and rejects garbage with the value in the message', () => {
    expect(canonicalIp('2001:DB8:0::0:1')).toBe('2001:db8::1');
    expect(ipFamily('10.0.0.1')).toBe(4);
    expect(ipFamily('fd00::1')).toBe(6);
    expect(ipFamily('10.0.0')).toBeNull();
    expect(() => canonicalIp('nope')).toThrow(/"nope"/);
    expect(() => macToBytes('02:00:00:00:00')).toThrow(/invalid MAC/);
  });
});

describe('ARP codec', () => {
  it('decodes the request arping sends', () => {
    const f = decodeArpFrame(ARPING_REQUEST)!;
    expect(f.ethernet).toEqual({ destination: 'ff:ff:ff:ff:ff:ff', source: MAC_A, etherType: 0x0806 });
    expect(f.arp).toEqual({ operation: ARP_REQUEST, senderMac: MAC_A, senderIp: '192.0.2.10', targetMac: '00:00:00:00:00:00', targetIp: '192.0.2.20' });
    expect(isGratuitousArp(f.arp)).toBe(false);
  });

  it('answers it with the same bytes as the Linux kernel (padded to the Ethernet minimum)', () => {
    const reply = encodeArpFrame(arpReply(decodeArpFrame(ARPING_REQUEST)!, MAC_B));
    expect(reply.length).toBe(60);
    expect(reply.subarray(0, KERNEL_ARP_REPLY.length)).toEqual(KERNEL_ARP_REPLY);
    expect(reply.subarray(KERNEL_ARP_REPLY.length).every((b) => b === 0)).toBe(true);
    expect(decodeArpFrame(reply)!.arp.operation).toBe(ARP_REPLY);
  });

  it('builds both gratuitous forms Linux accepts, broadcast', () => {
    const [req, rep] = gratuitousArpFrames('20.0.10.1', MAC_B);
    for (const f of [req, rep]) {
      const d = decodeArpFrame(encodeArpFrame(f))!;
      expect(d.ethernet.destination).toBe('ff:ff:ff:ff:ff:ff');
      expect(d.arp.senderIp).toBe('20.0.10.1');
      expect(d.arp.targetIp).toBe('20.0.10.1');
      expect(isGratuitousArp(d.arp)).toBe(true);
    }
    expect(req.arp).toMatchObject({ operation: ARP_REQUEST, targetMac: '00:00:00:00:00:00' });
    expect(rep.arp).toMatchObject({ operation: ARP_REPLY, targetMac: MAC_B });
  });

  it('does not count a reply to the broadcast MAC as gratuitous (MetalLB form)', () => {
    expect(isGratuitousArp({ operation: ARP_REPLY, senderMac: MAC_B, senderIp: '10.0.0.1', targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: '10.0.0.1' })).toBe(false);
  });

  it('rejects truncated and non-IPv4 ARP', () => {
    expect(() => decodeArpFrame(ARPING_REQUEST.subarray(0, 30))).toThrow(FrameDecodeError);
    const bad = Buffer.from(ARPING_REQUEST);
    bad.writeUInt16BE(0x86dd, 16);
    expect(() => decodeArpFrame(bad)).toThrow(/not Ethernet\/IPv4/);
    expect(decodeArpFrame(NDISC6_SOLICITATION)).toBeNull();
  });
});

describe('NDP codec', () => {
  it('decodes the solicitation ndisc6 sends, checksum included', () => {
    const f = decodeNdpFrame(NDISC6_SOLICITATION)!;
    expect(f.ipv6).toEqual({ source: 'fe80::ff:fe00:a', destination: 'ff02::1:ff00:20', hopLimit: 255 });
    expect(f.ndp).toEqual({ type: 'NeighborSolicitation', target: '2001:db8::20', sourceLinkLayerAddress: MAC_A });
  });

  it('answers it with the same bytes as the Linux kernel: solicited, override, target LLA, hop limit 255', () => {
    const reply = encodeNdpFrame(neighborAdvertisementReply(decodeNdpFrame(NDISC6_SOLICITATION)!, MAC_B));
    expect(reply).toEqual(KERNEL_ADVERTISEMENT);
    const d = decodeNdpFrame(reply)!;
    expect(d.ndp).toEqual({ type: 'NeighborAdvertisement', target: '2001:db8::20', router: false, solicited: true, override: true, targetLinkLayerAddress: MAC_B });
  });

  it('answers a DAD probe to all-nodes, not solicited', () => {
    const dad = decodeNdpFrame(encodeNdpFrame(neighborSolicitation('2001:db8::20', '::', MAC_A)))!;
    expect(dad.ndp.sourceLinkLayerAddress).toBeUndefined();
    const r = neighborAdvertisementReply(dad, MAC_B);
    expect(r.ipv6.destination).toBe('ff02::1');
    expect(r.ethernet.destination).toBe('33:33:00:00:00:01');
    expect(r.ndp).toMatchObject({ solicited: false, override: true });
  });

  it('builds the unsolicited advertisement: all-nodes, Override set, Solicited clear, target LLA', () => {
    const f = decodeNdpFrame(encodeNdpFrame(unsolicitedNeighborAdvertisement('fd00:20::1', MAC_B)))!;
    expect(f.ethernet.destination).toBe('33:33:00:00:00:01');
    expect(f.ipv6).toEqual({ source: 'fd00:20::1', destination: 'ff02::1', hopLimit: 255 });
    expect(f.ndp).toEqual({ type: 'NeighborAdvertisement', target: 'fd00:20::1', router: false, solicited: false, override: true, targetLinkLayerAddress: MAC_B });
  });

  it('round-trips a solicitation built here to the bytes ndisc6 sends (modulo flow label)', () => {
    const ours = encodeNdpFrame(neighborSolicitation('2001:db8::20', 'fe80::ff:fe00:a', MAC_A));
    const theirs = Buffer.from(NDISC6_SOLICITATION);
    theirs.writeUInt32BE(0x60000000, 14); // ndisc6 sets a flow label; we send 0
    expect(ours).toEqual(theirs);
  });

  it('rejects a bad checksum, a zero-length option and truncation', () => {
    const bad = Buffer.from(NDISC6_SOLICITATION);
    bad[14 + 40 + 2] ^= 0xff;
    expect(() => decodeNdpFrame(bad)).toThrow(/bad checksum/);
    const zeroOpt = Buffer.from(NDISC6_SOLICITATION);
    zeroOpt[14 + 40 + 25] = 0;
    const msg = zeroOpt.subarray(14 + 40);
    msg.writeUInt16BE(0, 2);
    msg.writeUInt16BE(icmpv6Checksum('fe80::ff:fe00:a', 'ff02::1:ff00:20', msg), 2);
    expect(() => decodeNdpFrame(zeroOpt)).toThrow(/length 0/);
    expect(() => decodeNdpFrame(NDISC6_SOLICITATION.subarray(0, 50))).toThrow(FrameDecodeError);
    expect(decodeNdpFrame(ARPING_REQUEST)).toBeNull();
  });
});
