import { cleanupStaleNamespaces, connectNamespaces, createNamespace, randomInterfaceName, randomPointToPointAddresses, type NetNamespace, type PointToPointAddresses } from '@bosun/testing';
import { BgpSpeaker, type BgpSpeakerOptions, type LogLevel } from '../src/index.js';

/**
 * Interop topology: our speaker runs in this (root) namespace; the real peer runs in its own
 * namespace, joined by a veth pair with random IPv4 and IPv6 addresses. Index 0 = our side.
 */
export interface PeerLink {
  readonly ns: NetNamespace;
  readonly addrs: PointToPointAddresses;
}

export async function peerLink(prefix: string): Promise<PeerLink> {
  await cleanupStaleNamespaces(prefix);
  const ns = await createNamespace(prefix);
  const addrs = randomPointToPointAddresses();
  await connectNamespaces({ namespace: undefined, name: randomInterfaceName('bgt'), addresses: [addrs.ipv4Cidr[0], addrs.ipv6Cidr[0]] }, { namespace: ns.name, name: 'eth0', addresses: [addrs.ipv4Cidr[1], addrs.ipv6Cidr[1]] });
  return { ns, addrs };
}

/** A speaker whose log lines are kept (printed when a test fails, via `dump()`). */
export function speakerWithLog(options: Omit<BgpSpeakerOptions, 'logger'>): { speaker: BgpSpeaker; log: string[] } {
  const log: string[] = [];
  const speaker = new BgpSpeaker({ idleHoldTimeSeconds: 1, maxIdleHoldTimeSeconds: 4, ...options, logger: (level: LogLevel, message: string) => log.push(`${new Date().toISOString()} ${level} ${message}`) });
  return { speaker, log };
}

/** Runs cleanups in reverse order, ignoring failures. */
export class Cleanup {
  private readonly fns: Array<() => Promise<unknown> | unknown> = [];
  add(fn: () => Promise<unknown> | unknown): void {
    this.fns.push(fn);
  }
  async run(): Promise<void> {
    for (const fn of this.fns.reverse()) {
      try {
        await fn();
      } catch {
        /* best effort */
      }
    }
    this.fns.length = 0;
  }
}
