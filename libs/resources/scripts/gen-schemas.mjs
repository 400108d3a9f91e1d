#!/usr/bin/env node
// Generates libs/resources/src/generated/* (compact resource schemas) and deploy/crds/* (the CRDs
// Bosun serves) from the reference CRDs in ../shared/reference and from kubernetes-models' type
// declarations (core kinds). The runtime never reads ../shared: it uses what this writes.
//
//   npm run gen:schemas            write the files
//   node gen-schemas.mjs --check   exit 1 if a committed file differs from what would be written
//
// `generate()` is also imported by the freshness unit test.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const sharedReference = () => resolve(process.env.BOSUN_SHARED_DIR ?? join(repoRoot, '../shared'), 'reference');

const CILIUM = 'cilium-crds';
const GATEWAY = 'gateway-api-v1.6.1/config/crd/standard';

/**
 * Every CRD-backed kind Bosun serves: where its schema comes from. `versions` lists the CRD
 * versions taken (all served ones unless narrowed).
 */
const CRD_SOURCES = [
  { kind: 'CiliumLoadBalancerIPPool', file: `${CILIUM}/v2/ciliumloadbalancerippools.yaml` },
  { kind: 'CiliumBGPClusterConfig', file: `${CILIUM}/v2/ciliumbgpclusterconfigs.yaml` },
  { kind: 'CiliumBGPPeerConfig', file: `${CILIUM}/v2/ciliumbgppeerconfigs.yaml` },
  { kind: 'CiliumBGPAdvertisement', file: `${CILIUM}/v2/ciliumbgpadvertisements.yaml` },
  { kind: 'CiliumBGPNodeConfig', file: `${CILIUM}/v2/ciliumbgpnodeconfigs.yaml` },
  { kind: 'CiliumBGPNodeConfigOverride', file: `${CILIUM}/v2/ciliumbgpnodeconfigoverrides.yaml` },
  { kind: 'CiliumL2AnnouncementPolicy', file: `${CILIUM}/v2alpha1/ciliuml2announcementpolicies.yaml` },
  { kind: 'CiliumNetworkPolicy', file: `${CILIUM}/v2/ciliumnetworkpolicies.yaml` },
  { kind: 'GatewayClass', file: `${GATEWAY}/gateway.networking.k8s.io_gatewayclasses.yaml` },
  { kind: 'Gateway', file: `${GATEWAY}/gateway.networking.k8s.io_gateways.yaml` },
  { kind: 'HTTPRoute', file: `${GATEWAY}/gateway.networking.k8s.io_httproutes.yaml` },
  { kind: 'GRPCRoute', file: `${GATEWAY}/gateway.networking.k8s.io_grpcroutes.yaml` },
  { kind: 'ReferenceGrant', file: `${GATEWAY}/gateway.networking.k8s.io_referencegrants.yaml` },
];

