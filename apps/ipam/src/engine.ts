import { IPAM_EVENT_TYPES, IPAM_POOL_STREAM_PREFIX, IPAM_SERVICES_STREAM, type EventEnvelope, type IpamEvent } from '@bosun/contracts';
import { START, WrongExpectedVersionError, type Checkpoint, type EventStore, type StreamAppend, type Subscription, type Transaction } from '@bosun/event-store';
import {
  appendPlan,
  decideInPlace,
  evolve,
  initialState,
  isIpamInput,
  serviceKey,
  POOL_GROUP,
  POOL_KIND,
  SERVICE_GROUP,
  SERVICE_KIND,
  type IpamCommand,
  type IpamConfig,
  type IpamState,
} from '@bosun/ipam';
import { contextFromTraceContext, createLogger, spanContextOf, withSpan, type Logger } from '@bosun/telemetry';
import type { IpamMetrics } from './metrics';

/**
 * The ipam service's core (no NestJS here): keeps the LB IPAM state in memory, fed only by the
 * event store, and turns changes into allocation events.
 *
 * - On start the state is rebuilt from every pool, Service and ipam event, then a durable
 *   subscription (`ipam-<instance>`) follows the log. The subscription is the only way events
 *   enter the state, so it is always a prefix of the log: a decision is never made on a view
 *   older than one another replica already acted on.
 * - Each batch is evolved into the state, then decided on, and the decisions are appended in
 *   the batch's own transaction — with the subscription's checkpoint — to the pools' streams
 *   (`ipam-pool-<name>`) and `ipam-services`, each with the stream version this replica last
 *   saw. When another replica wrote first (WrongExpectedVersionError), the appends are rolled
 *   back to a savepoint and the work waits for the next batch, which brings the other
 *   replica's events; then it is decided again. Two replicas never hand out one address twice.
 * - Appended events are applied to the state at once; every event read later is applied only
 *   if its stream version is new (idempotent). If a batch's transaction fails after that, the
 *   state is rebuilt before the retry.
 */

export interface IpamEngineOptions {
  readonly store: EventStore;
  readonly config: IpamConfig;
  /** Names the durable subscription (`ipam-<instance>`); unique per replica. */
  readonly instance: string;
  readonly batchSize?: number;
  readonly metrics?: IpamMetrics;
  readonly log?: Logger;
  /** How often leftover work is retried outside of a batch (ms). */
  readonly resyncIntervalMs?: number;
  /** Test seam: awaited before each decision (lets a test make this replica decide on a stale view). */
  readonly beforeDecide?: (command: IpamCommand) => Promise<void>;
}

/** The events the engine reads: resource events of Services and pools, and its own context's. */
export const INPUT_FILTER = {
  types: ['resource.Applied', 'resource.Deleted', 'resource.StatusUpdated', ...IPAM_EVENT_TYPES],
  streamPrefixes: ['resource-core.Service-', `resource-${POOL_GROUP}.${POOL_KIND}-`, IPAM_POOL_STREAM_PREFIX, IPAM_SERVICES_STREAM],
} as const;

type Ref = { group: string; kind: string; namespace: string; name: string };

/** A simple async mutex: batches and out-of-band reconciles never interleave. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Beyond this many runs per stream, a burst is appended as one run (few appends beat exact correlation). */
const MAX_RUNS_PER_STREAM = 4;

/**
 * Splits a stream's events into consecutive runs by the change that caused them (never
 * reordering), so that each appended event carries its cause's correlation and causation.
 * A Service's events belong to that Service's change in the batch, anything else (pool status,
 * Services moved by a pool change) to the batch's pool change or to the run before it.
 */
