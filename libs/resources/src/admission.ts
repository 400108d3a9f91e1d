/**
 * Resource admission: what kube-apiserver does to a manifest between decoding and storage —
 * unknown-field handling (fieldValidation), defaulting, validation (schema, CEL rules, hand
 * rules, metadata), and conversion to the storage version. Pure and synchronous.
 */
import type { AdmitOptions, AdmitResult, StatusCause } from './admission-types';
import { CEL_RULES } from './cel-rules';
import { convertVersion } from './conversion';
import {
  defaultEndpointSlice,
  defaultNamespace,
  defaultNetworkPolicy,
  defaultPod,
  defaultSecret,
  defaultService,
  validateEndpointSlice,
  validateNetworkPolicy,
  validateNode,
  validatePod,
  validateSecret,
  validateService,
  type CoreRuleOptions,
} from './core-rules';
import { CRD_RULES } from './crd-rules';
import { core, crdKinds } from './generated';
import { validateWithKubernetesModels } from './kubernetes-models-check';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, validateAnnotations, validateLabels, type NameValidator } from './k8s-validation';
import { apiVersionOf, kindByGroupKind, parseApiVersion, type KindInfo } from './kinds';
import type { CrdKindSchemas, Schema } from './schema';
import type { IPFamily } from './service-ip-families';
import { FieldErrors, applyDefaults, child, index, isObject, prune, resolve, validateValue, type Json, type JsonObject, type SchemaContext } from './structural';

const OBJECT_META = 'apimachinery/apis/meta/v1/ObjectMeta';

/** Everything admission knows about one kind. */
interface KindEntry {
  readonly info: KindInfo;
  /** Root schema per served version. */
  readonly versions: Readonly<Record<string, Schema>>;
  readonly ctx: SchemaContext;
  readonly crd?: CrdKindSchemas;
  readonly nameValidator: NameValidator;
}

/** CRD roots: kube validates `metadata` as ObjectMeta whatever the CRD says (`type: object`). */
const withObjectMeta = (root: Schema): Schema => ({
  ...root,
  properties: { ...root.properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: OBJECT_META } },
});

const NAME_VALIDATORS: Record<string, NameValidator> = {
  '/Service': isDNS1035Label,
  '/Namespace': isDNS1123Label,
};

const buildRegistry = (): Map<string, KindEntry> => {
  const m = new Map<string, KindEntry>();
  const coreCtx: SchemaContext = { definitions: core.definitions, cel: CEL_RULES };
  for (const c of core.kinds) {
    const info = kindByGroupKind(c.group, c.kind);
    if (!info) continue;
    const root = resolve({ $ref: c.root }, coreCtx);
    const versions = Object.fromEntries(info.versions.map((v) => [v, withObjectMeta(root)]));
    m.set(`${c.group}/${c.kind}`, { info, versions, ctx: coreCtx, nameValidator: NAME_VALIDATORS[`${c.group}/${c.kind}`] ?? isDNS1123Subdomain });
  }
  for (const crd of crdKinds) {
    const info = kindByGroupKind(crd.group, crd.kind);
    if (!info) continue;
    const versions = Object.fromEntries(Object.entries(crd.versions).filter(([v]) => info.versions.includes(v)).map(([v, s]) => [v, withObjectMeta(s)]));
    m.set(`${crd.group}/${crd.kind}`, { info, versions, ctx: coreCtx, crd, nameValidator: isDNS1123Subdomain });
  }
  return m;
};

let registry: Map<string, KindEntry> | undefined;
const entries = (): Map<string, KindEntry> => (registry ??= buildRegistry());

const entryFor = (group: string, kind: string): KindEntry | undefined => entries().get(`${group}/${kind}`);