/** Core kinds: the kubernetes-models declaration that describes each. */
const CORE_SOURCES = [
  { group: '', kind: 'Namespace', dts: 'kubernetes-models/v1/Namespace.d.ts', iface: 'INamespace' },
  { group: '', kind: 'Node', dts: 'kubernetes-models/v1/Node.d.ts', iface: 'INode' },
  { group: '', kind: 'Pod', dts: 'kubernetes-models/v1/Pod.d.ts', iface: 'IPod' },
  { group: '', kind: 'Service', dts: 'kubernetes-models/v1/Service.d.ts', iface: 'IService' },
  { group: '', kind: 'Secret', dts: 'kubernetes-models/v1/Secret.d.ts', iface: 'ISecret' },
  { group: 'discovery.k8s.io', kind: 'EndpointSlice', dts: 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice.d.ts', iface: 'IEndpointSlice' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', dts: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy.d.ts', iface: 'INetworkPolicy' },
];

// Keywords kept from the CRDs' openAPIV3Schema (descriptions, examples and titles are dropped).
const KEEP = new Set([
  'type', 'properties', 'required', 'items', 'additionalProperties', 'enum', 'format', 'pattern',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength',
  'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'default', 'nullable',
  'oneOf', 'anyOf', 'allOf', 'not',
  'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations',
]);

const compact = (s) => {
  if (Array.isArray(s)) return s.map(compact);
  if (s === null || typeof s !== 'object') return s;
  const out = {};
  for (const k of Object.keys(s).sort()) {
    if (!KEEP.has(k)) continue;
    const v = s[k];
    if (k === 'properties') {
      out[k] = Object.fromEntries(Object.keys(v).sort().map((p) => [p, compact(v[p])]));
    } else if (k === 'default' || k === 'enum') {
      out[k] = v; // values, not schemas
    } else if (k === 'x-kubernetes-validations') {
      out[k] = v.map((r) => Object.fromEntries(Object.entries(r).filter(([rk]) => ['rule', 'message', 'messageExpression', 'fieldPath', 'reason', 'optionalOldSelf'].includes(rk))));
    } else {
      out[k] = compact(v);
    }
  }
  return out;
};

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** Serialises a value into a TS module body that costs tsc nothing: JSON in a raw template string. */
const jsonModule = (header, exportName, typeName, value) => {
  const json = JSON.stringify(value, null, 1);
  if (json.includes('`') || json.includes('${')) throw new Error(`${exportName}: schema text contains a backtick or \${, cannot embed`);
  return `${header}\nimport type { ${typeName} } from '../schema';\n\nexport const ${exportName}: ${typeName} = JSON.parse(String.raw\`${json}\`) as ${typeName};\n`;
};

const readCrd = (ref, file) => {
  const text = readFileSync(join(ref, file), 'utf8');
  const doc = YAML.parse(text);
  if (doc?.kind !== 'CustomResourceDefinition') throw new Error(`${file}: not a CustomResourceDefinition`);
  return { doc, text };
};

const servedVersions = (doc) => doc.spec.versions.filter((v) => v.served);

const crdKindSchemas = (ref) => {
  const result = [];
  for (const src of CRD_SOURCES) {
    const { doc, text } = readCrd(ref, src.file);
    if (doc.spec.names.kind !== src.kind) throw new Error(`${src.file}: expected kind ${src.kind}, found ${doc.spec.names.kind}`);
    const versions = {};
    for (const v of servedVersions(doc)) versions[v.name] = compact(v.schema.openAPIV3Schema);
    const notes = [];
    if (src.kind === 'CiliumLoadBalancerIPPool') {
      // The newest v2alpha1 schema has only `blocks`; the talk's manifests (and Cilium < 1.15)
      // use the deprecated alias `cidrs` (cilium/cilium#28590). Served here as an optional
      // alias, converted to `blocks` on the way to storage. Taken from the older v2alpha1 CRD.
      const old = readCrd(ref, `${CILIUM}/v2alpha1/ciliumloadbalancerippools.yaml`).doc;
      const oldSpec = old.spec.versions.find((v) => v.name === 'v2alpha1').schema.openAPIV3Schema.properties.spec;
      const spec = versions.v2alpha1.properties.spec;
      spec.properties = Object.fromEntries(Object.entries({ ...spec.properties, cidrs: compact(oldSpec.properties.cidrs) }).sort(([a], [b]) => (a < b ? -1 : 1)));
      notes.push('v2alpha1 spec.cidrs added from cilium-crds/v2alpha1/ciliumloadbalancerippools.yaml (deprecated alias of blocks)');
    }
    result.push({
      group: doc.spec.group,
      kind: src.kind,
      scope: doc.spec.scope,
      source: src.file,
      sourceSha256: sha256(text),
      storageVersion: doc.spec.versions.find((v) => v.storage).name,
      versions,
      notes,
    });
    if (src.kind === 'CiliumNetworkPolicy') {
      // No CRD file for CiliumClusterwideNetworkPolicy in the reference: Cilium generates both from
      // the same Go Rule type, so the clusterwide kind has the same spec/specs/status schema.
      result.push({
        group: doc.spec.group,
        kind: 'CiliumClusterwideNetworkPolicy',
        scope: 'Cluster',
        source: src.file,
        sourceSha256: sha256(text),
        storageVersion: 'v2',
        versions,
        derivedFrom: src.kind,
        notes: ['derived from the CiliumNetworkPolicy schema (same spec/specs); cluster-scoped'],
      });
    }
  }
  return result;
};

// ---------------------------------------------------------------------------------------------
// Core kinds: walk kubernetes-models' TypeScript declarations with the TypeScript compiler and
// turn them into the same schema dialect (types, properties, required, enums, maps, int-or-string).
// Numbers stay `number` (the declarations do not say integer); kubernetes-models' bundled
// validators check integer-ness and formats at runtime.

const coreSchemas = () => {
  const require = createRequire(import.meta.url);
  const ts = require('typescript');
  const nm = join(repoRoot, 'node_modules');
  const files = CORE_SOURCES.map((c) => join(nm, c.dts));
  const program = ts.createProgram(files, { strict: true, noEmit: true, skipLibCheck: true, moduleResolution: ts.ModuleResolutionKind.Node10, baseUrl: nm });
  const checker = program.getTypeChecker();
  const definitions = {};

  // Definitions are keyed by declaring file (relative to node_modules) and interface name, so
  // same-named types of different API groups (core vs discovery EndpointPort) stay apart.
  const nameOf = (type) => {
    const sym = type.aliasSymbol ?? type.getSymbol();
    if (!sym || !/^I[A-Z]/.test(sym.getName())) return undefined;
    const decl = sym.declarations?.[0];
    if (!decl) return undefined;
    const file = decl.getSourceFile().fileName.replace(/\\/g, '/');
    const at = file.lastIndexOf('/node_modules/');
    const rel = file.slice(at + '/node_modules/'.length).replace(/^(@kubernetes-models\/)?/, '').replace(/\.d\.ts$/, '');
    return `${rel.slice(0, rel.lastIndexOf('/'))}/${sym.getName().replace(/^I/, '')}`;
  };

  const toSchema = (type, depth = 0) => {
    if (depth > 40) throw new Error('type too deep');
    if (type.flags & ts.TypeFlags.Union) {
      const parts = type.types;
      const literals = parts.filter((p) => p.flags & ts.TypeFlags.StringLiteral);
      if (literals.length === parts.length) return { enum: literals.map((l) => l.value).sort(), type: 'string' };
      const kinds = new Set(parts.map((p) => (p.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral) ? 'string' : p.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral) ? 'number' : p.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral) ? 'boolean' : p.flags & ts.TypeFlags.Undefined ? 'undefined' : 'other')));
      kinds.delete('undefined');
      if (kinds.size === 1 && kinds.has('boolean')) return { type: 'boolean' };
      if (kinds.size === 2 && kinds.has('string') && kinds.has('number')) return { 'x-kubernetes-int-or-string': true };
      if (kinds.size === 1) return toSchema(parts.find((p) => !(p.flags & ts.TypeFlags.Undefined)), depth + 1);
      throw new Error(`unsupported union ${checker.typeToString(type)}`);
    }
    if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)) return type.flags & ts.TypeFlags.StringLiteral ? { enum: [type.value], type: 'string' } : { type: 'string' };
    if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return { type: 'number' };
    if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
    if (type.flags & ts.TypeFlags.Any || type.flags & ts.TypeFlags.Unknown) return { 'x-kubernetes-preserve-unknown-fields': true };
    if (checker.isArrayType(type)) return { items: toSchema(checker.getTypeArguments(type)[0], depth + 1), type: 'array' };
    if (type.flags & ts.TypeFlags.Object) {
      const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
      const props = checker.getPropertiesOfType(type);
      if (index && props.length === 0) return { additionalProperties: toSchema(index.type, depth + 1), type: 'object' };
      const name = nameOf(type);
      const named = name !== undefined;
      if (props.length === 0 && !index) return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }; // FieldsV1: free-form JSON
      if (named && definitions[name]) return { $ref: name };
      const schema = { properties: {}, type: 'object' };
      if (named) definitions[name] = schema; // placeholder first: recursive types terminate
      const required = [];
      for (const p of props) {
        const decl = p.valueDeclaration ?? p.declarations?.[0];
        const pt = checker.getTypeOfSymbolAtLocation(p, decl);
        schema.properties[p.getName()] = toSchema(checker.getNonNullableType(pt), depth + 1);
        if (!(p.flags & ts.SymbolFlags.Optional)) required.push(p.getName());
      }
      schema.properties = Object.fromEntries(Object.entries(schema.properties).sort(([a], [b]) => (a < b ? -1 : 1)));
      if (required.length) schema.required = required.sort();
      return named ? { $ref: name } : schema;
    }
    throw new Error(`unsupported type ${checker.typeToString(type)}`);
  };

  const kinds = [];
  for (const c of CORE_SOURCES) {
    const sf = program.getSourceFile(join(nm, c.dts));
    if (!sf) throw new Error(`cannot read ${c.dts}`);
    const iface = sf.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === c.iface);
    if (!iface) throw new Error(`${c.dts}: no interface ${c.iface}`);
    const root = toSchema(checker.getTypeAtLocation(iface));
    kinds.push({ group: c.group, kind: c.kind, root: root.$ref });
  }
  const sortedDefs = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
  const version = JSON.parse(readFileSync(join(nm, 'kubernetes-models/package.json'), 'utf8')).version;
  return { definitions: sortedDefs, kinds, version };
};

