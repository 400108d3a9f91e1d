import { renameSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { addAddress, cleanupStaleNamespaces, createBridge, createNamespace, createVethPair, setLinkUp, setMaster, type NetNamespace } from '../net/netns.js';
import { exec } from '../net/exec.js';

/**
 * A flat LAN for L2 announcements: a bridge (in its own namespace) acting as a hub — it never
 * learns MAC addresses, so a capture on it sees every frame, unicast answers included — with
 * node namespaces (`eth0`, plus any extra interfaces, all on the LAN) and a client namespace.
 * Service addresses come from the LAN's own subnet, as on a real flat network.
 */
export interface L2LanOptions {
  /** Namespace prefix (lowercase alphanumeric, default `l2lan`). */
  readonly prefix?: string;
  readonly nodes: readonly { readonly name: string; readonly labels?: Readonly<Record<string, string>>; readonly extraInterfaces?: readonly string[] }[];
}

export interface L2LanNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: NetNamespace;
  readonly ipv4: string;
  readonly ipv6: string;
  /** MAC of each interface on the LAN (eth0 and the extras). */
  readonly macs: Readonly<Record<string, string>>;
}

export interface L2Lan {
  readonly lan: NetNamespace;
  readonly bridge: string;
  readonly client: { readonly namespace: NetNamespace; readonly ipv4: string; readonly ipv6: string; readonly mac: string };
  readonly nodes: readonly L2LanNode[];
  node(name: string): L2LanNode;
  /** Which node (and interface) a MAC belongs to. */
  ownerOf(mac: string): { node: string; ifname: string } | undefined;
  /** n-th service address of the LAN (n ≥ 1): 192.168.77.200+n / fd00:77::200+n. */
  vip4(n: number): string;
  vip6(n: number): string;
  destroy(): Promise<void>;
}

export const L2_LAN_IPV4_PREFIX = '192.168.77.';
export const L2_LAN_IPV6_PREFIX = 'fd00:77::';

const macOf = async (ns: string, ifname: string): Promise<string> =>
  (await exec('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${ifname}/address`])).stdout.trim().toLowerCase();

export async function createL2Lan(options: L2LanOptions): Promise<L2Lan> {
  const prefix = options.prefix ?? 'l2lan';
  for (const p of [`${prefix}h`, `${prefix}c`, `${prefix}n`]) await cleanupStaleNamespaces(p);
  const created: NetNamespace[] = [];
  try {
    const lan = await createNamespace(`${prefix}h`);
    created.push(lan);
    await createBridge(lan.name, 'br0');
    // A hub: no learning (every frame flooded, so the bridge device sees all of them).
    await exec('ip', ['-n', lan.name, 'link', 'set', 'br0', 'type', 'bridge', 'ageing_time', '0']);
    await setLinkUp(lan.name, 'br0');
    let port = 0;
    const attach = async (ns: NetNamespace, ifname: string): Promise<string> => {
      const p = `p${port++}`;
      await createVethPair({ namespace: ns.name, name: ifname }, { namespace: lan.name, name: p });
      await setMaster(lan.name, p, 'br0');
      await setLinkUp(lan.name, p);
      await setLinkUp(ns.name, ifname);
      return macOf(ns.name, ifname);
    };

    const clientNs = await createNamespace(`${prefix}c`);
    created.push(clientNs);
    const clientMac = await attach(clientNs, 'eth0');
    const client = { namespace: clientNs, ipv4: `${L2_LAN_IPV4_PREFIX}100`, ipv6: `${L2_LAN_IPV6_PREFIX}100`, mac: clientMac };
    await addAddress(clientNs.name, 'eth0', `${client.ipv4}/24`);
    await addAddress(clientNs.name, 'eth0', `${client.ipv6}/64`);

    const nodes: L2LanNode[] = [];
    for (const [i, n] of options.nodes.entries()) {
      const ns = await createNamespace(`${prefix}n`);
      created.push(ns);
      const macs: Record<string, string> = {};
      macs.eth0 = await attach(ns, 'eth0');
      for (const extra of n.extraInterfaces ?? []) macs[extra] = await attach(ns, extra);
      const ipv4 = `${L2_LAN_IPV4_PREFIX}${11 + i}`;
      const ipv6 = `${L2_LAN_IPV6_PREFIX}${(0x11 + i).toString(16)}`;
      await addAddress(ns.name, 'eth0', `${ipv4}/24`);
      await addAddress(ns.name, 'eth0', `${ipv6}/64`);
      nodes.push({ name: n.name, labels: n.labels ?? {}, namespace: ns, ipv4, ipv6, macs });
    }

    return {
      lan,
      bridge: 'br0',
      client,
      nodes,
      node: (name) => {
        const n = nodes.find((x) => x.name === name);
        if (!n) throw new Error(`no node ${name} on the LAN`);
        return n;
      },
      ownerOf: (mac) => {
        for (const n of nodes) for (const [ifname, m] of Object.entries(n.macs)) if (m === mac.toLowerCase()) return { node: n.name, ifname };
        return undefined;
      },
      vip4: (k) => `${L2_LAN_IPV4_PREFIX}${200 + k}`,
      vip6: (k) => `${L2_LAN_IPV6_PREFIX}${(0x200 + k).toString(16)}`,
      destroy: async () => {
        for (const ns of [...created].reverse()) await ns.delete().catch(() => undefined);
      },
    };
  } catch (e) {
    for (const ns of [...created].reverse()) await ns.delete().catch(() => undefined);
    throw e;
  }
}

/** Objects for a standalone announcer's view file (BOSUN_L2_STATIC_VIEW). */
export const writeL2View = (file: string, objects: readonly Record<string, unknown>[]): void => {
  writeFileSync(`${file}.tmp`, objects.map((o) => stringify(o)).join('---\n'));
  // rename: readers never see a half-written file
  renameSync(`${file}.tmp`, file);
};

/** A LoadBalancer Service whose address ipam allocated (status.loadBalancer.ingress). */
export const lbService = (namespace: string, name: string, addresses: readonly string[], opts: { labels?: Record<string, string>; externalTrafficPolicy?: 'Cluster' | 'Local'; loadBalancerClass?: string; externalIPs?: string[] } = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace, name, labels: opts.labels ?? {} },
  spec: {
    type: 'LoadBalancer',
    ports: [{ port: 80, protocol: 'TCP' }],
    ...(opts.externalTrafficPolicy ? { externalTrafficPolicy: opts.externalTrafficPolicy } : {}),
    ...(opts.loadBalancerClass ? { loadBalancerClass: opts.loadBalancerClass } : {}),
    ...(opts.externalIPs ? { externalIPs: opts.externalIPs } : {}),
  },
  status: { loadBalancer: { ingress: addresses.map((ip) => ({ ip })) } },
});

export const nodeObject = (name: string, labels: Readonly<Record<string, string>> = {}): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });

/** The seed talk's policy (04-l2-announcement-policy.yaml). */
export const seedL2Policy = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'cilium.io/v2alpha1',
  kind: 'CiliumL2AnnouncementPolicy',
  metadata: { name: 'policy1' },
  spec: {
    serviceSelector: { matchLabels: { color: 'blue' } },
    nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] },
    interfaces: ['^eth[0-9]+'],
    externalIPs: true,
    loadBalancerIPs: true,
    ...overrides,
  },
});
