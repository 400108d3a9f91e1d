/**
 * Structural-schema semantics as kube-apiserver applies them to custom resources: pruning of
 * unknown fields, defaulting, and value validation with kube-style field paths and messages
 * (k8s.io/apiextensions-apiserver: pkg/apiserver/schema/{pruning,defaulting}, kube-openapi
 * validate). Pure; schemas are interpreted, with regexes and enum sets compiled once per node.
 */
import type { CauseReason, StatusCause } from './admission-types';
import type { CelRule, Schema } from './schema';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Field paths, printed as k8s.io/apimachinery/pkg/util/validation/field.Path does.

export const child = (path: string, name: string): string => (path ? `${path}.${name}` : name);
export const index = (path: string, i: number): string => `${path}[${i}]`;
export const key = (path: string, k: string): string => `${path}[${k}]`;

/** A value as field.Error prints it: strings quoted, numbers and booleans bare, the rest as JSON. */
export const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
};

/** Collects field errors; messages are field.Error's ErrorBody(). */
export class FieldErrors {
  readonly list: StatusCause[] = [];
  private readonly seen = new Set<string>();

  add(field: string, reason: CauseReason, message: string): void {
    const k = `${field}\u0000${reason}\u0000${message}`;
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.list.push({ field, reason, message });
  }
  required(field: string, detail?: string): void {
    this.add(field, 'FieldValueRequired', detail ? `Required value: ${detail}` : 'Required value');
  }
  invalid(field: string, value: unknown, detail: string): void {
    this.add(field, 'FieldValueInvalid', `Invalid value: ${show(value)}: ${detail}`);
  }
  notSupported(field: string, value: unknown, supported: readonly unknown[]): void {
    this.add(field, 'FieldValueNotSupported', `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => show(s)).join(', ')}`);
  }
  duplicate(field: string, value: unknown): void {
    this.add(field, 'FieldValueDuplicate', `Duplicate value: ${show(value)}`);
  }
  forbidden(field: string, detail: string): void {
    this.add(field, 'FieldValueForbidden', `Forbidden: ${detail}`);
  }
  tooLong(field: string, max: number): void {
    this.add(field, 'FieldValueTooLong', `Too long: may not be more than ${max} bytes`);
  }
  tooMany(field: string, actual: number, max: number): void {
    this.add(field, 'FieldValueTooMany', `Too many: ${actual}: must have at most ${max} items`);
  }
  typeInvalid(field: string, value: unknown, detail: string): void {
    this.add(field, 'FieldValueTypeInvalid', `Invalid value: ${show(value)}: ${detail}`);
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Schema access: `$ref` resolution into a definitions table, compiled regexes and enum sets.

export interface SchemaContext {
  readonly definitions?: Readonly<Record<string, Schema>>;
  /** Hand implementations of `x-kubernetes-validations` rules, keyed by rule text. */
  readonly cel?: CelRegistry;
}

export type CelCheck = (self: any, oldSelf: any, ctx: { readonly path: string; readonly errors: FieldErrors }) => boolean | void;
export type CelRegistry = ReadonlyMap<string, CelCheck>;

const regexCache = new Map<string, RegExp>();
/** Go RE2 patterns as JS regexes ('u' so \p classes work; RE2 has no lookaround, so this is safe). */
export const regex = (pattern: string): RegExp => {
  let r = regexCache.get(pattern);
  if (!r) {
    // RE2 inline case-insensitive flag at the start ((?i)...) has no JS equivalent: lift it.
    const [body, flags] = pattern.startsWith('(?i)') ? [pattern.slice(4), 'i'] : [pattern, ''];
    try {
      r = new RegExp(body, `${flags}u`);
    } catch {
      r = new RegExp(body, flags); // identity escapes such as \_ are fine in RE2 but not in unicode mode
    }
    regexCache.set(pattern, r);
  }
  return r;
};

const enumCache = new WeakMap<Schema, Set<string>>();
const enumSet = (s: Schema): Set<string> => {
  let e = enumCache.get(s);
  if (!e) {
    e = new Set((s.enum ?? []).map((v) => JSON.stringify(v)));
    enumCache.set(s, e);
  }
  return e;
};

export const resolve = (s: Schema, ctx: SchemaContext): Schema => {
  let cur = s;
  for (let i = 0; cur.$ref !== undefined; i++) {
    const next = ctx.definitions?.[cur.$ref];
    if (!next || i > 16) throw new Error(`unresolvable schema reference ${cur.$ref}`);
    cur = next;
  }
  return cur;
};

const jsonType = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};

// ---------------------------------------------------------------------------------------------
// Pruning: drop fields the schema does not know; report their paths.

/**
 * Removes unknown fields in place, appending their paths to `unknown`. `null` in a field whose
 * schema is not nullable is dropped too (kube does this before defaulting), silently.
 */
export const prune = (value: Json, schema: Schema, ctx: SchemaContext, path: string, unknown: string[]): void => {
  const s = resolve(schema, ctx);
  if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties && !s.additionalProperties && !s.items) return;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((item, i) => prune(item, s.items!, ctx, index(path, i), unknown));
    return;
  }
  if (!isObject(value)) return;
  const props = s.properties;
  const ap = s.additionalProperties;
  for (const k of Object.keys(value)) {
    const sub = props?.[k] ?? (typeof ap === 'object' ? ap : undefined);
    const p = props?.[k] || typeof ap !== 'object' ? child(path, k) : key(path, k);
    if (!sub) {
      if (ap === true || s['x-kubernetes-preserve-unknown-fields']) continue;
      if (s['x-kubernetes-embedded-resource'] && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      unknown.push(p);
      delete value[k];
      continue;
    }
    const v = value[k]!;
    if (v === null && !resolve(sub, ctx).nullable) {
      delete value[k];
      continue;
    }
    prune(v, sub, ctx, p, unknown);
  }
};

