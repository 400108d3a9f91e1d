import { Client } from 'pg';
import { headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager, type PubAck } from '@nats-io/jetstream';
import { EVENTS_STREAM, SUBJECT_PREFIX, subjectFor, type EventEnvelope } from '@bosun/contracts';
import { counter, createLogger, currentTraceContext, gauge, histogram, injectTraceHeaders, withProducerSpan, type Logger } from '@bosun/telemetry';
import type { Page, PostgresEventStore, Reader } from './postgres-event-store';
import { compareCheckpoints } from './rows';
import { READER_SESSION_OPTIONS } from './schema';
import { START, type Checkpoint } from './types';
import { Doorbell } from './doorbell';

export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  /** Re-publishes of one `Nats-Msg-Id` inside this window are dropped by the server. */
  readonly duplicateWindowMs?: number;
  /** Drop messages older than this (0 = keep; the event store is the record anyway). */
  readonly maxAgeMs?: number;
  readonly replicas?: number;
}

/**
 * Creates the JetStream stream if missing, or adds missing subjects to it. Idempotent, so every
 * process that needs the stream may call it at start.
 */
export const ensureStream = async (jsm: JetStreamManager, spec: StreamSpec): Promise<void> => {
  const duplicate_window = nanos(spec.duplicateWindowMs ?? 10 * 60_000);
  try {
    const info = await jsm.streams.info(spec.name);
    const missing = spec.subjects.filter((s) => !info.config.subjects?.includes(s));
    if (missing.length > 0) await jsm.streams.update(spec.name, { subjects: [...(info.config.subjects ?? []), ...missing] });
  } catch (err) {
    if ((err as { code?: number }).code !== 10059 && (err as Error).name !== 'StreamNotFoundError') throw err;
    try {
      await jsm.streams.add({
        name: spec.name,
        subjects: [...spec.subjects],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        num_replicas: spec.replicas ?? 1,
        duplicate_window,
        max_age: nanos(spec.maxAgeMs ?? 0),
      });
    } catch (addErr) {
      // Another process created it in the meantime (10058: stream name already in use).
      if ((addErr as { code?: number }).code !== 10058) throw addErr;
    }
  }
};

export interface OutboxRelayOptions {
  readonly store: PostgresEventStore;
  readonly nats: NatsConnection;
  /** JetStream stream (default `BOSUN_EVENTS`). */
  readonly streamName?: string;
  /** Subjects are `<prefix>.<EventType>` (default `bosun`). */
  readonly subjectPrefix?: string;
  /** Names the checkpoint row and the advisory lock: one active relay per id and schema. */
  readonly relayId?: string;
  readonly batchSize?: number;
  readonly duplicateWindowMs?: number;
  readonly pollIntervalMs?: number;
  /** How often a standby relay tries to take over (default 1 s). */
  readonly lockRetryMs?: number;
  readonly publishTimeoutMs?: number;
  /** How often the checkpoint is written while a backlog is being published (default 200 ms). */
  readonly checkpointIntervalMs?: number;
  readonly logger?: Logger;
}

