import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@bosun/contracts';
import { L2_ANNOUNCED_CONDITION, l2StatusProjector } from './l2';

let position = 0;
const event = (type: string, data: Record<string, unknown>, occurredAt = '2026-11-26T10:00:00.123Z'): EventEnvelope => ({
  id: `e${++position}`,
  type,
  version: 1,
  streamId: 'l2-lease-tenant-blue.gateway',
  streamVersion: position,
  position,
  occurredAt,
  correlationId: 'c',
  causationId: null,
  traceparent: null,
  data,
});
const service = { namespace: 'tenant-blue', name: 'gateway' };
const acquired = (address: string, node: string, fencingToken: number, previousHolder: string | null = null) =>
  event('l2.LeaseAcquired', { service, address, node, fencingToken, interfaces: ['eth0'], previousHolder, leaseTransitions: fencingToken - 1, leaseDurationSeconds: 3, acquiredAt: '2026-11-26T10:00:00.1Z' });
const lost = (address: string, node: string, fencingToken: number, reason = 'shutdown') => event('l2.LeaseLost', { service, address, node, fencingToken, reason });

/** Folds events through the projector the way the API's object view does. */
const fold = (events: EventEnvelope[]) => {
  const objects = new Map<string, Record<string, unknown> | undefined>();
  for (const e of events) {
    for (const c of l2StatusProjector.project(e)) {
      const k = `${c.key.group}/${c.key.kind}/${c.key.namespace}/${c.key.name}`;
      objects.set(k, c.update(objects.get(k)));
    }
  }
  return {
    lease: objects.get('coordination.k8s.io/Lease/kube-system/cilium-l2announce-tenant-blue-gateway') as any,
    service: objects.get('/Service/tenant-blue/gateway') as any,
  };
};

describe('l2 status projection', () => {
  it('shows a Cilium-style Lease: holder, MicroTime acquire time, duration, transitions', () => {
    const { lease } = fold([acquired('20.0.10.1', 'node-b', 1)]);
    expect(lease.spec).toEqual({ holderIdentity: 'node-b', leaseDurationSeconds: 3, acquireTime: '2026-11-26T10:00:00.100000Z', renewTime: '2026-11-26T10:00:00.123000Z', leaseTransitions: 0 });
    expect(lease.status.addresses).toEqual([{ address: '20.0.10.1', holder: 'node-b', interfaces: ['eth0'], fencingToken: 1, leaseTransitions: 0, acquireTime: '2026-11-26T10:00:00.100000Z' }]);
  });

  it('follows a failover and ignores the late loss of the old holder (lower fencing token)', () => {
    const { lease, service: svc } = fold([acquired('20.0.10.1', 'node-b', 1), acquired('20.0.10.1', 'node-c', 2, 'node-b'), lost('20.0.10.1', 'node-b', 1, 'renew-deadline')]);
    expect(lease.spec.holderIdentity).toBe('node-c');
    expect(lease.status.addresses[0]).toMatchObject({ holder: 'node-c', fencingToken: 2 });
    expect(svc.conditions).toEqual([expect.objectContaining({ type: L2_ANNOUNCED_CONDITION, status: 'True', message: '20.0.10.1 by node-c on eth0' })]);
  });

  it('ignores an acquisition older than the one recorded', () => {
    const { lease } = fold([acquired('20.0.10.1', 'node-c', 5), acquired('20.0.10.1', 'node-b', 4)]);
    expect(lease.spec.holderIdentity).toBe('node-c');
  });

  it('empties the holder when the lease is given up, and the Service condition turns False', () => {
    const { lease, service: svc } = fold([acquired('20.0.10.1', 'node-b', 1), lost('20.0.10.1', 'node-b', 1, 'not-selected')]);
    expect(lease.spec.holderIdentity).toBe('');
    expect(lease.status.addresses[0]).toMatchObject({ holder: '', lostReason: 'not-selected' });
    expect(svc.conditions[0]).toMatchObject({ status: 'False', reason: 'NotAnnounced' });
  });

  it('keeps one entry per address (IPv4 first) and the Service condition lists both', () => {
    const { lease, service: svc } = fold([acquired('fd00:20::1', 'node-a', 1), acquired('20.0.10.1', 'node-b', 1)]);
    expect(lease.status.addresses.map((a: { address: string }) => a.address)).toEqual(['20.0.10.1', 'fd00:20::1']);
    expect(lease.spec.holderIdentity).toBe('node-b');
    expect(svc.conditions[0].message).toBe('20.0.10.1 by node-b on eth0; fd00:20::1 by node-a on eth0');
  });

  it('records the announcement time of the current tenure only', () => {
    const announced = (token: number) => event('l2.Announced', { service, address: '20.0.10.1', node: 'node-b', fencingToken: token, interface: 'eth0', method: 'gratuitous-arp', frames: 2, at: '2026-11-26T10:00:00.2Z' });
    expect(fold([acquired('20.0.10.1', 'node-b', 2), announced(1)]).lease.status.addresses[0].announceTime).toBeUndefined();
    expect(fold([acquired('20.0.10.1', 'node-b', 2), announced(2)]).lease.status.addresses[0].announceTime).toBe('2026-11-26T10:00:00.200000Z');
  });

  it('sets Cilium policy conditions: True on a problem, False once fixed, none when never broken', () => {
    const observed = (status: 'True' | 'False', message = '') =>
      event('l2.PolicyConditionsObserved', {
        policy: 'policy1',
        node: 'node-a',
        conditions: [
          { type: 'io.cilium/bad-service-selector', status: 'False', reason: 'resolved', message: '' },
          { type: 'io.cilium/bad-interface-regex', status, reason: status === 'True' ? 'error' : 'resolved', message },
        ],
      });
    let status: Record<string, unknown> | undefined;
    for (const e of [observed('True', 'spec.interfaces[0]: invalid regular expression "eth[0-"'), observed('False')]) {
      for (const c of l2StatusProjector.project(e)) {
        expect(c.key).toEqual({ group: 'cilium.io', kind: 'CiliumL2AnnouncementPolicy', namespace: '', name: 'policy1' });
        status = c.update(status);
      }
    }
    expect((status as any).conditions).toEqual([expect.objectContaining({ type: 'io.cilium/bad-interface-regex', status: 'False', reason: 'resolved' })]);
    const first = l2StatusProjector.project(observed('True', 'bad'))[0]!.update(undefined) as any;
    expect(first.conditions).toEqual([expect.objectContaining({ type: 'io.cilium/bad-interface-regex', status: 'True', reason: 'error', message: 'bad' })]);
  });

  it('summarizes events for describe', () => {
    expect(l2StatusProjector.summarize!(acquired('20.0.10.1', 'node-c', 2, 'node-b'))).toBe('20.0.10.1 held by node-c (fencing 2, took over from node-b)');
    expect(l2StatusProjector.summarize!(lost('20.0.10.1', 'node-b', 1, 'link-down'))).toBe('20.0.10.1 released by node-b: link-down');
  });
});
