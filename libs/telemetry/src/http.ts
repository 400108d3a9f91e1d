import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, unlinkSync } from 'node:fs';
import { formatHealthReport, health as defaultHealth, type HealthRegistry } from './health';
import { renderMetrics } from './metrics';

export interface ObservabilityEndpointsOptions {
  readonly health?: HealthRegistry;
}

export interface EndpointResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** The response of `/healthz`, `/readyz` or `/metrics` for `path`; null for other paths. */
export const observabilityResponse = async (path: string, opts: ObservabilityEndpointsOptions = {}): Promise<EndpointResponse | null> => {
  const h = opts.health ?? defaultHealth;
  const p = path.split('?')[0];
  switch (p) {
    case '/healthz':
    case '/livez': {
      const r = await h.live();
      return { status: r.ok ? 200 : 503, contentType: 'text/plain; charset=utf-8', body: formatHealthReport('healthz', r) };
    }
    case '/readyz': {
      const r = await h.ready();
      return { status: r.ok ? 200 : 503, contentType: 'text/plain; charset=utf-8', body: formatHealthReport('readyz', r) };
    }
    case '/metrics': {
      const m = await renderMetrics();
      return { status: 200, contentType: m.contentType, body: m.body };
    }
    default:
      return null;
  }
};

/**
 * A request handler for servers that already exist (Express/connect style `next` optional):
 * answers the three endpoints, passes anything else on.
 */
export const observabilityHandler =
  (opts: ObservabilityEndpointsOptions = {}) =>
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (next) next();
      else res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    observabilityResponse(req.url ?? '/', opts).then(
      (r) => {
        if (!r) {
          if (next) return next();
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
          return;
        }
        res.writeHead(r.status, { 'content-type': r.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : r.body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };

/** `127.0.0.1:9102`, `:9102`, `[::1]:9102` or `unix:/path.sock`. */
export type ListenAddress = { port: number; host: string } | { path: string };

export const parseListenAddress = (spec: string): ListenAddress => {
  const s = spec.trim();
  if (s.startsWith('unix:')) {
    const path = s.slice('unix:'.length);
    if (!path) throw new Error(`listen address "${spec}": unix: needs a path`);
    return { path };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  if (!m) throw new Error(`listen address "${spec}": expected host:port, [v6]:port or unix:/path`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`listen address "${spec}": port ${port} is out of range`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
};

export interface ObservabilityServer {
  readonly server: Server;
  /** Where it listens (`host:port`, with the real port when 0 was asked for, or `unix:/path`). */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * A small HTTP listener for `/healthz`, `/readyz` and `/metrics` (services without an HTTP API
 * of their own), on `listen` or `BOSUN_HTTP_LISTEN`.
 */
export const startObservabilityServer = async (
  opts: ObservabilityEndpointsOptions & { listen?: string; defaultListen?: string } = {},
): Promise<ObservabilityServer> => {
  const spec = opts.listen ?? process.env['BOSUN_HTTP_LISTEN'] ?? opts.defaultListen ?? '127.0.0.1:0';
  const addr = parseListenAddress(spec);
  const server = createServer(observabilityHandler(opts));
  server.keepAliveTimeout = 5_000;
  if ('path' in addr && existsSync(addr.path)) unlinkSync(addr.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in addr) server.listen(addr.path, resolve);
    else server.listen(addr.port, addr.host, resolve);
  });
  const a = server.address();
  const address = 'path' in addr ? `unix:${addr.path}` : typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : spec;
  return {
    server,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
