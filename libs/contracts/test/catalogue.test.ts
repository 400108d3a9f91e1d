import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventCatalogue, InvalidEventDataError, UnknownEventTypeError, catalogue, defineEvent, subjectFor, contextOf, type EventEnvelope } from '../src';

const envelope = (type: string, version: number, data: unknown): EventEnvelope => ({
  id: '00000000-0000-7000-8000-000000000001',
  type,
  version,
  streamId: 's-1',
  streamVersion: 1,
  position: 1,
  occurredAt: '2026-01-01T00:00:00.000Z',
  correlationId: 'c',
  causationId: null,
  traceparent: null,
  data,
});

// A type that went through two schema changes: v1 {ip}, v2 {address}, v3 {address, family}.
const Allocated = defineEvent({
  type: 'test.Allocated',
  version: 3,
  schema: z.object({ address: z.string(), family: z.enum(['ipv4', 'ipv6']) }),
  upcasters: {
    1: (d: { ip: string }) => ({ address: d.ip }),
    2: (d: { address: string }) => ({ ...d, family: d.address.includes(':') ? 'ipv6' : 'ipv4' }),
  },
});

describe('event catalogue', () => {
  const cat = new EventCatalogue([Allocated]);

  it('given a v1 event stored long ago, when read, then it is upcast step by step to the current version', () => {
    const e = cat.upcast(envelope('test.Allocated', 1, { ip: 'fd00::1' }));
    expect(e.version).toBe(3);
    expect(e.data).toEqual({ address: 'fd00::1', family: 'ipv6' });
  });

  it('given an event already at the current version, when read, then it is returned unchanged', () => {
    const stored = envelope('test.Allocated', 3, { address: '10.0.0.1', family: 'ipv4' });
    expect(cat.upcast(stored)).toBe(stored);
  });

  it('given an event type the catalogue does not know, when read, then it passes through', () => {
    const stored = envelope('other.Thing', 7, { x: 1 });
    expect(cat.upcast(stored)).toBe(stored);
  });

  it('given a missing upcaster, when read, then it says which step is missing', () => {
    const broken = new EventCatalogue([defineEvent({ type: 'test.Gap', version: 2, schema: z.object({}) })]);
    expect(() => broken.upcast(envelope('test.Gap', 1, {}))).toThrow('no upcaster for test.Gap v1 → v2');
  });

  it('given bad data, when validated before append, then every bad field is named', () => {
    try {
      cat.validate('test.Allocated', { address: 5, family: 'ipx' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidEventDataError);
      expect((e as InvalidEventDataError).issues.map((i) => i.split(':')[0])).toEqual(['address', 'family']);
    }
    expect(() => cat.validate('nope.Nope', {})).toThrow(UnknownEventTypeError);
  });

  it('rejects a type registered twice', () => {
    expect(() => new EventCatalogue([Allocated, Allocated])).toThrow('registered twice');
  });

  it("holds every context's events, each named <context>.<EventName> with a version", () => {
    const types = catalogue.types();
    for (const ctx of ['resource', 'ipam', 'bgp', 'l2', 'platform']) expect(types.some((t) => contextOf(t) === ctx), ctx).toBe(true);
    for (const t of types) {
      expect(t).toMatch(/^[a-z0-9]+\.[A-Z][A-Za-z0-9]+$/);
      expect(catalogue.currentVersion(t)).toBeGreaterThanOrEqual(1);
    }
    expect(subjectFor('ipam.LoadBalancerIPAllocated')).toBe('bosun.ipam.LoadBalancerIPAllocated');
  });
});
