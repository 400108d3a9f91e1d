// Per-node BGP speaker (Cilium BGP Control Plane v2): informers over the API → desired state →
// @bosun/bgp sessions; every decision an event in bgp-node-<node>.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { BosunClient } from '@bosun/client';
import { createEventStore } from '@bosun/event-store';
import { JsonNestLogger, createLogger, health, startTelemetry } from '@bosun/telemetry';
import { BgpSpeakerModule } from './app.module';
import { BgpEngine } from './bgp-engine';
import { loadConfig } from './config';
import { ApiInputSource, ApiNodeConfigStore } from './sources';

const log = createLogger('bgp-speaker');

export const main = async (): Promise<void> => {
  startTelemetry({ serviceName: 'bosun-bgp-speaker' });
  const config = loadConfig();
  const store = await createEventStore({ url: config.databaseUrl, schema: config.eventStoreSchema, applicationName: `bosun-bgp-speaker-${config.node}`, poolSize: 3 });
  health.addReadinessCheck('eventstore', async () => {
    await store.streamVersion(`bgp-node-${config.node}`);
  });
  const client = new BosunClient();
  const nodeLog = log.child({ node: config.node });
  const sources = new ApiInputSource(client, config, nodeLog).start();
  const app = await NestFactory.createApplicationContext(
    BgpSpeakerModule.forRoot({ config, store, engine: new BgpEngine(nodeLog), sources, nodeConfigs: new ApiNodeConfigStore(client) }),
    { logger: new JsonNestLogger('bgp-speaker') },
  );
  app.enableShutdownHooks();
  log.info('bgp-speaker is running', { node: config.node, server: client.config.server, secretsNamespace: config.secretsNamespace });
};

if (require.main === module) {
  main().catch((err: unknown) => {
    log.error('failed to start', { err });
    process.exit(1);
  });
}
