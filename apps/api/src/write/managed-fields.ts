import { ApiError } from '../k8s/errors';
import { clone, deepEqual } from './patch';

/**
 * Server-side apply's field ownership, simplified: a manager owns leaf paths (maps are walked,
 * lists and scalars are atomic leaves). Two managers applying different values to the same
 * path conflict; `force` takes the path over. Stored as Kubernetes `managedFields` (FieldsV1).
 */
export type Path = readonly string[];
type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
  subresource?: string;
}

/** Fields the server owns: never part of anyone's field set. */
const SERVER_FIELDS = new Set(['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.resourceVersion', 'metadata.generation', 'metadata.creationTimestamp', 'metadata.managedFields', 'metadata.deletionTimestamp', 'metadata.selfLink']);

const pathKey = (p: Path): string => JSON.stringify(p);
const keyPath = (k: string): Path => JSON.parse(k) as string[];

export const leafPaths = (obj: Obj): Set<string> => {
  const out = new Set<string>();
  const walk = (v: unknown, path: string[]): void => {
    if (path.length === 1 && (path[0] === 'apiVersion' || path[0] === 'kind' || path[0] === 'status')) return;
    if (path.length === 2 && SERVER_FIELDS.has(path.join('.'))) return;
    if (isObject(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) if (child !== undefined) walk(child, [...path, k]);
    } else if (path.length > 0) out.add(pathKey(path));
  };
  walk(obj, []);
  return out;
};

export const fieldsToV1 = (paths: Iterable<string>): Obj => {
  const root: Obj = {};
  for (const k of paths) {
    let node = root;
    for (const seg of keyPath(k)) {
      const f = `f:${seg}`;
      node = (node[f] ??= {}) as Obj;
    }
  }
  return root;
};

export const fieldsFromV1 = (v1: unknown): Set<string> => {
  const out = new Set<string>();
  const walk = (node: unknown, path: string[]): void => {
    const children = isObject(node) ? Object.keys(node).filter((k) => k.startsWith('f:')) : [];
    if (children.length === 0) {
      if (path.length > 0) out.add(pathKey(path));
      return;
    }
    for (const c of children) walk((node as Obj)[c], [...path, c.slice(2)]);
  };
  walk(v1, []);
  return out;
};

const getPath = (obj: unknown, p: Path): unknown => {
  let cur = obj;
  for (const seg of p) {
    if (!isObject(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
};

const deletePath = (obj: Obj, p: Path): void => {
  const parents: Obj[] = [];
  let cur: unknown = obj;
  for (const seg of p.slice(0, -1)) {
    if (!isObject(cur)) return;
    parents.push(cur);
    cur = cur[seg];
  }
  if (!isObject(cur)) return;
  delete cur[p[p.length - 1]!];
  // Drop maps the removal emptied (they were only there to hold the removed field).
  let child = cur;
  for (let i = parents.length - 1; i >= 0; i--) {
    if (Object.keys(child).length > 0) break;
    delete parents[i]![p[i]!];
    child = parents[i]!;
  }
};

/** Maps merge, everything else (lists, scalars) is replaced. */
const mergeApplied = (base: unknown, applied: unknown): unknown => {
  if (!isObject(applied) || !isObject(base)) return clone(applied);
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(base[k], v);
  return out;
};

export const readManagedFields = (body: Obj | undefined): ManagedFieldsEntry[] => {
  const mf = (body?.metadata as Obj | undefined)?.managedFields;
  return Array.isArray(mf) ? (clone(mf) as ManagedFieldsEntry[]) : [];
};

const entryOf = (manager: string, operation: 'Apply' | 'Update', apiVersion: string, paths: Set<string>, now: string, subresource?: string): ManagedFieldsEntry => ({
  manager,
  operation,
  apiVersion,
  time: now,
  fieldsType: 'FieldsV1',
  fieldsV1: fieldsToV1([...paths].sort()),
  ...(subresource ? { subresource } : {}),
});

const describePath = (p: Path): string => `.${p.map((s) => (/^[A-Za-z0-9_]+$/.test(s) ? s : `[${JSON.stringify(s)}]`)).join('.').replace(/\.\[/g, '[')}`;

export interface Contested {
  readonly manager: string;
  readonly path: Path;
}

export interface SsaResult {
  /** The merged object (without managedFields). */
  readonly object: Obj;
  /** Fields the applier sets that other managers own (a conflict if the value changes). */
  readonly contested: readonly Contested[];
  /** The new managedFields; `strip` are contested fields taken over (force). */
  finalize(strip: readonly Contested[]): ManagedFieldsEntry[];
}

export { getPath };

export const conflictError = (conflicts: readonly Contested[]): ApiError => {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: describePath(c.path) }));
  return new ApiError(
    409,
    'Conflict',
    `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts.map((c) => `conflict with "${c.manager}": ${describePath(c.path)}`).join('\n')}`,
    { causes },
  );
};

