import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@bosun/contracts';
import type { StatusProjector } from '../status/status-projector';
import { ObjectProjection, objectKey, HISTORY_LIMIT } from './projection';
import { eventFor } from '../http/watch';
import { kindByGroupKind } from '@bosun/resources';
import { parseLabelSelector } from '../k8s/selectors';

let pos = 0;
const ev = (type: string, data: unknown, streamId = 's', streamVersion = 1): EventEnvelope => ({
  id: `e${++pos}`,
  type,
  version: 1,
  streamId,
  streamVersion,
  position: pos,
  occurredAt: '2026-01-01T00:00:00.000Z',
  correlationId: 'c',
  causationId: null,
  traceparent: null,
  data,
});
const ref = { group: '', kind: 'Service', namespace: 'blue', name: 'web', uid: 'u1' };
const applied = (labels: Record<string, string> = {}, v = 1) =>
  ev('resource.Applied', { ref, apiVersion: 'v1', generation: 1, object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'blue', uid: 'u1', labels }, spec: { type: 'LoadBalancer' } }, user: 'alice' }, 'resource-core.Service-blue.web', v);

/** A test projector in the style of the ipam one: allocation → Service status; lease → Lease object. */
const projector: StatusProjector = {
  eventTypes: ['test.Allocated', 'test.LeaseAcquired', 'test.LeaseReleased'],
  project: (e) => {
    const d = e.data as { ns: string; name: string; ip?: string; holder?: string };
    if (e.type === 'test.Allocated') return [{ key: { group: '', kind: 'Service', namespace: d.ns, name: d.name }, update: (s) => ({ ...s, loadBalancer: { ingress: [{ ip: d.ip }] } }) }];
    const key = { group: 'coordination.k8s.io', kind: 'Lease', namespace: d.ns, name: `cilium-l2announce-${d.ns}-${d.name}` };
    if (e.type === 'test.LeaseAcquired') return [{ key, update: () => ({ spec: { holderIdentity: d.holder, leaseDurationSeconds: 15 } }) }];
    return [{ key, update: () => undefined }];
  },
};

describe('object projection', () => {
  it('given an applied Service, when another context allocates an IP, then its status shows it and resourceVersion moves', () => {
    const p = new ObjectProjection([projector]);
    expect(p.apply(applied())[0]!.type).toBe('ADDED');
    const alloc = ev('test.Allocated', { ns: 'blue', name: 'web', ip: '20.0.10.1' }, 'ipam-pool-blue');
    const [c] = p.apply(alloc);
    expect(c!.type).toBe('MODIFIED');
    const o = p.get(objectKey('', 'Service', 'blue', 'web'))!;
    expect(o.status).toEqual({ loadBalancer: { ingress: [{ ip: '20.0.10.1' }] } });
    expect(o.resourceVersion).toBe(alloc.position);
    expect(o.streamVersion).toBe(1); // status from other streams never changes the object's stream version
    expect(o.history.map((h) => h.type)).toEqual(['resource.Applied', 'test.Allocated']);
    expect(o.history[0]!.user).toBe('alice');
  });

  it('projected kinds (Leases) exist only through projectors and are removed by them', () => {
    const p = new ObjectProjection([projector]);
    const [add] = p.apply(ev('test.LeaseAcquired', { ns: 'blue', name: 'web', holder: 'node-1' }, 'l2-lease-blue.web'));
    expect(add!.type).toBe('ADDED');
    const lease = p.get(objectKey('coordination.k8s.io', 'Lease', 'blue', 'cilium-l2announce-blue-web'))!;
    expect(lease.body).toMatchObject({ spec: { holderIdentity: 'node-1' }, metadata: { name: 'cilium-l2announce-blue-web', namespace: 'blue' } });
    const [del] = p.apply(ev('test.LeaseReleased', { ns: 'blue', name: 'web' }, 'l2-lease-blue.web'));
    expect(del!.type).toBe('DELETED');
    expect(p.get(lease.key)).toBeUndefined();
  });

  it('delete removes the object, keeps a tombstone with the stream version, records the uid', () => {
    const p = new ObjectProjection();
    p.apply(applied());
    const [c] = p.apply(ev('resource.Deleted', { ref }, 'resource-core.Service-blue.web', 2));
    expect(c!.type).toBe('DELETED');
    expect(p.tombstones.get(objectKey('', 'Service', 'blue', 'web'))).toBe(2);
    expect(p.deletedUids.has('u1')).toBe(true);
    expect([...p.list({ group: '', kind: 'Service' })]).toEqual([]);
  });

  it('keeps the last events that touched an object, no more', () => {
    const p = new ObjectProjection();
    for (let i = 1; i <= HISTORY_LIMIT + 5; i++) p.apply(applied({ n: String(i) }, i));
    expect(p.get(objectKey('', 'Service', 'blue', 'web'))!.history).toHaveLength(HISTORY_LIMIT);
  });

  it('a selector watch turns "stopped matching" into DELETED and "started matching" into ADDED', () => {
    const p = new ObjectProjection();
    const info = kindByGroupKind('', 'Service')!;
    const filter = { info, namespace: 'blue', labels: parseLabelSelector('tier=a')! };
    p.apply(applied({ tier: 'b' }, 1));
    const [toA] = p.apply(applied({ tier: 'a' }, 2));
    expect(eventFor(filter, toA!)?.type).toBe('ADDED');
    const [toB] = p.apply(applied({ tier: 'b' }, 3));
    expect(eventFor(filter, toB!)?.type).toBe('DELETED');
    const [again] = p.apply(applied({ tier: 'c' }, 4));
    expect(eventFor(filter, again!)).toBeUndefined();
  });
});
