import { hostname } from 'node:os';
import { DEFAULT_CONFIG, type IpamConfig } from '@bosun/ipam';

/** How the ipam service is configured (environment variables; see docs/lbipam.md). */
export interface IpamServiceConfig {
  /** `/healthz`, `/readyz`, `/metrics`: `BOSUN_HTTP_LISTEN`, default 127.0.0.1:9101. */
  readonly httpListen: string;
  /**
   * This replica's name (`BOSUN_IPAM_INSTANCE`, default `<hostname>`). Each replica keeps its
   * own durable checkpoint (`ipam-<instance>`), so two replicas must never share a name.
   */
  readonly instance: string;
  /** Events per subscription batch (`BOSUN_IPAM_BATCH`, default 1000): a burst becomes few appends. */
  readonly batchSize: number;
  readonly ipam: IpamConfig;
}

const list = (v: string | undefined): string[] | undefined =>
  v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== '');

const bool = (name: string, v: string | undefined, dflt: boolean): boolean => {
  if (v === undefined || v === '') return dflt;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new Error(`${name}: "${v}" is not a boolean (true/false)`);
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): IpamServiceConfig => {
  const families = list(env['BOSUN_IPAM_FAMILIES']) ?? ['IPv4', 'IPv6'];
  for (const f of families) if (f !== 'IPv4' && f !== 'IPv6') throw new Error(`BOSUN_IPAM_FAMILIES: "${f}" is not IPv4 or IPv6`);
  const batch = Number(env['BOSUN_IPAM_BATCH'] ?? '1000');
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new Error(`BOSUN_IPAM_BATCH: "${env['BOSUN_IPAM_BATCH']}" must be an integer in 1..10000`);
  const instance = env['BOSUN_IPAM_INSTANCE'] || hostname();
  if (!/^[A-Za-z0-9._@:-]{1,100}$/.test(instance)) throw new Error(`BOSUN_IPAM_INSTANCE: "${instance}" may use letters, digits and . _ @ : - only`);
  return {
    httpListen: env['BOSUN_HTTP_LISTEN'] || '127.0.0.1:9101',
    instance,
    batchSize: batch,
    ipam: {
      ...DEFAULT_CONFIG,
      ipv4Enabled: families.includes('IPv4'),
      ipv6Enabled: families.includes('IPv6'),
      handleClasslessServices: bool('BOSUN_IPAM_CLASSLESS', env['BOSUN_IPAM_CLASSLESS'], DEFAULT_CONFIG.handleClasslessServices),
      loadBalancerClasses: list(env['BOSUN_IPAM_LB_CLASSES']) ?? DEFAULT_CONFIG.loadBalancerClasses,
      protocolDifferentiation: bool('BOSUN_IPAM_PROTOCOL_DIFFERENTIATION', env['BOSUN_IPAM_PROTOCOL_DIFFERENTIATION'], DEFAULT_CONFIG.protocolDifferentiation),
    },
  };
};