/** The schema of a served version, `$ref`s resolved (for OpenAPI publishing). Undefined if not served. */
export const servedSchema = (group: string, kind: string, version: string): Schema | undefined => {
  const e = entryFor(group, kind);
  const root = e?.versions[version];
  if (!e || !root) return undefined;
  const inline = (s: Schema, depth: number): Schema => {
    const r = resolve(s, e.ctx);
    if (depth > 30) return { type: r.type ?? 'object', 'x-kubernetes-preserve-unknown-fields': true };
    const out: Record<string, unknown> = { ...r };
    if (r.properties) out.properties = Object.fromEntries(Object.entries(r.properties).map(([k, v]) => [k, inline(v, depth + 1)]));
    if (r.items) out.items = inline(r.items, depth + 1);
    if (typeof r.additionalProperties === 'object') out.additionalProperties = inline(r.additionalProperties, depth + 1);
    return out as Schema;
  };
  return inline(root, 0);
};

const clone = (v: unknown): JsonObject => JSON.parse(JSON.stringify(v)) as JsonObject;

const DEFAULT_CLUSTER_FAMILIES: readonly IPFamily[] = ['IPv4'];

/** Kept for callers that imported it; `AdmitOptions` carries `clusterIPFamilies` now. */
export type AdmitOptionsExt = AdmitOptions;

const validateMetadata = (obj: JsonObject, e: KindEntry, errors: FieldErrors, options: AdmitOptionsExt, old: JsonObject | undefined): void => {
  const meta = isObject(obj.metadata) ? obj.metadata : undefined;
  if (!meta) {
    errors.required('metadata.name', 'name or generateName is required');
    if (e.info.namespaced) errors.required('metadata.namespace');
    return;
  }
  const name = meta.name;
  if (typeof name !== 'string' || name === '') {
    if (typeof meta.generateName !== 'string' || meta.generateName === '') errors.required('metadata.name', 'name or generateName is required');
  } else {
    for (const m of e.nameValidator(name)) errors.invalid('metadata.name', name, m);
  }
  if (typeof meta.generateName === 'string' && meta.generateName !== '') {
    const prefix = meta.generateName.replace(/-+$/, '') || 'a';
    for (const m of e.nameValidator(prefix)) errors.invalid('metadata.generateName', meta.generateName, m);
  }
  const ns = meta.namespace;
  if (e.info.namespaced) {
    if (typeof ns !== 'string' || ns === '') errors.required('metadata.namespace');
    else for (const m of isDNS1123Label(ns)) errors.invalid('metadata.namespace', ns, m);
  } else if (typeof ns === 'string' && ns !== '') {
    errors.forbidden('metadata.namespace', 'not allowed on this type');
  }
  validateLabels(meta.labels, 'metadata.labels', errors);
  validateAnnotations(meta.annotations, 'metadata.annotations', errors);
  if (Array.isArray(meta.finalizers)) {
    meta.finalizers.forEach((f, i) => {
      if (typeof f === 'string') for (const m of isQualifiedName(f)) errors.invalid(index('metadata.finalizers', i), f, m);
    });
  }
  if (Array.isArray(meta.ownerReferences)) {
    meta.ownerReferences.forEach((r, i) => {
      if (!isObject(r)) return;
      const p = index('metadata.ownerReferences', i);
      for (const f of ['apiVersion', 'kind', 'name', 'uid']) if (typeof r[f] !== 'string' || r[f] === '') errors.required(child(p, f));
    });
  }
  if (options.operation === 'update' && old && isObject(old.metadata)) {
    if (old.metadata.name !== undefined && name !== old.metadata.name) errors.invalid('metadata.name', name ?? null, 'field is immutable');
    if ((old.metadata.namespace ?? '') !== (ns ?? '')) errors.invalid('metadata.namespace', ns ?? null, 'field is immutable');
  }
};

const coreDefaults = (gk: string, obj: JsonObject, o: CoreRuleOptions): void => {
  switch (gk) {
    case '/Service':
      return defaultService(obj, o);
    case 'networking.k8s.io/NetworkPolicy':
      return defaultNetworkPolicy(obj);
    case 'discovery.k8s.io/EndpointSlice':
      return defaultEndpointSlice(obj);
    case '/Namespace':
      return defaultNamespace(obj);
    case '/Secret':
      return defaultSecret(obj);
    case '/Pod':
      return defaultPod(obj);
    default:
      return;
  }
};

