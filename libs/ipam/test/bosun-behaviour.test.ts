import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { admit } from '@bosun/resources';
import type { IpamEvent } from '@bosun/contracts';
import { allocationsOf, decide, evolve, initialState, parseAddress, parseCidr, serviceKey, DEFAULT_CONFIG, type IpamStateEvent } from '../src';
import { Fixture, snapshot, T0 } from './fixture';

const seed = (file: string): Record<string, unknown> => {
  const r = admit(parse(readFileSync(join(__dirname, '..', '..', '..', 'examples', 'talk', file), 'utf8')), { operation: 'create' });
  if (!r.ok) throw new Error(JSON.stringify(r.causes));
  return r.object;
};

/** The LoadBalancer Service the gateway-translator makes for gateway-blue (labels from spec.infrastructure). */
const gatewayService = (): Record<string, unknown> => {
  const r = admit(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'cilium-gateway-gateway-blue', namespace: 'tenant-blue', labels: { color: 'blue', 'io.cilium.gateway/owning-gateway': 'gateway-blue' } },
      spec: { type: 'LoadBalancer', ports: [{ name: 'port-80', port: 80, protocol: 'TCP' }] },
    },
    { operation: 'create' },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.causes));
  return r.object;
};

const types = (events: IpamEvent[]): string[] => events.map((e) => e.type);

describe('the talk: ip-pool-blue, service-blue and the gateway Service', () => {
  it('given the seed pool and service-blue, when a Service labelled color=blue arrives, then it gets 20.0.10.1 and service-blue gets no_pool; nothing else changes', () => {
    const f = new Fixture();
    const poolEvents = f.applyObject(seed('05-lb-ip-pool.yaml'));
    // A new pool reports "no conflict" and its counts: /24 with first and last reserved.
    expect(types(poolEvents)).toEqual(['ipam.PoolConflictResolved', 'ipam.PoolStatusChanged']);
    expect(f.state.pools.get('ip-pool-blue')!.report.status).toMatchObject({ total: '256', available: '254', used: '2' });

    const blue = f.applyObject(seed('06-service-blue.yaml'));
    expect(blue).toEqual([
      {
        type: 'ipam.ServiceIPAMConditionChanged',
        data: {
          service: { namespace: 'blue', name: 'service-blue', uid: expect.any(String) },
          observedGeneration: 1,
          status: 'False',
          reason: 'no_pool',
          message: 'There are no enabled CiliumLoadBalancerIPPools that match this service',
        },
      },
    ]);

    const gw = f.applyObject(gatewayService());
    expect(types(gw)).toEqual(['ipam.LoadBalancerIPAllocated', 'ipam.ServiceIPAMConditionChanged', 'ipam.PoolStatusChanged']);
    expect(gw[0]!.data).toMatchObject({ pool: 'ip-pool-blue', ip: '20.0.10.1', family: 'IPv4', service: { namespace: 'tenant-blue', name: 'cilium-gateway-gateway-blue' } });
    expect(f.condition('tenant-blue', 'cilium-gateway-gateway-blue')).toEqual({ status: 'True', reason: 'satisfied', message: '' });
    expect(f.ips('blue', 'service-blue')).toEqual([]);
    expect(f.condition('blue', 'service-blue')).toMatchObject({ status: 'False', reason: 'no_pool' });
    expect(f.state.pools.get('ip-pool-blue')!.report.status).toMatchObject({ total: '256', available: '253', used: '3' });
  });

  it('given the same manifests in any order, then the same outcome', () => {
    const objects = [seed('05-lb-ip-pool.yaml'), seed('06-service-blue.yaml'), gatewayService()];
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
    ]) {
      const f = new Fixture();
      for (const i of order) f.applyObject(objects[i]!);
      expect(f.ips('tenant-blue', 'cilium-gateway-gateway-blue'), `order ${order}`).toEqual(['20.0.10.1']);
      expect(f.condition('blue', 'service-blue')?.reason, `order ${order}`).toBe('no_pool');
    }
  });
});

