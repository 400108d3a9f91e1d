/**
 * Capture process of one interface (forked by `InterfacePort`): answers ARP requests and
 * neighbour solicitations for the addresses it is given, with the interface's MAC, and sends the
 * gratuitous announcements. It runs apart from the announcer because libpcap bindings abort the
 * whole process when their interface goes down (cap asserts on a poll error); here that only
 * ends this process, and the announcer treats it as the link going down.
 *
 * Answers are decided here, without a round trip to the announcer, and only until the fence the
 * announcer last sent (its lease validity on the shared monotonic clock): if the announcer stalls
 * or dies, this process stops answering by itself, and it is killed with its parent (pdeathsig).
 */
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Cap } from 'cap';
import { ipFamily, canonicalIp, macToBytes, ZERO_MAC } from '../codec/addresses';
import { ARP_REQUEST, arpReply, decodeArpFrame, encodeArpFrame, gratuitousArpFrames, isGratuitousArp } from '../codec/arp';
import { decodeNdpFrame, encodeNdpFrame, NDP_HOP_LIMIT, neighborAdvertisementReply, unsolicitedNeighborAdvertisement } from '../codec/ndp';
import { monotonicMs } from './clock';
import { DEFAULT_GRATUITOUS_SCHEDULE_MS, type PortCommand, type PortReport } from './protocol';