const coreValidate = (gk: string, obj: JsonObject, errors: FieldErrors, o: CoreRuleOptions): void => {
  switch (gk) {
    case '/Service':
      return validateService(obj, errors, o);
    case 'networking.k8s.io/NetworkPolicy':
      return validateNetworkPolicy(obj, errors);
    case 'discovery.k8s.io/EndpointSlice':
      return validateEndpointSlice(obj, errors);
    case '/Secret':
      return validateSecret(obj, errors);
    case '/Node':
      return validateNode(obj, errors);
    case '/Pod':
      return validatePod(obj, errors);
    default:
      return;
  }
};

const fail = (causes: StatusCause[]): AdmitResult => ({ ok: false, causes });

/** Resolves `apiVersion`/`kind` of a manifest to a served kind and version, or the causes why not. */
const lookup = (object: unknown): { entry: KindEntry; version: string } | { causes: StatusCause[] } => {
  const errors = new FieldErrors();
  if (!isObject(object)) {
    errors.typeInvalid('', typeof object, 'must be an object');
    return { causes: errors.list };
  }
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || apiVersion === '') errors.required('apiVersion');
  if (typeof kind !== 'string' || kind === '') errors.required('kind');
  if (!errors.empty) return { causes: errors.list };
  const { group, version } = parseApiVersion(apiVersion as string);
  const entry = entryFor(group, kind as string);
  if (!entry) {
    const served = [...entries().values()].filter((e) => e.info.group === group).map((e) => e.info.kind);
    if (served.length) errors.notSupported('kind', kind, served);
    else errors.notSupported('apiVersion', apiVersion, [...new Set([...entries().values()].map((e) => apiVersionOf(e.info.group, e.info.versions[0]!)))]);
    return { causes: errors.list };
  }
  if (!entry.versions[version]) {
    errors.notSupported('apiVersion', apiVersion, entry.info.versions.map((v) => apiVersionOf(group, v)));
    return { causes: errors.list };
  }
  return { entry, version };
};

/**
 * Validates, defaults and converts a manifest as a user sent it (any served `apiVersion`) to its
 * kind's storage version. Never modifies `object`.
 */
export const admit = (object: unknown, options: AdmitOptionsExt): AdmitResult => {
  const found = lookup(object);
  if ('causes' in found) return fail(found.causes);
  const { entry, version } = found;
  const gk = `${entry.info.group}/${entry.info.kind}`;
  const obj = clone(object);
  const root = entry.versions[version]!;
  const warnings: string[] = [];
  const errors = new FieldErrors();

  // Deprecated served versions warn, as the CRDs (deprecated: true) make kube-apiserver do.
  if (entry.crd && entry.crd.group === 'cilium.io' && version !== entry.crd.storageVersion && entry.crd.versions[entry.crd.storageVersion])
    warnings.push(`${entry.crd.group}/${version} ${entry.info.kind} is deprecated; use ${entry.crd.group}/${entry.crd.storageVersion} ${entry.info.kind}`);

  // 1. Unknown fields.
  const unknown: string[] = [];
  prune(obj, root, entry.ctx, '', unknown);
  const mode = options.fieldValidation ?? 'Warn';
  for (const path of unknown.sort()) {
    if (mode === 'Strict') errors.add(path, 'FieldValueUnknown', `unknown field "${path}"`);
    else if (mode === 'Warn') warnings.push(`unknown field "${path}"`);
  }
  if (isObject(obj.spec) && Array.isArray(obj.spec.cidrs)) warnings.push('spec.cidrs is deprecated; use spec.blocks');

  // The stored object, in this request's version, for transition rules and immutability.
  let old: JsonObject | undefined;
  if (options.operation === 'update' && options.old && isObject(options.old)) {
    old = clone(options.old);
    if (entry.crd) {
      const from = parseApiVersion(String(old.apiVersion ?? '')).version || entry.info.storageVersion;
      if (entry.crd.versions[from] && from !== version) convertVersion(old, entry.crd, from, version, entry.ctx);
    }
  }

  // 2. Defaults (structural first, then the hand defaults of core kinds).
  const coreOpts: CoreRuleOptions = { clusterIPFamilies: options.clusterIPFamilies ?? DEFAULT_CLUSTER_FAMILIES, old };
  applyDefaults(obj, root, entry.ctx);
  if (!entry.crd) coreDefaults(gk, obj, coreOpts);

  // 3. Validation.
  validateMetadata(obj, entry, errors, options, old);
  const body = { ...obj };
  delete body.metadata; // validated above, by kube's rules rather than ObjectMeta's schema
  delete body.apiVersion;
  delete body.kind;
  validateValue(body as Json, { ...root, required: root.required?.filter((r) => r !== 'metadata' && r !== 'apiVersion' && r !== 'kind') }, entry.ctx, '', errors, old as Json | undefined);
  if (entry.crd) CRD_RULES.get(gk)?.(obj, errors, warnings);
  else {
    coreValidate(gk, obj, errors, coreOpts);
    validateWithKubernetesModels(gk, obj, errors);
  }
  if (!errors.empty) return fail(errors.list);

  // 4. Storage version.
  const stored = toStorageEntry(obj, entry, version);
  return { ok: true, object: stored, warnings };
};

