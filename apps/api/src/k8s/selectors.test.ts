import { describe, expect, it } from 'vitest';
import { matchesSelectors, parseFieldSelector, parseLabelSelector } from './selectors';

describe('label selector syntax', () => {
  const m = (sel: string, labels: Record<string, string>) => matchesSelectors({ labels }, parseLabelSelector(sel), undefined);
  it('=, ==, !=, in, notin, exists, !exists', () => {
    expect(m('app=web', { app: 'web' })).toBe(true);
    expect(m('app==web,tier!=db', { app: 'web', tier: 'fe' })).toBe(true);
    expect(m('tier!=db', { tier: 'db' })).toBe(false);
    expect(m('env in (prod, staging)', { env: 'staging' })).toBe(true);
    expect(m('env notin (prod)', { env: 'prod' })).toBe(false);
    expect(m('color', { color: 'blue' })).toBe(true);
    expect(m('!color', { color: 'blue' })).toBe(false);
    expect(m('!color', {})).toBe(true);
  });
  it('rejects garbage with a 400', () => {
    expect(() => parseLabelSelector('a=b,,c')).toThrow(/unable to parse/);
  });
});

describe('field selectors', () => {
  it('metadata.name and metadata.namespace', () => {
    const f = parseFieldSelector('metadata.name=x,metadata.namespace!=kube-system');
    expect(matchesSelectors({ name: 'x', namespace: 'blue' }, undefined, f)).toBe(true);
    expect(matchesSelectors({ name: 'x', namespace: 'kube-system' }, undefined, f)).toBe(false);
    expect(() => parseFieldSelector('spec.type=LoadBalancer')).toThrow(/not supported/);
  });
});