export const runsByCause = (events: readonly IpamEvent[], causes: readonly EventEnvelope[]): Array<{ cause: EventEnvelope | undefined; events: IpamEvent[] }> => {
  const byService = new Map<string, EventEnvelope>();
  let poolCause: EventEnvelope | undefined;
  for (const c of causes) {
    const ref = (c.data as { ref?: Ref }).ref;
    if (!ref) continue;
    if (ref.group === SERVICE_GROUP && ref.kind === SERVICE_KIND) byService.set(serviceKey(ref.namespace, ref.name), c);
    else poolCause ??= c;
  }
  const fallback = poolCause ?? causes[0];
  const runs: Array<{ cause: EventEnvelope | undefined; events: IpamEvent[] }> = [];
  for (const e of events) {
    const svc = 'service' in e.data ? e.data.service : undefined;
    const cause = (svc && byService.get(serviceKey(svc.namespace, svc.name))) ?? runs[runs.length - 1]?.cause ?? fallback;
    const last = runs[runs.length - 1];
    if (last && last.cause === cause) last.events.push(e);
    else runs.push({ cause, events: [e] });
  }
  return runs.length > MAX_RUNS_PER_STREAM ? [{ cause: causes[0], events: [...events] }] : runs;
};

export class IpamEngine {
  private state: IpamState;
  /** Last stream version applied, per stream (resources and ipam). */
  private readonly versions = new Map<string, number>();
  private pendingServices = new Set<string>();
  private pendingAll = false;
  private retryUnsatisfied = false;
  private poisoned = false;
  private readonly mutex = new Mutex();
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readyFlag = false;
  private stopped = false;
  private readonly log: Logger;
  /** Where the last reconcile's time went (debug logs). */
  private lastTimings = { decideMs: 0, appendMs: 0, appends: 0 };
  /** The checkpoint the last rebuild reached. */
  private rebuiltAt: Checkpoint = START;

  constructor(private readonly opts: IpamEngineOptions) {
    this.state = initialState(opts.config);
    this.log = opts.log ?? createLogger('ipam');
  }

  /** The current state (read-only use: metrics, tests). */
  get current(): IpamState {
    return this.state;
  }

  get ready(): boolean {
    return this.readyFlag;
  }

  get subscriberId(): string {
    return `ipam-${this.opts.instance}`;
  }

  async start(): Promise<void> {
    await this.mutex.run(() => this.rebuild());
    this.pendingAll = true;
    this.sub = this.opts.store.subscribe({
      subscriberId: this.subscriberId,
      from: this.rebuiltAt,
      ...INPUT_FILTER,
      batchSize: this.opts.batchSize ?? 1000,
      handler: (events, ctx) => this.onBatch(events, ctx.tx),
      onError: (err, attempt) => {
        // The failed batch may have left uncommitted decisions in the state: rebuild before the retry.
        this.poisoned = true;
        this.log.warn('batch failed; the state is rebuilt before the retry', { err, attempt });
      },
    });
    await this.sub.caughtUp;
    await this.reconcileNow();
    this.readyFlag = true;
    const every = this.opts.resyncIntervalMs ?? 5_000;
    this.timer = setInterval(() => {
      if (this.hasWork()) void this.reconcileNow().catch((err: unknown) => this.log.warn('resync failed', { err }));
    }, every);
    this.timer.unref();
    this.log.info('ipam is running', { subscriber: this.subscriberId, pools: this.state.pools.size, services: this.state.services.size });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.readyFlag = false;
    if (this.timer) clearInterval(this.timer);
    await this.sub?.stop();
    // Let a reconcile in flight finish.
    await this.mutex.run(async () => undefined);
  }

  /** Decides now, outside of a batch (start-up, leftovers); its own transaction. */
  async reconcileNow(): Promise<void> {
    if (this.stopped) return;
    await this.mutex.run(async () => {
      if (this.poisoned) await this.rebuild();
      if (!this.hasWork()) return;
      try {
        await this.opts.store.transaction((tx) => this.decideAndAppend(tx, []));
      } catch (err) {
        this.poisoned = true;
        throw err;
      }
    });
  }

  /** Changes seen but not yet decided on (e.g. after losing a race to another replica). */
  get pendingWork(): boolean {
    return this.hasWork();
  }