const toStorageEntry = (obj: JsonObject, entry: KindEntry, from: string): JsonObject => {
  const to = entry.info.storageVersion;
  if (entry.crd) {
    convertVersion(obj, entry.crd, from, to, entry.ctx);
    applyDefaults(obj, entry.versions[to]!, entry.ctx);
  } else {
    obj.apiVersion = apiVersionOf(entry.info.group, to);
  }
  return obj;
};

/**
 * Converts a stored (or any served-version) object to `targetApiVersion` for a read. Throws when
 * the kind or the target version is not served (a programming error in the caller).
 */
export const convert = (object: Record<string, unknown>, targetApiVersion: string): Record<string, unknown> => {
  const found = lookup(object);
  if ('causes' in found) throw new Error(`convert: ${found.causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`);
  const { entry, version } = found;
  const target = parseApiVersion(targetApiVersion);
  if (target.group !== entry.info.group || !entry.versions[target.version]) throw new Error(`convert: ${entry.info.kind} is not served as ${targetApiVersion}`);
  const obj = clone(object);
  if (entry.crd) {
    convertVersion(obj, entry.crd, version, target.version, entry.ctx);
    applyDefaults(obj, entry.versions[target.version]!, entry.ctx);
  } else {
    obj.apiVersion = targetApiVersion;
  }
  return obj;
};

/** Converts an object (any served version) to its kind's storage version. */
export const toStorage = (object: Record<string, unknown>): Record<string, unknown> => {
  const found = lookup(object);
  if ('causes' in found) throw new Error(`toStorage: ${found.causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`);
  return convert(object, apiVersionOf(found.entry.info.group, found.entry.info.storageVersion));
};

/**
 * The message kube-apiserver puts in a 422 Status: `Service "x" is invalid: [spec.ports: Required value, ...]`.
 * `groupKind` is `Kind` for the core group, `Kind.group` otherwise.
 */
export const invalidMessage = (group: string, kind: string, name: string, causes: readonly StatusCause[]): string => {
  const gk = group ? `${kind}.${group}` : kind;
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  return `${gk} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`;
};

/** OpenAPI v3 schema of a kind in a served version (`$ref`s inlined), for the API's /openapi/v3. */
export const openApiSchema = (info: KindInfo, version: string): Record<string, unknown> | undefined =>
  servedSchema(info.group, info.kind, version) as Record<string, unknown> | undefined;