// ---------------------------------------------------------------------------------------------
// Defaulting: structural defaults, top-down, recursing into defaulted values too.

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export const applyDefaults = (value: Json, schema: Schema, ctx: SchemaContext): void => {
  const s = resolve(schema, ctx);
  if (Array.isArray(value)) {
    if (s.items) for (const item of value) applyDefaults(item, s.items, ctx);
    return;
  }
  if (!isObject(value)) return;
  if (s.properties) {
    for (const [k, sub] of Object.entries(s.properties)) {
      const r = resolve(sub, ctx);
      if (value[k] === undefined && r.default !== undefined) value[k] = clone(r.default as Json);
      const v = value[k];
      if (v !== undefined && v !== null) applyDefaults(v, r, ctx);
    }
  }
  if (typeof s.additionalProperties === 'object') {
    for (const [k, v] of Object.entries(value)) if (!s.properties?.[k] && v !== null) applyDefaults(v, s.additionalProperties, ctx);
  }
};

// ---------------------------------------------------------------------------------------------
// Validation.

const isIPv4 = (s: string): boolean => {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
};
const isIPv6 = (s: string): boolean => {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.length < 2) return false;
  let body = s;
  let groups = 8;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.')) {
    if (!isIPv4(body.slice(lastColon + 1))) return false;
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = body.indexOf('::');
  if (dbl !== body.lastIndexOf('::')) return false;
  const hex = (g: string) => /^[0-9A-Fa-f]{1,4}$/.test(g);
  if (dbl < 0) {
    const gs = body.split(':');
    return gs.length === groups && gs.every(hex);
  }
  const [a, b] = [body.slice(0, dbl), body.slice(dbl + 2)];
  const ga = a ? a.split(':') : [];
  const gb = b ? b.split(':') : [];
  groups -= 1;
  return ga.every(hex) && gb.every(hex) && ga.length + gb.length <= groups;
};
/** An IP address as Go's net.ParseIP accepts it (no zones, no leading zeros in IPv4). */
export const isIP = (s: string): boolean => isIPv4(s) || isIPv6(s);
export const ipFamily = (s: string): 4 | 6 | undefined => (isIPv4(s) ? 4 : isIPv6(s) ? 6 : undefined);
/** A CIDR as Go's net.ParseCIDR accepts it (host bits may be set). */
export const isCIDR = (s: string): boolean => {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(len)) return false;
  const fam = ipFamily(ip);
  return fam === 4 ? Number(len) <= 32 : fam === 6 ? Number(len) <= 128 : false;
};

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$/;
const MAC = /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/;

