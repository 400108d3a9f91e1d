import {
  addAddress,
  cleanupStaleNamespaces,
  createBridge,
  createNamespace,
  createVethPair,
  setLinkUp,
  setMaster,
  setSysctl,
  type NetNamespace,
} from '../net/netns.js';
import { exec } from '../net/exec.js';
import { BirdInstance } from '../net/peers/bird.js';
import type { PeerNeighbor } from '../net/peers/types.js';

/**
 * The talk's topology ("BGP Control Plane v2"): a top-of-rack router (BIRD, AS 65000) owning
 * `fd00:10:0:0::1`, and nodes on one link with it, each with an IPv6 and an IPv4 address
 * (IPv4 routes travel over the IPv6 iBGP session with an IPv4 next hop). The link is a bridge in
 * the router's namespace; each node's end is called `eth0`, as on a real node. Processes inside
 * the node namespaces reach the API through its Unix socket and Postgres through
 * /var/run/postgresql: the filesystem is shared, only the network is not.
 */

export interface TalkNodeOptions {
  readonly name: string;
  /** Labels the node is registered with (`rack=rack0` by default). */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface TalkTopologyOptions {
  /** Namespace name prefix (lowercase alphanumeric); namespaces are `<prefix>r-…` and `<prefix>n<i>-…`. */
  readonly prefix?: string;
  readonly nodes?: readonly TalkNodeOptions[];
  /** The MD5 password the router expects (the content of Secret `bgp-auth-secret`); none = no MD5. */
  readonly password?: string;
  /** Router side timers (the seed's PeerConfig uses 9 / 3). */
  readonly holdTimeSeconds?: number;
  readonly keepAliveTimeSeconds?: number;
  /** The router as a GR helper (keeps a restarting node's routes as stale). Default on. */
  readonly gracefulRestart?: boolean;
  readonly routerASN?: number;
  /** Also negotiate IPv6 unicast on the router side (the seed negotiates IPv4 only). Default true. */
  readonly ipv6?: boolean;
  /** Appended to BIRD's configuration (e.g. a `log` file with ms timestamps for benchmarks). */
  readonly birdExtraConfig?: string;
}

export interface TalkNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: NetNamespace;
  readonly ipv4: string;
  readonly ipv6: string;
  /** The BIRD protocol that peers with this node. */
  readonly birdProtocol: string;
}

export interface TalkTopology {
  readonly router: { readonly namespace: NetNamespace; readonly bird: BirdInstance; readonly ipv4: string; readonly ipv6: string; readonly asn: number };
  readonly nodes: readonly TalkNode[];
  node(name: string): TalkNode;
  /** IPv4 prefixes the router holds from a node (its BGP protocol), sorted. */
  routesFrom(node: string, table?: 'master4' | 'master6'): Promise<string[]>;
  destroy(): Promise<void>;
}

export const TALK_ROUTER_IPV6 = 'fd00:10::1';
export const TALK_ROUTER_IPV4 = '10.99.0.1';
export const TALK_LINK_IPV6_PREFIX = 'fd00:10::';
export const TALK_LINK_IPV4_PREFIX = '10.99.0.';

