import { CONTROLLER_NAME, DEFAULT_GATEWAY_CLASS } from '@bosun/gateway';

/** How the gateway-translator is configured (environment variables; see docs/gateway.md). */
export interface TranslatorConfig {
  /** `/healthz`, `/readyz`, `/metrics`: `BOSUN_HTTP_LISTEN`, default 127.0.0.1:9105. */
  readonly httpListen: string;
  /** The API (`BOSUN_SERVER`; the client also reads `BOSUN_TOKEN`). */
  readonly server: string | undefined;
  /** The GatewayClass installed when absent (`BOSUN_GATEWAY_DEFAULT_CLASS`, default `cilium`; `none` disables). */
  readonly defaultClass: string | null;
  /** The controllerName whose classes are served (Cilium's; not configurable, manifests name it). */
  readonly controllerName: string;
  /** Field manager of every write (server-side apply ownership). */
  readonly fieldManager: string;
  /** Least time between two reconcile runs (`BOSUN_GATEWAY_MIN_INTERVAL_MS`, default 25): a burst of changes is one run. */
  readonly minIntervalMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): TranslatorConfig => {
  const cls = env['BOSUN_GATEWAY_DEFAULT_CLASS'] ?? DEFAULT_GATEWAY_CLASS;
  if (cls !== '' && cls !== 'none' && (!DNS_SUBDOMAIN.test(cls) || cls.length > 253)) {
    throw new ConfigError(`BOSUN_GATEWAY_DEFAULT_CLASS: "${cls}" is not a valid GatewayClass name (a DNS subdomain), nor "none"`);
  }
  const interval = Number(env['BOSUN_GATEWAY_MIN_INTERVAL_MS'] ?? '25');
  if (!Number.isInteger(interval) || interval < 0 || interval > 60_000) {
    throw new ConfigError(`BOSUN_GATEWAY_MIN_INTERVAL_MS: "${env['BOSUN_GATEWAY_MIN_INTERVAL_MS']}" must be an integer in 0..60000`);
  }
  return {
    httpListen: env['BOSUN_HTTP_LISTEN'] || '127.0.0.1:9105',
    server: env['BOSUN_SERVER'] || undefined,
    defaultClass: cls === '' || cls === 'none' ? null : cls,
    controllerName: CONTROLLER_NAME,
    fieldManager: 'gateway-translator',
    minIntervalMs: interval,
  };
};