/** String formats kube-apiserver checks in CRDs (others, such as int32 or idn-hostname, are ignored). */
const FORMATS: Record<string, (s: string) => boolean> = {
  ipv4: isIPv4,
  ipv6: isIPv6,
  cidr: isCIDR,
  hostname: (s) => s.length <= 253 && DNS1123_SUBDOMAIN.test(s),
  'date-time': (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
  datetime: (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s),
  uuid: (s) => UUID.test(s),
  duration: (s) => DURATION.test(s),
  mac: (s) => MAC.test(s),
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
};

const listMapKey = (item: unknown, keys: readonly string[]): string | undefined =>
  isObject(item) ? JSON.stringify(keys.map((k) => item[k] ?? null)) : undefined;

/** Validates `value` against `schema`, adding kube-style field errors. `old` is the same field in the stored object. */
export const validateValue = (value: Json | undefined, schema: Schema, ctx: SchemaContext, path: string, errors: FieldErrors, old: Json | undefined): void => {
  if (value === undefined) return;
  const s = resolve(schema, ctx);
  if (value === null) {
    if (!s.nullable && (s.type || s['x-kubernetes-int-or-string'])) errors.typeInvalid(path, 'null', `${path} in body must be of type ${s.type ?? 'integer,string'}: "null"`);
    return;
  }
  const t = jsonType(value);
  if (s['x-kubernetes-int-or-string']) {
    if (t !== 'integer' && t !== 'string') {
      errors.typeInvalid(path, t, `${path} in body must be of type integer,string: ${show(t)}`);
      return;
    }
  } else if (s.type) {
    const ok = s.type === t || (s.type === 'number' && t === 'integer');
    if (!ok) {
      errors.typeInvalid(path, t, `${path} in body must be of type ${s.type}: ${show(t)}`);
      return;
    }
  }

  if (s.enum && !enumSet(s).has(JSON.stringify(value))) {
    errors.notSupported(path, value, s.enum);
  }

  if (typeof value === 'string') {
    if (s.maxLength !== undefined && [...value].length > s.maxLength) errors.tooLong(path, s.maxLength);
    if (s.minLength !== undefined && [...value].length < s.minLength) errors.invalid(path, value, `${path} in body should be at least ${s.minLength} chars long`);
    if (s.pattern !== undefined && !regex(s.pattern).test(value)) errors.invalid(path, value, `${path} in body should match '${s.pattern}'`);
    if (s.format !== undefined) {
      const check = FORMATS[s.format];
      if (check && !check(value)) errors.invalid(path, value, `${path} in body must be of type ${s.format}: ${show(value)}`);
    }
  } else if (typeof value === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? value <= s.minimum : value < s.minimum))
      errors.invalid(path, value, `${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`);
    if (s.maximum !== undefined && (s.exclusiveMaximum ? value >= s.maximum : value > s.maximum))
      errors.invalid(path, value, `${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`);
    if (s.multipleOf !== undefined && value % s.multipleOf !== 0) errors.invalid(path, value, `${path} in body should be a multiple of ${s.multipleOf}`);
  } else if (Array.isArray(value)) {
    if (s.maxItems !== undefined && value.length > s.maxItems) errors.tooMany(path, value.length, s.maxItems);
    if (s.minItems !== undefined && value.length < s.minItems) errors.invalid(path, value.length, `${path} in body should have at least ${s.minItems} items`);
    const listType = s['x-kubernetes-list-type'];
    const mapKeys = s['x-kubernetes-list-map-keys'];
    const oldByKey = new Map<string, Json>();
    if (listType === 'map' && mapKeys && Array.isArray(old)) for (const o of old) {
      const k = listMapKey(o, mapKeys);
      if (k !== undefined) oldByKey.set(k, o);
    }
    if (listType === 'set' || s.uniqueItems) {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const k = JSON.stringify(item);
        if (seen.has(k)) {
          if (listType === 'set') errors.duplicate(index(path, i), item);
          else errors.invalid(path, value, `${path} in body shouldn't contain duplicates`);
        }
        seen.add(k);
      });
    } else if (listType === 'map' && mapKeys) {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const k = listMapKey(item, mapKeys);
        if (k === undefined) return;
        if (seen.has(k)) errors.duplicate(index(path, i), Object.fromEntries(mapKeys.filter((mk) => isObject(item) && item[mk] !== undefined).map((mk) => [mk, (item as JsonObject)[mk]!])));
        seen.add(k);
      });
    }
    if (s.items) {
      value.forEach((item, i) => {
        const o = listType === 'map' && mapKeys ? oldByKey.get(listMapKey(item, mapKeys) ?? '') : undefined;
        validateValue(item, s.items!, ctx, index(path, i), errors, o);
      });
    }
  } else if (isObject(value)) {
    const oldObj = isObject(old) ? old : undefined;
    for (const r of s.required ?? []) if (value[r] === undefined) errors.required(child(path, r));
    const n = Object.keys(value).length;
    if (s.maxProperties !== undefined && n > s.maxProperties) errors.tooMany(path, n, s.maxProperties);
    if (s.minProperties !== undefined && n < s.minProperties) errors.invalid(path, n, `${path} in body should have at least ${s.minProperties} properties`);
    for (const [k, v] of Object.entries(value)) {
      const sub = s.properties?.[k];
      if (sub) validateValue(v, sub, ctx, child(path, k), errors, oldObj?.[k]);
      else if (typeof s.additionalProperties === 'object') validateValue(v, s.additionalProperties, ctx, key(path, k), errors, oldObj?.[k]);
    }
  }

  // Value validations that combine schemas (structural schemas allow no types inside these).
  if (s.allOf) for (const sub of s.allOf) validateValue(value, sub, ctx, path, errors, old);
  if (s.oneOf) {
    const valid = s.oneOf.filter((sub) => matches(value, sub, ctx)).length;
    if (valid !== 1) errors.invalid(path, t, `${path} in body must validate one and only one schema (oneOf). Found ${valid === 0 ? 'none' : valid} valid alternatives`);
  }
  if (s.anyOf && !s.anyOf.some((sub) => matches(value, sub, ctx))) {
    // Report what the alternatives said when they all are format checks (e.g. ipv4 | ipv6).
    const formats = s.anyOf.map((sub) => sub.format).filter((f): f is string => !!f);
    if (formats.length === s.anyOf.length) errors.invalid(path, value, `${path} in body must be of type ${formats.join(' or ')}: ${show(value)}`);
    else errors.invalid(path, t, `${path} in body must validate at least one schema (anyOf)`);
  }
  if (s.not && matches(value, s.not, ctx)) errors.invalid(path, t, `${path} in body must not validate the schema (not)`);

  const rules = s['x-kubernetes-validations'];
  if (rules && ctx.cel) evaluateRules(rules, value, old, ctx.cel, path, errors);
};