const ifname = process.argv[2];
if (!ifname || !process.send) {
  process.stderr.write('usage: forked by InterfacePort with the interface name as argument\n');
  process.exit(2);
}
const send = (r: PortReport): void => {
  try {
    process.send!(r);
  } catch {
    process.exit(0);
  }
};
// The announcer is gone: stop at once (pdeathsig also kills us).
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (e) => {
  send({ t: 'error', message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});

const schedule: readonly number[] = (() => {
  const raw = process.env.BOSUN_L2_GRATUITOUS_SCHEDULE_MS;
  if (!raw) return DEFAULT_GRATUITOUS_SCHEDULE_MS;
  const v = raw.split(',').map((s) => Number(s.trim()));
  return v.every((n) => Number.isFinite(n) && n >= 0) ? v : DEFAULT_GRATUITOUS_SCHEDULE_MS;
})();

// Answers are latency-critical and this process is small: ask the scheduler to prefer it.
try {
  setPriority(-5);
} catch {
  /* not permitted: run at normal priority */
}

const mac = readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim().toLowerCase();
const macBytes = macToBytes(mac);
const cap = new Cap();
const buffer = Buffer.alloc(65535);
// ARP, and ICMPv6 neighbour solicitations without extension headers (as NDP sends them); never our own frames.
const filter = `(arp or (icmp6 and ip6[40] == 135)) and not ether src ${mac}`;
cap.open(ifname, filter, 4 * 1024 * 1024, buffer);

let fenceUntil = 0;
const addresses = new Set<string>();
const bursts = new Map<string, NodeJS.Timeout[]>();
const stats = { repliesSent: 0, gratuitousSent: 0, fencedDrops: 0, conflictsSeen: 0, framesSeen: 0, decodeErrors: 0 };
let statsDirty = false;

const mayAnswer = (address: string): boolean => addresses.has(address) && monotonicMs() < fenceUntil;
const transmit = (frame: Buffer): void => cap.send(frame, frame.length);

const gratuitous = (address: string): number => {
  if (!mayAnswer(address)) return 0;
  const frames = ipFamily(address) === 4 ? gratuitousArpFrames(address, mac).map(encodeArpFrame) : [encodeNdpFrame(unsolicitedNeighborAdvertisement(address, mac))];
  for (const f of frames) transmit(f);
  stats.gratuitousSent += frames.length;
  statsDirty = true;
  return frames.length;
};

const cancelBurst = (address: string): void => {
  for (const t of bursts.get(address) ?? []) clearTimeout(t);
  bursts.delete(address);
};

const announce = (address: string): void => {
  cancelBurst(address);
  const timers: NodeJS.Timeout[] = [];
  for (const offset of schedule) {
    if (offset === 0) continue;
    timers.push(setTimeout(() => gratuitous(address), offset));
  }
  bursts.set(address, timers);
  const frames = schedule.includes(0) || schedule.length === 0 ? gratuitous(address) : 0;
  send({ t: 'announced', address, at: Date.now(), frames });
};

const onFrame = (frame: Buffer): void => {
  stats.framesSeen++;
  // The capture is promiscuous: a unicast frame for another host (a hub, or a switch flooding an
  // unknown destination) is not for us, as a NIC would not have delivered it.
  if (frame.length < 14 || ((frame[0]! & 1) === 0 && frame.subarray(0, 6).compare(macBytes) !== 0)) return;
  try {
    const arp = decodeArpFrame(frame);
    if (arp) {
      const target = arp.arp.targetIp;
      if (!addresses.has(target)) {
        if (addresses.has(arp.arp.senderIp) && arp.arp.senderMac !== mac && arp.arp.senderIp !== '0.0.0.0') {
          stats.conflictsSeen++;
          send({ t: 'conflict', address: arp.arp.senderIp, mac: arp.arp.senderMac, kind: 'arp' });
        }
        return;
      }
      if (arp.arp.operation !== ARP_REQUEST) return;
      // Someone else announcing our address: report it, do not "answer" a gratuitous request.
      if (isGratuitousArp(arp.arp) && arp.arp.senderMac !== mac) {
        stats.conflictsSeen++;
        send({ t: 'conflict', address: target, mac: arp.arp.senderMac, kind: 'gratuitous-arp' });
        return;
      }
      if (!mayAnswer(target)) {
        stats.fencedDrops++;
        return;
      }
      transmit(encodeArpFrame(arpReply(arp, mac)));
      stats.repliesSent++;
      statsDirty = true;
      return;
    }
    const nd = decodeNdpFrame(frame);
    if (!nd || nd.ndp.type !== 'NeighborSolicitation') return;
    // RFC 4861 §7.1.1: hop limit must be 255; a solicitation from `::` must not carry a source LLA.
    if (nd.ipv6.hopLimit !== NDP_HOP_LIMIT) return;
    const target = canonicalIp(nd.ndp.target);
    if (!addresses.has(target)) return;
    if (nd.ipv6.source === '::' && nd.ndp.sourceLinkLayerAddress && nd.ndp.sourceLinkLayerAddress !== ZERO_MAC) return;
    if (!mayAnswer(target)) {
      stats.fencedDrops++;
      return;
    }
    transmit(encodeNdpFrame(neighborAdvertisementReply(nd, mac)));
    stats.repliesSent++;
    statsDirty = true;
  } catch {
    stats.decodeErrors++;
  }
};

cap.on('packet', (nbytes: number) => onFrame(Buffer.from(buffer.subarray(0, nbytes))));

process.on('message', (raw: unknown) => {
  const cmd = raw as PortCommand;
  switch (cmd.t) {
    case 'fence':
      fenceUntil = cmd.until;
      return;
    case 'add':
      for (const a of cmd.addresses) {
        const address = canonicalIp(a);
        addresses.add(address);
        if (cmd.announce) announce(address);
      }
      return;
    case 'remove':
      for (const a of cmd.addresses) {
        const address = canonicalIp(a);
        addresses.delete(address);
        cancelBurst(address);
      }
      return;
    case 'stats':
      send({ t: 'stats', ...stats });
      statsDirty = false;
      return;
    default: {
      const never: never = cmd;
      send({ t: 'error', message: `unknown command ${JSON.stringify(never)}` });
    }
  }
});

setInterval(() => {
  if (!statsDirty) return;
  statsDirty = false;
  send({ t: 'stats', ...stats });
}, 1000).unref();

send({ t: 'ready', ifname, mac });
