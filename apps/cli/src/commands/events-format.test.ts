import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@bosun/contracts';
import { compactLine, formatEvent, parseDuration, parseOutput, parseSince, summarize, tableRow } from './events-format';

const event: EventEnvelope = {
  id: '0190a4f2-7c1e-7000-8000-000000000001',
  type: 'ipam.LoadBalancerIPAllocated',
  version: 1,
  streamId: 'ipam-pool-ip-pool-blue',
  streamVersion: 3,
  position: 1234,
  occurredAt: '2026-11-26T23:04:31.123Z',
  correlationId: 'c0ffee00-0000-4000-8000-000000000000',
  causationId: null,
  traceparent: null,
  data: { ref: { kind: 'Service', namespace: 'tenant-blue', name: 'gw' }, ip: '20.0.10.1', pool: 'ip-pool-blue', labels: { a: 'b' }, ports: [80, 443] },
};

describe('events tail output', () => {
  it('prints a hubble-style compact line', () => {
    expect(compactLine(event)).toBe(
      'Nov 26 23:04:31.123 [ipam-pool-ip-pool-blue#3]: ipam.LoadBalancerIPAllocated (Service tenant-blue/gw ip=20.0.10.1 pool=ip-pool-blue ports=[80,443])',
    );
  });

  it('prints fixed-width table rows and JSON lines', () => {
    expect(tableRow(event)).toMatch(/^Nov 26 23:04:31\.123\s+1234\s+ipam-pool-ip-pool-blue\s+3\s+ipam\.LoadBalancerIPAllocated\s+c0ffee00-000\s+Service tenant-blue\/gw/);
    expect(JSON.parse(formatEvent(event, 'json'))).toEqual(event);
  });

  it('summarizes without nested objects and cuts long summaries', () => {
    expect(summarize({ note: 'has spaces' })).toBe('note="has spaces"');
    expect(summarize({ a: 'x'.repeat(200) }, 20)).toHaveLength(20);
    expect(summarize('plain')).toBe('plain');
  });

  it('parses --since as a duration or a time, and rejects the rest by name', () => {
    expect(parseDuration('1h43m')).toBe(6_180_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('soon')).toBeNull();
    expect(parseSince('3s', 10_000).getTime()).toBe(7_000);
    expect(parseSince('2006-01-02T15:04:05Z').toISOString()).toBe('2006-01-02T15:04:05.000Z');
    expect(() => parseSince('yesterday')).toThrow(/--since: "yesterday"/);
    expect(() => parseOutput('yaml')).toThrow(/-o\/--output: "yaml"/);
  });
});