// ---------------------------------------------------------------------------------------------

const HEADER = '// Generated by `npm run gen:schemas` (libs/resources/scripts/gen-schemas.mjs). Do not edit.';

const moduleName = (kind) => `${kind}Schemas`;

/** Everything the generator writes, as path (relative to the repo root) → content. */
export const generate = (ref = sharedReference()) => {
  const out = new Map();
  const kinds = crdKindSchemas(ref);
  const index = [HEADER, "import type { CrdKindSchemas } from '../schema';"];
  const names = [];
  for (const k of kinds) {
    const name = moduleName(k.kind);
    names.push(name);
    const header = `${HEADER}\n// Source: ${k.source} (sha256 ${k.sourceSha256})${k.notes.map((n) => `\n// Note: ${n}`).join('')}`;
    const file = k.kind.toLowerCase();
    const meta = { group: k.group, kind: k.kind, scope: k.scope, storageVersion: k.storageVersion, source: k.source, notes: k.notes };
    if (k.derivedFrom) {
      const from = moduleName(k.derivedFrom);
      out.set(`libs/resources/src/generated/${file}.ts`, `${header}\nimport type { CrdKindSchemas } from '../schema';\nimport { ${from} } from './${k.derivedFrom.toLowerCase()}';\n\nexport const ${name}: CrdKindSchemas = { ...${JSON.stringify(meta)}, versions: ${from}.versions };\n`);
    } else {
      out.set(`libs/resources/src/generated/${file}.ts`, jsonModule(header, name, 'CrdKindSchemas', { ...meta, versions: k.versions }));
    }
    index.push(`import { ${name} } from './${file}';`);
  }
  const core = coreSchemas();
  out.set('libs/resources/src/generated/core.ts', jsonModule(`${HEADER}\n// Source: kubernetes-models ${core.version} type declarations (core kinds).`, 'core', 'CoreSchemas', core));
  index.push("export { core } from './core';");
  index.push('', '/** CRD-backed kinds, one entry per kind with every served version. */', `export const crdKinds: readonly CrdKindSchemas[] = [${names.join(', ')}];`, '');
  out.set('libs/resources/src/generated/index.ts', index.join('\n'));

  // deploy/crds: the CRDs Bosun serves, verbatim, plus the derived clusterwide policy CRD.
  const copied = new Set();
  for (const src of CRD_SOURCES) {
    if (copied.has(src.file)) continue;
    copied.add(src.file);
    const base = src.file.split('/').pop();
    const text = readFileSync(join(ref, src.file), 'utf8');
    out.set(`deploy/crds/${src.file.startsWith(CILIUM) ? 'cilium.io_' + base : base}`, text);
    if (src.kind === 'CiliumNetworkPolicy') {
      const doc = YAML.parse(text);
      doc.metadata.name = 'ciliumclusterwidenetworkpolicies.cilium.io';
      doc.spec.names = { categories: ['cilium', 'ciliumpolicy'], kind: 'CiliumClusterwideNetworkPolicy', listKind: 'CiliumClusterwideNetworkPolicyList', plural: 'ciliumclusterwidenetworkpolicies', shortNames: ['ccnp'], singular: 'ciliumclusterwidenetworkpolicy' };
      doc.spec.scope = 'Cluster';
      out.set('deploy/crds/cilium.io_ciliumclusterwidenetworkpolicies.yaml', `# Derived by libs/resources/scripts/gen-schemas.mjs from ${src.file}: the reference has no\n# CiliumClusterwideNetworkPolicy CRD; Cilium builds both from the same Rule type (same spec/specs).\n${YAML.stringify(doc, { lineWidth: 0 })}`);
    }
  }
  return out;
};

const main = () => {
  const check = process.argv.includes('--check');
  const ref = sharedReference();
  if (!existsSync(ref)) {
    console.error(`gen-schemas: ${ref} not found (set BOSUN_SHARED_DIR to the folder holding reference/)`);
    process.exit(2);
  }
  let stale = 0;
  for (const [rel, content] of generate(ref)) {
    const path = join(repoRoot, rel);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === content) continue;
    if (check) {
      console.error(`stale: ${rel}`);
      stale++;
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      console.error(`wrote ${rel}`);
    }
  }
  if (check && stale) process.exit(1);
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
