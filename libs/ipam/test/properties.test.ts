import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { selectorMatches } from '@bosun/resources';
import { decide, rangeContaining, sharingIncompatibility, DEFAULT_CONFIG, type IpamState } from '../src';
import { Fixture, snapshot, type PoolDef, type SvcDef } from './fixture';

/**
 * Random histories of pool and Service changes. After every step the fixture already checks
 * that `decide` is pure and reaches a fixed point; here we also check the allocation invariants
 * on the state, and — independently of the state — on the event log: an address is never given
 * to a Service while another Service holds it, unless both asked to share it under one key.
 */

const POOL_BLOCKS = [
  [{ cidr: '10.0.0.0/29' }],
  [{ cidr: '10.0.0.0/30' }],
  [{ start: '10.0.0.4', stop: '10.0.0.9' }],
  [{ cidr: '10.0.0.8/29' }, { cidr: 'fd00::/126' }],
  [{ cidr: 'fd00::/125' }],
  [{ start: '10.0.0.2' }],
  [{ start: '10.0.0.5', stop: '10.0.0.1' }], // invalid
];
const TIMES = ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z'];

const poolArb: fc.Arbitrary<PoolDef> = fc.record({
  name: fc.constantFrom('p1', 'p2', 'p3'),
  blocks: fc.constantFrom(...POOL_BLOCKS),
  selector: fc.constantFrom(null, { matchLabels: { color: 'red' } }, { matchExpressions: [{ key: 'color', operator: 'NotIn', values: ['red'] }] }),
  disabled: fc.boolean(),
  allowFirstLastIPs: fc.constantFrom('Yes' as const, 'No' as const),
  created: fc.constantFrom(...TIMES),
  priority: fc.constantFrom(undefined, '1', '2'),
});

const svcArb: fc.Arbitrary<SvcDef> = fc
  .record({
    ns: fc.constantFrom('n1', 'n2'),
    name: fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6'),
    type: fc.constantFrom('LoadBalancer', 'LoadBalancer', 'LoadBalancer', 'ClusterIP'),
    color: fc.constantFrom('red', 'blue'),
    request: fc.constantFrom(undefined, undefined, '10.0.0.1', '10.0.0.5', '10.0.0.8', 'fd00::1', '10.0.0.5,10.0.0.6'),
    key: fc.constantFrom(undefined, 'k1', 'k2'),
    cross: fc.constantFrom(undefined, '*'),
    port: fc.constantFrom(80, 81, 53),
    protocol: fc.constantFrom('TCP', 'UDP'),
    families: fc.constantFrom<[string | undefined, string[] | undefined]>(
      [undefined, undefined],
      ['SingleStack', ['IPv6']],
      ['PreferDualStack', undefined],
      ['RequireDualStack', ['IPv6', 'IPv4']],
    ),
    etp: fc.constantFrom<'Cluster' | 'Local'>('Cluster', 'Local'),
  })
  .map((r) => ({
    ns: r.ns,
    name: r.name,
    type: r.type,
    labels: { color: r.color },
    annotations: {
      ...(r.request ? { 'lbipam.cilium.io/ips': r.request } : {}),
      ...(r.key ? { 'lbipam.cilium.io/sharing-key': r.key } : {}),
      ...(r.cross ? { 'lbipam.cilium.io/sharing-cross-namespace': r.cross } : {}),
    },
    ports: [{ port: r.port, protocol: r.protocol }],
    externalTrafficPolicy: r.etp,
    selector: { app: r.name },
    ...(r.families[0] ? { ipFamilyPolicy: r.families[0] } : {}),
    ...(r.families[1] ? { ipFamilies: r.families[1] } : {}),
  }));

