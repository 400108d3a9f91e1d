// Kubernetes-style control API: a thin NestJS shell around the Fastify routes and the object view.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { JsonNestLogger, createLogger, enableDefaultMetrics, startTelemetry } from '@bosun/telemetry';
import { ApiModule } from './app.module';

const main = async (): Promise<void> => {
  startTelemetry({ serviceName: 'bosun-api' });
  enableDefaultMetrics({ service: 'api' });
  const app = await NestFactory.createApplicationContext(ApiModule, { logger: new JsonNestLogger('api') });
  app.enableShutdownHooks();
};

main().catch((err: unknown) => {
  createLogger('api').error('failed to start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
