import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupStaleNamespaces,
  connectNamespaces,
  createNamespace,
  createBridge,
  createVethPair,
  setMaster,
  setLinkUp,
  addAddress,
  listAddresses,
  listNamespaces,
  randomPointToPointAddresses,
  randomInterfaceName,
  setSysctl,
  waitFor,
  exec,
  type NetNamespace,
} from '../index.js';

const PREFIX = 'tnet';

describe('network-namespace primitives', () => {
  const created: NetNamespace[] = [];
  beforeAll(async () => {
    await cleanupStaleNamespaces(PREFIX);
  });
  afterAll(async () => {
    for (const ns of created) await ns.delete();
  });

  it('connects two namespaces over IPv4 and IPv6 (no DAD) and reaches across (ARP, NDP)', async () => {
    const a = await createNamespace(PREFIX);
    const b = await createNamespace(PREFIX);
    created.push(a, b);
    const addrs = randomPointToPointAddresses();
    await connectNamespaces(
      { namespace: a.name, name: 'eth0', addresses: [addrs.ipv4Cidr[0], addrs.ipv6Cidr[0]] },
      { namespace: b.name, name: 'eth0', addresses: [addrs.ipv4Cidr[1], addrs.ipv6Cidr[1]] },
    );
    expect(await listAddresses(a.name, 'eth0')).toEqual(expect.arrayContaining([addrs.ipv4Cidr[0], addrs.ipv6Cidr[0]]));
    // No ping on this machine: ARP and Neighbor Discovery prove the link works both ways.
    await a.exec('arping', ['-q', '-c', '1', '-w', '3', '-i', 'eth0', addrs.ipv4[1]]);
    await a.exec('ndisc6', ['-q', '-1', '-r', '3', '-w', '500', addrs.ipv6[1], 'eth0']);
  });

  it('bridges three namespaces and sets sysctls', async () => {
    const hub = await createNamespace(PREFIX);
    const x = await createNamespace(PREFIX);
    const y = await createNamespace(PREFIX);
    created.push(hub, x, y);
    await createBridge(hub.name, 'br0');
    await setLinkUp(hub.name, 'br0');
    for (const [ns, addr] of [
      [x, '192.0.2.1/24'],
      [y, '192.0.2.2/24'],
    ] as const) {
      const port = randomInterfaceName('p');
      await createVethPair({ namespace: hub.name, name: port }, { namespace: ns.name, name: 'eth0' });
      await setMaster(hub.name, port, 'br0');
      await setLinkUp(hub.name, port);
      await addAddress(ns.name, 'eth0', addr);
      await setLinkUp(ns.name, 'eth0');
    }
    await setSysctl(x.name, 'net.ipv4.ip_forward', 1);
    expect((await x.exec('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
    await waitFor(async () => (await x.exec('arping', ['-q', '-c', '1', '-w', '1', '-i', 'eth0', '192.0.2.2'], { allowFailure: true })).code === 0, {
      description: 'ARP reply across the bridge',
    });
  });

  it('kills spawned processes when the namespace is deleted', async () => {
    const ns = await createNamespace(PREFIX);
    const proc = ns.spawn('sleep', ['300']);
    expect((await exec('ip', ['netns', 'pids', ns.name])).stdout).toContain(String(proc.pid));
    await ns.delete();
    expect(await proc.exited).toBeGreaterThan(0);
    expect(await listNamespaces()).not.toContain(ns.name);
  });

  it('stops a process with SIGTERM and reports its output', async () => {
    const ns = await createNamespace(PREFIX);
    created.push(ns);
    const proc = ns.spawn('sh', ['-c', 'echo ready; exec sleep 300']);
    await waitFor(() => proc.output().includes('ready'), { description: 'output' });
    await proc.stop();
    expect(proc.hasExited).toBe(true);
  });

  it('reports a failing command with its stderr', async () => {
    await expect(exec('ip', ['link', 'show', 'does-not-exist0'])).rejects.toThrow(/does-not-exist0/);
  });
});
