import {
  advertisedKey,
  computeDesiredState,
  nodeConfigObject,
  planSessions,
  type BgpInputs,
  type BgpNodeCommand,
  type KubeObject,
  type NodeDesiredState,
} from '@bosun/bgp-control-plane';
import { withSpan, type Logger } from '@bosun/telemetry';
import type { RouterEngine } from './engine';
import { publishPeerMetrics, reconcileDuration, reconcileErrors } from './metrics';
import type { NodeEventRecorder } from './recorder';
import { buildNodeStatus } from './status';

/** Where the reconciler reads its inputs: informers over the API (see `sources.ts`). */
export interface InputSource {
  /** The inputs now; undefined until every informer has synced and the Node exists. */
  snapshot(): BgpInputs | undefined;
  /** Called on any change of any input (level-triggered: the reconciler re-reads everything). */
  onChange(listener: () => void): void;
}

/** Writes the node's CiliumBGPNodeConfig (the speaker does the operator's job for its own node). */
export interface NodeConfigStore {
  apply(obj: KubeObject): Promise<void>;
  delete(name: string): Promise<void>;
}

export interface ReconcilerOptions {
  readonly node: string;
  readonly sources: InputSource;
  readonly engine: RouterEngine;
  readonly recorder: NodeEventRecorder;
  readonly nodeConfigs: NodeConfigStore;
  readonly log: Logger;
  /** Minimum time between two status reports (they are also deduplicated). Default 1 s. */
  readonly statusIntervalMs?: number;
  /**
   * Minimum time from the end of one run to the start of the next (Cilium rate-limits its
   * service signal the same way): under a stream of changes, runs batch them instead of
   * recomputing the node for each. Default 25 ms.
   */
  readonly minRunIntervalMs?: number;
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

/**
 * The level-triggered, coalesced reconcile loop of one node (Cilium agent's controller):
 * any change marks the state dirty; one run at a time recomputes the whole desired state from
 * the informers' current view and drives the engine to it. A burst of changes arriving during
 * a run is folded into the next run, so 1k Service changes become a few UPDATE batches.
 * Failures are retried with backoff and reported as a condition, an event and a metric; they
 * never stop the loop.
 */
export class BgpReconciler {
  private applied: NodeDesiredState | undefined;
  private appliedNodeConfig: string | null | undefined;
  private dirty = false;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private lastStatusAt = 0;
  private failures = 0;
  private runtimeError: string | undefined;
  private started = false;
  private stopped = false;
  private runs = 0;
  private lastRunEnd = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly o: ReconcilerOptions) {}

  /** Number of completed runs (successful or not). */
  get runCount(): number {
    return this.runs;
  }

  /** The desired state last driven into the engine. */
  get current(): NodeDesiredState | undefined {
    return this.applied;
  }

  get lastError(): string | undefined {
    return this.runtimeError;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.o.sources.onChange(() => this.trigger());
    this.o.engine.onPeerState((ch) => {
      const s = ch.status;
      void this.o.recorder
        .dispatch([
          {
            type: 'ObservePeerState',
            instance: s.instance,
            localASN: s.localASN,
            peer: s.peer,
            peerAddress: s.peerAddress,
            peerASN: s.peerASN,
            state: s.state,
            ...(ch.reason ? { reason: ch.reason } : {}),
          },
        ])
        .catch((err: unknown) => this.o.log.error('cannot record a peer state change', { err, peer: s.key }));
      this.scheduleStatus();
    });
    this.o.engine.onCountsChanged(() => this.scheduleStatus());
    this.trigger();
  }

  /** Marks the inputs dirty; a run starts now or right after the current one. */
  trigger(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (!this.running && !this.retryTimer && this.started) this.running = this.loop();
  }

  /** Resolves when no run is in progress, nothing is pending and the events are appended (tests, shutdown). */
  async idle(): Promise<void> {
    if (this.running || this.dirty) await new Promise<void>((r) => this.idleWaiters.push(r));
    await this.o.recorder.settled();
  }

