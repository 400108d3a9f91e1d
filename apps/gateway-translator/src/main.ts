// Gateway API translator: GatewayClass/Gateway/HTTPRoute status and each Gateway's LoadBalancer
// Service (`cilium-gateway-<name>`), from the API's Gateway API objects; serves /healthz,
// /readyz, /metrics on BOSUN_HTTP_LISTEN (default 127.0.0.1:9105).
import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JsonNestLogger, ObservabilityModule, createLogger, startTelemetry } from '@bosun/telemetry';
import { loadConfig, type TranslatorConfig } from './config';
import { TRANSLATOR_CONFIG, TranslatorService } from './translator.service';

@Module({})
export class GatewayTranslatorModule {
  static forRoot(config: TranslatorConfig): DynamicModule {
    return {
      module: GatewayTranslatorModule,
      imports: [ObservabilityModule.forRoot({ component: 'gateway-translator', listen: config.httpListen, defaultListen: '127.0.0.1:9105' })],
      providers: [{ provide: TRANSLATOR_CONFIG, useValue: config }, TranslatorService],
      exports: [TranslatorService],
    };
  }
}

const log = createLogger('gateway-translator');

export const main = async (): Promise<void> => {
  startTelemetry({ serviceName: 'bosun-gateway-translator' });
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(GatewayTranslatorModule.forRoot(config), { logger: new JsonNestLogger('gateway-translator') });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
};

if (require.main === module) {
  main().catch((err: unknown) => {
    log.error('failed to start', { err });
    process.exit(1);
  });
}
