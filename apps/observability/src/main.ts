// The observability service: runs the outbox relay (one active per database), follows every
// event on JetStream (metrics, per-correlation timeline), serves /healthz, /readyz, /metrics.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createEventStore, OutboxRelay } from '@bosun/event-store';
import { JetStreamServer, connectNats, eventBusConfigFromEnv, watchNatsStatus } from '@bosun/messaging';
import { JsonNestLogger, createLogger, health, startTelemetry } from '@bosun/telemetry';
import { ObservabilityAppModule } from './app.module';

const log = createLogger('observability');

export const main = async (): Promise<void> => {
  startTelemetry({ serviceName: 'bosun-observability' });
  const bus = eventBusConfigFromEnv();
  const store = await createEventStore({ applicationName: 'bosun-observability' });
  const nats = await connectNats({ name: 'bosun-observability', waitOnFirstConnect: true });
  const natsStatus = watchNatsStatus(nats, 'observability');
  health.addReadinessCheck('eventstore', async () => {
    await store.query('SELECT 1');
  });
  health.addReadinessCheck('nats', () => natsStatus.check());
  const relay = process.env['BOSUN_RELAY'] === 'off' ? null : new OutboxRelay({ store, nats, streamName: bus.streamName, subjectPrefix: bus.subjectPrefix }).start();
  const strategy = new JetStreamServer({ serviceName: 'observability', connection: nats, eventStore: store, ...bus });
  const app = await NestFactory.createMicroservice(ObservabilityAppModule.forRoot({ store, nats, relay }), { strategy, logger: new JsonNestLogger('observability') });
  app.enableShutdownHooks();
  await app.listen();
  log.info('observability is running', { stream: bus.streamName, subjectPrefix: bus.subjectPrefix, relay: relay ? 'on' : 'off' });
};

if (require.main === module) {
  main().catch((err: unknown) => {
    log.error('failed to start', { err });
    process.exit(1);
  });
}
