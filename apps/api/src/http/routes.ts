import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { EventStore } from '@bosun/event-store';
import { renderMetrics } from '@bosun/telemetry';
import { apiVersionOf, kindByGroupKind, kindByGroupPlural, parseApiVersion, type FieldValidation, type KindInfo } from '@bosun/resources';
import { authorize, canReadSecretValues, type Authenticator, type User, type Verb } from '../auth/auth';
import { AGGREGATED_DISCOVERY_CONTENT_TYPE, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, openApiV2Document, openApiV3Document, openApiV3Root, wantsAggregatedDiscovery } from '../k8s/discovery';
import { ApiError, badRequest, notFound, statusBody } from '../k8s/errors';
import { parseFieldSelector, parseLabelSelector, matchesSelectors } from '../k8s/selectors';
import { columnDefinitions, rowCells } from '../k8s/tables';
import type { LiveObjectView } from '../objects/live-view';
import { objectKey, type StoredObject } from '../objects/projection';
import { renderObject } from '../objects/render';
import type { SecretStore } from '../secrets/secret-store';
import type { PatchType, ResourceWriter, WriteContext } from '../write/writer';
import { startWatch } from './watch';
import { decodeKubernetesProtobuf } from '../k8s/protobuf';
import { jsonPatch, mergePatch } from '../write/patch';
import type { ApiMetrics } from './metrics';

type Obj = Record<string, unknown>;

export interface RouteDeps {
  readonly view: LiveObjectView;
  readonly store: EventStore;
  readonly writer: ResourceWriter;
  readonly secrets: SecretStore;
  readonly auth: Authenticator;
  readonly metrics: ApiMetrics;
  readonly version: { gitVersion: string };
  readonly log: (msg: string, fields?: Record<string, unknown>) => void;
}

interface Target {
  info: KindInfo;
  version: string;
  namespace: string;
  name?: string;
  subresource?: string;
}

const TABLE_RE = /as=Table/;
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/metrics']);

const first = (v: unknown): string | undefined => (Array.isArray(v) ? (v[0] as string | undefined) : (v as string | undefined));
const truthy = (v: unknown): boolean => {
  const s = first(v);
  return s === 'true' || s === '1' || s === '';
};

/** Parses a Kubernetes resource path below `/api/v1` or `/apis/<group>/<version>`. */
export const parseResourcePath = (path: string): { group: string; version: string; rest: string[] } | undefined => {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (segs[0] === 'api' && segs.length >= 2) return { group: '', version: segs[1]!, rest: segs.slice(2) };
  if (segs[0] === 'apis' && segs.length >= 3) return { group: segs[1]!, version: segs[2]!, rest: segs.slice(3) };
  return undefined;
};

export const resolveTarget = (group: string, version: string, rest: string[]): Target | undefined => {
  let namespace = '';
  let r = rest;
  if (r[0] === 'namespaces' && r.length >= 3 && !(r.length === 3 && r[2] === 'status') && !(group === '' && r.length === 3 && r[2] === 'history')) {
    namespace = r[1]!;
    r = r.slice(2);
  }
  const [plural, name, subresource, ...extra] = r;
  if (!plural || extra.length > 0) return undefined;
  const info = kindByGroupPlural(group, plural);
  if (!info || !info.versions.includes(version)) return undefined;
  if (namespace && !info.namespaced) return undefined;
  if (name && info.namespaced && !namespace) return undefined;
  if (subresource && subresource !== 'status' && subresource !== 'history') return undefined;
  return { info, version, namespace, ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) };
};

const writeCtx = (req: FastifyRequest, user: User): WriteContext => {
  const q = req.query as Record<string, unknown>;
  const fv = first(q.fieldValidation);
  const cid = req.headers['x-correlation-id'];
  return {
    user,
    ...(first(q.fieldManager) ? { fieldManager: first(q.fieldManager)! } : {}),
    dryRun: first(q.dryRun) === 'All',
    ...(typeof cid === 'string' && cid ? { correlationId: cid } : {}),
    ...(fv === 'Strict' || fv === 'Warn' || fv === 'Ignore' ? { fieldValidation: fv as FieldValidation } : {}),
  };
};

/**
 * JSON is YAML too, and clients (kubectl's server-side apply among them) send JSON as
 * `application/apply-patch+yaml`: JSON.parse takes it ~20x faster than the YAML parser, which
 * only gets what JSON.parse refuses.
 */
