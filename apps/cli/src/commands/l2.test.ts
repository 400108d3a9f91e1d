import { describe, expect, it } from 'vitest';
import { formatL2Leases, l2LeaseRows } from './l2';

const lease = (ns: string, svc: string, addresses: object[]) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: `cilium-l2announce-${ns}-${svc}`, namespace: 'kube-system' },
  spec: { holderIdentity: 'x' },
  status: { service: { namespace: ns, name: svc }, addresses },
});

describe('bosun get l2leases', () => {
  const leases = [
    lease('tenant-blue', 'gateway', [
      { address: '20.0.10.1', holder: 'node-b', interfaces: ['eth0'], fencingToken: 3, acquireTime: '2026-11-26T10:00:00.000000Z' },
      { address: 'fd00:20::1', holder: '', interfaces: [], fencingToken: 1 },
    ]),
    lease('other', 'web', [{ address: '20.0.10.7', holder: 'node-a', interfaces: ['eth0', 'eth1'], fencingToken: 1, acquireTime: '2026-11-26T09:00:00.000000Z' }]),
    { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'cilium-operator-resource-lock', namespace: 'kube-system' }, spec: {} },
  ];

  it('prints one row per address, kubectl-style', () => {
    const text = formatL2Leases(l2LeaseRows(leases), { headers: true }, Date.parse('2026-11-26T10:05:00Z'));
    expect(text).toBe(
      [
        'SERVICE               ADDRESS      NODE     INTERFACE   AGE',
        'other/web             20.0.10.7    node-a   eth0,eth1   65m',
        'tenant-blue/gateway   20.0.10.1    node-b   eth0        5m',
        'tenant-blue/gateway   fd00:20::1   <none>   <none>      <none>',
        '',
      ].join('\n'),
    );
  });

  it('filters by the Service namespace', () => {
    expect(l2LeaseRows(leases, 'other').map((r) => r.address)).toEqual(['20.0.10.7']);
  });
});
