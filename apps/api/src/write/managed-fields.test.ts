import { describe, expect, it } from 'vitest';
import { ApiError } from '../k8s/errors';
import { conflictError, fieldsFromV1, fieldsToV1, getPath, leafPaths, serverSideApply, updateManagedFields } from './managed-fields';

const NOW = '2026-01-01T00:00:00Z';
const svc = (spec: Record<string, unknown>, labels?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', ...(labels ? { labels } : {}) }, spec });

describe('field sets', () => {
  it('leaf paths walk maps; lists and scalars are leaves; server fields are nobody\'s', () => {
    const paths = [...leafPaths({ ...svc({ ports: [{ port: 80 }], type: 'ClusterIP' }, { a: 'b' }), metadata: { name: 's', uid: 'u', labels: { a: 'b' } }, status: { x: 1 } })].map((k) => JSON.parse(k).join('.'));
    expect(paths.sort()).toEqual(['metadata.labels.a', 'spec.ports', 'spec.type']);
  });

  it('FieldsV1 round-trips', () => {
    const set = leafPaths(svc({ ports: [{ port: 80 }], selector: { app: 'x' } }));
    expect(fieldsToV1(set)).toEqual({ 'f:spec': { 'f:ports': {}, 'f:selector': { 'f:app': {} } } });
    expect(fieldsFromV1(fieldsToV1(set))).toEqual(set);
  });
});

describe('server-side apply', () => {
  it('given no object, when a manager applies, then it owns every field it set', () => {
    const r = serverSideApply(undefined, svc({ ports: [{ port: 80 }] }), 'alpha', 'v1', NOW);
    const mf = r.finalize([]);
    expect(r.contested).toEqual([]);
    expect(mf).toEqual([{ manager: 'alpha', operation: 'Apply', apiVersion: 'v1', time: NOW, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:ports': {} } } }]);
  });

  it('given fields owned by alpha, when beta applies the same path, then the path is contested', () => {
    const first = serverSideApply(undefined, svc({ ports: [{ port: 80 }] }), 'alpha', 'v1', NOW);
    const current = { ...first.object, metadata: { ...(first.object.metadata as object), managedFields: first.finalize([]) } };
    const r = serverSideApply(current, svc({ ports: [{ port: 81 }] }), 'beta', 'v1', NOW);
    expect(r.contested).toEqual([{ manager: 'alpha', path: ['spec', 'ports'] }]);
    expect(conflictError(r.contested)).toBeInstanceOf(ApiError);
    expect(conflictError(r.contested).message).toContain('conflict with "alpha": .spec.ports');
    // force: beta takes the path over, alpha keeps nothing
    const mf = r.finalize(r.contested);
    expect(mf.map((m) => m.manager)).toEqual(['beta']);
  });

  it('given a manager stops applying a field it owned alone, then the field is removed', () => {
    const first = serverSideApply(undefined, svc({ ports: [{ port: 80 }] }, { keep: 'x', drop: 'y' }), 'alpha', 'v1', NOW);
    const current = { ...first.object, metadata: { ...(first.object.metadata as object), managedFields: first.finalize([]) } };
    const r = serverSideApply(current, svc({ ports: [{ port: 80 }] }, { keep: 'x' }), 'alpha', 'v1', NOW);
    expect(getPath(r.object, ['metadata', 'labels'])).toEqual({ keep: 'x' });
  });

  it('given a field owned by another manager too, when the applier drops it, then it stays', () => {
    const a = serverSideApply(undefined, svc({ ports: [{ port: 80 }] }, { shared: 'x' }), 'alpha', 'v1', NOW);
    let current: Record<string, unknown> = { ...a.object, metadata: { ...(a.object.metadata as object), managedFields: a.finalize([]) } };
    const b = serverSideApply(current, { ...svc({}, { shared: 'x' }), spec: undefined } as never, 'beta', 'v1', NOW);
    current = { ...b.object, metadata: { ...(b.object.metadata as object), managedFields: b.finalize([]) } };
    const again = serverSideApply(current, svc({ ports: [{ port: 80 }] }), 'alpha', 'v1', NOW);
    expect(getPath(again.object, ['metadata', 'labels', 'shared'])).toBe('x');
  });

  it('an update takes ownership of the fields it changed from other managers', () => {
    const old = { ...svc({ ports: [{ port: 80 }] }), metadata: { name: 's', managedFields: serverSideApply(undefined, svc({ ports: [{ port: 80 }] }), 'alpha', 'v1', NOW).finalize([]) } };
    const mf = updateManagedFields(old, svc({ ports: [{ port: 90 }] }), 'kubectl-edit', 'v1', NOW);
    expect(mf.map((m) => `${m.manager}/${m.operation}`)).toEqual(['kubectl-edit/Update']);
  });
});
