import * as resources from '@bosun/resources';
import type { AdmitOptions, AdmitResult, KindInfo, StatusCause } from '@bosun/resources';
import { apiVersionOf } from '@bosun/resources';

/**
 * Admission (validation, defaulting, conversion to the storage version) is the resources
 * library's `admit()`. Until it lands, a pass-through keeps the API usable: it checks only what
 * the API itself needs (apiVersion/kind/name) and converts between served versions.
 * TODO(api): call `admit` directly once `@bosun/resources` exports it.
 */
type AdmitFn = (object: unknown, opts: AdmitOptions) => AdmitResult;
type ConvertFn = (object: Record<string, unknown>, toApiVersion: string) => Record<string, unknown>;

const lib = resources as unknown as { admit?: AdmitFn; convert?: ConvertFn; convertToVersion?: ConvertFn };

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export const admitObject = (info: KindInfo, object: Record<string, unknown>, opts: AdmitOptions): AdmitResult => {
  const meta = (object.metadata ?? {}) as Record<string, unknown>;
  const causes: StatusCause[] = [];
  if (typeof meta.name !== 'string' || meta.name === '') causes.push({ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' });
  else if (meta.name.length > 253 || !NAME_RE.test(meta.name))
    causes.push({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${meta.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` });
  if (causes.length > 0) return { ok: false, causes };
  if (typeof lib.admit === 'function') return lib.admit(object, opts);
  return { ok: true, object: convertObject(info, object, apiVersionOf(info.group, info.storageVersion)), warnings: [] };
};

/** Converts a stored object to a served version (storage → request version). */
export const convertObject = (info: KindInfo, object: Record<string, unknown>, toApiVersion: string): Record<string, unknown> => {
  if (object.apiVersion === toApiVersion) return object;
  const convert = lib.convert ?? lib.convertToVersion;
  if (typeof convert === 'function') return convert(object, toApiVersion);
  return fallbackConvert(info, object, toApiVersion);
};

/**
 * Rewrites deprecated aliases in a client's (partial) object to the field both versions share,
 * before it is merged with the stored object: a pool's v2alpha1 `spec.cidrs` is `spec.blocks`
 * (otherwise a re-apply of `cidrs` over stored `blocks` would append the blocks again).
 */
export const normalizeAliases = (info: KindInfo, object: unknown): { object: unknown; warnings: string[] } => {
  if (info.kind !== 'CiliumLoadBalancerIPPool' || !object || typeof object !== 'object' || Array.isArray(object)) return { object, warnings: [] };
  const o = object as Record<string, unknown>;
  const spec = o.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object' || !('cidrs' in spec)) return { object, warnings: [] };
  const { cidrs, ...rest } = spec;
  const blocks = [...(Array.isArray(rest.blocks) ? rest.blocks : []), ...(Array.isArray(cidrs) ? cidrs : [])];
  return { object: { ...o, spec: { ...rest, ...(cidrs === null && !rest.blocks ? { blocks: null } : { blocks }) } }, warnings: ['spec.cidrs is deprecated; use spec.blocks'] };
};

// CiliumLoadBalancerIPPool: v2alpha1 `spec.cidrs` ↔ v2 `spec.blocks` (the rest is identical).
const fallbackConvert = (info: KindInfo, object: Record<string, unknown>, toApiVersion: string): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...object, apiVersion: toApiVersion };
  if (info.kind === 'CiliumLoadBalancerIPPool' && object.spec && typeof object.spec === 'object') {
    const spec = { ...(object.spec as Record<string, unknown>) };
    if (toApiVersion.endsWith('/v2alpha1') && 'blocks' in spec) {
      spec.cidrs = spec.blocks;
      delete spec.blocks;
    } else if (toApiVersion.endsWith('/v2') && 'cidrs' in spec) {
      spec.blocks = spec.cidrs;
      delete spec.cidrs;
    }
    out.spec = spec;
  }
  return out;
};
