/**
 * Conversion between the served versions of a kind (the role of a CRD conversion webhook).
 *
 * cilium.io v2alpha1 ↔ v2, field by field (from a diff of the two CRD versions):
 * - CiliumLoadBalancerIPPool: `spec.cidrs[]` (v2alpha1's deprecated alias) → appended to `spec.blocks[]`.
 *   Going down, `blocks` stays `blocks` (the current v2alpha1 schema has it).
 * - CiliumBGPClusterConfig / CiliumBGPNodeConfig: v2alpha1 `peers[].peerConfigRef.{group,kind}`
 *   (only `cilium.io` / `CiliumBGPPeerConfig` are accepted) are dropped going up and restored
 *   going down; v2-only `peers[].autoDiscovery` and `peers[].peerInterface` have no v2alpha1 form.
 * - CiliumBGPPeerConfig: v2alpha1-only `spec.transport.localPort`; v2-only `spec.transport.sourceInterface`.
 * - CiliumBGPAdvertisement: v2-only advertisementType `Interface` (and its `interface` field).
 * - CiliumBGPNodeConfigOverride: v2-only `peers[].peerInterface`.
 *
 * What one version cannot hold is kept, as Kubernetes' own conversions do, in an annotation on
 * the converted object (`conversion.bosun.io/<from-version>-fields`: JSON list of paths and
 * values) and put back when converting the other way, so v2alpha1 → v2 → v2alpha1 (and
 * v2 → v2alpha1 → v2) are identities. Gateway API versions share one schema: only
 * `apiVersion` changes.
 */
import type { CrdKindSchemas, Schema } from './schema';
import { isObject, resolve, type Json, type JsonObject, type SchemaContext } from './structural';

export const CONVERSION_ANNOTATION_PREFIX = 'conversion.bosun.io/';
const stashKey = (fromVersion: string) => `${CONVERSION_ANNOTATION_PREFIX}${fromVersion}-fields`;

type PathSeg = string | number;
interface Stashed {
  readonly path: PathSeg[];
  readonly value: Json;
  /** A whole list item removed (re-inserted at its index), rather than a field. */
  readonly item?: boolean;
}

const peerRefDefaults = { group: 'cilium.io', kind: 'CiliumBGPPeerConfig' };

const peersOf = (obj: JsonObject): JsonObject[] => {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const out: JsonObject[] = [];
  for (const inst of Array.isArray(spec.bgpInstances) ? spec.bgpInstances : []) {
    if (!isObject(inst)) continue;
    for (const p of Array.isArray(inst.peers) ? inst.peers : []) if (isObject(p)) out.push(p);
  }
  return out;
};

/** Structural renames per kind, before the remainder is fitted to the target schema. */
const UP: Record<string, (o: JsonObject) => void> = {
  CiliumLoadBalancerIPPool: (o) => {
    const spec = isObject(o.spec) ? o.spec : undefined;
    if (!spec || !Array.isArray(spec.cidrs)) return;
    const blocks = Array.isArray(spec.blocks) ? spec.blocks : [];
    spec.blocks = [...blocks, ...spec.cidrs.map((c) => (isObject(c) ? { cidr: c.cidr ?? null } : c))];
    delete spec.cidrs;
  },
  CiliumBGPClusterConfig: (o) => peersOf(o).forEach((p) => isObject(p.peerConfigRef) && (delete p.peerConfigRef.group, delete p.peerConfigRef.kind)),
  CiliumBGPNodeConfig: (o) => peersOf(o).forEach((p) => isObject(p.peerConfigRef) && (delete p.peerConfigRef.group, delete p.peerConfigRef.kind)),
};

const DOWN: Record<string, (o: JsonObject) => void> = {
  CiliumBGPClusterConfig: (o) => peersOf(o).forEach((p) => isObject(p.peerConfigRef) && Object.assign(p.peerConfigRef, { ...peerRefDefaults, ...p.peerConfigRef })),
  CiliumBGPNodeConfig: (o) => peersOf(o).forEach((p) => isObject(p.peerConfigRef) && Object.assign(p.peerConfigRef, { ...peerRefDefaults, ...p.peerConfigRef })),
};