describe('deterministic choice', () => {
  it('given several pools select a Service, then bosun.io/pool-priority (lower first), then creation time, then name decide', () => {
    const f = new Fixture();
    f.applyPool({ name: 'z-old', blocks: [{ cidr: '10.0.1.0/24' }], created: '2022-01-01T00:00:00Z' });
    f.applyPool({ name: 'a-new', blocks: [{ cidr: '10.0.2.0/24' }], created: '2023-01-01T00:00:00Z' });
    f.applyService({ name: 's1' });
    expect(f.ips('default', 's1')).toEqual(['10.0.1.1']); // older first, though its name sorts last
    f.applyPool({ name: 'm-prio', blocks: [{ cidr: '10.0.3.0/24' }], created: '2024-01-01T00:00:00Z', priority: '10' });
    f.applyService({ name: 's2' });
    expect(f.ips('default', 's2')).toEqual(['10.0.3.1']); // a priority beats no priority
    f.applyPool({ name: 'n-prio', blocks: [{ cidr: '10.0.4.0/24' }], created: '2024-01-01T00:00:00Z', priority: '-5' });
    f.applyService({ name: 's3' });
    expect(f.ips('default', 's3')).toEqual(['10.0.4.1']); // lower first
    f.applyPool({ name: 'a-same', blocks: [{ cidr: '10.0.5.0/24' }], created: '2024-01-01T00:00:00Z', priority: '-5' });
    f.applyService({ name: 's4' });
    expect(f.ips('default', 's4')).toEqual(['10.0.5.1']); // same priority and time: by name
    // Existing allocations never move because a better pool appeared.
    expect([f.ips('default', 's1'), f.ips('default', 's2'), f.ips('default', 's3')]).toEqual([['10.0.1.1'], ['10.0.3.1'], ['10.0.4.1']]);
  });

  it('given a fragmented pool, then the lowest free address is taken', () => {
    const f = new Fixture();
    f.applyPool({ name: 'p', blocks: [{ start: '10.0.0.10', stop: '10.0.0.20' }] });
    for (const n of ['a', 'b', 'c', 'd']) f.applyService({ name: n });
    expect(['a', 'b', 'c', 'd'].map((n) => f.ips('default', n)[0])).toEqual(['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.13']);
    f.deleteService('default', 'c');
    f.deleteService('default', 'a');
    f.applyService({ name: 'e' });
    expect(f.ips('default', 'e')).toEqual(['10.0.0.10']);
  });

  it('given start alone, then the block is one address (never reserved)', () => {
    const f = new Fixture();
    f.applyPool({ name: 'p', blocks: [{ start: '10.0.0.7' }] });
    f.applyService({ name: 'a' });
    f.applyService({ name: 'b' });
    expect(f.ips('default', 'a')).toEqual(['10.0.0.7']);
    expect(f.condition('default', 'b')).toMatchObject({ status: 'False', reason: 'out_of_ips' });
  });

  it('given the same inputs in another order of Services, then every Service gets the same address (replicas agree)', () => {
    const build = (names: string[]): string[] => {
      const s = initialState();
      const f = new Fixture();
      let st = evolve(s, f.poolEvent({ name: 'p', blocks: [{ cidr: '10.0.0.0/28' }] }));
      const keys: string[] = [];
      for (const n of names) {
        st = evolve(st, f.serviceEvent({ name: n, created: '2024-01-01T00:00:00Z' }));
        keys.push(serviceKey('default', n));
      }
      for (const e of decide({ type: 'ReconcileServices', services: keys }, st)) st = evolve(st, e);
      return ['a', 'b', 'c', 'd'].map((n) => allocationsOf(st, 'default', n)[0]!.ip);
    };
    expect(build(['d', 'c', 'b', 'a'])).toEqual(build(['a', 'b', 'c', 'd']));
  });
});

