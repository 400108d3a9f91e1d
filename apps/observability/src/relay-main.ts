// The outbox relay on its own: `node apps/observability/dist/relay-main.js`. Any number may run;
// one holds the advisory lock and publishes, the others stand by.
import { createEventStore, OutboxRelay } from '@bosun/event-store';
import { connectNats, eventBusConfigFromEnv } from '@bosun/messaging';
import { createLogger, health, startObservabilityServer, startTelemetry } from '@bosun/telemetry';

const log = createLogger('outbox-relay');

const main = async (): Promise<void> => {
  startTelemetry({ serviceName: 'bosun-outbox-relay' });
  const bus = eventBusConfigFromEnv();
  const store = await createEventStore({ applicationName: 'bosun-outbox-relay' });
  const nats = await connectNats({ name: 'bosun-outbox-relay', waitOnFirstConnect: true });
  const relay = new OutboxRelay({
    store,
    nats,
    streamName: bus.streamName,
    subjectPrefix: bus.subjectPrefix,
    relayId: process.env['BOSUN_RELAY_ID'] || undefined,
    batchSize: process.env['BOSUN_RELAY_BATCH'] ? Number(process.env['BOSUN_RELAY_BATCH']) : undefined,
  }).start();
  health.addReadinessCheck('eventstore', async () => {
    await store.query('SELECT 1');
  });
  const http = process.env['BOSUN_HTTP_LISTEN'] ? await startObservabilityServer() : null;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await relay.stop();
    await http?.close();
    await store.close();
    await nats.drain().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  log.info('outbox relay started', { stream: bus.streamName, subjectPrefix: bus.subjectPrefix });
};

main().catch((err: unknown) => {
  log.error('failed to start', { err });
  process.exit(1);
});
