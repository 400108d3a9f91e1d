import { connectNamespaces, createNamespace, cleanupStaleNamespaces, type NetNamespace } from './netns.js';
import { randomInterfaceName, randomPointToPointAddresses, type PointToPointAddresses } from './addresses.js';

/**
 * A namespace joined to the root (test process's) namespace by a veth pair with random IPv4 and
 * IPv6 addresses: index 0 of `addrs` is the root side, index 1 the namespace's `eth0`. Code under
 * test runs in the test process; the real peer runs in `ns`. Deleting `ns` removes both ends.
 */
export interface RootLinkedNamespace {
  readonly ns: NetNamespace;
  readonly addrs: PointToPointAddresses;
  /** Name of the root-side interface. */
  readonly rootInterface: string;
}

export async function createRootLinkedNamespace(prefix: string): Promise<RootLinkedNamespace> {
  await cleanupStaleNamespaces(prefix);
  const ns = await createNamespace(prefix);
  const addrs = randomPointToPointAddresses();
  const rootInterface = randomInterfaceName('rl');
  try {
    await connectNamespaces({ namespace: undefined, name: rootInterface, addresses: [addrs.ipv4Cidr[0], addrs.ipv6Cidr[0]] }, { namespace: ns.name, name: 'eth0', addresses: [addrs.ipv4Cidr[1], addrs.ipv6Cidr[1]] });
  } catch (e) {
    await ns.delete();
    throw e;
  }
  return { ns, addrs, rootInterface };
}

/** Cleanups run in reverse order of registration, each failure ignored (for `afterAll`). */
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