describe('change without reshuffle (cilium#40358, #41458, #43131)', () => {
  it('given satisfied and unsatisfied Services, when the pool widens, then no satisfied Service moves', () => {
    const f = new Fixture();
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/30' }] }); // two usable addresses
    for (const n of ['a', 'b', 'c', 'd']) f.applyService({ name: n });
    const before = ['a', 'b'].map((n) => f.ips('default', n));
    expect(before).toEqual([['10.0.0.1'], ['10.0.0.2']]);
    expect(f.condition('default', 'c')?.reason).toBe('out_of_ips');
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/29' }] });
    expect(['a', 'b'].map((n) => f.ips('default', n))).toEqual(before);
    expect(['c', 'd'].map((n) => f.ips('default', n))).toEqual([['10.0.0.3'], ['10.0.0.4']]);
    expect(f.last.filter((e) => e.type === 'ipam.LoadBalancerIPReleased')).toEqual([]);
  });

  it('given a pool shrinks, then only Services outside the new range move, each release with its reason', () => {
    const f = new Fixture();
    f.applyPool({ name: 'p', blocks: [{ start: '10.0.0.1', stop: '10.0.0.10' }] });
    for (const n of ['a', 'b', 'c', 'd', 'e']) f.applyService({ name: n });
    f.applyPool({ name: 'p', blocks: [{ start: '10.0.0.3', stop: '10.0.0.10' }] });
    expect(['a', 'b', 'c', 'd', 'e'].map((n) => f.ips('default', n)[0])).toEqual(['10.0.0.6', '10.0.0.7', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
    const released = f.last.flatMap((e) => (e.type === 'ipam.LoadBalancerIPReleased' ? [[e.data.ip, e.data.reason]] : []));
    expect(released).toEqual([
      ['10.0.0.1', 'range_removed'],
      ['10.0.0.2', 'range_removed'],
    ]);
  });

  it('given a selector change, then Services still selected keep their address and the others are released', () => {
    const f = new Fixture();
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/24' }], selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] } });
    f.applyService({ name: 'a', labels: { tier: 'a' } });
    f.applyService({ name: 'b', labels: { tier: 'b' } });
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/24' }], selector: { matchLabels: { tier: 'b' } } });
    expect(f.ips('default', 'b')).toEqual(['10.0.0.2']);
    expect(f.ips('default', 'a')).toEqual([]);
    expect(f.condition('default', 'a')?.reason).toBe('no_pool');
  });

  it('given allowFirstLastIPs goes from "Yes" to "No", then a Service holding the first address keeps it; once freed it is reserved', () => {
    const f = new Fixture();
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/30' }], allowFirstLastIPs: 'Yes' });
    f.applyService({ name: 'a' });
    expect(f.ips('default', 'a')).toEqual(['10.0.0.0']);
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/30' }], allowFirstLastIPs: 'No' });
    expect(f.ips('default', 'a')).toEqual(['10.0.0.0']);
    expect(f.counts('p')).toEqual({ total: '4', available: '2', used: '2' });
    f.deleteService('default', 'a');
    expect(f.counts('p')).toEqual({ total: '4', available: '2', used: '2' });
    f.applyService({ name: 'b' });
    expect(f.ips('default', 'b')).toEqual(['10.0.0.1']);
  });

  it('given a restart, when the state is rebuilt from the events, then nothing is decided and no address changes', () => {
    const f = new Fixture();
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/24' }, { cidr: 'fd00::/120' }] });
    for (let i = 0; i < 20; i++) f.applyService({ name: `s${i}`, ipFamilyPolicy: i % 3 ? 'SingleStack' : 'PreferDualStack' });
    f.deleteService('default', 's3');
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/25' }, { cidr: 'fd00::/120' }] });
    const rebuilt = f.replay();
    expect(snapshot(rebuilt)).toBe(snapshot(f.state));
    expect(decide({ type: 'ReconcileAll' }, rebuilt)).toEqual([]);
  });
});

describe('bad input', () => {
  it('given a bad block, then the pool reports it as a condition and nothing of that spec is applied', () => {
    const f = new Fixture();
    const ev = f.applyPool({ name: 'p', blocks: [{ start: '10.0.0.9', stop: '10.0.0.1' }, { start: '10.0.0.1', stop: 'fd00::1' }, { cidr: '10.0.0.0/33' }] });
    expect(ev[0]).toEqual({
      type: 'ipam.PoolSpecRejected',
      data: {
        pool: 'p',
        observedGeneration: 1,
        errors: [
          { field: 'spec.blocks[0]', message: "start '10.0.0.9' is after stop '10.0.0.1'" },
          { field: 'spec.blocks[1]', message: "start '10.0.0.1' (IPv4) and stop 'fd00::1' (IPv6) are of different families" },
          { field: 'spec.blocks[2].cidr', message: "'10.0.0.0/33' is not a valid CIDR" },
        ],
      },
    });
    f.applyService({ name: 'a' });
    expect(f.condition('default', 'a')?.reason).toBe('no_pool');
    // Fixed: accepted, and the Service is served.
    const fixed = f.applyPool({ name: 'p', blocks: [{ start: '10.0.0.1', stop: '10.0.0.9' }] });
    expect(fixed[0]).toEqual({ type: 'ipam.PoolSpecAccepted', data: { pool: 'p', observedGeneration: 2 } });
    expect(f.ips('default', 'a')).toEqual(['10.0.0.1']);
    // Broken again: the last valid spec stays in force; nobody loses an address.
    const broken = f.applyPool({ name: 'p', blocks: [{ start: '10.0.0.5', stop: '10.0.0.2' }] });
    expect(broken.find((e) => e.type === 'ipam.PoolSpecRejected')?.data).toMatchObject({ observedGeneration: 3, activeGeneration: 2 });
    expect(broken.filter((e) => e.type === 'ipam.LoadBalancerIPReleased')).toEqual([]);
    expect(f.ips('default', 'a')).toEqual(['10.0.0.1']);
  });

  it('given a bad pool priority or selector, then the field is named', () => {
    const f = new Fixture();
    const ev = f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/24' }], priority: 'high', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } });
    expect(ev.find((e) => e.type === 'ipam.PoolSpecRejected')?.data).toMatchObject({
      errors: [
        { field: 'spec.serviceSelector.matchExpressions[0].values', message: 'must be non-empty when operator is In' },
        { field: 'metadata.annotations[bosun.io/pool-priority]', message: "'high' is not an integer" },
      ],
    });
  });

  it('given an unparsable requested address, then nothing new is allocated, existing addresses stay, and the condition names the field', () => {
    const f = new Fixture();
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/24' }] });
    f.applyService({ name: 'a' });
    expect(f.ips('default', 'a')).toEqual(['10.0.0.1']);
    f.applyService({ name: 'a', annotations: { 'lbipam.cilium.io/ips': '10.0.0.5, 10.0.0.x' } });
    expect(f.ips('default', 'a')).toEqual(['10.0.0.1']);
    expect(f.condition('default', 'a')).toEqual({
      status: 'False',
      reason: 'invalid_request',
      message: "metadata.annotations[lbipam.cilium.io/ips]: '10.0.0.x' is not an IP address",
    });
    f.applyService({ name: 'a', annotations: { 'lbipam.cilium.io/ips': '10.0.0.5' } });
    expect(f.ips('default', 'a')).toEqual(['10.0.0.5']);
  });

  it('given a Service with garbage in its spec, then nothing throws', () => {
    const f = new Fixture();
    f.applyPool({ name: 'p', blocks: [{ cidr: '10.0.0.0/24' }] });
    expect(() =>
      f.applyObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', namespace: 'default', labels: 7 }, spec: { type: 'LoadBalancer', ports: 'nope', ipFamilies: {} } }),
    ).not.toThrow();
    expect(f.ips('default', 'x')).toEqual(['10.0.0.1']);
  });
});

describe('scale: 10k Services across two IPv4 /16 and one IPv6 /64', () => {
  it('given 10k Services, then all are allocated, unique, each inside a pool that selects it', () => {
    let st = initialState(DEFAULT_CONFIG);
    const f = new Fixture(DEFAULT_CONFIG, false);
    const pools = [
      f.poolEvent({ name: 'v4-a', blocks: [{ cidr: '10.1.0.0/16' }], selector: { matchLabels: { tier: 'a' } } }),
      f.poolEvent({ name: 'v4-b', blocks: [{ cidr: '10.2.0.0/16' }], selector: { matchLabels: { tier: 'b' } } }),
      f.poolEvent({ name: 'v6', blocks: [{ cidr: '2001:db8:1::/64' }] }),
    ];
    for (const p of pools) st = evolve(st, p);
    const N = 10_000;
    const keys: string[] = [];
    const specs = new Map<string, { tier: string; families: string[] }>();
    for (let i = 0; i < N; i++) {
      const tier = i % 2 ? 'a' : 'b';
      const families = i % 5 === 0 ? ['IPv4', 'IPv6'] : i % 7 === 0 ? ['IPv6'] : ['IPv4'];
      const ev: IpamStateEvent = f.serviceEvent({
        ns: `ns-${i % 50}`,
        name: `svc-${i}`,
        labels: { tier },
        ipFamilies: families,
        ipFamilyPolicy: families.length === 2 ? 'RequireDualStack' : 'SingleStack',
        created: T0,
      });
      st = evolve(st, ev);
      keys.push(serviceKey(`ns-${i % 50}`, `svc-${i}`));
      specs.set(keys[i]!, { tier, families });
    }
    const events = decide({ type: 'ReconcileServices', services: keys }, st);
    for (const e of events) st = evolve(st, e);

    const seen = new Set<string>();
    const ranges = { 'v4-a': parseCidr('10.1.0.0/16')!, 'v4-b': parseCidr('10.2.0.0/16')!, v6: parseCidr('2001:db8:1::/64')! };
    let allocations = 0;
    for (const key of keys) {
      const [ns, name] = key.split('/') as [string, string];
      const want = specs.get(key)!;
      const got = allocationsOf(st, ns, name);
      expect(got.map((a) => a.family).sort(), key).toEqual([...want.families].sort());
      for (const a of got) {
        allocations++;
        expect(seen.has(a.ip), `${a.ip} given twice`).toBe(false);
        seen.add(a.ip);
        const pool = a.family === 'IPv6' ? 'v6' : `v4-${want.tier}`;
        expect(a.pool, key).toBe(pool);
        const r = ranges[pool as keyof typeof ranges];
        const addr = parseAddress(a.ip)!;
        expect(r.from <= addr.value && addr.value <= r.to, `${a.ip} inside ${pool}`).toBe(true);
      }
      expect(st.services.get(key)!.condition?.status, key).toBe('True');
    }
    expect(allocations).toBe(seen.size);
    expect(allocations).toBeGreaterThan(N);
    // A second decide has nothing left to do.
    expect(decide({ type: 'ReconcileAll' }, st)).toEqual([]);
  });
});

describe('overlapping pools', () => {
  it('given an older pool is edited to overlap a newer one that holds addresses, then the newer one conflicts, keeps its Services, and no address is handed out twice', () => {
    const f = new Fixture();
    f.applyPool({ name: 'old', blocks: [{ cidr: '10.0.1.0/24' }], created: '2024-01-01T00:00:00Z', selector: { matchLabels: { team: 'y' } } });
    f.applyPool({ name: 'new', blocks: [{ start: '10.0.0.1', stop: '10.0.0.3' }], created: '2024-06-01T00:00:00Z', selector: { matchLabels: { team: 'x' } } });
    f.applyService({ name: 'x1', labels: { team: 'x' }, created: '2024-06-02T00:00:00Z' });
    expect(f.ips('default', 'x1')).toEqual(['10.0.0.1']);
    // The old pool now covers the new one's addresses.
    f.applyPool({ name: 'old', blocks: [{ start: '10.0.0.1', stop: '10.0.0.2' }], created: '2024-01-01T00:00:00Z', selector: { matchLabels: { team: 'y' } } });
    expect(f.state.pools.get('new')!.report.conflict).toMatchObject({ conflicting: true });
    expect(f.ips('default', 'x1')).toEqual(['10.0.0.1']);
    f.applyService({ name: 'y1', labels: { team: 'y' }, created: '2024-06-03T00:00:00Z' });
    expect(f.ips('default', 'y1')).toEqual(['10.0.0.2']);
    f.applyService({ name: 'y2', labels: { team: 'y' }, created: '2024-06-04T00:00:00Z' });
    expect(f.ips('default', 'y2')).toEqual([]);
    expect(f.condition('default', 'y2')?.reason).toBe('out_of_ips');
  });
});
