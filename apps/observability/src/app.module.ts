import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { PostgresEventStore, OutboxRelay } from '@bosun/event-store';
import { ObservabilityModule } from '@bosun/telemetry';
import { EventsController } from './events.controller';
import { CorrelationTimeline } from './timeline';

export const EVENT_STORE = Symbol('EVENT_STORE');
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const OUTBOX_RELAY = Symbol('OUTBOX_RELAY');

export interface ObservabilityAppDeps {
  readonly store: PostgresEventStore;
  readonly nats: NatsConnection;
  readonly relay: OutboxRelay | null;
  /** `/healthz`, `/readyz`, `/metrics` listener (BOSUN_HTTP_LISTEN, default 127.0.0.1:9102). */
  readonly listen?: string;
}

/** Stops the relay, then closes the store and NATS, after the transport has stopped. */
@Injectable()
class Shutdown implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay | null,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.store.close();
    if (!this.nats.isClosed()) await this.nats.drain().catch(() => undefined);
  }
}

@Module({})
export class ObservabilityAppModule {
  static forRoot(deps: ObservabilityAppDeps): DynamicModule {
    return {
      module: ObservabilityAppModule,
      imports: [ObservabilityModule.forRoot({ component: 'observability', listen: deps.listen, defaultListen: '127.0.0.1:9102' })],
      controllers: [EventsController],
      providers: [
        { provide: EVENT_STORE, useValue: deps.store },
        { provide: NATS_CONNECTION, useValue: deps.nats },
        { provide: OUTBOX_RELAY, useValue: deps.relay },
        { provide: CorrelationTimeline, useValue: new CorrelationTimeline() },
        Shutdown,
      ],
    };
  }
}
