import { readFileSync } from 'node:fs';
import { timingSafeEqual, createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { ApiError } from '../k8s/errors';

/**
 * Bearer-token authentication and role-based authorization.
 * Roles: `admin` (everything), `viewer` (read everything except secret values),
 * `editor` (namespace editor: read everything, write and read secrets only in its namespaces).
 */
export type Role = 'admin' | 'viewer' | 'editor';

export interface User {
  readonly name: string;
  readonly role: Role;
  /** For `editor`: the namespaces it may change. */
  readonly namespaces: readonly string[];
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
const READ_VERBS = new Set<Verb>(['get', 'list', 'watch']);

interface TokenEntry {
  readonly hash: Buffer;
  readonly user: User;
}

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

const parseRole = (raw: unknown, where: string): Role => {
  const r = String(raw ?? '').trim().toLowerCase();
  if (r === 'admin' || r === 'viewer' || r === 'editor') return r;
  if (r === 'namespace-editor' || r === 'namespace_editor' || r === 'namespaceeditor') return 'editor';
  throw new Error(`${where}: unknown role "${String(raw)}" (admin, viewer, editor)`);
};

/**
 * Tokens file: YAML (`tokens: [{token, user, role, namespaces}]` or a list of the same) or CSV
 * lines `token,user,role[,namespace;namespace…]` (`#` comments).
 */
export const parseTokensFile = (text: string, file = 'tokens file'): Array<{ token: string; user: User }> => {
  const trimmed = text.trim();
  const out: Array<{ token: string; user: User }> = [];
  const looksYaml = /^(tokens:|-\s)/m.test(trimmed) && !/^[^#\n:]+,[^\n]*,/m.test(trimmed.split('\n')[0] ?? '');
  if (looksYaml) {
    const doc = parseYaml(trimmed) as unknown;
    const list = Array.isArray(doc) ? doc : (doc as { tokens?: unknown })?.tokens;
    if (!Array.isArray(list)) throw new Error(`${file}: expected a list of tokens`);
    list.forEach((e: any, i: number) => {
      if (!e || typeof e.token !== 'string' || !e.token) throw new Error(`${file}: tokens[${i}].token is required`);
      const name = String(e.user ?? e.name ?? '');
      if (!name) throw new Error(`${file}: tokens[${i}].user is required`);
      const role = parseRole(e.role, `${file}: tokens[${i}].role`);
      const namespaces = Array.isArray(e.namespaces) ? e.namespaces.map(String) : [];
      if (role === 'editor' && namespaces.length === 0) throw new Error(`${file}: tokens[${i}].namespaces is required for the editor role`);
      out.push({ token: e.token, user: { name, role, namespaces } });
    });
    return out;
  }
  trimmed.split('\n').forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith('#')) return;
    const [token, name, role, ns] = l.split(',').map((x) => x.trim().replace(/^"|"$/g, ''));
    if (!token || !name) throw new Error(`${file}:${i + 1}: expected token,user,role[,namespaces]`);
    const r = parseRole(role, `${file}:${i + 1}`);
    const namespaces = ns ? ns.split(/[;\s]+/).filter(Boolean) : [];
    if (r === 'editor' && namespaces.length === 0) throw new Error(`${file}:${i + 1}: the editor role needs namespaces`);
    out.push({ token, user: { name, role: r, namespaces } });
  });
  return out;
};

export interface AuthConfig {
  readonly tokensFile?: string;
  /** `viewer` (or `admin`) lets requests without a token in with that role. */
  readonly anonymous?: Role;
}

export class Authenticator {
  private entries: TokenEntry[] = [];
  readonly enabled: boolean;

  constructor(private readonly config: AuthConfig) {
    this.enabled = Boolean(config.tokensFile);
    this.reload();
  }

  reload(): void {
    if (!this.config.tokensFile) return;
    const text = readFileSync(this.config.tokensFile, 'utf8');
    this.entries = parseTokensFile(text, this.config.tokensFile).map((e) => ({ hash: sha(e.token), user: e.user }));
  }

  /** Resolves the caller from an `Authorization` header; throws 401 Status. */
  authenticate(authorization: string | undefined): User {
    if (!this.enabled) return { name: 'system:anonymous', role: this.config.anonymous ?? 'admin', namespaces: [] };
    const m = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
    if (!m) {
      if (this.config.anonymous) return { name: 'system:anonymous', role: this.config.anonymous, namespaces: [] };
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }
    const h = sha(m[1]!);
    for (const e of this.entries) if (timingSafeEqual(e.hash, h)) return e.user;
    throw new ApiError(401, 'Unauthorized', 'Unauthorized');
  }
}

/** May `user` do `verb` on `plural.group` in `namespace` ('' = cluster-scoped or all namespaces)? */
export const authorize = (user: User, verb: Verb, group: string, plural: string, namespace: string, name?: string): void => {
  if (user.role === 'admin') return;
  const read = READ_VERBS.has(verb);
  const isSecret = group === '' && plural === 'secrets';
  if (user.role === 'viewer' && read) return; // secret values are stripped by the caller (canReadSecretValues)
  if (user.role === 'editor') {
    if (read && !isSecret) return;
    if (namespace && user.namespaces.includes(namespace)) return;
    if (read && isSecret) return; // listing across namespaces: values only where allowed
  }
  const res = group ? `${plural}.${group}` : plural;
  const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  throw new ApiError(403, 'Forbidden', `${res}${name ? ` "${name}"` : ''} is forbidden: User "${user.name}" cannot ${verb} resource "${plural}" in API group "${group}"${scope}`, {
    ...(name ? { name } : {}),
    group,
    kind: plural,
  });
};

export const canReadSecretValues = (user: User, namespace: string): boolean =>
  user.role === 'admin' || (user.role === 'editor' && user.namespaces.includes(namespace));
