// The LB IPAM service: hands out LoadBalancer addresses from CiliumLoadBalancerIPPools
// (Cilium's semantics), as events in the event store; serves /healthz, /readyz, /metrics.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createEventStore } from '@bosun/event-store';
import { JsonNestLogger, createLogger, startTelemetry } from '@bosun/telemetry';
import { IpamAppModule } from './app.module';
import { loadConfig } from './config';

const log = createLogger('ipam');

export const main = async (): Promise<void> => {
  startTelemetry({ serviceName: 'bosun-ipam' });
  const config = loadConfig();
  // A short fallback poll (NOTIFY, local pokes and the horizon watch normally wake the reader first).
  const store = await createEventStore({ applicationName: `bosun-ipam-${config.instance}`, pollIntervalMs: 100 });
  const app = await NestFactory.createApplicationContext(IpamAppModule.forRoot({ store, config }), { logger: new JsonNestLogger('ipam') });
  app.enableShutdownHooks();
  log.info('ipam started', { instance: config.instance, listen: config.httpListen, families: { IPv4: config.ipam.ipv4Enabled, IPv6: config.ipam.ipv6Enabled } });
};

if (require.main === module) {
  main().catch((err: unknown) => {
    log.error('failed to start', { err });
    process.exit(1);
  });
}
