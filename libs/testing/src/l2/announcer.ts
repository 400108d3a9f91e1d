import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { exec } from '../net/exec.js';
import type { ManagedProcess } from '../net/process.js';
import type { NetNamespace } from '../net/netns.js';

/** The repository root (this file is libs/testing/{src,dist}/l2/). */
export const repoRoot = (): string => resolve(__dirname, '../../../..');

export const announcerEntry = (): string => resolve(repoRoot(), 'apps/l2-announcer/dist/main.js');

/** Builds the announcer (and what it needs) if its compiled entry is missing or stale. */
export const buildAnnouncer = async (): Promise<void> => {
  await exec('npx', ['tsc', '-b', 'apps/l2-announcer'], { env: { ...process.env }, timeoutMs: 300_000 }).catch((e) => {
    throw new Error(`cannot build the l2-announcer: ${e instanceof Error ? e.message : String(e)}`);
  });
  if (!existsSync(announcerEntry())) throw new Error(`${announcerEntry()} missing after the build`);
};

/** Postgres through its Unix socket: reachable from inside any network namespace. */
export const socketDatabaseUrl = (): string => process.env['BOSUN_TEST_SOCKET_DATABASE_URL'] ?? 'postgresql://postgres@/test?host=/var/run/postgresql';

export interface AnnouncerProcessOptions {
  readonly node: string;
  readonly viewFile: string;
  readonly leaseSchema: string;
  /** Event store schema; null: do not record events. */
  readonly eventStoreSchema: string | null;
  readonly leaseDuration?: string;
  readonly renewDeadline?: string;
  readonly retryPeriod?: string;
  readonly handoverAfter?: string;
  readonly httpListen?: string;
  readonly logFile?: string;
  readonly extraEnv?: Readonly<Record<string, string>>;
}

/** Starts `apps/l2-announcer` inside a node's namespace, standalone (view from a file). */
export const startAnnouncer = (ns: NetNamespace, o: AnnouncerProcessOptions): ManagedProcess =>
  ns.spawn(process.execPath, [announcerEntry()], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      BOSUN_NODE_NAME: o.node,
      DATABASE_URL: socketDatabaseUrl(),
      BOSUN_L2_SCHEMA: o.leaseSchema,
      BOSUN_L2_STATIC_VIEW: o.viewFile,
      BOSUN_L2_RECORD_EVENTS: o.eventStoreSchema ? 'true' : 'false',
      ...(o.eventStoreSchema ? { BOSUN_EVENTSTORE_SCHEMA: o.eventStoreSchema } : {}),
      BOSUN_HTTP_LISTEN: o.httpListen ?? '127.0.0.1:9104',
      ...(o.leaseDuration ? { BOSUN_L2_LEASE_DURATION: o.leaseDuration } : {}),
      ...(o.renewDeadline ? { BOSUN_L2_RENEW_DEADLINE: o.renewDeadline } : {}),
      ...(o.retryPeriod ? { BOSUN_L2_RETRY_PERIOD: o.retryPeriod } : {}),
      ...(o.handoverAfter ? { BOSUN_L2_HANDOVER_AFTER: o.handoverAfter } : {}),
      LOG_LEVEL: process.env['BOSUN_L2_TEST_LOG_LEVEL'] ?? 'info',
      ...(o.extraEnv ?? {}),
    },
    ...(o.logFile ? { logFile: o.logFile } : {}),
  });
