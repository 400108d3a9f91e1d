// Per-node L2 announcer: answers ARP/NDP for the Service addresses whose lease this node holds.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JsonNestLogger, ObservabilityModule, createLogger, startTelemetry } from '@bosun/telemetry';
import { AnnouncerService, L2_CONFIG } from './announcer.service';
import { loadConfig } from './config';

@Module({
  imports: [ObservabilityModule.forRoot({ component: 'l2-announcer', defaultListen: '127.0.0.1:9104' })],
  providers: [{ provide: L2_CONFIG, useFactory: loadConfig }, AnnouncerService],
})
export class L2AnnouncerModule {}

export const bootstrap = async (): Promise<void> => {
  startTelemetry({ serviceName: 'bosun-l2-announcer' });
  const app = await NestFactory.createApplicationContext(L2AnnouncerModule, { logger: new JsonNestLogger('l2-announcer') });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
};

if (require.main === module) {
  bootstrap().catch((e) => {
    createLogger('l2-announcer').error('l2-announcer failed to start', { error: e });
    process.exit(1);
  });
}
