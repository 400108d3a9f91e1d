import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createLogger } from '@bosun/telemetry';
import { startApiServer, type ApiServer } from './api-server';
import { configFromEnv, type ApiConfig } from './config';

export const API_CONFIG = Symbol('API_CONFIG');

/** Owns the API server's lifetime inside the Nest application. */
@Injectable()
export class ApiLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  server: ApiServer | undefined;
  private readonly log = createLogger('api');

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    this.server = await startApiServer(this.config, this.log);
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.log.info('shutting down', { signal });
    await this.server?.close();
  }
}

@Module({
  providers: [{ provide: API_CONFIG, useFactory: () => configFromEnv() }, ApiLifecycle],
})
export class ApiModule {}
