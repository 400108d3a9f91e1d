import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@bosun/contracts';
import { ipamStatusProjector } from './ipam';

let position = 0;
const event = (type: string, data: unknown, occurredAt = '2026-01-01T00:00:00.123Z'): EventEnvelope => ({
  id: `e${++position}`,
  type,
  version: 1,
  streamId: 'ipam-pool-p',
  streamVersion: position,
  position,
  occurredAt,
  correlationId: 'c',
  causationId: null,
  traceparent: null,
  data,
});

const fold = (events: EventEnvelope[], initial?: Record<string, unknown>): Record<string, unknown> | undefined =>
  events.reduce<Record<string, unknown> | undefined>((status, e) => {
    const changes = ipamStatusProjector.project(e);
    expect(changes).toHaveLength(1);
    return changes[0]!.update(status);
  }, initial);

const svc = { namespace: 'tenant-blue', name: 'cilium-gateway-gateway-blue', uid: 'u1' };

describe('ipam status projection', () => {
  it('given an allocation and a satisfied condition, then the Service shows the ingress (VIP) and the condition', () => {
    const status = fold([
      event('ipam.LoadBalancerIPAllocated', { pool: 'ip-pool-blue', service: svc, ip: '20.0.10.1', family: 'IPv4', origin: 'family' }),
      event('ipam.ServiceIPAMConditionChanged', { service: svc, observedGeneration: 1, status: 'True', reason: 'satisfied', message: '' }),
    ]);
    expect(status).toEqual({
      loadBalancer: { ingress: [{ ip: '20.0.10.1', ipMode: 'VIP' }] },
      conditions: [
        { type: 'cilium.io/IPAMRequestSatisfied', status: 'True', reason: 'satisfied', message: '', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
    });
    expect(ipamStatusProjector.project(event('ipam.LoadBalancerIPAllocated', { pool: 'p', service: svc, ip: '20.0.10.1', family: 'IPv4', origin: 'family' }))[0]!.key).toEqual({
      group: '',
      kind: 'Service',
      namespace: 'tenant-blue',
      name: 'cilium-gateway-gateway-blue',
    });
  });

  it('given a release, then the address leaves the ingress; a removed condition disappears', () => {
    const status = fold([
      event('ipam.LoadBalancerIPAllocated', { pool: 'p', service: svc, ip: '10.0.0.1', family: 'IPv4', origin: 'family' }),
      event('ipam.LoadBalancerIPAllocated', { pool: 'p', service: svc, ip: 'fd00::1', family: 'IPv6', origin: 'family' }),
      event('ipam.ServiceIPAMConditionChanged', { service: svc, observedGeneration: 1, status: 'True', reason: 'satisfied', message: '' }),
      event('ipam.LoadBalancerIPReleased', { pool: 'p', service: svc, ip: '10.0.0.1', family: 'IPv4', reason: 'family_not_requested', message: '' }),
    ]);
    expect(status!['loadBalancer']).toEqual({ ingress: [{ ip: 'fd00::1', ipMode: 'VIP' }] });
    const after = fold(
      [
        event('ipam.LoadBalancerIPReleased', { pool: 'p', service: svc, ip: 'fd00::1', family: 'IPv6', reason: 'service_not_load_balancer', message: '' }),
        event('ipam.ServiceIPAMConditionRemoved', { service: svc }),
      ],
      status,
    );
    expect(after).toEqual({ loadBalancer: {} });
  });

  it('given the same condition again, then the status object is unchanged; a new status keeps no old transition time', () => {
    const first = fold([event('ipam.ServiceIPAMConditionChanged', { service: svc, observedGeneration: 1, status: 'False', reason: 'no_pool', message: 'm' }, '2026-01-01T00:00:00Z')]);
    const same = ipamStatusProjector.project(event('ipam.ServiceIPAMConditionChanged', { service: svc, observedGeneration: 1, status: 'False', reason: 'no_pool', message: 'm' }, '2026-01-02T00:00:00Z'))[0]!.update(first);
    expect(same).toBe(first);
    const reason = fold([event('ipam.ServiceIPAMConditionChanged', { service: svc, observedGeneration: 2, status: 'False', reason: 'out_of_ips', message: 'x' }, '2026-01-03T00:00:00Z')], first);
    expect((reason!['conditions'] as Array<{ lastTransitionTime: string }>)[0]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    const flipped = fold([event('ipam.ServiceIPAMConditionChanged', { service: svc, observedGeneration: 2, status: 'True', reason: 'satisfied', message: '' }, '2026-01-04T00:00:00Z')], reason);
    expect((flipped!['conditions'] as Array<{ lastTransitionTime: string }>)[0]!.lastTransitionTime).toBe('2026-01-04T00:00:00Z');
  });

  it('given pool events, then the pool shows Cilium conditions (counts as messages, conflict, Bosun invalid spec)', () => {
    const status = fold([
      event('ipam.PoolConflictResolved', { pool: 'ip-pool-blue', observedGeneration: 1 }),
      event('ipam.PoolStatusChanged', { pool: 'ip-pool-blue', observedGeneration: 1, total: '256', available: '253', used: '3', families: { IPv4: { total: '256', available: '253', used: '3' } } }),
    ]);
    expect(status).toEqual({
      conditions: [
        { type: 'cilium.io/PoolConflict', status: 'False', reason: 'resolved', message: '', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'cilium.io/IPsTotal', status: 'Unknown', reason: 'noreason', message: '256', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'cilium.io/IPsAvailable', status: 'Unknown', reason: 'noreason', message: '253', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'cilium.io/IPsUsed', status: 'Unknown', reason: 'noreason', message: '3', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
    });
    const conflicted = fold(
      [
        event('ipam.PoolConflictDetected', { pool: 'ip-pool-blue', observedGeneration: 2, range: 'a', conflictingPool: 'x', conflictingRange: 'b', message: "Pool conflicts since range 'a' overlaps range 'b' from IP Pool 'x'" }),
        event('ipam.PoolSpecRejected', { pool: 'ip-pool-blue', observedGeneration: 3, activeGeneration: 2, errors: [{ field: 'spec.blocks[0]', message: "start '10.0.0.9' is after stop '10.0.0.1'" }] }),
      ],
      status,
    );
    const conds = conflicted!['conditions'] as Array<{ type: string; status: string; reason: string; message: string }>;
    expect(conds.find((c) => c.type === 'cilium.io/PoolConflict')).toMatchObject({ status: 'True', reason: 'cidr_overlap' });
    expect(conds.find((c) => c.type === 'bosun.io/InvalidSpec')).toMatchObject({
      status: 'True',
      reason: 'invalid_spec',
      message: "spec.blocks[0]: start '10.0.0.9' is after stop '10.0.0.1' (generation 2 stays in force)",
    });
  });

  it('summarizes its events for describe', () => {
    expect(ipamStatusProjector.summarize!(event('ipam.LoadBalancerIPAllocated', { pool: 'ip-pool-blue', service: svc, ip: '20.0.10.1', family: 'IPv4', origin: 'family' }))).toBe(
      '20.0.10.1 allocated from pool ip-pool-blue',
    );
    expect(
      ipamStatusProjector.summarize!(event('ipam.LoadBalancerIPReleased', { pool: 'p', service: svc, ip: '10.0.0.1', family: 'IPv4', reason: 'pool_selector_mismatch', message: "The pool 'p' no longer selects this service" })),
    ).toBe("10.0.0.1 released to pool p: pool_selector_mismatch (The pool 'p' no longer selects this service)");
    expect(ipamStatusProjector.summarize!(event('ipam.ServiceIPAMConditionChanged', { service: svc, observedGeneration: 1, status: 'False', reason: 'no_pool', message: 'There are no enabled CiliumLoadBalancerIPPools that match this service' }))).toBe(
      'IPAMRequestSatisfied=False no_pool: There are no enabled CiliumLoadBalancerIPPools that match this service',
    );
    expect(ipamStatusProjector.summarize!(event('bgp.NodeStatusReported', {}))).toBeUndefined();
  });

  it('ignores other events', () => {
    expect(ipamStatusProjector.project(event('bgp.NodeStatusReported', {}))).toEqual([]);
  });
});
