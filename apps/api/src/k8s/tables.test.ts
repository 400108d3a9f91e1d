import { describe, expect, it } from 'vitest';
import { kindByGroupKind } from '@bosun/resources';
import { columnDefinitions, jsonPath, rowCells } from './tables';

describe('printer columns', () => {
  it('pools: NAME CIDRS DISABLED CONFLICTING IPS AVAILABLE AGE from spec and conditions', () => {
    const info = kindByGroupKind('cilium.io', 'CiliumLoadBalancerIPPool')!;
    expect(columnDefinitions(info).map((c) => c.name)).toEqual(['Name', 'CIDRs', 'Disabled', 'Conflicting', 'IPs Available', 'Age']);
    const now = Date.parse('2026-01-01T01:00:00Z');
    const pool = {
      metadata: { name: 'p', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { blocks: [{ cidr: '20.0.10.0/24' }, { start: '10.0.0.1', stop: '10.0.0.9' }], disabled: false },
      status: { conditions: [{ type: 'cilium.io/PoolConflict', status: 'False' }, { type: 'cilium.io/IPsAvailable', status: 'True', message: '252' }] },
    };
    expect(rowCells(info, pool, now)).toEqual(['p', '20.0.10.0/24,10.0.0.1-10.0.0.9', false, 'False', '252', '60m']);
  });

  it('services: TYPE CLUSTER-IP EXTERNAL-IP PORT(S) as kubectl prints them', () => {
    const info = kindByGroupKind('', 'Service')!;
    const svc = { metadata: { name: 's' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80, protocol: 'TCP' }, { port: 443, nodePort: 30443 }] }, status: { loadBalancer: { ingress: [{ ip: '20.0.10.1' }] } } };
    expect(rowCells(info, svc).slice(0, 5)).toEqual(['s', 'LoadBalancer', '10.96.0.9', '20.0.10.1', '80/TCP,443:30443/TCP']);
    expect(rowCells(info, { ...svc, status: {} })[3]).toBe('<pending>');
  });

  it('jsonPath filters', () => {
    expect(jsonPath({ a: [{ t: 'x', v: 1 }, { t: 'y', v: 2 }] }, '.a[?(@.t=="y")].v')).toEqual([2]);
    expect(jsonPath({ a: [{ v: 1 }, { v: 2 }] }, '.a[*].v')).toEqual([1, 2]);
  });
});
