import { describe, expect, it } from 'vitest';
import { ApiError } from '../k8s/errors';
import { authorize, canReadSecretValues, parseTokensFile, type User } from './auth';

describe('tokens file', () => {
  it('reads YAML and CSV', () => {
    const y = parseTokensFile('tokens:\n- {token: t1, user: alice, role: admin}\n- {token: t2, user: carol, role: editor, namespaces: [blue]}\n');
    expect(y.map((e) => [e.token, e.user.name, e.user.role, e.user.namespaces])).toEqual([
      ['t1', 'alice', 'admin', []],
      ['t2', 'carol', 'editor', ['blue']],
    ]);
    const c = parseTokensFile('# comment\nt3,bob,viewer\nt4,dan,editor,green;red\n');
    expect(c.map((e) => [e.user.name, e.user.role, e.user.namespaces])).toEqual([
      ['bob', 'viewer', []],
      ['dan', 'editor', ['green', 'red']],
    ]);
  });
  it('rejects unknown roles and editors without namespaces, naming the line', () => {
    expect(() => parseTokensFile('t,x,root\n', 'tokens.csv')).toThrow(/tokens.csv:1: unknown role "root"/);
    expect(() => parseTokensFile('t,x,editor\n', 'tokens.csv')).toThrow(/needs namespaces/);
  });
});

describe('authorization', () => {
  const viewer: User = { name: 'bob', role: 'viewer', namespaces: [] };
  const editor: User = { name: 'carol', role: 'editor', namespaces: ['blue'] };
  const forbidden = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      return e instanceof ApiError && e.code === 403;
    }
    return false;
  };
  it('viewers read, never write', () => {
    expect(forbidden(() => authorize(viewer, 'list', '', 'services', ''))).toBe(false);
    expect(forbidden(() => authorize(viewer, 'create', '', 'services', 'blue'))).toBe(true);
    expect(canReadSecretValues(viewer, 'blue')).toBe(false);
  });
  it('editors write in their namespaces only, and nothing cluster-scoped', () => {
    expect(forbidden(() => authorize(editor, 'patch', '', 'services', 'blue'))).toBe(false);
    expect(forbidden(() => authorize(editor, 'patch', '', 'services', 'red'))).toBe(true);
    expect(forbidden(() => authorize(editor, 'create', 'cilium.io', 'ciliumloadbalancerippools', ''))).toBe(true);
    expect(canReadSecretValues(editor, 'blue')).toBe(true);
    expect(canReadSecretValues(editor, 'red')).toBe(false);
  });
});
