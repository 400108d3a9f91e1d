import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { apiVersionOf, kindByGroupKind, parseApiVersion, resolveKindName, type KindInfo } from '@bosun/resources';
import type { HistoryEntry } from '@bosun/contracts';
import { resolveClientConfig, type ClientConfig, type ClientConfigOptions } from './config';

/** The `history` subresource's entries (`describe`), defined once in contracts. */
export type { HistoryEntry };

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
};

export interface KubeList<T = KubeObject> {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export interface StatusCause {
  field?: string;
  reason?: string;
  message: string;
}

/** A Kubernetes `Status` error answer (4xx/5xx). */
export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly causes: StatusCause[] = [],
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiStatusError';
  }
}

/** A kind: its registry entry, a name as typed (`svc`, `ippools`), or `apiVersion`+`kind`. */
export type KindRef = KindInfo | string | { apiVersion: string; kind: string };

export const kindOf = (ref: KindRef): { info: KindInfo; version: string } => {
  if (typeof ref === 'string') {
    const info = resolveKindName(ref);
    if (!info) throw new Error(`the server doesn't have a resource type "${ref}"`);
    return { info, version: info.versions[0]! };
  }
  if ('plural' in ref) return { info: ref, version: ref.versions[0]! };
  const { group, version } = parseApiVersion(ref.apiVersion);
  const info = kindByGroupKind(group, ref.kind);
  if (!info || !info.versions.includes(version)) throw new Error(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
  return { info, version };
};

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly accept?: string;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

export interface ResponseData {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly version?: string;
}

export interface WatchOptions extends ListOptions {
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  readonly sendInitialEvents?: boolean;
  readonly timeoutSeconds?: number;
  /** `table`: events carry `meta.k8s.io/v1 Table` objects (the server's printer columns). */
  readonly as?: 'table';
}

export interface WatchEvent<T = KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

export interface WatchHandle {
  stop(): void;
  /** Resolves when the stream ends (server timeout, stop()), rejects on a transport error. */
  readonly done: Promise<void>;
}

export interface WriteOptions {
  readonly fieldManager?: string;
  readonly force?: boolean;
  readonly dryRun?: boolean;
}

/**
 * Client of the Bosun API at Kubernetes paths, over `http://`, `https://` or `unix:/path.sock`
 * (per-node agents inside network namespaces use the Unix socket).
 */
export class BosunClient {
  readonly config: ClientConfig;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly base: { secure: boolean; host?: string; port?: number; socketPath?: string; prefix: string };

  /** Explicit options win over `BOSUN_SERVER` / `BOSUN_TOKEN`, the config file and `.bosun/admin.token`. */
  constructor(opts: ClientConfigOptions = {}, config?: ClientConfig) {
    this.config = config ?? resolveClientConfig(opts);
    const s = this.config.server;
    if (s.startsWith('unix:')) {
      this.base = { secure: false, socketPath: s.slice(5), prefix: '' };
      this.agent = new HttpAgent({ keepAlive: true, maxSockets: 128 });
    } else {
      const u = new URL(s);
      const secure = u.protocol === 'https:';
      this.base = { secure, host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (secure ? 443 : 80)), prefix: u.pathname.replace(/\/$/, '') };
      this.agent = secure
        ? new HttpsAgent({ keepAlive: true, maxSockets: 128, ...(this.config.ca ? { ca: this.config.ca } : {}), rejectUnauthorized: !this.config.insecureSkipTlsVerify })
        : new HttpAgent({ keepAlive: true, maxSockets: 128 });
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private open(method: string, path: string, opts: RequestOptions): Promise<IncomingMessage> {
    const qs = Object.entries(opts.query ?? {})
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const fullPath = `${this.base.prefix}${path}${qs ? `?${qs}` : ''}`;
    let payload: Buffer | undefined;
    if (opts.body !== undefined) payload = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    const headers: Record<string, string> = {
      accept: opts.accept ?? 'application/json',
      'user-agent': 'bosun-client',
      ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}),
      ...(payload ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': String(payload.length) } : {}),
      ...opts.headers,
    };
    const req = (this.base.secure ? httpsRequest : httpRequest)({
      method,
      path: fullPath,
      headers,
      agent: this.agent,
      ...(this.base.socketPath ? { socketPath: this.base.socketPath } : { host: this.base.host, port: this.base.port }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return new Promise((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
      req.end(payload);
    });
  }

  /** One request; throws ApiStatusError for error codes. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ResponseData> {
    const res = await this.open(method, path, opts);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    if (String(res.headers['content-type'] ?? '').includes('json') && text) body = JSON.parse(text);
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      const b = body as { reason?: string; message?: string; details?: { causes?: StatusCause[] } } | string;
      if (typeof b === 'object' && b) throw new ApiStatusError(status, b.reason ?? 'Unknown', b.message ?? `HTTP ${status}`, b.details?.causes ?? [], body);
      throw new ApiStatusError(status, 'Unknown', typeof b === 'string' && b ? b : `HTTP ${status}`);
    }
    return { status, headers: res.headers, body };
  }

  /** `/api/v1/namespaces/ns/services[/name[/sub]]` for a kind. */
  path(ref: KindRef, opts: { namespace?: string; name?: string; subresource?: string; version?: string } = {}): string {
    const { info, version } = kindOf(ref);
    const v = opts.version ?? version;
    const gv = info.group ? `/apis/${info.group}/${v}` : `/api/${v}`;
    const ns = info.namespaced && opts.namespace ? `/namespaces/${encodeURIComponent(opts.namespace)}` : '';
    if (info.namespaced && opts.name && !opts.namespace) throw new Error(`${info.kind} "${opts.name}": a namespace is required`);
    return `${gv}${ns}/${info.plural}${opts.name ? `/${encodeURIComponent(opts.name)}` : ''}${opts.subresource ? `/${opts.subresource}` : ''}`;
  }

  private objectRef(obj: KubeObject): { ref: KindRef; namespace?: string; name: string } {
    if (!obj.apiVersion || !obj.kind) throw new Error('the object needs apiVersion and kind');
    const name = obj.metadata?.name;
    if (!name) throw new Error(`${obj.kind}: metadata.name is required`);
    const { info } = kindOf({ apiVersion: obj.apiVersion, kind: obj.kind });
    return { ref: { apiVersion: obj.apiVersion, kind: obj.kind }, name, ...(info.namespaced ? { namespace: obj.metadata?.namespace ?? 'default' } : {}) };
  }

  async get<T = KubeObject>(ref: KindRef, name: string, namespace?: string): Promise<T> {
    return (await this.request('GET', this.path(ref, { name, ...(namespace ? { namespace } : {}) }))).body as T;
  }

  /** Like get, but undefined for 404. */
  async tryGet<T = KubeObject>(ref: KindRef, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, name, namespace);
    } catch (e) {
      if (e instanceof ApiStatusError && e.code === 404) return undefined;
      throw e;
    }
  }

  async list<T = KubeObject>(ref: KindRef, opts: ListOptions = {}): Promise<KubeList<T>> {
    const path = this.path(ref, { ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.version ? { version: opts.version } : {}) });
    return (await this.request('GET', path, { query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit, continue: opts.continue } })).body as KubeList<T>;
  }

  /** The server's `meta.k8s.io/v1 Table` for a list (or one object): the same columns as kubectl. */
  async table(ref: KindRef, opts: ListOptions & { name?: string } = {}): Promise<Table> {
    const path = this.path(ref, { ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.name ? { name: opts.name } : {}) });
    return (await this.request('GET', path, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io', query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector } })).body as Table;
  }

  async create<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const { ref, namespace } = this.objectRef(obj);
    return (await this.request('POST', this.path(ref, namespace ? { namespace } : {}), { body: obj, query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined } })).body as T;
  }

  async replace<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const { ref, namespace, name } = this.objectRef(obj);
    return (await this.request('PUT', this.path(ref, { name, ...(namespace ? { namespace } : {}) }), { body: obj, query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined } })).body as T;
  }

  /** Server-side apply of one object (`fieldManager` defaults to `bosun`). */
  async apply<T extends KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const { ref, namespace, name } = this.objectRef(obj);
    return (
      await this.request('PATCH', this.path(ref, { name, ...(namespace ? { namespace } : {}) }), {
        body: obj,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: opts.fieldManager ?? 'bosun', force: opts.force ? 'true' : undefined, dryRun: opts.dryRun ? 'All' : undefined },
      })
    ).body as T;
  }

  /**
   * All-or-nothing apply of many objects in one request (Bosun's `/apis/bosun.io/v1/apply`):
   * nothing is stored unless every object is valid.
   */
  async applyAll(objs: readonly KubeObject[] | string, opts: WriteOptions & { namespace?: string } = {}): Promise<ApplyAllResult> {
    const body = typeof objs === 'string' ? objs : JSON.stringify({ kind: 'List', apiVersion: 'v1', items: objs });
    const r = await this.request('POST', '/apis/bosun.io/v1/apply', {
      body,
      contentType: typeof objs === 'string' ? 'application/yaml' : 'application/json',
      query: { fieldManager: opts.fieldManager ?? 'bosun', force: opts.force ? 'true' : undefined, dryRun: opts.dryRun ? 'All' : undefined, namespace: opts.namespace },
    });
    const b = r.body as { items: KubeObject[]; results?: Array<{ created: boolean; changed: boolean; warnings?: string[] }> };
    return { items: b.items, results: (b.results ?? b.items.map(() => ({ created: false, changed: true, warnings: [] as string[] }))).map((x) => ({ ...x, warnings: x.warnings ?? [] })) };
  }

  async patch<T = KubeObject>(ref: KindRef, name: string, patch: unknown, opts: WriteOptions & { namespace?: string; type?: 'merge' | 'json'; subresource?: 'status' } = {}): Promise<T> {
    return (
      await this.request('PATCH', this.path(ref, { name, ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.subresource ? { subresource: opts.subresource } : {}) }), {
        body: patch,
        contentType: opts.type === 'json' ? 'application/json-patch+json' : 'application/merge-patch+json',
        query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined },
      })
    ).body as T;
  }

  /** Replaces the `status` of an object (PUT …/status). */
  async updateStatus<T extends KubeObject>(obj: T): Promise<T> {
    const { ref, namespace, name } = this.objectRef(obj);
    return (await this.request('PUT', this.path(ref, { name, subresource: 'status', ...(namespace ? { namespace } : {}) }), { body: obj })).body as T;
  }

  async delete<T = KubeObject>(ref: KindRef, name: string, namespace?: string, opts: { dryRun?: boolean } = {}): Promise<T> {
    return (await this.request('DELETE', this.path(ref, { name, ...(namespace ? { namespace } : {}) }), { query: { dryRun: opts.dryRun ? 'All' : undefined } })).body as T;
  }

  /** The last events that touched an object (for `describe`). */
  async history(ref: KindRef, name: string, namespace?: string): Promise<HistoryEntry[]> {
    return ((await this.request('GET', this.path(ref, { name, subresource: 'history', ...(namespace ? { namespace } : {}) }))).body as { items: HistoryEntry[] }).items;
  }

  /** Opens a watch; `onEvent` is called for each event in order. */
  watch<T = KubeObject>(ref: KindRef, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void): WatchHandle {
    const ac = new AbortController();
    const path = this.path(ref, { ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.version ? { version: opts.version } : {}) });
    const done = (async () => {
      let res: IncomingMessage;
      try {
        res = await this.open('GET', path, {
          signal: ac.signal,
          ...(opts.as === 'table' ? { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } : {}),
          query: {
            watch: 'true',
            resourceVersion: opts.resourceVersion,
            labelSelector: opts.labelSelector,
            fieldSelector: opts.fieldSelector,
            allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
            sendInitialEvents: opts.sendInitialEvents ? 'true' : undefined,
            timeoutSeconds: opts.timeoutSeconds,
          },
        });
      } catch (e) {
        if (ac.signal.aborted) return;
        throw e;
      }
      if ((res.statusCode ?? 0) >= 400) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        let b: any = {};
        try {
          b = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          /* not JSON */
        }
        throw new ApiStatusError(res.statusCode ?? 0, b.reason ?? 'Unknown', b.message ?? `HTTP ${res.statusCode}`, b.details?.causes ?? [], b);
      }
      let buf = '';
      try {
        for await (const chunk of res) {
          buf += (chunk as Buffer).toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
          }
        }
      } catch (e) {
        if (ac.signal.aborted) return;
        throw e;
      }
    })();
    return { stop: () => ac.abort(), done };
  }
}

export interface ApplyAllResult {
  readonly items: KubeObject[];
  /**
   * Per item: newly created, or changed (false = identical re-apply, nothing appended), and the
   * server's warnings about it (stored, but worth saying: deprecated versions, a pool range that
   * holds no address…).
   */
  readonly results: Array<{ created: boolean; changed: boolean; warnings: string[] }>;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: Array<{ name: string; type: string; format: string; description: string; priority: number }>;
  rows: Array<{ cells: unknown[]; object?: { metadata?: { name?: string; namespace?: string } } }>;
}

/** `apiVersion` of a kind in a version (re-exported for callers building objects). */
export const apiVersionFor = (info: KindInfo, version = info.versions[0]!): string => apiVersionOf(info.group, version);