const published = counter({ name: 'bosun_outbox_published_total', help: 'Events the outbox relay published to JetStream (duplicates included)', labelNames: ['stream'] });
const publishErrors = counter({ name: 'bosun_outbox_publish_errors_total', help: 'Failed publish attempts of the outbox relay', labelNames: ['stream'] });
const leaderGauge = gauge({ name: 'bosun_outbox_relay_leader', help: '1 while this process holds the outbox relay lock', labelNames: ['relay'] });
const relayLag = histogram({
  name: 'bosun_outbox_relay_lag_seconds',
  help: 'Time from append to PubAck',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The outbox relay: the events table is the outbox. The relay holding the advisory lock (on a
 * dedicated connection, so the lock dies with the process) reads committed events by the read
 * rule, publishes each to `<prefix>.<type>` with `Nats-Msg-Id` = event id, and moves its
 * checkpoint only after the PubAcks. A crash between publish and checkpoint re-publishes; the
 * stream's duplicate window drops those.
 */
export class OutboxRelay {
  readonly streamName: string;
  readonly subjectPrefix: string;
  readonly relayId: string;
  private readonly log: Logger;
  private running = false;
  private leader = false;
  private lockClient: Client | null = null;
  private cp: Checkpoint = START;
  private loop: Promise<void> | null = null;
  private readonly doorbell = new Doorbell();
  private unlisten: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: OutboxRelayOptions) {
    this.streamName = opts.streamName ?? EVENTS_STREAM;
    this.subjectPrefix = opts.subjectPrefix ?? SUBJECT_PREFIX;
    this.relayId = opts.relayId ?? 'outbox-relay';
    this.log = opts.logger ?? createLogger('outbox-relay', { relay: this.relayId, stream: this.streamName });
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** The last checkpoint whose events are all acknowledged by JetStream. */
  checkpoint(): Checkpoint {
    return this.cp;
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.unlisten = this.opts.store.onAppend(() => this.poke());
    this.loop = this.run();
    return this;
  }

  poke(): void {
    this.doorbell.ring();
  }

  /** Resolves once the relay (as leader) has published everything readable now. */
  async idle(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.poke();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unlisten?.();
    this.poke();
    await this.loop?.catch(() => undefined);
    if (this.leader) await this.saveCheckpoint().catch(() => undefined);
    await this.releaseLock();
  }

  private async waitForWork(ms: number): Promise<void> {
    if (!this.running) return;
    await this.doorbell.wait(ms);
  }

  private lockKey(): [string, string] {
    return ['bosun.outbox-relay', `${this.opts.store.schema}:${this.relayId}`];
  }

  private async tryAcquire(): Promise<boolean> {
    if (!this.lockClient) {
      const c = new Client({ connectionString: this.opts.store.url, application_name: `bosun-outbox-relay:${this.relayId}`, options: READER_SESSION_OPTIONS });
      const lost = () => {
        if (this.lockClient !== c) return;
        this.lockClient = null;
        if (this.leader) this.log.warn('lost the relay lock connection; standing by');
        this.setLeader(false);
        this.poke();
      };
      c.on('error', lost);
      c.on('end', lost);
      await c.connect();
      this.lockClient = c;
    }
    const [a, b] = this.lockKey();
    const r = await this.lockClient.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS ok`, [a, b]);
    return Boolean(r.rows[0]?.ok);
  }

  private setLeader(v: boolean): void {
    this.leader = v;
    leaderGauge.set({ relay: this.relayId }, v ? 1 : 0);
  }

  private async releaseLock(): Promise<void> {
    const c = this.lockClient;
    this.lockClient = null;
    this.setLeader(false);
    if (c) {
      c.removeAllListeners('end');
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }

  private async run(): Promise<void> {
    const lockRetryMs = this.opts.lockRetryMs ?? 1_000;
    let attempt = 0;
    while (this.running) {
      try {
        if (!this.leader) {
          if (!(await this.tryAcquire())) {
            await this.waitForWork(lockRetryMs);
            continue;
          }
          this.setLeader(true);
          await this.becomeLeader();
        }
        await this.relayUntilIdle();
        attempt = 0;
      } catch (err) {
        if (!this.running) break;
        attempt++;
        publishErrors.inc({ stream: this.streamName });
        this.log.warn('relay attempt failed; retrying', { err, attempt });
        await sleep(Math.min(100 * 2 ** Math.min(attempt - 1, 6), 5_000));
      }
    }
  }

  private get checkpointsTable(): string {
    return this.opts.store.checkpointsTable;
  }

  private async becomeLeader(): Promise<void> {
    const jsm = await jetstreamManager(this.opts.nats);
    await ensureStream(jsm, { name: this.streamName, subjects: [`${this.subjectPrefix}.>`], duplicateWindowMs: this.opts.duplicateWindowMs });
    await this.opts.store.query(`INSERT INTO ${this.checkpointsTable} (subscriber_id) VALUES ($1) ON CONFLICT DO NOTHING`, [this.relayId]);
    const rows = await this.opts.store.query<{ txid: string; pos: string }>(
      `SELECT last_transaction_id::text AS txid, last_global_position AS pos FROM ${this.checkpointsTable} WHERE subscriber_id = $1`,
      [this.relayId],
    );
    this.cp = { txid: rows[0]!.txid, position: Number(rows[0]!.pos) };
    this.saved = this.cp;
    this.savedAt = Date.now();
    await this.lockClient?.query('SET synchronous_commit = off');
    this.log.info('relay is active', { checkpoint: `${this.cp.txid}:${this.cp.position}` });
  }

  /**
   * Publishes pages until caught up, then waits for a wake-up (or the poll). The checkpoint is
   * written off the hot path: when idle, or every `checkpointIntervalMs` under load. A crash
   * loses at most that much progress, which the restart re-publishes and the stream's duplicate
   * window drops.
   */
  private async relayUntilIdle(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 500;
    const pollMs = this.opts.pollIntervalMs ?? 500;
    const checkpointEvery = this.opts.checkpointIntervalMs ?? 200;
    // On the relay's own connection: the pool may be queued up behind the process's appends.
    const read = (after: Checkpoint) => this.opts.store.readPage(after, batchSize, {}, this.ownConnection());
    let ahead: Promise<Page> | null = null;
    try {
      while (this.running && this.leader) {
        const page: Page = await (ahead ?? read(this.cp));
        ahead = null;
        if (page.events.length > 0) {
          // Read the next page while the PubAcks of this one come back (reading only: nothing
          // of it is published before this page is acknowledged).
          ahead = read(page.checkpoint);
          ahead.catch(() => undefined);
          await this.publishPage(page.events);
          if (!this.leader) return;
        }
        if (compareCheckpoints(page.checkpoint, this.cp) > 0) this.cp = page.checkpoint;
        // Under load the checkpoint is written every `checkpointEvery` ms; when the relay goes
        // quiet (nothing published in this round), right away.
        if (page.events.length === 0 || Date.now() - this.savedAt >= checkpointEvery) await this.saveCheckpoint();
        if (ahead || !page.caughtUp) continue;
        for (const w of this.idleWaiters.splice(0)) w();
        // Committed events wait behind an open transaction: look again as soon as it ends (the
        // store watches the horizon: a transaction that wrote no events sends no NOTIFY).
        const cancel = page.pending ? this.opts.store.onHorizonPast(page.horizon, () => this.poke()) : undefined;
        try {
          await this.waitForWork(pollMs);
        } finally {
          cancel?.();
        }
      }
    } finally {
      await ahead?.catch(() => undefined);
    }
  }

  /** The lock connection as a reader (autocommit statements, prepared by name). */
  private ownConnection(): Reader | undefined {
    const c = this.lockClient;
    if (!c) return undefined;
    return {
      query: async <R>(sql: string, params?: unknown[], name?: string) =>
        (await c.query(name ? { name, text: sql, values: params as unknown[] } : { text: sql, values: params as unknown[] })).rows as R[],
    };
  }

  private saved: Checkpoint = START;
  private savedAt = 0;

  /**
   * Persists the in-memory checkpoint (never backwards), on the relay's own connection with
   * `synchronous_commit = off`: losing the last few checkpoint writes in a database crash
   * costs re-publishes only.
   */
  private async saveCheckpoint(): Promise<void> {
    const next = this.cp;
    if (compareCheckpoints(next, this.saved) <= 0 || !this.lockClient) return;
    await this.lockClient.query(
      `UPDATE ${this.checkpointsTable} SET last_transaction_id = $2::xid8, last_global_position = $3, updated_at = now()
        WHERE subscriber_id = $1 AND (last_transaction_id, last_global_position) < ($2::xid8, $3::bigint)`,
      [this.relayId, next.txid, next.position],
    );
    this.saved = next;
    this.savedAt = Date.now();
  }

  /**
   * Publishes a page in order (pipelined on one connection, so the server stores them in
   * order), then checks every PubAck. On a failure the checkpoint moves up to the last event
   * before it and the rest is retried; repeats are dropped by `Nats-Msg-Id`.
   */
  private async publishPage(events: EventEnvelope[]): Promise<void> {
    const js = jetstream(this.opts.nats, { timeout: this.opts.publishTimeoutMs ?? 5_000 });
    const results = await Promise.allSettled(events.map((e) => this.publishOne(js, e)));
    let acked = 0;
    for (const r of results) {
      if (r.status === 'rejected') break;
      if (r.value.stream !== this.streamName) throw new Error(`subject of ${events[acked]!.type} is captured by stream ${r.value.stream}, not ${this.streamName}`);
      acked++;
    }
    published.inc({ stream: this.streamName }, acked);
    const now = Date.now();
    for (const e of events.slice(0, acked)) relayLag.observe((now - Date.parse(e.occurredAt)) / 1000);
    if (acked < events.length) {
      if (acked > 0) {
        const last = events[acked - 1]!;
        const cp = await this.opts.store.checkpointAt(last.position);
        if (cp && compareCheckpoints(cp, this.cp) > 0) {
          this.cp = cp;
          await this.saveCheckpoint();
        }
      }
      throw (results[acked] as PromiseRejectedResult).reason;
    }
  }

  private publishOne(js: ReturnType<typeof jetstream>, e: EventEnvelope): Promise<PubAck> {
    const subject = subjectFor(e.type, this.subjectPrefix);
    const stored = { traceparent: e.traceparent, tracestate: e.tracestate ?? null };
    return withProducerSpan(subject, stored, { messageId: e.id }, () => {
      const h = natsHeaders();
      // The consumer continues from this send span (a child of the append's context).
      injectTraceHeaders(h, currentTraceContext());
      h.set('x-event-type', e.type);
      h.set('x-stream-id', e.streamId);
      h.set('x-stream-position', String(e.streamVersion));
      h.set('x-global-position', String(e.position));
      h.set('x-correlation-id', e.correlationId);
      return js.publish(subject, JSON.stringify(e), { msgID: e.id, headers: h });
    });
  }
}

/** Starts a relay (see OutboxRelay). */
export const startOutboxRelay = (opts: OutboxRelayOptions): OutboxRelay => new OutboxRelay(opts).start();
