import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { PostgresEventStore } from '@bosun/event-store';
import { createLogger, HealthRegistry } from '@bosun/telemetry';
import { L2Announcer } from './announcer';
import type { L2AnnouncerConfig } from './config';
import { L2EventRecorder } from './events/recorder';
import { VipDevice } from './kernel/vip-device';
import { PgLeaseStore } from './lease/pg-lease-store';
import { HolderWatch } from './lease/holder-watch';
import { createClusterView } from './view/create-view';

export const L2_CONFIG = Symbol('L2_CONFIG');

/** Wires the announcer into the Nest lifecycle: start after bootstrap, release everything on shutdown. */
@Injectable()
export class AnnouncerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private announcer: L2Announcer | null = null;
  private eventStore: PostgresEventStore | null = null;
  private readonly log = createLogger('l2-announcer');

  constructor(
    @Inject(L2_CONFIG) private readonly config: L2AnnouncerConfig,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    const log = this.log.child({ node: c.node });
    // Loaded only when used: the event store pulls in TypeORM, which is slow to load.
    this.eventStore = c.recordEvents ? await (await import('@bosun/event-store')).createEventStore({ url: c.databaseUrl, schema: c.eventStoreSchema, poolSize: 2, applicationName: `bosun-l2-events:${c.node}` }) : null;
    const events = this.eventStore ? new L2EventRecorder(this.eventStore, (msg, f) => log.warn(msg, f)) : null;
    this.announcer = new L2Announcer({
      node: c.node,
      view: await createClusterView(c, log),
      timings: c.timings,
      handoverAfterMs: c.handoverAfterMs,
      holderWatch: new HolderWatch({ connectionString: c.databaseUrl, schema: c.leaseSchema, wake: () => this.announcer?.leaseManager.poke(), log: (msg, f) => log.warn(msg, f) }),
      connectLeaseStore: (onSessionLost) => PgLeaseStore.connect({ connectionString: c.databaseUrl, schema: c.leaseSchema, node: c.node, timings: c.timings, onSessionLost }),
      vip: c.vipDevice ? new VipDevice(c.vipDevice, (msg, f) => log.warn(msg, f)) : null,
      events,
      log,
      gratuitousScheduleMs: c.gratuitousScheduleMs,
    });
    this.health.addReadinessCheck('l2-leases', () => (this.announcer?.ready ? true : (this.announcer?.leaseManager.lastError ?? 'not a lease member yet')));
    this.health.addReadinessCheck('l2-policies', () => {
      const p = this.announcer?.policyProblems ?? [];
      return p.length === 0 ? true : `${p.length} policy problem(s): ${p.map((x) => `${x.policy}: ${x.message}`).join('; ')}`;
    });
    await this.announcer.start();
    log.info('l2-announcer started', { timings: c.timings, view: c.staticView ?? c.server, vipDevice: c.vipDevice });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.announcer?.stop();
    await this.eventStore?.close();
  }
}
