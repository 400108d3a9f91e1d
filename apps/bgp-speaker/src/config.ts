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
}

export const DEFAULT_HTTP_LISTEN = '127.0.0.1:9103';

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SpeakerConfig => {
  const node = (env['BOSUN_NODE_NAME'] || hostname()).trim();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node) || node.length > 253) {
    throw new Error(`BOSUN_NODE_NAME: "${node}" is not a valid node name (lowercase RFC 1123 subdomain)`);
  }
  const interval = Number(env['BOSUN_BGP_STATUS_INTERVAL_MS'] ?? 1000);
  if (!Number.isFinite(interval) || interval < 0) throw new Error(`BOSUN_BGP_STATUS_INTERVAL_MS: not a number of milliseconds: ${env['BOSUN_BGP_STATUS_INTERVAL_MS']}`);
  return {
    node,
    databaseUrl: env['DATABASE_URL'] || 'postgresql://postgres@127.0.0.1:5432/test',
    eventStoreSchema: env['BOSUN_EVENTSTORE_SCHEMA'] || 'eventstore',
    httpListen: env['BOSUN_HTTP_LISTEN'] || DEFAULT_HTTP_LISTEN,
    secretsNamespace: env['BOSUN_BGP_SECRETS_NAMESPACE'] || DEFAULT_SECRETS_NAMESPACE,
    statusIntervalMs: interval,
  };
};