  private hasWork(): boolean {
    return this.pendingAll || this.retryUnsatisfied || this.pendingServices.size > 0;
  }

  /** Reads the whole log into a fresh state. */
  private async rebuild(): Promise<void> {
    const started = Date.now();
    this.state = initialState(this.opts.config);
    this.versions.clear();
    let after: Checkpoint = START;
    let count = 0;
    for (;;) {
      const page = await this.opts.store.readAll({ after, limit: 5000, ...INPUT_FILTER });
      for (const e of page.events) if (this.apply(e)) count++;
      after = page.checkpoint;
      if (page.caughtUp) break;
    }
    this.rebuiltAt = after;
    this.poisoned = false;
    this.pendingAll = true;
    this.opts.metrics?.rebuilds.inc();
    this.log.info('state rebuilt from the event store', { events: count, ms: Date.now() - started, pools: this.state.pools.size, services: this.state.services.size });
  }

  /** Applies an event unless its stream version was applied already. */
  private apply(e: EventEnvelope): boolean {
    const known = this.versions.get(e.streamId) ?? 0;
    if (e.streamVersion <= known) return false;
    this.versions.set(e.streamId, e.streamVersion);
    if (!isIpamInput(e)) return false;
    try {
      this.state = evolve(this.state, e);
    } catch (err) {
      // Never stall the log on one event: say which, and go on.
      this.opts.metrics?.skipped.inc();
      this.log.error('event could not be applied; skipped', { err, eventId: e.id, type: e.type, streamId: e.streamId, streamVersion: e.streamVersion });
      return false;
    }
    return true;
  }

  /** What an event (new to us) asks to look at again. */
  private noteWork(e: EventEnvelope): void {
    const data = e.data as { ref?: Ref; service?: { namespace: string; name: string } };
    switch (e.type) {
      case 'resource.Applied':
      case 'resource.Deleted':
      case 'resource.StatusUpdated':
        if (data.ref?.group === SERVICE_GROUP && data.ref.kind === SERVICE_KIND) this.pendingServices.add(serviceKey(data.ref.namespace, data.ref.name));
        else this.pendingAll = true; // a pool: every Service may be affected
        return;
      case 'ipam.LoadBalancerIPReleased':
        this.retryUnsatisfied = true;
        if (data.service) this.pendingServices.add(serviceKey(data.service.namespace, data.service.name));
        return;
      case 'ipam.LoadBalancerIPAllocated':
      case 'ipam.ServiceIPAMConditionChanged':
      case 'ipam.ServiceIPAMConditionRemoved':
        if (data.service) this.pendingServices.add(serviceKey(data.service.namespace, data.service.name));
        return;
      default:
        return;
    }
  }

  private async onBatch(events: EventEnvelope[], tx: Transaction): Promise<void> {
    await this.mutex.run(async () => {
      const t0 = performance.now();
      if (this.poisoned) await this.rebuild();
      const causes: EventEnvelope[] = [];
      let applied = 0;
      for (const e of events) {
        if (!this.apply(e)) continue;
        applied++;
        this.noteWork(e);
        if (e.type.startsWith('resource.')) causes.push(e);
      }
      this.lastTimings = { decideMs: 0, appendMs: 0, appends: 0 };
      await this.decideAndAppend(tx, causes);
      if (this.log.isLevelEnabled('debug')) {
        const r = (n: number) => Math.round(n * 10) / 10;
        const t = this.lastTimings;
        this.log.debug('batch', { events: events.length, applied, causes: causes.length, ms: r(performance.now() - t0), decideMs: r(t.decideMs), appendMs: r(t.appendMs), appends: t.appends });
      }
    });
  }

  private command(): IpamCommand {
    return this.pendingAll
      ? { type: 'ReconcileAll' }
      : { type: 'ReconcileServices', services: this.pendingServices, retryUnsatisfied: this.retryUnsatisfied };
  }

