import { badRequest } from '../k8s/errors';
import { clone } from './patch';

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the core kinds, as
 * kubectl's client-side `apply`, `edit` and `label` send it: lists with a merge key (from the Go
 * types' `patchMergeKey` tags) merge item by item, other lists are replaced, and the directives
 * `$patch` (replace/delete/merge), `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`
 * and `$retainKeys` are honoured.
 */
const MERGE_KEYS: Record<string, string> = {
  'metadata.ownerReferences': 'uid',
  'spec.ports': 'port',
  'status.conditions': 'type',
  'status.addresses': 'type',
  'spec.containers': 'name',
  'spec.initContainers': 'name',
  'spec.ephemeralContainers': 'name',
  'spec.containers[].ports': 'containerPort',
  'spec.initContainers[].ports': 'containerPort',
  'spec.containers[].env': 'name',
  'spec.initContainers[].env': 'name',
  'spec.containers[].volumeMounts': 'mountPath',
  'spec.initContainers[].volumeMounts': 'mountPath',
  'spec.volumes': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.hostAliases': 'ip',
};
/** Primitive lists merged as sets (`patchStrategy:"merge"` on a []string). */
const MERGE_PRIMITIVES = new Set(['metadata.finalizers']);

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

export const strategicMergePatch = (original: unknown, patch: unknown): unknown => mergeMap(isObject(original) ? original : {}, patch, '');

const mergeMap = (original: Obj, patch: unknown, path: string): unknown => {
  if (!isObject(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  const out: Obj = directive === 'replace' ? {} : { ...original };
  const orders: Record<string, unknown[]> = {};
  const deletions: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (k === '$retainKeys') continue;
    if (k.startsWith(SET_ORDER)) {
      if (Array.isArray(v)) orders[k.slice(SET_ORDER.length)] = v;
      continue;
    }
    if (k.startsWith(DELETE_PRIMITIVE)) {
      if (Array.isArray(v)) deletions[k.slice(DELETE_PRIMITIVE.length)] = v;
      continue;
    }
    if (k.startsWith('$')) throw badRequest(`strategic merge patch: unknown directive "${k}"`);
    const childPath = path ? `${path}.${k}` : k;
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) {
      const merged = mergeList(Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, childPath);
      out[k] = merged;
      continue;
    }
    if (isObject(v)) {
      const m = mergeMap(isObject(out[k]) ? (out[k] as Obj) : {}, v, childPath);
      if (m === undefined) delete out[k];
      else out[k] = m;
      continue;
    }
    out[k] = v;
  }
  for (const [k, values] of Object.entries(deletions)) {
    if (Array.isArray(out[k])) out[k] = (out[k] as unknown[]).filter((x) => !values.includes(x));
  }
  for (const [k, order] of Object.entries(orders)) {
    if (Array.isArray(out[k])) out[k] = reorder(out[k] as unknown[], order, MERGE_KEYS[listKeyPath(path ? `${path}.${k}` : k)]);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
};

/** `spec.containers.3.env` style paths are tracked as `spec.containers[].env`. */
const listKeyPath = (path: string): string => path;

const mergeList = (original: unknown[], patch: unknown[], path: string): unknown[] => {
  const key = MERGE_KEYS[path];
  if (MERGE_PRIMITIVES.has(path)) {
    const out = [...original];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  if (!key) {
    // Lists without a merge key are replaced; `$patch: replace` items only carry the directive.
    return patch.filter((x) => !(isObject(x) && x.$patch === 'replace' && Object.keys(x).length === 1)).map((x) => (isObject(x) ? stripDirectives(x) : x));
  }
  if (patch.some((x) => isObject(x) && x.$patch === 'replace')) return patch.filter((x) => !(isObject(x) && x.$patch === 'replace')).map((x) => (isObject(x) ? stripDirectives(x) : x));
  const out = original.map((x) => clone(x));
  for (const item of patch) {
    if (!isObject(item)) throw badRequest(`strategic merge patch: ${path} items must be objects with "${key}"`);
    const idx = out.findIndex((x) => isObject(x) && x[key] === item[key]);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    const childPath = `${path}[]`;
    if (idx >= 0) out[idx] = mergeMap(out[idx] as Obj, item, childPath);
    else out.push(mergeMap({}, item, childPath));
  }
  return out;
};

const stripDirectives = (o: Obj): Obj => {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (!k.startsWith('$')) out[k] = v;
  return out;
};

const reorder = (list: unknown[], order: unknown[], key: string | undefined): unknown[] => {
  const keyOf = (x: unknown): unknown => (key && isObject(x) ? x[key] : x);
  const wanted = order.map((o) => (key && isObject(o) ? o[key] : o));
  const ranked = list.map((x, i) => ({ x, i, r: wanted.indexOf(keyOf(x)) }));
  // Listed items in the given order; items the order does not name keep their place after them.
  ranked.sort((a, b) => (a.r < 0 ? Number.MAX_SAFE_INTEGER : a.r) - (b.r < 0 ? Number.MAX_SAFE_INTEGER : b.r) || a.i - b.i);
  return ranked.map((e) => e.x);
};
