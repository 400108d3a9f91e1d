import { describe, expect, it } from 'vitest';
import { formatTable } from './print';
import { describeText } from './commands/resources';

describe('kubectl-style output', () => {
  const table = {
    kind: 'Table' as const,
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: '', priority: 0 },
      { name: 'Type', type: 'string', format: '', description: '', priority: 0 },
      { name: 'Selector', type: 'string', format: '', description: '', priority: 1 },
    ],
    rows: [
      { cells: ['service-blue', 'LoadBalancer', 'app=x'], object: { metadata: { name: 'service-blue', namespace: 'blue' } } },
      { cells: ['a', 'ClusterIP', '<none>'], object: { metadata: { name: 'a', namespace: 'tenant-blue' } } },
    ],
  };
  it('aligns columns three spaces apart, wide adds priority columns, -A adds NAMESPACE', () => {
    expect(formatTable(table)).toBe('NAME           TYPE\nservice-blue   LoadBalancer\na              ClusterIP\n');
    expect(formatTable(table, { wide: true, withNamespace: true }).split('\n')[0]).toBe('NAMESPACE     NAME           TYPE           SELECTOR');
  });
  it('describe never prints secret values', () => {
    const text = describeText({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, type: 'Opaque', data: { password: Buffer.from('hunter2').toString('base64') } }, []);
    expect(text).toContain('password:  7 bytes');
    expect(text).not.toContain(Buffer.from('hunter2').toString('base64'));
  });

  it('describe shows metadata, spec, conditions and events', () => {
    const text = describeText(
      {
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumLoadBalancerIPPool',
        metadata: { name: 'p', generation: 2, resourceVersion: '9', uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z', labels: { a: 'b' } },
        spec: { blocks: [{ cidr: '20.0.10.0/24' }] },
        status: { conditions: [{ type: 'cilium.io/IPsAvailable', status: 'True', reason: 'ok', message: '254', lastTransitionTime: 't' }] },
      },
      [{ position: 9, type: 'resource.Applied', occurredAt: new Date().toISOString(), user: 'alice', correlationId: 'c1' }],
    );
    expect(text).toMatch(/^Name:\s+p$/m);
    expect(text).toMatch(/^Labels:\s+a=b$/m);
    expect(text).toContain('Spec:\n  blocks:\n    - cidr: 20.0.10.0/24');
    expect(text).toMatch(/cilium\.io\/IPsAvailable\s+True\s+ok\s+254/);
    expect(text).toMatch(/resource\.Applied\s+9\s+alice\s+c1/);
  });
});
