import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiStatusError, type KubeObject } from '@bosun/client';
import { createEventStore } from '@bosun/event-store';
import { startTalkSuite, waitFor, type TalkSuite, TALK_PASSWORD, applyAll, applyTalkBgpSetup, birdSession, birdSince, sameEstablishment, loadBalancerService, retry504 } from '@bosun/testing';

/**
 * 1k Services labelled bgp=blue created at 200/s, then half of them deleted at 200/s: at the end
 * the router holds exactly the expected prefixes from each node (LB IPs and ClusterIPs of the
 * remaining Services), and no session was reset on the way.
 */

const COUNT = 1000;
const RATE = 200;

const bulkPool = {
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumLoadBalancerIPPool',
  metadata: { name: 'bulk' },
  spec: { blocks: [{ cidr: '20.1.0.0/20' }], serviceSelector: { matchLabels: { bulk: 'yes' } } },
};

/** Runs `fn(i)` for i in [0, n) started at `rate` per second, at most 64 in flight; rejects on the first failure. */
const paced = async (n: number, rate: number, fn: (i: number) => Promise<unknown>): Promise<void> => {
  const start = Date.now();
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inflight.size >= 64) await Promise.race(inflight);
    const p = fn(i).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
};

describe('bgp-speaker under a burst of 1k Services', () => {
  let suite: TalkSuite;
  beforeAll(async () => {
    suite = await startTalkSuite({ area: 'bgpburst', prefix: 'bgpburst', password: TALK_PASSWORD });
    await applyTalkBgpSetup(suite);
    await applyAll(suite, [bulkPool as KubeObject & { apiVersion: string; kind: string }]);
    await suite.startAgent('node-1');
    await suite.startAgent('node-2');
    for (const n of ['node-1', 'node-2']) await waitFor(async () => (await birdSession(suite, n)).bgpState === 'Established', { description: `${n} established`, timeoutMs: 60_000 });
  }, 180_000);
  afterAll(async () => {
    await suite?.destroy();
  });

  it('1k Services created and 500 deleted at 200/s → exactly the expected table, no session reset', async () => {
    const sessionsBefore = await Promise.all(['node-1', 'node-2'].map(async (n) => birdSince(await birdSession(suite, n))));
    const name = (i: number): string => `bulk-${String(i).padStart(4, '0')}`;
    await paced(COUNT, RATE, (i) => retry504(() => suite.client.apply(loadBalancerService(name(i), { bgp: 'blue', bulk: 'yes' }, 'tenant-blue'), { fieldManager: 'burst' })));
    await paced(COUNT / 2, RATE, (i) => retry504(() => suite.client.delete('services', name(i * 2), 'tenant-blue').catch((e: unknown) => { if (e instanceof ApiStatusError && e.code === 404) return undefined; throw e; })));

    // Expected: every remaining Service's LB IP and ClusterIP, once ipam has allocated them all.
    const expected = await waitFor(
      async () => {
        const list = await suite.client.list<any>('services', { namespace: 'tenant-blue', labelSelector: 'bulk=yes' });
        if (list.items.length !== COUNT / 2) return undefined;
        const prefixes: string[] = [];
        for (const s of list.items) {
          const ip = s.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined;
          if (!ip) return undefined;
          prefixes.push(`${ip}/32`, `${s.spec.clusterIP}/32`);
        }
        return prefixes.sort();
      },
      { description: 'ipam allocated every remaining Service', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(expected).toHaveLength(COUNT);
    for (const node of ['node-1', 'node-2']) {
      const held = await waitFor(
        async () => {
          const r = await suite.topology.routesFrom(node);
          return r.length === expected.length && r.every((p, i) => p === expected[i]) ? r : undefined;
        },
        { description: `the router's table from ${node} is exactly the ${expected.length} expected prefixes`, timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(held).toEqual(expected);
    }
    // No session was reset: BIRD's sessions are established since before the burst.
    const sessionsAfter = await Promise.all(['node-1', 'node-2'].map(async (n) => birdSince(await birdSession(suite, n))));
    expect(sessionsAfter.map((t, i) => sameEstablishment(sessionsBefore[i]!, t) || `${sessionsBefore[i]} → ${t}`)).toEqual([true, true]);
    expect(sessionsBefore.every((x) => x !== '')).toBe(true);
    const store = await createEventStore({ url: suite.env['DATABASE_URL'], schema: suite.schema, migrate: false, poolSize: 1 });
    try {
      for (const node of ['node-1', 'node-2']) {
        const events = await store.readStream(`bgp-node-${node}`);
        expect(events.filter((e) => e.type === 'bgp.PeerSessionReset')).toEqual([]);
        const states = events.filter((e) => e.type === 'bgp.PeerStateChanged').map((e) => (e.data as { to: string }).to);
        expect(states.filter((s) => s === 'established')).toHaveLength(1);
        // coalesced: far fewer advertisement batches than Service changes
        const batches = events.filter((e) => e.type === 'bgp.RouteAdvertised' || e.type === 'bgp.RouteWithdrawn').length;
        expect(batches).toBeLessThan(COUNT / 2);
      }
    } finally {
      await store.close();
    }
  });
});