type Op = { kind: 'pool'; def: PoolDef } | { kind: 'delPool'; name: string } | { kind: 'svc'; def: SvcDef } | { kind: 'delSvc'; ns: string; name: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: poolArb.map((def) => ({ kind: 'pool' as const, def })) },
  { weight: 1, arbitrary: fc.constantFrom('p1', 'p2', 'p3').map((name) => ({ kind: 'delPool' as const, name })) },
  { weight: 6, arbitrary: svcArb.map((def) => ({ kind: 'svc' as const, def })) },
  { weight: 2, arbitrary: fc.record({ ns: fc.constantFrom('n1', 'n2'), name: fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6') }).map((r) => ({ kind: 'delSvc' as const, ...r })) },
);

/** Invariants of a reconciled state. */
const checkState = (st: IpamState): void => {
  for (const family of ['IPv4', 'IPv6'] as const) {
    for (const h of st.held[family].values()) {
      expect(h.holders.length, `${h.text} has holders`).toBeGreaterThan(0);
      const pool = st.pools.get(h.pool)!;
      expect(pool.exists && pool.active !== null, `${h.text}: pool ${h.pool} exists`).toBe(true);
      expect(rangeContaining(pool, family, h.ip), `${h.text} inside ${h.pool}`).toBeDefined();
      const specs = h.holders.map((x) => {
        const spec = st.services.get(x.service)?.spec;
        expect(spec && spec.uid === x.uid && spec.handling.handled, `${h.text}: holder ${x.service} is live`).toBe(true);
        const sel = pool.active!.serviceSelector;
        expect(sel === null || selectorMatches(sel, spec!.labels), `${h.text}: ${h.pool} selects ${x.service}`).toBe(true);
        return spec!;
      });
      for (let i = 0; i < specs.length; i++) {
        for (let j = i + 1; j < specs.length; j++) {
          expect(specs[i]!.sharingKey, `${h.text} shared without a key`).not.toBeNull();
          expect(sharingIncompatibility(specs[i]!, specs[j]!), `${h.text} shared by incompatible services`).toBeNull();
        }
      }
    }
  }
};

/** The log alone: never an Allocated for an address held by a Service with another (or no) key. */
const checkLog = (f: Fixture): void => {
  const holders = new Map<string, Map<string, string | undefined>>(); // ip → service/uid → key
  for (const e of f.log) {
    if (e.type === 'ipam.LoadBalancerIPAllocated') {
      const id = `${e.data.service.namespace}/${e.data.service.name}/${e.data.service.uid}`;
      const cur = holders.get(e.data.ip) ?? new Map<string, string | undefined>();
      for (const [other, key] of cur) {
        if (other === id) continue;
        expect(e.data.sharingKey, `${e.data.ip} given to ${id} while ${other} holds it`).toBeDefined();
        expect(key, `${e.data.ip} given to ${id} while ${other} holds it with another key`).toBe(e.data.sharingKey);
      }
      cur.set(id, e.data.sharingKey);
      holders.set(e.data.ip, cur);
    } else if (e.type === 'ipam.LoadBalancerIPReleased') {
      const id = `${e.data.service.namespace}/${e.data.service.name}/${e.data.service.uid}`;
      const cur = holders.get(e.data.ip);
      expect(cur?.has(id), `${e.data.ip} released by ${id}, who did not hold it`).toBe(true);
      cur!.delete(id);
    }
  }
};

describe('LB IPAM properties', () => {
  it('no address is ever given twice; decide is pure, converges, and replays to the same state', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const f = new Fixture(DEFAULT_CONFIG);
        for (const op of ops) {
          if (op.kind === 'pool') f.applyPool(op.def);
          else if (op.kind === 'delPool') f.deletePool(op.name);
          else if (op.kind === 'svc') f.applyService(op.def);
          else f.deleteService(op.ns, op.name);
          checkState(f.state);
        }
        checkLog(f);
        const replayed = f.replay();
        expect(snapshot(replayed)).toBe(snapshot(f.state));
        // Another replica reads each decision stream by stream: the same state.
        expect(snapshot(f.replay({ byStream: true }))).toBe(snapshot(f.state));
        expect(decide({ type: 'ReconcileAll' }, replayed)).toEqual([]);
      }),
      { numRuns: 1500, seed: 42 },
    );
  });
});
