// Runs the event store's migrations and exits (the `migrate` job of docker-compose / k8s).
import { createEventStore } from '@bosun/event-store';
import { createLogger } from '@bosun/telemetry';

const log = createLogger('migrate');
createEventStore({ applicationName: 'bosun-migrate' })
  .then(async (store) => {
    log.info('event store schema is up to date', { schema: store.schema });
    await store.close();
  })
  .catch((err: unknown) => {
    log.error('migration failed', { err });
    process.exit(1);
  });
