import { existsSync, unlinkSync, chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { loadOrCreateTls, type TlsMaterial } from './tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { createEventStore, type PostgresEventStore } from '@bosun/event-store';
import { createLogger, parseListenAddress, type Logger } from '@bosun/telemetry';
import { Authenticator } from './auth/auth';
import type { ApiConfig } from './config';
import { ApiMetrics } from './http/metrics';
import { registerRoutes } from './http/routes';
import { GarbageCollector } from './objects/garbage-collector';
import { LiveObjectView } from './objects/live-view';
import { SecretStore, loadSecretKey } from './secrets/secret-store';
import { ServiceIPAllocator } from './service-ips';
import { statusProjectors } from './status';
import { ResourceWriter } from './write/writer';

export interface ApiServer {
  readonly fastify: FastifyInstance;
  readonly view: LiveObjectView;
  readonly store: PostgresEventStore;
  readonly writer: ResourceWriter;
  /** Where it listens: `http://host:port` or `unix:/path.sock`. */
  readonly addresses: readonly string[];
  close(): Promise<void>;
}

/** Builds the API's parts (event store, object view, writer, routes) without listening. */
export const buildApi = async (config: ApiConfig, log: Logger = createLogger('api')): Promise<Omit<ApiServer, 'addresses' | 'close'> & { start(): Promise<void>; stop(): Promise<void> }> => {
  const store = await createEventStore({
    ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
    ...(config.eventStoreSchema ? { schema: config.eventStoreSchema } : {}),
    applicationName: 'bosun-api',
    pollIntervalMs: 250,
  });
  const db = { query: <R = any>(sql: string, params?: unknown[]): Promise<R[]> => store.dataSource.query(sql, params as any[]) as Promise<R[]> };
  const secrets = new SecretStore(
    db,
    config.apiSchema,
    loadSecretKey({ ...(config.secretKeyFile ? { BOSUN_SECRET_KEY_FILE: config.secretKeyFile } : {}), ...(config.secretKey ? { BOSUN_SECRET_KEY: config.secretKey } : {}) }),
  );
  await secrets.migrate();
  if (!secrets.enabled) log.warn('no secret key (BOSUN_SECRET_KEY_FILE / BOSUN_SECRET_KEY): Secrets will be rejected');
  const view = new LiveObjectView(store, statusProjectors, config.watchWindow);
  view.onSkip = (e, err) => log.error('event skipped by the object view', { type: e.type, position: e.position, error: err instanceof Error ? err.message : String(err) });
  const clusterIPs = new ServiceIPAllocator(config.serviceCidrs);
  view.onApplied((_e, changes) => {
    for (const c of changes) {
      if (c.obj.info.group !== '' || c.obj.info.kind !== 'Service') continue;
      const ips = (o: typeof c.obj | undefined): string[] => {
        const spec = (o?.body.spec ?? {}) as { clusterIPs?: string[]; clusterIP?: string };
        return (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== 'None');
      };
      clusterIPs.track(c.obj.key, ips(c.prev), c.type === 'DELETED' ? [] : ips(c.obj));
    }
  });
  const writer = new ResourceWriter(store, view, secrets, clusterIPs);
  const auth = new Authenticator({ ...(config.tokensFile ? { tokensFile: config.tokensFile } : {}), ...(config.anonymous ? { anonymous: config.anonymous } : {}) });
  if (!auth.enabled) log.warn('no BOSUN_TOKENS_FILE: authentication is off and every request acts as ' + (config.anonymous ?? 'admin'));
  const metrics = new ApiMetrics(false);
  const fastify = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024, return503OnClosing: false, forceCloseConnections: true });
  const logFn = (msg: string, fields?: Record<string, unknown>): void => log.info(msg, fields);
  registerRoutes(fastify, { view, store, writer, secrets, auth, metrics, version: { gitVersion: 'v1.32.0-bosun' }, log: logFn });
  const gc = new GarbageCollector(view, writer, logFn);
  return {
    fastify,
    view,
    store,
    writer,
    async start() {
      const t0 = Date.now();
      await view.start();
      log.info('object view caught up', { objects: view.projection.size(), events: view.projection.eventCount, ms: Date.now() - t0 });
      gc.trigger();
    },
    async stop() {
      await view.stop();
      await store.close();
    },
  };
};

interface Listener {
  readonly address: string;
  close(): Promise<void>;
}

/**
 * One listener: `host:port` (or `http://host:port`) plain HTTP, `https://host:port` TLS (kubectl
 * sends bearer tokens only over TLS), `unix:/path.sock` for agents inside network namespaces.
 */
const listenOn = async (handler: (req: IncomingMessage, res: ServerResponse) => void, spec: string, tls: TlsMaterial): Promise<Listener> => {
  const addr = parseListenAddress(spec.replace(/^(https?):\/\//, ''));
  const http = createServer(handler);
  http.keepAliveTimeout = 65_000;
  http.requestTimeout = 0;
  const closeHttp = (servers: Server[]): Promise<void> =>
    Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    ).then(() => undefined);
  if ('path' in addr) {
    if (existsSync(addr.path)) unlinkSync(addr.path);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(addr.path, resolve);
    });
    chmodSync(addr.path, 0o660);
    return { address: `unix:${addr.path}`, close: () => closeHttp([http]) };
  }
  const secure = spec.startsWith('https://');
  const server = secure ? createTlsServer({ cert: tls.cert, key: tls.key }, handler) : http;
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, resolve);
  });
  const a = server.address();
  const host = typeof a === 'object' && a ? (a.family === 'IPv6' ? `[${a.address}]` : a.address) : addr.host;
  return {
    address: `${secure ? 'https' : 'http'}://${host}:${typeof a === 'object' && a ? a.port : addr.port}`,
    close: () => closeHttp([server]),
  };
};

/** Starts the API: catches up with the log, then listens on every configured address. */
export const startApiServer = async (config: ApiConfig, log: Logger = createLogger('api')): Promise<ApiServer> => {
  const api = await buildApi(config, log);
  await api.start();
  await api.fastify.ready();
  const handler = (req: IncomingMessage, res: ServerResponse): void => api.fastify.routing(req, res);
  const tls = await loadOrCreateTls(config.tlsCertFile, config.tlsKeyFile);
  const servers: Listener[] = [];
  try {
    for (const spec of config.listen) servers.push(await listenOn(handler, spec, tls));
  } catch (e) {
    for (const s of servers) await s.close();
    await api.stop();
    throw e;
  }
  log.info('listening', { addresses: servers.map((s) => s.address) });
  return {
    fastify: api.fastify,
    view: api.view,
    store: api.store,
    writer: api.writer,
    addresses: servers.map((s) => s.address),
    async close() {
      await Promise.all(servers.map((s) => s.close()));
      await api.fastify.close();
      await api.stop();
    },
  };
};
