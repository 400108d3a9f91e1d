import { describe, expect, it } from 'vitest';
import { ApiError } from '../k8s/errors';
import { deepEqual, jsonPatch, mergePatch } from './patch';

describe('merge patch (RFC 7386)', () => {
  it('merges maps, replaces lists, null deletes', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2], d: 1 }, { a: { b: 3 }, l: [9], d: null })).toEqual({ a: { b: 3, c: 2 }, l: [9] });
  });
});

describe('json patch (RFC 6902)', () => {
  it('add, replace, remove, test, move, copy', () => {
    const doc = { spec: { ports: [{ port: 80 }] }, metadata: { labels: { a: 'b' } } };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/spec/ports/-', value: { port: 81 } },
      { op: 'replace', path: '/spec/ports/0/port', value: 8080 },
      { op: 'test', path: '/metadata/labels/a', value: 'b' },
      { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/c' },
      { op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/x~1y' },
      { op: 'remove', path: '/spec/ports/1' },
    ]);
    expect(out).toEqual({ spec: { ports: [{ port: 8080 }] }, metadata: { labels: { c: 'b', 'x/y': 'b' } } });
    expect(doc.spec.ports).toHaveLength(1); // the input is not modified
  });

  it('a failed test or a missing path is a 400', () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(ApiError);
    expect(() => jsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }])).toThrow(/does not exist/);
  });
});

describe('deepEqual', () => {
  it('ignores key order and undefined members', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
  });
});