/** Removes what `schema` cannot hold (fields, and list items whose enum values it lacks), recording it. */
const fit = (value: Json, schema: Schema, ctx: SchemaContext, path: PathSeg[], out: Stashed[]): void => {
  const s = resolve(schema, ctx);
  if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties && !s.additionalProperties && !s.items) return;
  if (Array.isArray(value)) {
    if (!s.items) return;
    const items = resolve(s.items, ctx);
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      if (isObject(item) && items.properties && !itemFits(item, items, ctx)) {
        out.push({ path: [...path, i], value: item, item: true });
        value.splice(i, 1);
        i--;
        continue;
      }
      fit(item, items, ctx, [...path, i], out);
    }
    return;
  }
  if (!isObject(value)) return;
  for (const k of Object.keys(value)) {
    const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (!sub) {
      if (s.additionalProperties === true || s['x-kubernetes-preserve-unknown-fields']) continue;
      out.push({ path: [...path, k], value: value[k]! });
      delete value[k];
      continue;
    }
    fit(value[k]!, sub, ctx, [...path, k], out);
  }
};

/** An object list item fits when every enum-typed scalar property it sets is allowed by the target. */
const itemFits = (item: JsonObject, s: Schema, ctx: SchemaContext): boolean => {
  for (const [k, v] of Object.entries(item)) {
    const sub = s.properties?.[k];
    if (!sub) continue;
    const r = resolve(sub, ctx);
    if (r.enum && typeof v === 'string' && !r.enum.includes(v)) return false;
  }
  return true;
};

const restore = (obj: JsonObject, stashed: readonly Stashed[]): void => {
  for (const s of stashed) {
    let cur: Json = obj;
    const last = s.path[s.path.length - 1]!;
    let ok = true;
    for (const seg of s.path.slice(0, -1)) {
      const next: Json | undefined = Array.isArray(cur) && typeof seg === 'number' ? cur[seg] : isObject(cur) && typeof seg === 'string' ? cur[seg] : undefined;
      if (next === undefined || next === null) {
        ok = false;
        break;
      }
      cur = next;
    }
    if (!ok) continue; // the parent is gone (edited in the other version): the field goes with it
    if (s.item && Array.isArray(cur) && typeof last === 'number') cur.splice(Math.min(last, cur.length), 0, s.value);
    else if (isObject(cur) && typeof last === 'string' && cur[last] === undefined) cur[last] = s.value;
  }
};

const annotations = (obj: JsonObject): JsonObject => {
  const meta = (isObject(obj.metadata) ? obj.metadata : (obj.metadata = {})) as JsonObject;
  return (isObject(meta.annotations) ? meta.annotations : (meta.annotations = {})) as JsonObject;
};

const tidyAnnotations = (obj: JsonObject): void => {
  const meta = obj.metadata;
  if (isObject(meta) && isObject(meta.annotations) && Object.keys(meta.annotations).length === 0) delete meta.annotations;
};

/**
 * Converts a (validated, defaulted) object of `kind` from version `from` to version `to`.
 * `obj` is modified in place and returned.
 */
export const convertVersion = (obj: JsonObject, kind: CrdKindSchemas, from: string, to: string, ctx: SchemaContext): JsonObject => {
  obj.apiVersion = `${kind.group}/${to}`;
  if (from === to || kind.group !== 'cilium.io') return obj;
  const ann = annotations(obj);
  // Fields of `to` that an earlier conversion into `from` had to set aside.
  const back = ann[stashKey(to)];
  delete ann[stashKey(to)];
  const up = to === kind.storageVersion;
  (up ? UP : DOWN)[kind.kind]?.(obj);
  const target = kind.versions[to];
  if (!target) throw new Error(`${kind.kind}: no version ${to}`);
  const stashed: Stashed[] = [];
  for (const part of ['spec', 'status'] as const) {
    const sub = target.properties?.[part];
    if (obj[part] !== undefined && sub) fit(obj[part]!, sub, ctx, [part], stashed);
  }
  if (typeof back === 'string') {
    try {
      restore(obj, JSON.parse(back) as Stashed[]);
    } catch {
      // a hand-edited annotation: nothing to restore
    }
  }
  if (stashed.length > 0) annotations(obj)[stashKey(from)] = JSON.stringify(stashed);
  tidyAnnotations(obj);
  return obj;
};