const protocolName = (node: string): string => `node_${node.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * Builds the topology: router namespace with a bridge and BIRD, node namespaces with `eth0`.
 * Call it from `beforeAll`; `destroy()` in `afterAll`. Leftovers of killed runs with the same
 * prefix are removed first.
 */
export async function createTalkTopology(options: TalkTopologyOptions = {}): Promise<TalkTopology> {
  const prefix = options.prefix ?? 'talk';
  const nodeOpts = options.nodes ?? [{ name: 'node-1' }, { name: 'node-2' }];
  if (nodeOpts.length > 200) throw new Error('at most 200 nodes');
  const asn = options.routerASN ?? 65000;
  await cleanupStaleNamespaces(`${prefix}r`);
  for (let i = 0; i < nodeOpts.length; i++) await cleanupStaleNamespaces(`${prefix}n${i}`);

  const created: NetNamespace[] = [];
  try {
    const routerNs = await createNamespace(`${prefix}r`);
    created.push(routerNs);
    await createBridge(routerNs.name, 'br0');
    await setLinkUp(routerNs.name, 'br0');
    await addAddress(routerNs.name, 'br0', `${TALK_ROUTER_IPV6}/64`);
    await addAddress(routerNs.name, 'br0', `${TALK_ROUTER_IPV4}/24`);
    await setSysctl(routerNs.name, 'net.ipv6.conf.all.forwarding', 1);
    await setSysctl(routerNs.name, 'net.ipv4.ip_forward', 1);

    const nodes: TalkNode[] = [];
    for (const [i, n] of nodeOpts.entries()) {
      const ns = await createNamespace(`${prefix}n${i}`);
      created.push(ns);
      const port = `vn${i}`;
      await createVethPair({ namespace: ns.name, name: 'eth0' }, { namespace: routerNs.name, name: port });
      await setMaster(routerNs.name, port, 'br0');
      await setLinkUp(routerNs.name, port);
      const ipv4 = `${TALK_LINK_IPV4_PREFIX}${11 + i}`;
      const ipv6 = `${TALK_LINK_IPV6_PREFIX}${(0x11 + i).toString(16)}`;
      await addAddress(ns.name, 'eth0', `${ipv6}/64`);
      await addAddress(ns.name, 'eth0', `${ipv4}/24`);
      await setLinkUp(ns.name, 'eth0');
      await exec('ip', ['-n', ns.name, 'route', 'add', 'default', 'via', TALK_ROUTER_IPV4]);
      await exec('ip', ['-n', ns.name, '-6', 'route', 'add', 'default', 'via', TALK_ROUTER_IPV6]);
      nodes.push({ name: n.name, labels: n.labels ?? { rack: 'rack0' }, namespace: ns, ipv4, ipv6, birdProtocol: protocolName(n.name) });
    }

    const neighbors: PeerNeighbor[] = nodes.map((n) => ({
      name: n.birdProtocol,
      peerAddress: n.ipv6,
      peerASN: asn,
      localAddress: TALK_ROUTER_IPV6,
      ...(options.password !== undefined ? { password: options.password } : {}),
      holdTimeSeconds: options.holdTimeSeconds ?? 9,
      keepAliveTimeSeconds: options.keepAliveTimeSeconds ?? 3,
      // Nodes dial the router (Cilium's agent listens only with localPort): the router only accepts.
      passive: true,
      ...(options.gracefulRestart === false ? {} : { gracefulRestart: {} }),
      families: options.ipv6 === false ? ['ipv4-unicast'] : ['ipv4-unicast', 'ipv6-unicast'],
    }));
    const bird = await BirdInstance.start({
      namespace: routerNs.name,
      routerID: TALK_ROUTER_IPV4,
      localASN: asn,
      neighbors,
      ...(options.birdExtraConfig ? { extraConfig: options.birdExtraConfig } : {}),
    });

    const destroy = async (): Promise<void> => {
      await bird.dispose().catch(() => undefined);
      for (const ns of [...created].reverse()) await ns.delete().catch(() => undefined);
    };
    return {
      router: { namespace: routerNs, bird, ipv4: TALK_ROUTER_IPV4, ipv6: TALK_ROUTER_IPV6, asn },
      nodes,
      node: (name) => {
        const n = nodes.find((x) => x.name === name);
        if (!n) throw new Error(`no node ${name} in the topology`);
        return n;
      },
      routesFrom: async (node, table = 'master4') => {
        const proto = protocolName(node);
        const routes = await bird.routes({ table, protocol: proto });
        return [...new Set(routes.map((r) => r.prefix))].sort();
      },
      destroy,
    };
  } catch (e) {
    for (const ns of [...created].reverse()) await ns.delete().catch(() => undefined);
    throw e;
  }
}
