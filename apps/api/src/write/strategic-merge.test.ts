import { describe, expect, it } from 'vitest';
import { strategicMergePatch } from './strategic-merge';

const svc = {
  metadata: { name: 'smp', labels: { a: 'b' }, finalizers: ['x'] },
  spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443 }], selector: { app: 'x' } },
};

describe('strategic merge patch', () => {
  it('kubectl apply\'s patch: merge ports by port, delete one, add one, keep the given order', () => {
    const patch = {
      metadata: { labels: { a: null, c: 'd' }, finalizers: ['y'] },
      spec: {
        $setElementOrder: undefined,
        '$setElementOrder/ports': [{ port: 80 }, { port: 53 }],
        ports: [{ port: 80, targetPort: 9090 }, { name: 'dns', port: 53, protocol: 'UDP' }, { $patch: 'delete', port: 443 }],
      },
    };
    delete (patch.spec as Record<string, unknown>).$setElementOrder;
    expect(strategicMergePatch(svc, patch)).toEqual({
      metadata: { name: 'smp', labels: { c: 'd' }, finalizers: ['x', 'y'] },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 9090 }, { name: 'dns', port: 53, protocol: 'UDP' }], selector: { app: 'x' } },
    });
  });

  it('$patch: replace on a map, $retainKeys, $deleteFromPrimitiveList', () => {
    expect(strategicMergePatch(svc, { spec: { selector: { $patch: 'replace', app: 'y' } } })).toMatchObject({ spec: { selector: { app: 'y' } } });
    expect(strategicMergePatch({ spec: { a: 1, b: 2 } }, { spec: { $retainKeys: ['b'], b: 3 } })).toEqual({ spec: { b: 3 } });
    expect(strategicMergePatch(svc, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } })).toMatchObject({ metadata: { finalizers: [] } });
  });

  it('lists without a merge key are replaced', () => {
    expect(strategicMergePatch({ spec: { externalIPs: ['1.1.1.1'] } }, { spec: { externalIPs: ['2.2.2.2'] } })).toEqual({ spec: { externalIPs: ['2.2.2.2'] } });
  });
});
