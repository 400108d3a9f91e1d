import { admit, convert, type AdmitOptions, type AdmitResult, type KindInfo } from '@bosun/resources';

/** Admission: validation, defaulting and conversion to the storage version (`@bosun/resources`). */
export const admitObject = (_info: KindInfo, object: Record<string, unknown>, opts: AdmitOptions): AdmitResult => admit(object, opts);

/** Converts a stored object to a served version (storage → request version). */
export const convertObject = (_info: KindInfo, object: Record<string, unknown>, toApiVersion: string): Record<string, unknown> =>
  object.apiVersion === toApiVersion ? object : convert(object, toApiVersion);

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
