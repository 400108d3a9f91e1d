import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiStatusError, type KubeObject } from '@bosun/client';
import { buildAnnouncer, dropSchema, dropStaleSchemas, exec, REPO_ROOT, seedFile, startTalkSuite, testSchemaName, waitFor, type TalkSuite } from '@bosun/testing';

/**
 * The talk's L2 story through the whole system: the API, LB IPAM and `bosun agent --services
 * l2-announcer` inside two worker namespaces and a control-plane one. The seed's pool and L2
 * policy plus a color=blue Service → ipam allocates 20.0.10.1 → one worker answers ARP for it
 * (asked from the router's namespace on the same link), visible as a Lease, in
 * `bosun get l2leases` and `bosun describe service`; killing that announcer moves the address.
 */

const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const service = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'tenant-blue', labels },
  spec: { type: 'LoadBalancer', ports: [{ name: 'port-80', port: 80, protocol: 'TCP' }] },
});

/** Writes answered 504 ("stored, view not caught up") on a busy machine are retried (apply is idempotent). */
const retry504 = async <T>(write: () => Promise<T>): Promise<T> => {
  for (let i = 0; ; i++) {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof ApiStatusError && e.code === 504) || i >= 5) throw e;
    }
  }
};

describe('L2 announcements through the API, ipam and bosun agent (talk manifests)', () => {
  let suite: TalkSuite;
  const l2Schema = testSchemaName('l2talk');
  const bosun = (args: string[]) =>
    exec(process.execPath, [join(REPO_ROOT, 'apps/cli/bin/bosun.js'), ...args], { env: { ...process.env, BOSUN_SERVER: suite.server, BOSUN_TOKEN: suite.env['BOSUN_TOKEN']! } });
  const lease = async () => (await suite.client.tryGet('leases', 'cilium-l2announce-tenant-blue-gateway', 'kube-system').catch(() => undefined)) as any;
  const holder = async (): Promise<string | undefined> => (await lease())?.spec?.holderIdentity || undefined;
  const arpingMacs = async (address: string): Promise<string[]> => {
    const r = await suite.topology.router.namespace.exec('arping', ['-c', '3', '-i', 'br0', address], { allowFailure: true });
    return [...r.stdout.matchAll(/bytes from ([0-9a-f:]{17})/gi)].map((m) => m[1]!.toLowerCase());
  };
  const macOf = async (node: string) => (await suite.topology.node(node).namespace.exec('cat', ['/sys/class/net/eth0/address'])).stdout.trim();

  beforeAll(async () => {
    await dropStaleSchemas('l2talk');
    await buildAnnouncer();
    suite = await startTalkSuite({
      area: 'l2talk',
      prefix: 'l2talk',
      nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name: 'cp-1', labels: { rack: 'rack0', 'node-role.kubernetes.io/control-plane': '' } }],
      agentServices: ['l2-announcer'],
      env: { BOSUN_L2_SCHEMA: l2Schema, BOSUN_L2_LEASE_DURATION: '1s', BOSUN_L2_RENEW_DEADLINE: '600ms', BOSUN_L2_RETRY_PERIOD: '100ms' },
    });
    await retry504(() =>
      suite.client.applyAll([
        namespace('kube-system'),
        namespace('tenant-blue'),
        ...seedFile('04-l2-announcement-policy.yaml'),
        ...seedFile('05-lb-ip-pool.yaml'),
        service('gateway', { color: 'blue' }),
        service('not-announced', { name: 'blue' }),
      ] as KubeObject[]),
    );
    for (const n of ['node-1', 'node-2', 'cp-1']) await suite.startAgent(n);
  }, 240_000);

  afterAll(async () => {
    await suite?.destroy();
    await dropSchema(l2Schema).catch(() => undefined);
  });

  it('one worker answers ARP for the address ipam allocated, and the API shows it as a Lease', async () => {
    await waitFor(async () => ((await suite.client.tryGet('services', 'gateway', 'tenant-blue')) as any)?.status?.loadBalancer?.ingress?.[0]?.ip === '20.0.10.1', {
      timeoutMs: 60_000,
      description: 'ipam to allocate 20.0.10.1',
    });
    const node = (await waitFor(holder, { timeoutMs: 60_000, description: `a Lease holder\n${suite.logs().slice(-4000)}` })) as string;
    expect(['node-1', 'node-2']).toContain(node);
    const macs = await arpingMacs('20.0.10.1');
    expect(macs.length).toBe(3);
    expect(new Set(macs)).toEqual(new Set([await macOf(node)]));
    const l = await lease();
    expect(l.spec).toMatchObject({ holderIdentity: node, leaseDurationSeconds: 1 });
    expect(l.status.addresses).toEqual([expect.objectContaining({ address: '20.0.10.1', holder: node, interfaces: ['eth0'] })]);
  });

  it('bosun get l2leases and bosun describe service say who announces what', async () => {
    const node = (await holder())!;
    const get = await bosun(['get', 'l2leases']);
    expect(get.stdout).toMatch(/^SERVICE\s+ADDRESS\s+NODE\s+INTERFACE\s+AGE$/m);
    expect(get.stdout).toMatch(new RegExp(`^tenant-blue/gateway\\s+20\\.0\\.10\\.1\\s+${node}\\s+eth0\\s+\\d+s$`, 'm'));
    const describe = await bosun(['describe', 'service', 'gateway', '-n', 'tenant-blue']);
    expect(describe.stdout).toContain('bosun.io/L2Announced');
    expect(describe.stdout).toContain(`20.0.10.1 by ${node} on eth0`);
    const leases = await bosun(['get', 'leases', '-n', 'kube-system']);
    expect(leases.stdout).toMatch(new RegExp(`^cilium-l2announce-tenant-blue-gateway\\s+${node}\\s`, 'm'));
  });

  it('refuses a policy with an interface expression that does not compile, naming the field (and the good policy keeps working)', async () => {
    const bad = { apiVersion: 'cilium.io/v2alpha1', kind: 'CiliumL2AnnouncementPolicy', metadata: { name: 'broken' }, spec: { interfaces: ['eth[0-'], loadBalancerIPs: true } };
    const err = await suite.client.applyAll([bad] as KubeObject[]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiStatusError);
    expect((err as Error).message).toContain('spec.interfaces[0]');
    expect(new Set(await arpingMacs('20.0.10.1')).size).toBe(1);
  });

  it('never announces the Service the policy does not select', async () => {
    expect(await suite.client.tryGet('leases', 'cilium-l2announce-tenant-blue-not-announced', 'kube-system').catch(() => undefined)).toBeFalsy();
  });

  it('killing the announcer of the holder moves the address to the other worker (the agent restarts it)', async () => {
    const old = (await holder())!;
    const pid = suite.agent(old)!.servicePid('l2-announcer')!;
    process.kill(pid, 'SIGKILL');
    const next = (await waitFor(async () => {
      const h = await holder();
      return h && h !== old ? h : undefined;
    }, { timeoutMs: 30_000, description: 'the Lease to move' })) as string;
    expect(['node-1', 'node-2']).toContain(next);
    const nextMac = await macOf(next);
    // The router's neighbour cache is not involved: arping asks afresh each time.
    expect(new Set(await arpingMacs('20.0.10.1'))).toEqual(new Set([nextMac]));
    expect((await lease()).status.addresses[0]).toMatchObject({ holder: next });
  });
});
