import { badRequest } from '../k8s/errors';

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const deepEqual = (a: Json, b: Json): boolean => {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
};

export const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** RFC 7386 JSON merge patch (`application/merge-patch+json`). */
export const mergePatch = (target: Json, patch: Json): Json => {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
};

const unescapePointer = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');
const parsePointer = (p: string): string[] => {
  if (p === '') return [];
  if (!p.startsWith('/')) throw badRequest(`json patch: invalid path "${p}"`);
  return p.slice(1).split('/').map(unescapePointer);
};

/** RFC 6902 JSON patch (`application/json-patch+json`). Throws 400/422-style errors on a failed op. */
export const jsonPatch = (doc: Json, ops: Json): Json => {
  if (!Array.isArray(ops)) throw badRequest('json patch: the body must be an array of operations');
  let root = clone(doc);
  const get = (path: string[]): Json => {
    let cur: Json = root;
    for (const seg of path) {
      if (Array.isArray(cur)) cur = cur[Number(seg)];
      else if (isObject(cur)) cur = cur[seg];
      else return undefined;
    }
    return cur;
  };
  const parentOf = (path: string[], op: string): { parent: Json; last: string } => {
    if (path.length === 0) throw badRequest(`json patch: ${op} on the document root is not supported`);
    const parent = get(path.slice(0, -1));
    if (!Array.isArray(parent) && !isObject(parent)) throw badRequest(`json patch: ${op}: parent of /${path.join('/')} does not exist`);
    return { parent, last: path[path.length - 1]! };
  };
  const add = (path: string[], value: Json, op: string): void => {
    if (path.length === 0) {
      root = clone(value);
      return;
    }
    const { parent, last } = parentOf(path, op);
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > parent.length) throw badRequest(`json patch: ${op}: index ${last} out of range`);
      parent.splice(i, 0, clone(value));
    } else (parent as Record<string, Json>)[last] = clone(value);
  };
  const remove = (path: string[], op: string): Json => {
    const { parent, last } = parentOf(path, op);
    if (Array.isArray(parent)) {
      const i = Number(last);
      if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw badRequest(`json patch: ${op}: index ${last} out of range`);
      return parent.splice(i, 1)[0];
    }
    const o = parent as Record<string, Json>;
    if (!(last in o)) throw badRequest(`json patch: ${op}: /${path.join('/')} does not exist`);
    const v = o[last];
    delete o[last];
    return v;
  };
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest('json patch: each operation needs "op" and "path"');
    const path = parsePointer(raw.path);
    switch (raw.op) {
      case 'add':
        add(path, raw.value, 'add');
        break;
      case 'remove':
        remove(path, 'remove');
        break;
      case 'replace':
        remove(path, 'replace');
        add(path, raw.value, 'replace');
        break;
      case 'move': {
        const v = remove(parsePointer(String(raw.from)), 'move');
        add(path, v, 'move');
        break;
      }
      case 'copy':
        add(path, get(parsePointer(String(raw.from))), 'copy');
        break;
      case 'test':
        if (!deepEqual(get(path), raw.value)) throw badRequest(`json patch: test failed at ${raw.path}`);
        break;
      default:
        throw badRequest(`json patch: unknown op "${String(raw.op)}"`);
    }
  }
  return root;
};