const matches = (value: Json, schema: Schema, ctx: SchemaContext): boolean => {
  const e = new FieldErrors();
  validateValue(value, schema, { definitions: ctx.definitions }, '', e, undefined);
  return e.empty;
};

const evaluateRules = (rules: readonly CelRule[], value: Json, old: Json | undefined, registry: CelRegistry, path: string, errors: FieldErrors): void => {
  for (const rule of rules) {
    const usesOld = /\boldSelf\b/.test(rule.rule);
    if (usesOld && old === undefined && !rule.optionalOldSelf) continue; // transition rules run on update only
    const check = registry.get(rule.rule);
    if (!check) continue; // every rule is either implemented or listed as skipped (see cel-rules.ts)
    const ok = check(value, old, { path, errors });
    if (ok === false) {
      const at = rule.fieldPath ? path + rule.fieldPath : path;
      const reason = (rule.reason ?? 'FieldValueInvalid') as CauseReason;
      const message = rule.message ?? `failed rule: ${rule.rule}`;
      if (reason === 'FieldValueInvalid') errors.invalid(at, jsonType(value) === 'integer' ? 'integer' : jsonType(value), message);
      else if (reason === 'FieldValueRequired') errors.required(at, message);
      else if (reason === 'FieldValueForbidden') errors.forbidden(at, message);
      else if (reason === 'FieldValueDuplicate') errors.duplicate(at, message);
      else errors.add(at, reason, message);
    }
  }
};
