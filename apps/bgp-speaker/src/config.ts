import { hostname } from 'node:os';
import { DEFAULT_SECRETS_NAMESPACE } from '@bosun/bgp-control-plane';

/** The speaker's configuration, from the environment every Bosun process reads (docs/CONTRIBUTING.md). */
export interface SpeakerConfig {
  /** The node this speaker runs as (`BOSUN_NODE_NAME`, default the hostname). */
  readonly node: string;
  /** Postgres of the event store (a Unix-socket URL works from inside a network namespace). */
  readonly databaseUrl: string;
  readonly eventStoreSchema: string;
  /** Where `/healthz`, `/readyz`, `/metrics` listen. */
  readonly httpListen: string;
  /** Cilium's `bgp-secrets-namespace`: where `authSecretRef` Secrets live. */
  readonly secretsNamespace: string;
  /** Minimum time between two status reports. */
  readonly statusIntervalMs: number;
  /** Minimum time between two reconcile runs (changes in between are batched). */
  readonly minRunIntervalMs: number;
}

export const DEFAULT_HTTP_LISTEN = '127.0.0.1:9103';

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SpeakerConfig => {
  const node = (env['BOSUN_NODE_NAME'] || hostname()).trim();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node) || node.length > 253) {
    throw new Error(`BOSUN_NODE_NAME: "${node}" is not a valid node name (lowercase RFC 1123 subdomain)`);
  }
  const ms = (name: string, dflt: number): number => {
    const v = Number(env[name] ?? dflt);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name}: not a number of milliseconds: ${env[name]}`);
    return v;
  };
  return {
    node,
    databaseUrl: env['DATABASE_URL'] || 'postgresql://postgres@127.0.0.1:5432/test',
    eventStoreSchema: env['BOSUN_EVENTSTORE_SCHEMA'] || 'eventstore',
    httpListen: env['BOSUN_HTTP_LISTEN'] || DEFAULT_HTTP_LISTEN,
    secretsNamespace: env['BOSUN_BGP_SECRETS_NAMESPACE'] || DEFAULT_SECRETS_NAMESPACE,
    statusIntervalMs: ms('BOSUN_BGP_STATUS_INTERVAL_MS', 1000),
    minRunIntervalMs: ms('BOSUN_BGP_MIN_RUN_INTERVAL_MS', 25),
  };
};
