import { readFileSync, existsSync } from 'node:fs';
import { decodeArpFrame, decodeNdpFrame, isGratuitousArp, ARP_REQUEST } from '@bosun/l2';
import { spawnManaged, type ManagedProcess } from '../net/process.js';
import { waitFor } from '../net/wait.js';

/** One frame of a pcap file, with its capture time (epoch milliseconds, microsecond precision). */
export interface CapturedFrame {
  readonly ts: number;
  readonly bytes: Buffer;
}

/** Reads a classic pcap file (as tcpdump -w writes it; a truncated last record is ignored). */
export const readPcap = (buf: Buffer): CapturedFrame[] => {
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  if (!le && magic !== 0xd4c3b2a1 && magic !== 0x4d3cb2a1) throw new Error(`not a pcap file (magic 0x${magic.toString(16)})`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const out: CapturedFrame[] = [];
  let o = 24;
  while (o + 16 <= buf.length) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    if (o + 16 + incl > buf.length) break;
    out.push({ ts: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3), bytes: buf.subarray(o + 16, o + 16 + incl) });
    o += 16 + incl;
  }
  return out;
};

/** An ARP/NDP frame, as far as L2 announcements care. */
export type L2FrameKind =
  | 'arp-request'
  | 'arp-reply'
  /** Gratuitous ARP, request form (sender IP = target IP). */
  | 'garp-request'
  /** Gratuitous ARP, reply form (sender IP = target IP, target MAC = sender MAC). */
  | 'garp-reply'
  | 'neighbor-solicitation'
  | 'neighbor-advertisement'
  | 'unsolicited-advertisement';

export interface L2Frame {
  readonly ts: number;
  readonly kind: L2FrameKind;
  /** Ethernet source. */
  readonly sourceMac: string;
  readonly destinationMac: string;
  /** The address the frame is about: ARP target/sender, NDP target. */
  readonly address: string;
  /** For answers: the MAC they say the address is at. */
  readonly claimedMac?: string;
  /** For requests: who asks (IP). */
  readonly requester?: string;
  readonly override?: boolean;
  readonly hopLimit?: number;
}

export const classifyFrame = (f: CapturedFrame): L2Frame | null => {
  try {
    const arp = decodeArpFrame(f.bytes);
    if (arp) {
      const base = { ts: f.ts, sourceMac: arp.ethernet.source, destinationMac: arp.ethernet.destination };
      if (isGratuitousArp(arp.arp)) {
        return { ...base, kind: arp.arp.operation === ARP_REQUEST ? 'garp-request' : 'garp-reply', address: arp.arp.senderIp, claimedMac: arp.arp.senderMac };
      }
      if (arp.arp.operation === ARP_REQUEST) return { ...base, kind: 'arp-request', address: arp.arp.targetIp, requester: arp.arp.senderIp };
      return { ...base, kind: 'arp-reply', address: arp.arp.senderIp, claimedMac: arp.arp.senderMac, requester: arp.arp.targetIp };
    }
    const nd = decodeNdpFrame(f.bytes);
    if (!nd) return null;
    const base = { ts: f.ts, sourceMac: nd.ethernet.source, destinationMac: nd.ethernet.destination, hopLimit: nd.ipv6.hopLimit };
    if (nd.ndp.type === 'NeighborSolicitation') return { ...base, kind: 'neighbor-solicitation', address: nd.ndp.target, requester: nd.ipv6.source };
    return {
      ...base,
      kind: nd.ndp.solicited ? 'neighbor-advertisement' : 'unsolicited-advertisement',
      address: nd.ndp.target,
      requester: nd.ipv6.destination,
      override: nd.ndp.override,
      ...(nd.ndp.targetLinkLayerAddress ? { claimedMac: nd.ndp.targetLinkLayerAddress } : {}),
    };
  } catch {
    return null;
  }
};

/** A tcpdump writing every ARP/ICMPv6 frame of an interface to a pcap file. */
export class FrameCapture {
  /** Frames classified so far, and how many bytes of the file they came from. */
  private cache: L2Frame[] = [];
  private parsedBytes = 0;

  private constructor(
    readonly file: string,
    private readonly proc: ManagedProcess,
  ) {}

  static async start(namespace: string, ifname: string, file: string, filter = 'arp or icmp6'): Promise<FrameCapture> {
    const proc = spawnManaged(namespace, 'tcpdump', ['-i', ifname, '-n', '-U', '--immediate-mode', '-s', '256', '-w', file, filter]);
    await waitFor(() => proc.output().includes('listening on') || (proc.hasExited && Promise.reject(new Error(proc.output()))), { timeoutMs: 10_000, description: `tcpdump on ${ifname}` });
    return new FrameCapture(file, proc);
  }

  /** Frames written so far (the file is flushed per packet). */
  frames(): CapturedFrame[] {
    return existsSync(this.file) ? readPcap(readFileSync(this.file)) : [];
  }

  /** Classified frames so far; reads only what was appended since the last call. */
  l2Frames(): L2Frame[] {
    if (!existsSync(this.file)) return [];
    const buf = readFileSync(this.file);
    if (buf.length < this.parsedBytes) {
      this.cache = [];
      this.parsedBytes = 0;
    }
    if (buf.length > this.parsedBytes) {
      // Records after the parsed prefix: re-attach the 24-byte file header to the new tail.
      const start = this.parsedBytes === 0 ? 0 : this.parsedBytes;
      const chunk = start === 0 ? buf : Buffer.concat([buf.subarray(0, 24), buf.subarray(start)]);
      const frames = readPcap(chunk);
      let consumed = start === 0 ? 24 : start;
      for (const f of frames) consumed += 16 + f.bytes.length;
      for (const f of frames) {
        const c = classifyFrame({ ts: f.ts, bytes: Buffer.from(f.bytes) });
        if (c) this.cache.push(c);
      }
      this.parsedBytes = frames.length > 0 || start === 0 ? consumed : start;
    }
    return [...this.cache];
  }

  async stop(): Promise<L2Frame[]> {
    this.proc.signal('SIGINT');
    await Promise.race([this.proc.exited, new Promise((r) => setTimeout(r, 3000))]);
    await this.proc.stop(500);
    return this.l2Frames();
  }
}

/**
 * Answers to ARP requests / neighbour solicitations, each paired with the request it answers
 * (the latest earlier request for the same address from the same requester), so a test can see
 * whether one request got answers from two nodes.
 */
export const answersByRequest = (frames: readonly L2Frame[]): { request: L2Frame; answers: L2Frame[] }[] => {
  const out: { request: L2Frame; answers: L2Frame[] }[] = [];
  const open = new Map<string, { request: L2Frame; answers: L2Frame[] }>();
  for (const f of frames) {
    if (f.kind === 'arp-request' || f.kind === 'neighbor-solicitation') {
      const e = { request: f, answers: [] as L2Frame[] };
      out.push(e);
      open.set(`${f.address}|${f.requester}`, e);
    } else if (f.kind === 'arp-reply' || f.kind === 'neighbor-advertisement') {
      const e = open.get(`${f.address}|${f.requester}`);
      if (e) e.answers.push(f);
    }
  }
  return out;
};