const parseJsonFirst = <T>(text: string, yaml: (text: string) => T, asJson: (v: unknown) => T): T => {
  const head = text.trimStart()[0];
  if (head === '{' || head === '[') {
    try {
      return asJson(JSON.parse(text));
    } catch {
      /* not JSON: YAML below (a multi-document stream, flow style…) */
    }
  }
  return yaml(text);
};

const parseBody = (req: FastifyRequest): unknown => {
  const raw = req.body;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const ct = String(req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/vnd.kubernetes.protobuf') return decodeKubernetesProtobuf(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw), 'binary'));
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
  try {
    if (ct.includes('yaml')) return parseJsonFirst<unknown>(text, parseYaml, (v) => v);
    if (ct.includes('protobuf') || ct.includes('cbor')) throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw badRequest(`the request body could not be decoded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
};

const patchTypeOf = (contentType: string | undefined): PatchType => {
  const ct = String(contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (ct) {
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/json-patch+json':
      return 'json';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      return 'apply';
    default:
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
  }
};

export const registerRoutes = (app: FastifyInstance, deps: RouteDeps): void => {
  const { view, store, writer, secrets, auth, metrics } = deps;

  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 32 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer', bodyLimit: 32 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  const send = (reply: FastifyReply, code: number, body: unknown, warnings: readonly string[] = []): FastifyReply => {
    if (warnings.length) reply.header('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', '));
    return reply.code(code).header('content-type', 'application/json').header('cache-control', 'no-cache, private').send(JSON.stringify(body));
  };

  const fail = (reply: FastifyReply, e: unknown): FastifyReply => {
    if (e instanceof ApiError) return send(reply, e.code, e.toStatus());
    deps.log('request failed', { error: e instanceof Error ? e.message : String(e) });
    return send(reply, 500, statusBody(500, 'InternalError', `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`));
  };

  const userOf = (req: FastifyRequest): User => auth.authenticate(req.headers.authorization);

  // --- health, version, metrics ---------------------------------------------------------------
  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/livez', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/readyz', async (_req, reply) => (view.caughtUp ? reply.type('text/plain').send('ok') : reply.code(503).type('text/plain').send('object view is catching up with the event log')));
  app.get('/version', async (_req, reply) =>
    send(reply, 200, { major: '1', minor: '32', gitVersion: deps.version.gitVersion, gitCommit: '', gitTreeState: 'clean', buildDate: '', goVersion: '', compiler: 'node', platform: `${process.platform}/${process.arch}` }),
  );
  app.get('/metrics', async (_req, reply) => {
    metrics.objects.set(view.projection.size());
    metrics.watchers.set(view.hub.watcherCount());
    metrics.position.set(view.hub.lastPosition);
    // The API's own series plus the process-wide registry (event store, process metrics).
    const shared = await renderMetrics();
    return reply.type(metrics.registry.contentType).send(`${await metrics.registry.metrics()}\n${shared.body}`);
  });

  // --- everything else: authenticated --------------------------------------------------------
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/*',
    handler: async (req, reply) => {
      const started = process.hrtime.bigint();
      let verb = req.method.toLowerCase();
      let resource = '';
      try {
        const path = req.url.split('?')[0]!;
        if (PUBLIC_PATHS.has(path)) throw notFound('', '', path);
        const user = userOf(req);
        const r = await dispatch(req, reply, user, path, (v, res) => {
          verb = v;
          resource = res;
        });
        return r;
      } catch (e) {
        return fail(reply, e);
      } finally {
        if (verb !== 'watch') {
          metrics.requests.inc({ verb, resource, code: String(reply.statusCode) });
          metrics.latency.observe({ verb, resource }, Number(process.hrtime.bigint() - started) / 1e9);
        }
      }
    },
  });

  const dispatch = async (req: FastifyRequest, reply: FastifyReply, user: User, path: string, label: (verb: string, resource: string) => void): Promise<FastifyReply | void> => {
    const method = req.method;
    const q = req.query as Record<string, unknown>;
    // discovery and OpenAPI
    if (method === 'GET') {
      const api = path === '/api' || path === '/api/';
      if ((api || path === '/apis' || path === '/apis/') && wantsAggregatedDiscovery(req.headers.accept)) {
        return reply.code(200).header('content-type', AGGREGATED_DISCOVERY_CONTENT_TYPE).header('vary', 'Accept').send(JSON.stringify(aggregatedDiscovery(api)));
      }
      if (api) return send(reply, 200, apiVersions());
      if (path === '/apis' || path === '/apis/') return send(reply, 200, apiGroupList());
      if (path === '/openapi/v2') {
        const accept = String(req.headers.accept ?? '');
        if (accept && !accept.includes('json') && !accept.includes('*/*')) throw new ApiError(406, 'NotAcceptable', 'only application/json is served');
        return send(reply, 200, openApiV2Document());
      }
      if (path === '/openapi/v3') return send(reply, 200, openApiV3Root());
      if (path.startsWith('/openapi/v3/')) {
        const p = parseResourcePath('/' + path.slice('/openapi/v3/'.length));
        const doc = p && p.rest.length === 0 ? openApiV3Document(p.group, p.version) : undefined;
        if (!doc) throw notFound('', '', path);
        return send(reply, 200, doc);
      }
      const segs = path.split('/').filter(Boolean);
      if (segs[0] === 'apis' && segs.length === 2) {
        const g = apiGroup(segs[1]!);
        if (!g) throw notFound('', '', path);
        return send(reply, 200, g);
      }
      if ((segs[0] === 'api' && segs.length === 2) || (segs[0] === 'apis' && segs.length === 3)) {
        const l = segs[0] === 'api' ? apiResourceList('', segs[1]!) : apiResourceList(segs[1]!, segs[2]!);
        if (!l) throw notFound('', '', path);
        return send(reply, 200, l);
      }
    }
    if (path === '/apis/bosun.io/v1/apply' && method === 'POST') {
      label('apply', 'batch');
      return applyBatch(req, reply, user);
    }
    const p = parseResourcePath(path);
    const t = p ? resolveTarget(p.group, p.version, p.rest) : undefined;
    if (!t) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const { info, version, namespace, name, subresource } = t;
    const watching = method === 'GET' && !name && truthy(q.watch) && q.watch !== undefined;
    const v: Verb = method === 'GET' ? (name ? 'get' : watching ? 'watch' : 'list') : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : 'delete';
    label(v, info.plural);
    authorize(user, v, info.group, info.plural, namespace, name);

    if (subresource === 'history') {
      if (method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'history is read-only');
      const o = view.projection.get(objectKey(info.group, info.kind, namespace, name!));
      if (!o) throw notFound(info.group, info.plural, name!, info.kind);
      return send(reply, 200, { kind: 'ObjectHistory', apiVersion: 'bosun.io/v1', items: o.history });
    }

    if (method === 'GET' && name) {
      const o = view.projection.get(objectKey(info.group, info.kind, namespace, name));
      if (!o) throw notFound(info.group, info.plural, name, info.kind);
      const [rendered] = await renderAll([o], version, user);
      if (TABLE_RE.test(String(req.headers.accept ?? ''))) return send(reply, 200, table(info, [o], [rendered!], String(o.resourceVersion)));
      return send(reply, 200, rendered);
    }
    if (method === 'GET') {
      if (watching) return watch(req, reply, user, t);
      return list(req, reply, user, t);
    }
    const ctx = writeCtx(req, user);
    if (method === 'POST') {
      if (name) throw new ApiError(405, 'MethodNotAllowed', 'POST to an object path is not supported');
      const body = parseBody(req) as Obj;
      const r = await writer.create(info, version, namespace, body, ctx);
      return send(reply, 201, await withSecretData(r.object, info, namespace, user), r.warnings);
    }
    if (!name) {
      if (method === 'DELETE') return deleteCollection(req, reply, user, t, ctx);
      throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on a collection`);
    }
    if (method === 'PUT') {
      const body = parseBody(req) as Obj;
      if (subresource === 'status') {
        const r = await writer.writeStatus(info, version, namespace, name, (cur) => {
          const rv = (body?.metadata as Obj | undefined)?.resourceVersion;
          if (rv && String(rv) !== String((cur.metadata as Obj).resourceVersion)) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${info.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
          return body?.status ?? {};
        }, ctx);
        return send(reply, 200, r.object);
      }
      const r = await writer.update(info, version, namespace, name, body, ctx);
      return send(reply, 200, await withSecretData(r.object, info, namespace, user), r.warnings);
    }
    if (method === 'PATCH') {
      const type = patchTypeOf(req.headers['content-type']);
      const patch = parseBody(req);
      if (subresource === 'status') {
        if (type === 'apply') {
          const r = await writer.writeStatus(info, version, namespace, name, (cur) => ({ ...((cur.status as Obj) ?? {}), ...(((patch as Obj)?.status as Obj) ?? {}) }), ctx);
          return send(reply, 200, r.object);
        }
        const r = await writer.writeStatus(info, version, namespace, name, (cur) => ((type === 'json' ? jsonPatch(cur, patch) : mergePatch(cur, patch)) as Obj).status ?? {}, ctx);
        return send(reply, 200, r.object);
      }
      const force = truthy(q.force) && q.force !== undefined;
      const r = await writer.patch(info, version, namespace, name, type, patch, { ...ctx, force });
      return send(reply, r.created ? 201 : 200, await withSecretData(r.object, info, namespace, user), r.warnings);
    }
    if (method === 'DELETE') {
      const body = (parseBody(req) ?? {}) as Obj;
      const pre = (body.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
      const propagationPolicy = String(body.propagationPolicy ?? first(q.propagationPolicy) ?? (body.orphanDependents === true || first(q.orphanDependents) === 'true' ? 'Orphan' : 'Background'));
      const o = await writer.delete(info, version, namespace, name, { ...ctx, preconditions: pre, propagationPolicy });
      return send(reply, 200, o);
    }
    throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported`);
  };

  const renderAll = async (objs: readonly StoredObject[], version: string, user: User): Promise<Obj[]> => {
    const secretRefs = objs.filter((o) => o.info.kind === 'Secret' && o.info.group === '' && canReadSecretValues(user, String((o.body.metadata as Obj)?.namespace ?? ''))).map((o) => o.streamId);
    const values = secretRefs.length ? await secrets.getMany(secretRefs) : new Map();
    return objs.map((o) => renderObject(o, version, values.get(o.streamId)?.data));
  };

  const withSecretData = async (obj: Obj, info: KindInfo, namespace: string, user: User): Promise<Obj> => {
    if (info.kind !== 'Secret' || info.group !== '') return obj;
    if (canReadSecretValues(user, namespace)) return obj;
    const { data: _d, ...rest } = obj;
    return rest;
  };

  const table = (info: KindInfo, objs: readonly StoredObject[], rendered: readonly Obj[], rv: string, withColumns = true): Obj => ({
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv },
    ...(withColumns ? { columnDefinitions: columnDefinitions(info) } : { columnDefinitions: [] }),
    rows: rendered.map((r, i) => {
      const o = objs[i]!;
      const forCells = o.secret && !r.data ? { ...r, data: Object.fromEntries(o.secret.keys.map((k) => [k, ''])) } : r;
      return { cells: rowCells(info, forCells), object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: r.metadata } };
    }),
  });

  const list = async (req: FastifyRequest, reply: FastifyReply, user: User, t: Target): Promise<FastifyReply> => {
    const q = req.query as Record<string, unknown>;
    const labels = parseLabelSelector(first(q.labelSelector));
    const fields = parseFieldSelector(first(q.fieldSelector));
    const rv = String(view.hub.lastPosition);
    let objs: StoredObject[] = [];
    for (const o of view.projection.list(t.info)) {
      const meta = (o.body.metadata ?? {}) as Obj;
      if (t.namespace && meta.namespace !== t.namespace) continue;
      if ((labels || fields) && !matchesSelectors(meta, labels, fields)) continue;
      objs.push(o);
    }
    objs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const limit = Number(first(q.limit) ?? 0);
    const cont = first(q.continue);
    if (cont) {
      let after: string;
      try {
        after = String(JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')).k);
      } catch {
        throw badRequest('invalid continue token');
      }
      objs = objs.filter((o) => o.key > after);
    }
    let next: string | undefined;
    if (limit > 0 && objs.length > limit) {
      objs = objs.slice(0, limit);
      next = Buffer.from(JSON.stringify({ k: objs[objs.length - 1]!.key })).toString('base64url');
    }
    const rendered = await renderAll(objs, t.version, user);
    if (TABLE_RE.test(String(req.headers.accept ?? ''))) {
      const tb = table(t.info, objs, rendered, rv);
      if (next) (tb.metadata as Obj).continue = next;
      return send(reply, 200, tb);
    }
    return send(reply, 200, {
      kind: `${t.info.kind}List`,
      apiVersion: apiVersionOf(t.info.group, t.version),
      metadata: { resourceVersion: rv, ...(next ? { continue: next } : {}) },
      items: rendered,
    });
  };

  const watch = async (req: FastifyRequest, reply: FastifyReply, user: User, t: Target): Promise<void> => {
    const q = req.query as Record<string, unknown>;
    const labels = parseLabelSelector(first(q.labelSelector));
    const fields = parseFieldSelector(first(q.fieldSelector));
    const asTable = TABLE_RE.test(String(req.headers.accept ?? ''));
    const bookmarks = truthy(q.allowWatchBookmarks) && q.allowWatchBookmarks !== undefined;
    const timeoutSeconds = Number(first(q.timeoutSeconds) ?? 1800);
    const res = reply.raw;
    let open = true;
    let headerSent = false;
    let sentColumns = false;
    const queue: string[] = [];
    const writeLine = (line: string): void => {
      if (!open) return;
      if (!headerSent) {
        queue.push(line);
        return;
      }
      const ok = res.write(line);
      if (!ok && res.writableLength > 32 * 1024 * 1024) close();
    };
    const h: { stop?: () => void; timer?: NodeJS.Timeout; bookmarkTimer?: NodeJS.Timeout } = {};
    const close = (): void => {
      if (!open) return;
      open = false;
      h.stop?.();
      if (h.timer) clearTimeout(h.timer);
      if (h.bookmarkTimer) clearInterval(h.bookmarkTimer);
      metrics.requests.inc({ verb: 'watch', resource: t.info.plural, code: '200' });
      res.end();
    };
    const sink = {
      send: (type: string, o: StoredObject): void => {
        // Watch events of Secrets carry metadata and key names only, never values.
        const rendered = renderObject(o, t.version);
        const object = asTable ? table(t.info, [o], [rendered], String(o.resourceVersion), !sentColumns) : rendered;
        sentColumns = true;
        writeLine(`${JSON.stringify({ type, object })}\n`);
      },
      bookmark: (resourceVersion: number, initialEventsEnd?: boolean): void => {
        if (!bookmarks && !initialEventsEnd) return;
        writeLine(
          `${JSON.stringify({
            type: 'BOOKMARK',
            object: { kind: t.info.kind, apiVersion: apiVersionOf(t.info.group, t.version), metadata: { resourceVersion: String(resourceVersion), ...(initialEventsEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}) } },
          })}\n`,
        );
      },
    };
    // Errors before the stream starts are plain Status responses (e.g. 410 Expired).
    h.stop = await startWatch(view, store, { info: t.info, namespace: t.namespace, ...(labels ? { labels } : {}), ...(fields ? { fields } : {}) }, first(q.resourceVersion), truthy(q.sendInitialEvents) && q.sendInitialEvents !== undefined, sink as never);
    reply.hijack();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    headerSent = true;
    for (const l of queue.splice(0)) res.write(l);
    res.on('close', close);
    req.raw.on('close', close);
    h.timer = setTimeout(close, Math.max(1, timeoutSeconds) * 1000);
    if (bookmarks) h.bookmarkTimer = setInterval(() => sink.bookmark(view.hub.lastPosition), 5000);
    void user;
  };

  const deleteCollection = async (req: FastifyRequest, reply: FastifyReply, user: User, t: Target, ctx: WriteContext): Promise<FastifyReply> => {
    const q = req.query as Record<string, unknown>;
    const labels = parseLabelSelector(first(q.labelSelector));
    const fields = parseFieldSelector(first(q.fieldSelector));
    const victims = [...view.projection.list(t.info)].filter((o) => {
      const meta = (o.body.metadata ?? {}) as Obj;
      return (!t.namespace || meta.namespace === t.namespace) && matchesSelectors(meta, labels, fields);
    });
    const items: Obj[] = [];
    for (const o of victims) {
      const meta = o.body.metadata as Obj;
      try {
        items.push(await writer.delete(t.info, t.version, String(meta.namespace ?? ''), String(meta.name), ctx));
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    void user;
    return send(reply, 200, { kind: `${t.info.kind}List`, apiVersion: apiVersionOf(t.info.group, t.version), metadata: { resourceVersion: String(view.hub.lastPosition) }, items });
  };

  /**
   * `POST /apis/bosun.io/v1/apply?fieldManager=…`: a multi-document apply, all or nothing.
   * Body: YAML/JSON documents (a stream, a list or a `kind: List`). Every document is admitted
   * first; only when all pass are their events appended in one transaction. On failure: 422 with
   * `details.causes[].field` prefixed by the document (`[2] Service blue/x: spec.ports[0].port`).
   */
  const applyBatch = async (req: FastifyRequest, reply: FastifyReply, user: User): Promise<FastifyReply> => {
    const raw = req.body;
    const text = raw === undefined ? '' : Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
    let docs: Obj[];
    try {
      const yamlDocuments = (t: string): unknown[] =>
        parseAllDocuments(t).map((d) => {
          if (d.errors.length) throw new Error(d.errors[0]!.message);
          return d.toJS() as unknown;
        });
      const parsed = parseJsonFirst(text, yamlDocuments, (v) => [v]);
      docs = parsed.flatMap((d) => (d && typeof d === 'object' && (d as Obj).kind === 'List' && Array.isArray((d as Obj).items) ? ((d as Obj).items as Obj[]) : Array.isArray(d) ? (d as Obj[]) : d == null ? [] : [d as Obj]));
    } catch (e) {
      throw badRequest(`the request body could not be decoded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    const q = req.query as Record<string, unknown>;
    const defaultNs = first(q.namespace) || 'default';
    const ctx = writeCtx(req, user);
    const entries: Parameters<ResourceWriter['applyBatch']>[0][number][] = [];
    const causes: { field: string; reason: string; message: string }[] = [];
    docs.forEach((d, i) => {
      if (!d || typeof d !== 'object' || Array.isArray(d)) {
        causes.push({ field: `[${i}]`, reason: 'FieldValueInvalid', message: 'document is not an object' });
        return;
      }
      const { group, version } = parseApiVersion(String(d.apiVersion ?? ''));
      const info = kindByGroupKind(group, String(d.kind ?? ''));
      const meta = (d.metadata ?? {}) as Obj;
      if (!d.apiVersion || !d.kind || !info || !info.versions.includes(version)) {
        causes.push({ field: `[${i}]`, reason: 'FieldValueNotSupported', message: `no matches for kind "${String(d.kind)}" in version "${String(d.apiVersion)}"` });
        return;
      }
      const namespace = info.namespaced ? String(meta.namespace || defaultNs) : '';
      const name = String(meta.name ?? '');
      authorize(user, 'patch', info.group, info.plural, namespace, name);
      entries.push({ info, version, namespace, name, object: d });
    });
    if (causes.length) throw new ApiError(422, 'Invalid', `the request is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`, { causes });
    const force = truthy(q.force) && q.force !== undefined;
    const r = await writer.applyBatch(entries, { ...ctx, force });
    if ('errors' in r) {
      const all: { field: string; reason: string; message: string }[] = [];
      let code = 422;
      for (const { index, error } of r.errors) {
        const e = entries[index]!;
        const label = `[${index}] ${e.info.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name}`;
        if (error.code !== 422) code = error.code === 409 ? 409 : error.code >= 500 ? 500 : code === 422 ? error.code : code;
        const ec = (error.details?.causes ?? []) as { field?: string; reason?: string; message: string }[];
        if (ec.length) for (const c of ec) all.push({ field: `${label}: ${c.field ?? ''}`, reason: c.reason ?? error.reason, message: c.message });
        else all.push({ field: label, reason: error.reason, message: error.message });
      }
      throw new ApiError(code, code === 422 ? 'Invalid' : code === 409 ? 'Conflict' : 'BadRequest', `nothing was applied: ${all.length} problem${all.length > 1 ? 's' : ''} in ${r.errors.length} of ${entries.length} documents:\n${all.map((c) => `${c.field}: ${c.message}`).join('\n')}`, {
        causes: all,
      });
    }
    // Each document's warnings, named by the document (also as `Warning:` headers, as kubectl shows them).
    const label = (i: number): string => {
      const e = entries[i]!;
      return `${e.info.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name}`;
    };
    const warnings = r.results.flatMap((x, i) => x.warnings.map((w) => `${label(i)}: ${w}`));
    return send(
      reply,
      200,
      {
        kind: 'List',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(view.hub.lastPosition) },
        items: r.results.map((x) => x.object),
        results: r.results.map((x, i) => ({ index: i, created: x.created, changed: x.changed, ...(x.warnings.length ? { warnings: x.warnings } : {}) })),
      },
      warnings,
    );
  };

};
