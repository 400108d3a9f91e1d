import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NodeInfo } from '@bosun/bgp-control-plane';
import type { EventStore } from '@bosun/event-store';
import { HealthRegistry, ObservabilityModule, createLogger } from '@bosun/telemetry';
import type { SpeakerConfig } from './config';
import type { RouterEngine } from './engine';
import { ClusterConditionsReporter } from './cluster-conditions';
import { NodeEventRecorder } from './recorder';
import { BgpReconciler, type InputSource, type NodeConfigStore } from './reconciler';

export const SPEAKER_DEPS = Symbol('SPEAKER_DEPS');

export interface SpeakerDeps {
  readonly config: SpeakerConfig;
  readonly store: EventStore;
  readonly engine: RouterEngine;
  /** Informers over the API; `synced` resolves once every one has listed. */
  readonly sources: InputSource & { readonly synced: Promise<void>; stop(): Promise<void>; allNodes(): NodeInfo[] | undefined };
  readonly nodeConfigs: NodeConfigStore;
}

/**
 * Wires the speaker: on bootstrap it folds its `bgp-node-<node>` stream, waits for the
 * informers, then starts the reconcile loop (routes are loaded before any session starts, so a
 * restart is graceful). Ready once the first reconcile has run. On shutdown the sessions are
 * closed gracefully (routers with graceful restart keep our routes for the restart time).
 */
@Injectable()
export class BgpSpeakerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = createLogger('bgp-speaker');
  readonly recorder: NodeEventRecorder;
  readonly reconciler: BgpReconciler;
  readonly clusterConditions: ClusterConditionsReporter;

  constructor(
    @Inject(SPEAKER_DEPS) private readonly deps: SpeakerDeps,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
  ) {
    const log = this.log.child({ node: deps.config.node });
    this.recorder = new NodeEventRecorder(deps.store, deps.config.node, log);
    this.reconciler = new BgpReconciler({
      node: deps.config.node,
      sources: deps.sources,
      engine: deps.engine,
      recorder: this.recorder,
      nodeConfigs: deps.nodeConfigs,
      log,
      statusIntervalMs: deps.config.statusIntervalMs,
      minRunIntervalMs: deps.config.minRunIntervalMs,
    });
    this.clusterConditions = new ClusterConditionsReporter(
      deps.store,
      () => {
        const inputs = deps.sources.snapshot();
        const nodes = deps.sources.allNodes();
        return inputs && nodes ? { inputs, nodes } : undefined;
      },
      log,
    );
    deps.sources.onChange(() => this.clusterConditions.schedule());
    this.health.addReadinessCheck('bgp-reconcile', () => {
      if (this.reconciler.current === undefined) return false;
      return this.reconciler.lastError ? `last run failed: ${this.reconciler.lastError}` : true;
    });
    this.health.addLivenessCheck('bgp-speaker', () => true);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.recorder.load();
    // Routes in our Adj-RIB-Out before this process started: we are restarting (GR R/F bits).
    const restarting = this.recorder.current.advertised.size > 0;
    this.deps.engine.setRestarting(restarting);
    if (restarting) this.log.info('restarting: peers keep our routes until End-of-RIB', { previouslyAdvertised: this.recorder.current.advertised.size });
    await this.deps.sources.synced;
    this.reconciler.start();
    this.clusterConditions.schedule();
    this.log.info('BGP speaker started', { node: this.deps.config.node });
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.log.info('stopping: sessions close gracefully (no NOTIFICATION)', { signal });
    await this.clusterConditions.stop().catch(() => undefined);
    await this.reconciler.stop(true).catch((err: unknown) => this.log.error('stopping the engine failed', { err }));
    await this.deps.sources.stop().catch(() => undefined);
    await this.deps.store.close().catch(() => undefined);
  }
}

@Module({})
export class BgpSpeakerModule {
  static forRoot(deps: SpeakerDeps): DynamicModule {
    return {
      module: BgpSpeakerModule,
      imports: [ObservabilityModule.forRoot({ component: 'bgp-speaker', listen: deps.config.httpListen, defaultListen: '127.0.0.1:9103' })],
      providers: [{ provide: SPEAKER_DEPS, useValue: deps }, BgpSpeakerService],
      exports: [BgpSpeakerService],
    };
  }
}