  private resyncTimer: NodeJS.Timeout | undefined;
  /** A later run, to record what could not be recorded (the event store was unavailable). */
  private scheduleResync(): void {
    if (this.resyncTimer || this.stopped) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      this.trigger();
    }, 2000);
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty && !this.stopped) {
        const gap = this.lastRunEnd + (this.o.minRunIntervalMs ?? 25) - Date.now();
        if (gap > 0) await new Promise((r) => setTimeout(r, gap));
        if (this.stopped) break;
        this.dirty = false;
        try {
          await this.reconcile();
          this.failures = 0;
          if (this.runtimeError) {
            this.runtimeError = undefined;
            this.scheduleStatus();
          }
        } catch (err) {
          this.onFailure(err);
          return;
        } finally {
          this.runs++;
          this.lastRunEnd = Date.now();
        }
      }
    } finally {
      this.running = undefined;
      if (!this.dirty && !this.retryTimer) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private onFailure(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failures++;
    this.runtimeError = message;
    const vrouters = this.applied?.instances.map((i) => String(i.localASN)) ?? [];
    for (const v of vrouters.length > 0 ? vrouters : ['']) reconcileErrors.inc({ vrouter: v });
    this.o.log.error('BGP reconcile failed; retrying', { error: message, attempt: this.failures });
    void this.o.recorder.dispatch([{ type: 'RecordReconcileError', error: message }]).catch(() => undefined);
    this.scheduleStatus();
    const delay = BACKOFF_MS[Math.min(this.failures - 1, BACKOFF_MS.length - 1)]! * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.dirty = true;
      if (!this.running && !this.stopped) this.running = this.loop();
    }, delay);
  }

  /** One full pass: desired state → NodeConfig → engine → events. */
  private async reconcile(): Promise<void> {
    const inputs = this.o.sources.snapshot();
    if (!inputs) return; // informers not synced yet or Node not registered: nothing to decide on
    const started = performance.now();
    await withSpan('bgp.reconcile', { attributes: { 'bosun.node': this.o.node } }, async () => {
      const desired = computeDesiredState(inputs);
      await this.syncNodeConfig(desired, inputs);
      const plan = planSessions(this.applied, desired);
      for (const r of plan.reset) this.o.log.info('session-affecting change: resetting the session', { peer: r.key, reasons: r.reasons });
      await this.o.engine.sync(desired, new Set(plan.reset.map((r) => r.key)));
      const previous = this.applied;
      this.applied = desired;
      // Recorded in the background, in order: the wire does not wait for Postgres. A failed
      // append is decided again from the stream's state by a later run.
      this.o.recorder.dispatch(this.commandsFor(desired, plan.reset)).catch((err: unknown) => {
        this.o.log.error('cannot record the BGP events of a reconcile run; retrying', { error: err instanceof Error ? err.message : String(err) });
        this.scheduleResync();
      });
      if (desired.problems.length > 0 && JSON.stringify(desired.problems) !== JSON.stringify(previous?.problems)) {
        this.o.log.warn('BGP configuration problems (see the node conditions)', { problems: desired.problems });
      }
    });
    const seconds = (performance.now() - started) / 1000;
    for (const inst of this.applied?.instances ?? []) reconcileDuration.observe({ vrouter: String(inst.localASN) }, seconds);
    this.scheduleStatus();
  }

  /** Applies the node's NodeConfig when it differs from the stored one; deletes it when no ClusterConfig selects the node. */
  private async syncNodeConfig(desired: NodeDesiredState, inputs: BgpInputs): Promise<void> {
    if (!desired.nodeConfig) {
      if (inputs.existingNodeConfig && this.appliedNodeConfig !== null) {
        await this.o.nodeConfigs.delete(this.o.node);
        this.o.log.info('no CiliumBGPClusterConfig selects this node: its CiliumBGPNodeConfig is deleted');
      }
      this.appliedNodeConfig = null;
      return;
    }
    const obj = nodeConfigObject(this.o.node, desired.nodeConfig);
    const want = JSON.stringify({ spec: obj.spec, owners: obj.metadata?.ownerReferences });
    const existing = inputs.existingNodeConfig;
    const have = existing
      ? JSON.stringify({ spec: existing.spec, owners: (existing.metadata?.ownerReferences ?? []).map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, name: r.name, uid: r.uid, controller: r.controller })) })
      : undefined;
    if (have === want || this.appliedNodeConfig === want) return;
    await this.o.nodeConfigs.apply(obj);
    this.appliedNodeConfig = want;
  }

  private commandsFor(desired: NodeDesiredState, reset: ReadonlyArray<{ key: string; instance: { name: string }; peer: { name: string; peerAddress: string }; reasons: readonly string[] }>): BgpNodeCommand[] {
    const cmds: BgpNodeCommand[] = [];
    for (const r of reset) cmds.push({ type: 'RecordSessionReset', instance: r.instance.name, peer: r.peer.name, peerAddress: r.peer.peerAddress, reasons: r.reasons });
    cmds.push({
      type: 'SyncBlockedPeers',
      blocked: desired.instances.flatMap((inst) =>
        inst.blockedPeers.map((b) => ({
          instance: inst.name,
          peer: b.name,
          peerAddress: b.peerAddress ?? '',
          reason: b.reason,
          message: b.message,
          ...(b.authSecretRef ? { authSecretRef: b.authSecretRef } : {}),
        })),
      ),
    });
    const keep: string[] = [];
    for (const inst of desired.instances) {
      for (const peer of inst.peers) {
        for (const fr of peer.routes) {
          keep.push(advertisedKey(inst.name, peer.name, fr.family.afi));
          const nextHop = fr.family.afi === 'ipv4' ? peer.nextHop.ipv4 : peer.nextHop.ipv6;
          cmds.push({
            type: 'SyncAdvertisedRoutes',
            instance: inst.name,
            peer: peer.name,
            peerAddress: peer.peerAddress,
            afi: fr.family.afi,
            routes: fr.routes.map((r) => ({
              prefix: r.prefix,
              ...(r.communities.length ? { communities: r.communities } : {}),
              ...(r.largeCommunities.length ? { largeCommunities: r.largeCommunities } : {}),
              ...(r.localPreference !== undefined ? { localPreference: r.localPreference } : {}),
            })),
            ...(nextHop ? { nextHop } : {}),
          });
        }
      }
    }
    // Peers or families that are gone: their Adj-RIB-Out is empty now (decided against the
    // stream's state when the events are appended).
    cmds.push({ type: 'RetainAdvertised', keep });
    return cmds;
  }

  /** Reports status now if the last report is old enough, else once the interval has passed. */
  private scheduleStatus(): void {
    if (this.statusTimer || this.stopped) return;
    const interval = this.o.statusIntervalMs ?? 1000;
    const wait = Math.max(0, this.lastStatusAt + interval - Date.now());
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.lastStatusAt = Date.now();
      void this.reportStatus().catch((err: unknown) => this.o.log.error('cannot report the node status', { err }));
    }, wait);
  }

  /** Appends the status report if it changed (and publishes the per-peer metrics). */
  async reportStatus(): Promise<void> {
    const engine = this.o.engine.status();
    publishPeerMetrics(engine);
    if (!this.applied) return;
    await this.o.recorder.dispatch([{ type: 'ReportStatus', status: buildNodeStatus(this.applied, engine, this.runtimeError) }]);
  }

  /** Stops the loop and the engine (graceful: peers keep our routes for the restart time). */
  async stop(graceful: boolean): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.retryTimer = undefined;
    this.statusTimer = undefined;
    await this.running;
    await this.o.recorder.settled();
    await this.o.engine.stop(graceful);
  }
}
