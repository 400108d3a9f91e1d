import { describe, expect, it } from 'vitest';
import type { EventEnvelope, IpamEvent } from '@bosun/contracts';
import { appendPlan } from '@bosun/ipam';
import { loadConfig } from './config';
import { runsByCause } from './engine';

const cause = (id: string, ref: { group: string; kind: string; namespace: string; name: string }): EventEnvelope => ({
  id,
  type: 'resource.Applied',
  version: 1,
  streamId: `s-${id}`,
  streamVersion: 1,
  position: 1,
  occurredAt: '2026-01-01T00:00:00Z',
  correlationId: `corr-${id}`,
  causationId: null,
  traceparent: null,
  data: { ref: { ...ref, uid: id } },
});
const svcRef = (name: string) => ({ group: '', kind: 'Service', namespace: 'ns', name });
const alloc = (name: string, ip: string, pool = 'p'): IpamEvent => ({
  type: 'ipam.LoadBalancerIPAllocated',
  data: { pool, service: { namespace: 'ns', name, uid: name }, ip, family: 'IPv4', origin: 'family' },
});
const release = (name: string, ip: string, pool: string): IpamEvent => ({
  type: 'ipam.LoadBalancerIPReleased',
  data: { pool, service: { namespace: 'ns', name, uid: name }, ip, family: 'IPv4', reason: 'pool_deleted', message: '' },
});
const status = (pool = 'p'): IpamEvent => ({
  type: 'ipam.PoolStatusChanged',
  data: { pool, observedGeneration: 1, total: '4', available: '2', used: '2', families: {} },
});

describe('runs by cause', () => {
  it('given events of two Services changed in one batch, then each run carries its own cause, in order', () => {
    const a = cause('a', svcRef('a'));
    const b = cause('b', svcRef('b'));
    const runs = runsByCause([alloc('a', '10.0.0.1'), alloc('b', '10.0.0.2'), status()], [a, b]);
    expect(runs.map((r) => [r.cause?.id, r.events.map((e) => e.type)])).toEqual([
      ['a', ['ipam.LoadBalancerIPAllocated']],
      ['b', ['ipam.LoadBalancerIPAllocated', 'ipam.PoolStatusChanged']],
    ]);
  });

  it('given a pool change moved Services, then their events belong to the pool change', () => {
    const p = cause('p', { group: 'cilium.io', kind: 'CiliumLoadBalancerIPPool', namespace: '', name: 'p' });
    const runs = runsByCause([alloc('x', '10.0.0.1'), alloc('y', '10.0.0.2'), status()], [p]);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.cause?.id).toBe('p');
  });

  it('given a burst of many changes, then one run (few appends beat exact correlation)', () => {
    const causes = Array.from({ length: 10 }, (_, i) => cause(`c${i}`, svcRef(`s${i}`)));
    const runs = runsByCause(
      causes.map((_, i) => alloc(`s${i}`, `10.0.0.${i + 1}`)),
      causes,
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]!.events).toHaveLength(10);
  });
});

describe('append plan', () => {
  it('given a decision over several pools, then one append per stream, streams sorted', () => {
    const plan = appendPlan([alloc('a', '10.0.1.1', 'b-pool'), alloc('b', '10.0.0.1', 'a-pool'), status('b-pool')]);
    expect(plan.map((p) => [p.stream, p.events.length])).toEqual([
      ['ipam-pool-a-pool', 1],
      ['ipam-pool-b-pool', 2],
    ]);
  });

  it('given an address moving between overlapping pools, then the appends keep the decision order (release first)', () => {
    const plan = appendPlan([release('a', '10.0.0.4', 'z-old'), alloc('a', '10.0.0.4', 'a-new'), status('z-old')]);
    expect(plan.map((p) => [p.stream, p.events.map((e) => e.type)])).toEqual([
      ['ipam-pool-z-old', ['ipam.LoadBalancerIPReleased']],
      ['ipam-pool-a-new', ['ipam.LoadBalancerIPAllocated']],
      ['ipam-pool-z-old', ['ipam.PoolStatusChanged']],
    ]);
  });
});

describe('configuration', () => {
  it('defaults', () => {
    const c = loadConfig({ BOSUN_IPAM_INSTANCE: 'r1' });
    expect(c).toMatchObject({ httpListen: '127.0.0.1:9101', instance: 'r1', batchSize: 1000 });
    expect(c.ipam).toMatchObject({ ipv4Enabled: true, ipv6Enabled: true, handleClasslessServices: true, protocolDifferentiation: true });
  });

  it('bad values name the variable', () => {
    expect(() => loadConfig({ BOSUN_IPAM_FAMILIES: 'IPv4,IPv5' })).toThrow('BOSUN_IPAM_FAMILIES: "IPv5" is not IPv4 or IPv6');
    expect(() => loadConfig({ BOSUN_IPAM_CLASSLESS: 'maybe' })).toThrow('BOSUN_IPAM_CLASSLESS: "maybe" is not a boolean');
    expect(() => loadConfig({ BOSUN_IPAM_BATCH: '0' })).toThrow('BOSUN_IPAM_BATCH');
    expect(() => loadConfig({ BOSUN_IPAM_INSTANCE: 'a b' })).toThrow('BOSUN_IPAM_INSTANCE');
  });
});
