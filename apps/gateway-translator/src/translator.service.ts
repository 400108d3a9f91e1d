import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BosunClient } from '@bosun/client';
import { HealthRegistry, createLogger } from '@bosun/telemetry';
import { ApiCluster } from './cluster';
import type { TranslatorConfig } from './config';
import { TranslatorReconciler } from './reconciler';

export const TRANSLATOR_CONFIG = Symbol('TRANSLATOR_CONFIG');

/** Wires the API view and the reconciler into the Nest lifecycle; readiness follows them. */
@Injectable()
export class TranslatorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = createLogger('gateway-translator');
  readonly client: BosunClient;
  readonly cluster: ApiCluster;
  readonly reconciler: TranslatorReconciler;

  constructor(
    @Inject(TRANSLATOR_CONFIG) private readonly config: TranslatorConfig,
    @Inject(HealthRegistry) health: HealthRegistry,
  ) {
    this.client = new BosunClient(config.server ? { server: config.server } : {});
    this.cluster = new ApiCluster(this.client, this.log);
    this.reconciler = new TranslatorReconciler(this.cluster, this.client, config, this.log);
    health.addReadinessCheck('informers', () => (this.cluster.synced ? true : `listing the API at ${this.client.config.server}${this.cluster.lastError ? `: ${this.cluster.lastError}` : ''}`));
    health.addReadinessCheck('reconcile', () => {
      if (this.reconciler.runs === 0) return 'no run yet';
      if (this.reconciler.lastRunError) throw new Error(this.reconciler.lastRunError);
      const t = this.reconciler.lastTranslation;
      return t ? `${t.gateways.length} Gateway(s), ${t.routes.length} HTTPRoute(s)` : true;
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.cluster.start();
    // Not awaited: readiness reports the sync; the first run follows it.
    void this.cluster.whenSynced().then(() => {
      this.log.info('API view synced; reconciling', { server: this.client.config.server });
      this.reconciler.trigger();
    });
    this.log.info('gateway-translator started', { server: this.client.config.server, controllerName: this.config.controllerName, defaultClass: this.config.defaultClass });
  }

  async onApplicationShutdown(): Promise<void> {
    this.reconciler.stop();
    await this.reconciler.idle();
    await this.cluster.stop();
    this.client.close();
  }
}