  private clearWork(): void {
    this.pendingAll = false;
    this.retryUnsatisfied = false;
    this.pendingServices = new Set();
  }

  /**
   * decide → append per stream (sorted, so two replicas lock streams in one order) with the
   * versions last seen → apply. A conflict undoes this reconcile's appends and keeps the work.
   */
  private async decideAndAppend(tx: Transaction, causes: readonly EventEnvelope[]): Promise<void> {
    if (!this.hasWork()) return;
    await this.opts.beforeDecide?.(this.command());
    const started = process.hrtime.bigint();
    const first = causes[0];
    const links = causes
      .slice(1, 33)
      .map((c) => spanContextOf({ traceparent: c.traceparent, tracestate: c.tracestate ?? null }))
      .filter((c) => c !== undefined)
      .map((context) => ({ context }));
    const outcome = await withSpan(
      'ipam reconcile',
      {
        parent: first ? contextFromTraceContext({ traceparent: first.traceparent, tracestate: first.tracestate ?? null }) : undefined,
        links,
        attributes: { 'bosun.ipam.causes': causes.length, 'bosun.ipam.command': this.pendingAll ? 'ReconcileAll' : 'ReconcileServices' },
      },
      async (span) => {
        // The decisions are applied to the state as they are made; rolled back if not stored.
        const td = performance.now();
        const decision = decideInPlace(this.command(), this.state);
        const decided = decision.events;
        this.lastTimings = { decideMs: performance.now() - td, appendMs: 0, appends: 0 };
        const ta = performance.now();
        span.setAttribute('bosun.ipam.events', decided.length);
        if (decided.length === 0) {
          this.clearWork();
          return 'nothing';
        }
        const appended: EventEnvelope[] = [];
        await tx.query('SAVEPOINT ipam_decide');
        try {
          // Every stream and run in one statement (one round trip): the pool streams and
          // ipam-services, each run expecting the version the run before it leaves.
          const batch: StreamAppend[] = [];
          for (const { stream: s, events: streamEvents } of appendPlan(decided)) {
            let expected = this.versions.get(s) ?? 0;
            for (const run of runsByCause(streamEvents, causes)) {
              batch.push({
                streamId: s,
                expected,
                events: run.events.map((e) => ({ type: e.type, data: e.data })),
                ...(run.cause ? { metadata: { correlationId: run.cause.correlationId, causationId: run.cause.id } } : {}),
              });
              expected += run.events.length;
            }
          }
          for (const r of await this.opts.store.appendMany(batch, { tx })) {
            this.versions.set(r.streamId, r.nextExpectedVersion);
            appended.push(...r.events);
          }
          this.lastTimings.appends = batch.length;
          this.lastTimings.appendMs = performance.now() - ta;
          // (The savepoint is released by the commit: one round trip less.)
        } catch (err) {
          // Not stored: take the decisions back out of the state, and forget the versions they reached.
          decision.rollback();
          for (const e of appended) if ((this.versions.get(e.streamId) ?? 0) >= e.streamVersion) this.versions.set(e.streamId, e.streamVersion - 1);
          if (!(err instanceof WrongExpectedVersionError)) throw err;
          await tx.query('ROLLBACK TO SAVEPOINT ipam_decide');
          this.opts.metrics?.conflicts.inc();
          this.log.debug('another replica wrote first; deciding again after its events', { stream: err.streamId, expected: err.expected, actual: err.actual });
          return 'conflict';
        }
        this.count(decided);
        this.clearWork();
        return 'appended';
      },
    );
    this.opts.metrics?.reconcileSeconds.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private count(events: readonly IpamEvent[]): void {
    const m = this.opts.metrics;
    if (!m) return;
    for (const e of events) {
      if (e.type === 'ipam.LoadBalancerIPAllocated') m.allocations.inc({ pool: e.data.pool, origin: e.data.origin });
      else if (e.type === 'ipam.LoadBalancerIPReleased') m.releases.inc({ pool: e.data.pool, reason: e.data.reason });
    }
  }
}
