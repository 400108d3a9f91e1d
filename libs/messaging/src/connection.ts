import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '@bosun/telemetry';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface NatsConnectOptions {
  /** `nats://host:port` (comma-separated for a cluster) or `unix:/path.sock`; `NATS_URL` by default. */
  readonly url?: string;
  /** Client name shown by the server (`nats server report connections`). */
  readonly name?: string;
  /** Keep retrying when the server is not up yet (services: true; CLIs: false, the default). */
  readonly waitOnFirstConnect?: boolean;
  /** -1 (default): reconnect forever. */
  readonly maxReconnectAttempts?: number;
  readonly reconnectTimeWaitMs?: number;
  readonly timeoutMs?: number;
}

export interface Bridge {
  /** `host:port` or the socket path it listens on. */
  readonly address: string;
  close(): Promise<void>;
}

const pipeBoth = (a: Socket, b: Socket): void => {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
};

const closeServer = (server: Server, sockets: Set<Socket>) => () =>
  new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });

/**
 * Root side: a Unix socket that forwards every connection to NATS over TCP, so agents inside
 * network namespaces (which cannot reach the host's 127.0.0.1) reach NATS through a file.
 */
export const startNatsUnixBridge = async (socketPath: string, target = { host: '127.0.0.1', port: 4222 }): Promise<Bridge> => {
  if (existsSync(socketPath)) unlinkSync(socketPath);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = netConnect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    pipeBoth(client, upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  chmodSync(socketPath, 0o660);
  return { address: socketPath, close: closeServer(server, sockets) };
};

/** Agent side: a loopback TCP port forwarding to a Unix socket (the NATS client speaks TCP only). */
export const startTcpToUnixBridge = async (socketPath: string): Promise<Bridge> => {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = netConnect(socketPath);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    pipeBoth(client, upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const a = server.address() as { port: number };
  return { address: `127.0.0.1:${a.port}`, close: closeServer(server, sockets) };
};

/**
 * Connects to NATS with the settings services need (reconnect forever, small wait between
 * attempts). A `unix:` URL is reached through a local TCP bridge that lives as long as the
 * connection.
 */
export const connectNats = async (opts: NatsConnectOptions = {}): Promise<NatsConnection> => {
  const url = opts.url ?? process.env['NATS_URL'] ?? DEFAULT_NATS_URL;
  let bridge: Bridge | null = null;
  let servers: string[];
  if (url.startsWith('unix:')) {
    const path = url.slice('unix:'.length);
    if (!path) throw new Error(`NATS_URL "${url}": unix: needs a socket path`);
    bridge = await startTcpToUnixBridge(path);
    servers = [bridge.address];
  } else {
    servers = url.split(',').map((s) => s.trim()).filter(Boolean);
  }
  try {
    const nc = await connect({
      servers,
      name: opts.name,
      waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
      maxReconnectAttempts: opts.maxReconnectAttempts ?? -1,
      reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
      timeout: opts.timeoutMs ?? 5_000,
    });
    if (bridge) {
      const b = bridge;
      void nc.closed().finally(() => b.close());
    }
    return nc;
  } catch (err) {
    await bridge?.close();
    throw err;
  }
};

/**
 * Follows a connection's status for readiness checks and logs (disconnect/reconnect).
 * `check()` throws while disconnected.
 */
export const watchNatsStatus = (nc: NatsConnection, component = 'nats'): { connected(): boolean; check(): void } => {
  const log = createLogger(component);
  let connected = !nc.isClosed();
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          connected = false;
          log.warn('NATS disconnected', { server: (s as { server?: string }).server });
          break;
        case 'reconnect':
          connected = true;
          log.info('NATS reconnected', { server: (s as { server?: string }).server });
          break;
        default:
          break;
      }
    }
  })().catch(() => undefined);
  void nc.closed().then(() => {
    connected = false;
  });
  return {
    connected: () => connected && !nc.isClosed(),
    check: () => {
      if (nc.isClosed()) throw new Error('connection closed');
      if (!connected) throw new Error('disconnected, reconnecting');
    },
  };
};
