import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from '@bosun/event-store';
import { HealthRegistry, ObservabilityModule, createLogger } from '@bosun/telemetry';
import type { IpamServiceConfig } from './config';
import { IpamEngine } from './engine';
import { registerIpamMetrics } from './metrics';

export const EVENT_STORE = Symbol('EVENT_STORE');
export const IPAM_CONFIG = Symbol('IPAM_CONFIG');

/** Runs the engine for the app's lifetime; readiness follows it. */
@Injectable()
export class IpamRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly engine: IpamEngine;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(IPAM_CONFIG) config: IpamServiceConfig,
    @Inject(HealthRegistry) health: HealthRegistry,
  ) {
    let engine: IpamEngine | null = null;
    const metrics = registerIpamMetrics(() => engine?.current ?? null);
    engine = new IpamEngine({ store, config: config.ipam, instance: config.instance, batchSize: config.batchSize, metrics, log: createLogger('ipam') });
    this.engine = engine;
    health.addReadinessCheck('eventstore', async () => {
      await store.streamVersion('ipam-services');
    });
    health.addReadinessCheck('ipam', () => {
      if (!this.engine.ready) throw new Error('rebuilding the state from the event store');
      return 'following the event store';
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.engine.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engine.stop();
    await this.store.close();
  }
}

@Module({})
export class IpamAppModule {
  static forRoot(deps: { store: EventStore; config: IpamServiceConfig }): DynamicModule {
    return {
      module: IpamAppModule,
      imports: [ObservabilityModule.forRoot({ component: 'ipam', listen: deps.config.httpListen, defaultListen: '127.0.0.1:9101' })],
      providers: [{ provide: EVENT_STORE, useValue: deps.store }, { provide: IPAM_CONFIG, useValue: deps.config }, IpamRunner],
      exports: [IpamRunner],
    };
  }
}
