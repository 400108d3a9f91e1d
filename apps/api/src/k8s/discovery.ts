import { createHash } from 'node:crypto';
import { KINDS, apiVersionOf, openApiSchema, type KindInfo } from '@bosun/resources';

const READ = ['get', 'list', 'watch'];
const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Group → served versions (preferred first). */
export const groups = (): Map<string, string[]> => {
  const m = new Map<string, string[]>();
  for (const k of KINDS) {
    const vs = m.get(k.group) ?? [];
    for (const v of k.versions) if (!vs.includes(v)) vs.push(v);
    m.set(k.group, vs);
  }
  return m;
};

export const kindsIn = (group: string, version: string): KindInfo[] => KINDS.filter((k) => k.group === group && k.versions.includes(version));

export const apiVersions = (): Record<string, unknown> => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
});

const groupEntry = (name: string, versions: string[]): Record<string, unknown> => ({
  name,
  versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
  preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
});

export const apiGroupList = (): Record<string, unknown> => ({
  kind: 'APIGroupList',
  apiVersion: 'v1',
  groups: [...groups()].filter(([g]) => g !== '').map(([g, vs]) => groupEntry(g, vs)),
});

export const apiGroup = (group: string): Record<string, unknown> | undefined => {
  const vs = groups().get(group);
  if (!vs || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, vs) };
};

export const apiResourceList = (group: string, version: string): Record<string, unknown> | undefined => {
  const kinds = kindsIn(group, version);
  if (kinds.length === 0) return undefined;
  const list: Record<string, unknown>[] = [];
  for (const k of kinds) {
    list.push({
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: k.projected ? READ : ALL,
      ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
      ...(k.categories.length ? { categories: k.categories } : {}),
      storageVersionHash: createHash('sha256').update(`${k.group}/${k.storageVersion}/${k.kind}`).digest('base64').slice(0, 11),
    });
    if (k.hasStatus && !k.projected) list.push({ name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources: list };
};

// ---------------------------------------------------------------------------------------------
// OpenAPI. Schemas come from the resources library (the CRDs' and Kubernetes' schemas); a kind it
// has none for is an object that preserves unknown fields (admission validates either way).

const defName = (info: KindInfo, version: string): string =>
  `${info.group ? info.group.split('.').reverse().join('.') : 'io.k8s.api.core'}.${version}.${info.kind}`;

const schemaOf = (info: KindInfo, version: string): Record<string, unknown> => {
  const fromLib = openApiSchema(info, version);
  const gvk = [{ group: info.group, version, kind: info.kind }];
  if (fromLib) return { ...fromLib, 'x-kubernetes-group-version-kind': gvk };
  return {
    type: 'object',
    description: `${info.kind} (${apiVersionOf(info.group, version)})`,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    'x-kubernetes-preserve-unknown-fields': true,
    'x-kubernetes-group-version-kind': gvk,
  };
};

const queryParams = (names: string[]): Record<string, unknown>[] => names.map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string' }, uniqueItems: true }));

const groupVersionPath = (group: string, version: string): string => (group ? `apis/${group}/${version}` : `api/${version}`);

export const openApiV3Document = (group: string, version: string): Record<string, unknown> | undefined => {
  const kinds = kindsIn(group, version);
  if (kinds.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const k of kinds) {
    const gvk = { group: k.group, version, kind: k.kind };
    const ref = { $ref: `#/components/schemas/${defName(k, version)}` };
    schemas[defName(k, version)] = schemaOf(k, version);
    const base = `/${groupVersionPath(group, version)}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}`;
    const op = (action: string, params: string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      operationId: `${action}${k.kind}`,
      parameters: queryParams(params),
      responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      ...extra,
    });
    const body = { requestBody: { content: { '*/*': { schema: ref } } } };
    const pathParams = [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }, ...(k.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }] : [])];
    const collection: Record<string, unknown> = { get: op('list', ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'watch', 'timeoutSeconds']) };
    const item: Record<string, unknown> = { get: op('get', []), parameters: pathParams };
    if (!k.projected) {
      collection.post = op('post', ['dryRun', 'fieldManager', 'fieldValidation'], body);
      item.put = op('put', ['dryRun', 'fieldManager', 'fieldValidation'], body);
      item.patch = op('patch', ['dryRun', 'fieldManager', 'fieldValidation', 'force'], { requestBody: { content: { 'application/apply-patch+yaml': { schema: ref }, 'application/merge-patch+json': { schema: ref }, 'application/json-patch+json': { schema: ref } } } });
      item.delete = op('delete', ['dryRun', 'gracePeriodSeconds', 'propagationPolicy']);
    }
    paths[base] = collection;
    paths[`${base}/{name}`] = item;
    if (k.hasStatus && !k.projected) {
      paths[`${base}/{name}/status`] = { parameters: pathParams, get: op('get', []), put: op('put', ['dryRun', 'fieldManager', 'fieldValidation'], body), patch: op('patch', ['dryRun', 'fieldManager', 'fieldValidation', 'force'], body) };
    }
  }
  return { openapi: '3.0.0', info: { title: 'Bosun', version: apiVersionOf(group, version) }, paths, components: { schemas } };
};

export const openApiV3Root = (): Record<string, unknown> => {
  const paths: Record<string, unknown> = {};
  for (const [g, vs] of groups()) {
    for (const v of vs) {
      const p = groupVersionPath(g, v);
      const hash = createHash('sha256').update(JSON.stringify(openApiV3Document(g, v))).digest('hex').slice(0, 32).toUpperCase();
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
    }
  }
  return { paths };
};

export const openApiV2Document = (): Record<string, unknown> => {
  const definitions: Record<string, unknown> = {};
  for (const k of KINDS) for (const v of k.versions) definitions[defName(k, v)] = schemaOf(k, v);
  return { swagger: '2.0', info: { title: 'Bosun', version: 'v1' }, paths: {}, definitions };
};

/**
 * Aggregated discovery (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`): what kubectl asks for
 * first on `/api` and `/apis`, so that one request describes every group instead of one per
 * group-version. `core` selects the legacy group (`/api`) or the named groups (`/apis`).
 */
export const aggregatedDiscovery = (core: boolean): Record<string, unknown> => ({
  kind: 'APIGroupDiscoveryList',
  apiVersion: 'apidiscovery.k8s.io/v2',
  metadata: {},
  items: [...groups()]
    .filter(([g]) => (g === '') === core)
    .map(([g, versions]) => ({
      metadata: { name: g, creationTimestamp: null },
      versions: versions.map((v) => ({
        version: v,
        freshness: 'Current',
        resources: kindsIn(g, v).map((k) => ({
          resource: k.plural,
          responseKind: { group: k.group, version: v, kind: k.kind },
          scope: k.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: k.singular,
          verbs: k.projected ? READ : ALL,
          ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
          ...(k.categories.length ? { categories: k.categories } : {}),
          ...(k.hasStatus && !k.projected ? { subresources: [{ subresource: 'status', responseKind: { group: k.group, version: v, kind: k.kind }, verbs: ['get', 'patch', 'update'] }] } : {}),
        })),
      })),
    })),
});

export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const wantsAggregatedDiscovery = (accept: string | undefined): boolean => /g=apidiscovery\.k8s\.io;\s*v=v2;\s*as=APIGroupDiscoveryList/.test(accept ?? '');
