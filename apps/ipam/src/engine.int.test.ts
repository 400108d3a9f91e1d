import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, allocationsOf } from '@bosun/ipam';
import { createTestEventStore, dropStaleSchemas, waitFor, type TestEventStore } from '@bosun/testing';
import { IpamEngine } from './engine';
import { registerIpamMetrics } from './metrics';
import { apply, applyEvent, foldAllocations, ipamEvents, lbService, pool, remove, seedManifest } from '../test/helpers';

/** The engine against the real event store (own Postgres schema), in this process. */

let t: TestEventStore;
const engines: IpamEngine[] = [];
const engine = (instance: string, batchSize = 1000): IpamEngine => {
  const e = new IpamEngine({ store: t.store, config: DEFAULT_CONFIG, instance, batchSize, resyncIntervalMs: 500 });
  engines.push(e);
  return e;
};

beforeAll(async () => {
  await dropStaleSchemas('ipameng');
  t = await createTestEventStore('ipameng', { pollIntervalMs: 100, poolSize: 20 });
});
afterAll(async () => {
  for (const e of engines) await e.stop().catch(() => undefined);
  await t?.cleanup();
});

describe('ipam engine through the event store', () => {
  it('the talk: ip-pool-blue + service-blue + the gateway Service → 20.0.10.1 on ipam-pool-ip-pool-blue, no_pool for service-blue', async () => {
    const e = engine('seed');
    await apply(t.store, seedManifest('05-lb-ip-pool.yaml'));
    await apply(t.store, seedManifest('06-service-blue.yaml'));
    await e.start();
    await apply(t.store, lbService('tenant-blue', 'cilium-gateway-gateway-blue', { labels: { color: 'blue', 'io.cilium.gateway/owning-gateway': 'gateway-blue' } }));
    const events = await waitFor(async () => {
      const ev = await ipamEvents(t.store);
      return ev.some((x) => x.type === 'ipam.LoadBalancerIPAllocated') ? ev : undefined;
    }, { description: 'an allocation', timeoutMs: 20_000 });

    const alloc = events.filter((x) => x.type === 'ipam.LoadBalancerIPAllocated');
    expect(alloc).toHaveLength(1);
    expect(alloc[0]!.streamId).toBe('ipam-pool-ip-pool-blue');
    expect(alloc[0]!.data).toMatchObject({ pool: 'ip-pool-blue', ip: '20.0.10.1', family: 'IPv4', service: { namespace: 'tenant-blue', name: 'cilium-gateway-gateway-blue' } });
    // The allocation continues the correlation of the Service's apply.
    const applied = await t.store.readStream('resource-core.Service-tenant-blue.cilium-gateway-gateway-blue');
    expect(alloc[0]!.correlationId).toBe(applied[0]!.correlationId);
    expect(alloc[0]!.causationId).toBe(applied[0]!.id);

    const log = foldAllocations(events);
    expect(log.conditions.get('blue/service-blue')).toEqual({ status: 'False', reason: 'no_pool' });
    expect(log.conditions.get('tenant-blue/cilium-gateway-gateway-blue')).toEqual({ status: 'True', reason: 'satisfied' });
    const conds = events.filter((x) => x.type === 'ipam.ServiceIPAMConditionChanged');
    expect(conds.every((c) => c.streamId === 'ipam-services')).toBe(true);
    expect(events.filter((x) => x.type === 'ipam.LoadBalancerIPReleased')).toEqual([]);
    await e.stop();

    // Restarted (same replica: resumes its checkpoint): the same state, nothing new written.
    const again = engine('seed');
    await again.start();
    expect(allocationsOf(again.current, 'tenant-blue', 'cilium-gateway-gateway-blue').map((a) => a.ip)).toEqual(['20.0.10.1']);
    await new Promise((r) => setTimeout(r, 300));
    expect((await ipamEvents(t.store)).slice(events.length).map((x) => [x.type, x.data])).toEqual([]);
    await again.stop();
  });

  it('a burst of Service changes becomes few appends', async () => {
    const e = engine('burst', 1000);
    await apply(t.store, pool('burst', [{ cidr: '10.50.0.0/22' }], { serviceSelector: { matchLabels: { burst: 'yes' } } }));
    await e.start();
    const n = 300;
    // One transaction, as a bulk apply through the API would do.
    await t.store.transaction(async (tx) => {
      for (let i = 0; i < n; i++) {
        const { streamId, event } = applyEvent(lbService('burst', `s${i}`, { labels: { burst: 'yes' } }));
        await t.store.append(streamId, 'any', [event], { tx });
      }
    });
    await waitFor(async () => foldAllocations(await ipamEvents(t.store)).holds.size >= n + 1 || undefined, { description: `${n} allocations`, timeoutMs: 30_000 });
    const events = (await ipamEvents(t.store)).filter((x) => x.streamId === 'ipam-pool-burst' && x.type === 'ipam.LoadBalancerIPAllocated');
    expect(events).toHaveLength(n);
    const transactions = new Set(events.map((x) => x.correlationId));
    expect(transactions.size).toBeLessThanOrEqual(3);
    await e.stop();
  });

  it('two engines allocating at once never hand out one address twice', async () => {
    const a = engine('race-a', 50);
    const b = engine('race-b', 50);
    await apply(t.store, pool('race', [{ cidr: '10.60.0.0/24' }], { serviceSelector: { matchLabels: { race: 'yes' } } }));
    await Promise.all([a.start(), b.start()]);
    const n = 200;
    for (let i = 0; i < n; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => apply(t.store, lbService('race', `s${i + j}`, { labels: { race: 'yes' } }))));
    }
    // A /24 minus first and last: 254 addresses for 200 Services.
    const log = await waitFor(async () => {
      const l = foldAllocations(await ipamEvents(t.store));
      let ok = 0;
      for (let i = 0; i < n; i++) if ((l.holds.get(`race/s${i}`)?.size ?? 0) === 1 && l.conditions.get(`race/s${i}`)?.status === 'True') ok++;
      return ok === n ? l : undefined;
    }, { description: 'every race Service allocated', timeoutMs: 60_000 });
    expect(log.duplicates).toEqual([]);
    const ips = new Set<string>();
    for (let i = 0; i < n; i++) for (const ip of log.holds.get(`race/s${i}`)!) ips.add(ip);
    expect(ips.size).toBe(n);
    for (let i = 0; i < n; i++) expect(log.given.get(`race/s${i}`), `race/s${i} moved`).toHaveLength(1);
    // Both replicas end with the same view.
    const view = (e: IpamEngine) => Array.from({ length: n }, (_, i) => allocationsOf(e.current, 'race', `s${i}`).map((x) => `${x.ip}@${x.pool}`).join(','));
    const converged = () => {
      const va = view(a);
      const vb = view(b);
      return va.every((x, i) => x !== '' && x === vb[i]);
    };
    await waitFor(() => converged() || undefined, { description: 'replicas converge', timeoutMs: 30_000 });
    for (let i = 0; i < n; i++) expect(allocationsOf(a.current, 'race', `s${i}`).map((x) => x.ip)).toEqual([...log.holds.get(`race/s${i}`)!]);
    await a.stop();
    await b.stop();
  });

  it('a replica that decided on a stale view gets the conflict, rolls back, and decides again on the newer events', async () => {
    const metrics = registerIpamMetrics(() => null);
    const conflicts = async () => (await metrics.conflicts.get()).values.reduce((n, v) => n + v.value, 0);
    const before = await conflicts();
    let gate: (() => void) | null = null;
    let gated = false;
    const a = engine('stale-a');
    const b = new IpamEngine({
      store: t.store,
      config: DEFAULT_CONFIG,
      instance: 'stale-b',
      metrics,
      resyncIntervalMs: 500,
      // Holds back exactly the decision about stale/s.
      beforeDecide: async (command) => {
        if (gated && command.type === 'ReconcileServices' && [...command.services].includes('stale/s')) await new Promise<void>((r) => (gate = r));
      },
    });
    engines.push(b);
    await apply(t.store, pool('stale', [{ cidr: '10.80.0.0/24' }], { serviceSelector: { matchLabels: { stale: 'yes' } } }));
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => (!a.pendingWork && !b.pendingWork) || undefined, { description: 'both replicas idle' });
    gated = true;
    await apply(t.store, lbService('stale', 's', { labels: { stale: 'yes' } }));
    // A allocates while B, holding the same batch, waits before deciding.
    await waitFor(() => allocationsOf(a.current, 'stale', 's').length === 1 || undefined, { description: 'A allocated' });
    await waitFor(() => gate !== null || undefined, { description: 'B about to decide' });
    await new Promise((r) => setTimeout(r, 200));
    gated = false;
    gate!();
    await waitFor(() => allocationsOf(b.current, 'stale', 's').length === 1 || undefined, { description: 'B sees the allocation' });
    expect(await conflicts()).toBeGreaterThan(before);
    const log = foldAllocations(await ipamEvents(t.store));
    expect(log.given.get('stale/s')).toEqual(['10.80.0.1']);
    expect(log.duplicates).toEqual([]);
    expect(allocationsOf(b.current, 'stale', 's')).toEqual(allocationsOf(a.current, 'stale', 's'));
    await a.stop();
    await b.stop();
  });

  it('deleting a pool releases with reason pool_deleted and moves Services to another pool', async () => {
    const e = engine('move');
    const p1 = pool('move-1', [{ cidr: '10.70.1.0/24' }], { serviceSelector: { matchLabels: { move: 'yes' } } });
    await apply(t.store, p1);
    await e.start();
    await apply(t.store, lbService('move', 'm', { labels: { move: 'yes' } }));
    await waitFor(async () => foldAllocations(await ipamEvents(t.store)).holds.get('move/m')?.size === 1 || undefined, { description: 'move/m allocated' });
    await apply(t.store, pool('move-2', [{ cidr: '10.70.2.0/24' }], { serviceSelector: { matchLabels: { move: 'yes' } } }));
    await remove(t.store, p1);
    const log = await waitFor(async () => {
      const l = foldAllocations(await ipamEvents(t.store));
      return l.holds.get('move/m')?.has('10.70.2.1') ? l : undefined;
    }, { description: 'move/m on move-2' });
    const released = (await ipamEvents(t.store)).filter((x) => x.type === 'ipam.LoadBalancerIPReleased' && (x.data as { pool: string }).pool === 'move-1');
    expect(released.map((x) => (x.data as { reason: string }).reason)).toEqual(['pool_deleted']);
    expect([...log.holds.get('move/m')!]).toEqual(['10.70.2.1']);
    await e.stop();
  });
});
