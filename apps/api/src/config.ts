import type { Role } from './auth/auth';

/** The API's configuration, from the environment (names shared by every process, see CONTRIBUTING). */
export interface ApiConfig {
  readonly databaseUrl?: string;
  readonly eventStoreSchema?: string;
  /** Schema of the API's own tables (the secret store). */
  readonly apiSchema: string;
  /** `host:port` or `unix:/path.sock`, several allowed. */
  readonly listen: readonly string[];
  readonly serviceCidrs: readonly string[];
  readonly tokensFile?: string;
  readonly anonymous?: Role;
  readonly watchWindow: number;
  /** AES-256 key of the secret store (file, or the key itself as hex/base64). */
  readonly secretKeyFile?: string;
  readonly secretKey?: string;
  /** Serving certificate (PEM); a self-signed one is made (and written there) when absent. */
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
}

export const configFromEnv = (env: NodeJS.ProcessEnv = process.env): ApiConfig => {
  const anon = env.BOSUN_ANONYMOUS?.trim().toLowerCase();
  if (anon && anon !== 'viewer' && anon !== 'admin' && anon !== 'false' && anon !== 'off') throw new Error(`BOSUN_ANONYMOUS: expected viewer (or admin), got "${env.BOSUN_ANONYMOUS}"`);
  return {
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(env.BOSUN_EVENTSTORE_SCHEMA ? { eventStoreSchema: env.BOSUN_EVENTSTORE_SCHEMA } : {}),
    apiSchema: env.BOSUN_API_SCHEMA ?? (env.BOSUN_EVENTSTORE_SCHEMA ? `${env.BOSUN_EVENTSTORE_SCHEMA}_api` : 'bosun_api'),
    listen: (env.BOSUN_API_LISTEN ?? '127.0.0.1:8080').split(',').map((s) => s.trim()).filter(Boolean),
    serviceCidrs: (env.BOSUN_SERVICE_CIDRS ?? '10.96.0.0/16,fd00:10:96::/112').split(',').map((s) => s.trim()).filter(Boolean),
    ...(env.BOSUN_TOKENS_FILE ? { tokensFile: env.BOSUN_TOKENS_FILE } : {}),
    ...(anon === 'viewer' || anon === 'admin' ? { anonymous: anon } : {}),
    watchWindow: Number(env.BOSUN_API_WATCH_WINDOW ?? 50_000),
    ...(env.BOSUN_SECRET_KEY_FILE ? { secretKeyFile: env.BOSUN_SECRET_KEY_FILE } : {}),
    ...(env.BOSUN_SECRET_KEY ? { secretKey: env.BOSUN_SECRET_KEY } : {}),
    ...(env.BOSUN_API_TLS_CERT_FILE ? { tlsCertFile: env.BOSUN_API_TLS_CERT_FILE } : {}),
    ...(env.BOSUN_API_TLS_KEY_FILE ? { tlsKeyFile: env.BOSUN_API_TLS_KEY_FILE } : {}),
  };
};
