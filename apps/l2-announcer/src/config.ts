import { hostname } from 'node:os';
import { DEFAULT_LEASE_TIMINGS, DEFAULT_GRATUITOUS_SCHEDULE_MS, validateLeaseTimings, type LeaseTimings } from '@bosun/l2';
import { DEFAULT_LEASE_SCHEMA, validateLeaseSchema } from './lease/pg-lease-store';
import { DEFAULT_VIP_DEVICE } from './kernel/vip-device';

export interface L2AnnouncerConfig {
  readonly node: string;
  readonly databaseUrl: string;
  readonly eventStoreSchema: string;
  readonly leaseSchema: string;
  /** Where the API is (`BOSUN_SERVER`); unused in standalone mode. */
  readonly server: string;
  /** Standalone mode: read the cluster from this manifest file instead of the API. */
  readonly staticView: string | null;
  readonly httpListen: string;
  readonly timings: LeaseTimings;
  readonly handoverAfterMs: number;
  /** Dummy interface that carries held addresses; null: do not add them locally. */
  readonly vipDevice: string | null;
  readonly gratuitousScheduleMs: readonly number[];
  /** Record l2.* events in the event store. */
  readonly recordEvents: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `3s`, `500ms`, `1.5s`, `2m` or a plain number of milliseconds. */
export const parseDurationMs = (name: string, raw: string): number => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(raw);
  if (!m) throw new ConfigError(`${name}: "${raw}" is not a duration (e.g. 500ms, 3s)`);
  const n = Number(m[1]);
  return m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): L2AnnouncerConfig => {
  const dur = (name: string, def: number) => (env[name] ? parseDurationMs(name, env[name]!) : def);
  const timings = {
    leaseDurationMs: dur('BOSUN_L2_LEASE_DURATION', DEFAULT_LEASE_TIMINGS.leaseDurationMs),
    renewDeadlineMs: dur('BOSUN_L2_RENEW_DEADLINE', DEFAULT_LEASE_TIMINGS.renewDeadlineMs),
    retryPeriodMs: dur('BOSUN_L2_RETRY_PERIOD', DEFAULT_LEASE_TIMINGS.retryPeriodMs),
  };
  try {
    validateLeaseTimings(timings);
  } catch (e) {
    const field = { leaseDurationMs: 'BOSUN_L2_LEASE_DURATION', renewDeadlineMs: 'BOSUN_L2_RENEW_DEADLINE', retryPeriodMs: 'BOSUN_L2_RETRY_PERIOD' } as const;
    const f = (e as { field?: keyof typeof field }).field;
    throw new ConfigError(f ? `${field[f]}: ${(e as Error).message.replace(/^\w+: /, '')}` : (e as Error).message);
  }
  const schedule = env.BOSUN_L2_GRATUITOUS_SCHEDULE
    ? env.BOSUN_L2_GRATUITOUS_SCHEDULE.split(',').map((s) => parseDurationMs('BOSUN_L2_GRATUITOUS_SCHEDULE', s))
    : DEFAULT_GRATUITOUS_SCHEDULE_MS;
  const vip = env.BOSUN_L2_VIP_DEVICE ?? DEFAULT_VIP_DEVICE;
  return {
    node: env.BOSUN_NODE_NAME || hostname(),
    databaseUrl: env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test',
    eventStoreSchema: env.BOSUN_EVENTSTORE_SCHEMA || 'eventstore',
    leaseSchema: validateLeaseSchema(env.BOSUN_L2_SCHEMA || DEFAULT_LEASE_SCHEMA),
    server: env.BOSUN_SERVER || 'http://127.0.0.1:8080',
    staticView: env.BOSUN_L2_STATIC_VIEW || null,
    httpListen: env.BOSUN_HTTP_LISTEN || '127.0.0.1:9104',
    timings,
    handoverAfterMs: dur('BOSUN_L2_HANDOVER_AFTER', 10_000),
    vipDevice: vip === '' || vip === 'none' ? null : vip,
    gratuitousScheduleMs: schedule,
    recordEvents: (env.BOSUN_L2_RECORD_EVENTS ?? 'true') !== 'false',
  };
};
