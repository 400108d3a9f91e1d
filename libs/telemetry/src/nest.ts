import { Controller, Get, Global, Inject, Injectable, Module, Req, Res, type DynamicModule, type LoggerService, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HealthRegistry, health } from './health';
import { observabilityResponse, startObservabilityServer, type ObservabilityServer } from './http';
import { createLogger, type Logger } from './logger';
import { enableDefaultMetrics } from './metrics';

export interface ObservabilityModuleOptions {
  /** Component name in logs and the `service` label of metrics. */
  readonly component: string;
  /**
   * Serve `/healthz`, `/readyz`, `/metrics` from the app's own HTTP server (for apps that
   * already serve HTTP, e.g. the API) instead of a separate listener.
   */
  readonly mount?: boolean;
  /** Standalone listener address; `BOSUN_HTTP_LISTEN`, then `defaultListen`. `false`: none. */
  readonly listen?: string | false;
  readonly defaultListen?: string;
}

export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

/** Mounted endpoints; works with Express and Fastify adapters alike. */
@Controller()
export class ObservabilityController {
  constructor(@Inject(HealthRegistry) private readonly registry: HealthRegistry) {}

  private async answer(path: string, res: any): Promise<void> {
    const r = (await observabilityResponse(path, { health: this.registry }))!;
    if (typeof res.code === 'function' && typeof res.header === 'function') {
      res.code(r.status).header('content-type', r.contentType).header('cache-control', 'no-store').send(r.body);
    } else {
      res.status(r.status).set('content-type', r.contentType).set('cache-control', 'no-store').send(r.body);
    }
  }

  @Get('healthz')
  healthz(@Req() _req: unknown, @Res() res: unknown): Promise<void> {
    return this.answer('/healthz', res);
  }

  @Get('readyz')
  readyz(@Req() _req: unknown, @Res() res: unknown): Promise<void> {
    return this.answer('/readyz', res);
  }

  @Get('metrics')
  metrics(@Req() _req: unknown, @Res() res: unknown): Promise<void> {
    return this.answer('/metrics', res);
  }
}

/** Starts the standalone listener after bootstrap; readiness fails, then it closes, on shutdown. */
@Injectable()
export class ObservabilityLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: ObservabilityServer | null = null;
  private readonly log: Logger;

  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly opts: ObservabilityModuleOptions,
    @Inject(HealthRegistry) private readonly registry: HealthRegistry,
  ) {
    this.log = createLogger(opts.component);
  }

  /** Where the standalone endpoints listen (null when mounted or disabled). */
  get address(): string | null {
    return this.server?.address ?? null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.opts.mount || this.opts.listen === false) return;
    this.server = await startObservabilityServer({ health: this.registry, listen: this.opts.listen, defaultListen: this.opts.defaultListen });
    this.log.info('health and metrics endpoints listening', { address: this.server.address });
  }

  async onApplicationShutdown(): Promise<void> {
    this.registry.markShuttingDown();
    await this.server?.close();
    this.server = null;
  }
}

/**
 * `/healthz`, `/readyz` (with the named checks services add to `HealthRegistry`) and
 * `/metrics` for any Nest app:
 *
 *   ObservabilityModule.forRoot({ component: 'ipam', defaultListen: '127.0.0.1:9101' })
 *   ObservabilityModule.forRoot({ component: 'api', mount: true })   // on the app's own server
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(opts: ObservabilityModuleOptions): DynamicModule {
    enableDefaultMetrics({ service: opts.component });
    return {
      module: ObservabilityModule,
      global: true,
      controllers: opts.mount ? [ObservabilityController] : [],
      providers: [{ provide: OBSERVABILITY_OPTIONS, useValue: opts }, { provide: HealthRegistry, useValue: health }, ObservabilityLifecycle],
      exports: [HealthRegistry, ObservabilityLifecycle],
    };
  }
}

/** Nest's own log lines as structured JSON (`app.useLogger(new JsonNestLogger('ipam'))`). */
export class JsonNestLogger implements LoggerService {
  private readonly out: Logger;
  constructor(component: string) {
    this.out = createLogger(component);
  }
  private fields(params: unknown[]): Record<string, unknown> {
    const ctx = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    return ctx ? { context: ctx } : {};
  }
  log(message: unknown, ...params: unknown[]): void {
    this.out.info(String(message), this.fields(params));
  }
  error(message: unknown, ...params: unknown[]): void {
    const stack = typeof params[0] === 'string' && params.length > 1 ? params[0] : undefined;
    this.out.error(String(message), { ...this.fields(params), ...(stack ? { stack } : {}) });
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.out.warn(String(message), this.fields(params));
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.out.debug(String(message), this.fields(params));
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.out.debug(String(message), this.fields(params));
  }
}