/**
 * Server-side apply of `applied` by `manager` over `current` (undefined on create). Conflicts
 * are decided by the caller after admission (defaults and version conversion included): a
 * contested field conflicts only when applying changes its value.
 */
export const serverSideApply = (current: Obj | undefined, applied: Obj, manager: string, apiVersion: string, now: string): SsaResult => {
  const entries = readManagedFields(current);
  const fnew = leafPaths(applied);
  const contested: Contested[] = [];
  const sets = entries.map((e) => fieldsFromV1(e.fieldsV1));
  const ownIndex = entries.findIndex((e) => e.manager === manager && e.operation === 'Apply');
  entries.forEach((e, i) => {
    if (i === ownIndex) return;
    for (const k of fnew) if (sets[i]!.has(k)) contested.push({ manager: e.manager, path: keyPath(k) });
  });
  const fold = ownIndex >= 0 ? sets[ownIndex]! : new Set<string>();
  const base = clone(current ?? {}) as Obj;
  if (isObject(base.metadata)) delete (base.metadata as Obj).managedFields;
  for (const k of fold) {
    if (fnew.has(k)) continue;
    if (sets.some((s, i) => i !== ownIndex && s.has(k))) continue;
    deletePath(base, keyPath(k));
  }
  const object = mergeApplied(base, applied) as Obj;
  return {
    object,
    contested,
    finalize: (strip) => {
      const next: ManagedFieldsEntry[] = [];
      entries.forEach((e, i) => {
        if (i === ownIndex) return;
        const s = new Set(sets[i]!);
        for (const c of strip) if (c.manager === e.manager) s.delete(pathKey(c.path));
        if (s.size === 0) return;
        next.push(s.size === sets[i]!.size ? e : { ...e, fieldsV1: fieldsToV1([...s].sort()) });
      });
      const own = entryOf(manager, 'Apply', apiVersion, fnew, now);
      if (ownIndex >= 0 && deepEqual(entries[ownIndex]!.fieldsV1, own.fieldsV1) && entries[ownIndex]!.apiVersion === apiVersion) next.push(entries[ownIndex]!);
      else next.push(own);
      return next;
    },
  };
};

/**
 * Ownership after a non-apply write (create, update, patch) by `manager`: the fields it set or
 * changed become its own (taken from other managers, as Kubernetes does for updates).
 */
export const updateManagedFields = (
  oldBody: Obj | undefined,
  newBody: Obj,
  manager: string,
  apiVersion: string,
  now: string,
  subresource?: string,
): ManagedFieldsEntry[] => {
  const entries = readManagedFields(oldBody);
  const oldLeaves = oldBody ? leafPaths(oldBody) : new Set<string>();
  const newLeaves = leafPaths(newBody);
  const changed = new Set<string>();
  for (const k of newLeaves) if (!oldLeaves.has(k) || !deepEqual(getPath(oldBody, keyPath(k)), getPath(newBody, keyPath(k)))) changed.add(k);
  const removed = [...oldLeaves].filter((k) => !newLeaves.has(k));
  const next: ManagedFieldsEntry[] = [];
  let own: Set<string> | undefined;
  let ownEntry: ManagedFieldsEntry | undefined;
  for (const e of entries) {
    const s = fieldsFromV1(e.fieldsV1);
    const before = s.size;
    for (const k of removed) s.delete(k);
    if (e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? '')) {
      own = s;
      ownEntry = e;
      continue;
    }
    for (const k of changed) s.delete(k);
    if (s.size === 0) continue;
    next.push(s.size === before ? e : { ...e, fieldsV1: fieldsToV1([...s].sort()) });
  }
  const mine = new Set([...(own ?? []), ...changed]);
  if (mine.size > 0) {
    if (ownEntry && changed.size === 0 && deepEqual(fieldsFromV1(ownEntry.fieldsV1), mine)) next.push(ownEntry);
    else next.push(entryOf(manager, 'Update', apiVersion, mine, now, subresource));
  }
  return next;
};
