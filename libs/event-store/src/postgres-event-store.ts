import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Pool, PoolClient } from 'pg';
import { catalogue as defaultCatalogue, type EventCatalogue, type EventEnvelope, type EventMetadata, type NewEvent } from '@bosun/contracts';
import { SpanKind, currentTraceContext, withSpan } from '@bosun/telemetry';
import { eventStoreMigrations, notifyChannel, quoteIdent, READER_SESSION_OPTIONS, validateSchemaName, WRONG_EXPECTED_VERSION_SQLSTATE } from './schema';
import { EVENT_COLUMNS, checkpointOfRow, compareCheckpoints, toEnvelope, type EventRow } from './rows';
import { Notifier } from './notifier';
import { DedicatedConnection } from './dedicated-connection';
import { PgSubscription } from './subscription';
import {
  START,
  WrongExpectedVersionError,
  type AppendOptions,
  type AppendResult,
  type Checkpoint,
  type EventFilter,
  type EventStore,
  type ExpectedVersion,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type StreamAppend,
  type Subscription,
  type SubscriptionOptions,
  type Transaction,
} from './types';

export interface EventStoreOptions {
  /** Postgres URL; `DATABASE_URL` or `postgresql://postgres@127.0.0.1:5432/test` by default. */
  readonly url?: string;
  /** Schema holding the store's tables; `BOSUN_EVENTSTORE_SCHEMA` or `eventstore` by default. */
  readonly schema?: string;
  /** Validates data on append and upcasts on read; the contracts' catalogue by default. */
  readonly catalogue?: EventCatalogue;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
  /** `application_name` of the connections (shows in pg_stat_activity). */
  readonly applicationName?: string;
  /** Fallback poll of subscriptions when no NOTIFY arrives (default 500 ms). */
  readonly pollIntervalMs?: number;
  /** Run the migrations on start (default true). */
  readonly migrate?: boolean;
  /**
   * Postgres `idle_in_transaction_session_timeout` of the store's connections (default 60 s):
   * an abandoned transaction would hold back every reader (see the read rule).
   */
  readonly idleInTransactionTimeoutMs?: number;
}

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';
export const DEFAULT_SCHEMA = 'eventstore';

/** The horizon probe's interval while a reader waits behind an open transaction (1, 2, 4, then this). */
const HORIZON_PROBE_MAX_MS = 5;

/**
 * Internal: a transaction of this store, begun on its first statement and committed by its
 * owner. A transaction that runs no statement costs nothing (no pool connection, no BEGIN/COMMIT),
 * and one that only writes at its end takes its transaction id late: every reader in the cluster
 * waits for the oldest transaction that has an id (the read rule), so ids are held briefly.
 */
export class PgTransaction implements Transaction {
  /** Set by append: the owner announces the events after commit. */
  appended = false;
  private beginning: Promise<PoolClient> | null = null;
  constructor(private readonly pool: Pool) {}

  /** True once a statement ran (the transaction exists in Postgres). */
  get began(): boolean {
    return this.beginning !== null;
  }

  private begin(): Promise<PoolClient> {
    this.beginning ??= (async () => {
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN');
      } catch (err) {
        c.release(err as Error);
        throw err;
      }
      return c;
    })();
    return this.beginning;
  }

  async query<R = any>(sql: string, params?: unknown[], name?: string): Promise<R[]> {
    if (!this.beginning && !name && (!params || params.length === 0)) return this.beginWith<R>(sql);
    const c = await this.begin();
    const r = await c.query(name ? { name, text: sql, values: params as any[] } : { text: sql, values: params as any[] });
    return r.rows as R[];
  }

  /** BEGIN and a first statement without parameters in one round trip (a multi-statement simple query). */
  private async beginWith<R>(sql: string): Promise<R[]> {
    let result: unknown;
    this.beginning = (async () => {
      const c = await this.pool.connect();
      try {
        result = await c.query(`BEGIN; ${sql}`);
      } catch (err) {
        c.release(err as Error);
        throw err;
      }
      return c;
    })();
    await this.beginning;
    const results = (Array.isArray(result) ? result : [result]) as Array<{ rows?: R[] }>;
    return results[results.length - 1]?.rows ?? [];
  }

  /** Commits (when a statement ran) and gives the connection back. */
  async commit(): Promise<void> {
    if (!this.beginning) return;
    const c = await this.beginning;
    try {
      await c.query('COMMIT');
    } catch (err) {
      c.release(err as Error);
      throw err;
    }
    c.release();
  }

  /** Rolls back (when a statement ran) and gives the connection back; never throws. */
  async rollback(): Promise<void> {
    if (!this.beginning) return;
    const c = await this.beginning.catch(() => null);
    if (!c) return;
    try {
      await c.query('ROLLBACK');
      c.release();
    } catch (err) {
      c.release(err as Error);
    }
  }
}

/**
 * A time-ordered uuid (RFC 9562 version 7): new event ids land at the end of the event_id
 * index instead of on random pages.
 */
export const uuidv7 = (now = Date.now()): string => {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** The Postgres error code of a (TypeORM-wrapped) driver error. */
export const pgErrorCode = (err: unknown): string | undefined => {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code;
};
const pgErrorDetail = (err: unknown): string | undefined => {
  const e = err as { detail?: string; driverError?: { detail?: string } };
  return e?.driverError?.detail ?? e?.detail;
};

const expectedParams = (expected: ExpectedVersion): [kind: string, version: number] => {
  if (typeof expected === 'number') {
    if (!Number.isSafeInteger(expected) || expected < 0) throw new TypeError(`expectedVersion: ${expected} is not a version (an integer >= 0)`);
    return ['exact', expected];
  }
  switch (expected) {
    case 'any':
    case 'no_stream':
    case 'stream_exists':
      return [expected, 0];
    default: {
      const never: never = expected;
      throw new TypeError(`expectedVersion: unknown value ${String(never)}`);
    }
  }
};

/** `ipam-pool-blue` → `ipam`: the category of a stream, the part before the first dash. */
export const streamTypeOf = (streamId: string): string => {
  const i = streamId.indexOf('-');
  return i > 0 ? streamId.slice(0, i) : streamId;
};

const toTime = (field: string, v: string | Date): string => {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) throw new TypeError(`${field}: ${String(v)} is not a time (ISO-8601 expected)`);
  return d.toISOString();
};

const likePrefix = (p: string): string => `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Filter clauses (ANDed) on alias `e`, with parameters numbered from `first`. */
export const filterSql = (f: EventFilter, first: number): { sql: string; params: unknown[] } => {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${first + params.length - 1}`;
  };
  if (f.types && f.types.length > 0) clauses.push(`e.event_type = ANY (${p([...f.types])}::text[])`);
  if (f.streamPrefixes && f.streamPrefixes.length > 0) clauses.push(`e.stream_id LIKE ANY (${p(f.streamPrefixes.map(likePrefix))}::text[])`);
  if (f.correlationId) clauses.push(`e.correlation_id = ${p(f.correlationId)}`);
  if (f.since !== undefined) clauses.push(`e.created_at >= ${p(toTime('since', f.since))}::timestamptz`);
  if (f.until !== undefined) clauses.push(`e.created_at < ${p(toTime('until', f.until))}::timestamptz`);
  return { sql: clauses.map((c) => ` AND ${c}`).join(''), params };
};

/** A page of the global log by the read rule, plus what the reader needs to go on. */
export interface Page {
  readonly events: EventEnvelope[];
  readonly checkpoint: Checkpoint;
  readonly caughtUp: boolean;
  /** Committed events exist that are not readable yet (an older transaction is still open). */
  readonly pending: boolean;
  /** The read horizon of the page (the oldest transaction id then running): see `onHorizonPast`. */
  readonly horizon: string;
  /** The checkpoint of one of the page's events (to stop part-way through a page). */
  checkpointOf(e: EventEnvelope): Checkpoint;
}

interface PreparedAppend {
  readonly streamId: string;
  readonly streamType: string;
  readonly expected: ExpectedVersion;
  readonly kind: string;
  readonly version: number;
  readonly idsGiven: boolean;
  readonly events: Array<{ id: string; type: string; version: number; data: unknown }>;
}

interface AppendedRow {
  event_id: string;
  stream_position: string;
  global_position: string;
  transaction_id: string;
  created_at: Date;
}

/** What reads run on: the pool, or a connection of one's own (`name` prepares the statement there). */
export interface Reader {
  query<R = any>(sql: string, params?: unknown[], name?: string): Promise<R[]>;
}

export class PostgresEventStore implements EventStore {
  private readonly s: string;
  private readonly notifier: Notifier;
  private readonly subscriptions = new Set<PgSubscription>();
  private readonly wakeListeners = new Set<() => void>();
  /** Subscriptions read through this, not the pool (see DedicatedConnection). */
  readonly reader: DedicatedConnection;
  private closed = false;

  private constructor(
    readonly dataSource: DataSource,
    readonly schema: string,
    readonly catalogue: EventCatalogue,
    readonly url: string,
    readonly pollIntervalMs: number,
  ) {
    this.s = quoteIdent(schema);
    this.notifier = new Notifier(url, schema, () => this.pokeAll());
    this.reader = new DedicatedConnection(url, 'bosun-eventstore-read');
  }

  static async create(opts: EventStoreOptions = {}): Promise<PostgresEventStore> {
    const url = opts.url ?? process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
    const schema = validateSchemaName(opts.schema ?? process.env['BOSUN_EVENTSTORE_SCHEMA'] ?? DEFAULT_SCHEMA);
    const dataSource = new DataSource({
      type: 'postgres',
      url,
      schema,
      poolSize: opts.poolSize ?? 10,
      applicationName: opts.applicationName ?? 'bosun-eventstore',
      migrations: eventStoreMigrations(schema),
      migrationsTableName: 'migrations',
      migrationsTransactionMode: 'each',
      synchronize: false,
      logging: false,
      // bosun.skip_notify: appends are announced after commit (see announce()), not by the trigger.
      extra: { idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 60_000, options: `-c bosun.skip_notify=on ${READER_SESSION_OPTIONS}` },
    });
    await dataSource.initialize();
    const store = new PostgresEventStore(dataSource, schema, opts.catalogue ?? defaultCatalogue, url, opts.pollIntervalMs ?? 500);
    try {
      if (opts.migrate !== false) await store.migrate();
    } catch (err) {
      await dataSource.destroy();
      throw err;
    }
    return store;
  }

  /**
   * Creates the schema and runs pending migrations. Two processes starting at once serialise on
   * an advisory lock (held by a dedicated connection), so each migration runs exactly once.
   */
  async migrate(): Promise<void> {
    const lock = this.dataSource.createQueryRunner();
    await lock.connect();
    try {
      await lock.query(`SELECT pg_advisory_lock(hashtext('bosun.eventstore.migrate'), hashtext($1))`, [this.schema]);
      await lock.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      await this.dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lock.query(`SELECT pg_advisory_unlock(hashtext('bosun.eventstore.migrate'), hashtext($1))`, [this.schema]).catch(() => undefined);
      await lock.release();
    }
  }

  /**
   * One statement outside any explicit transaction, straight on the driver's pool (the hot
   * path: a QueryRunner per statement costs more than the statement). `name` makes it a
   * prepared statement on each connection.
   */
  async query<R = any>(sql: string, params?: unknown[], name?: string): Promise<R[]> {
    const r = await this.pool.query(name ? { name, text: sql, values: params as any[] } : { text: sql, values: params as any[] });
    return r.rows as R[];
  }

  private get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  /**
   * A transaction the caller commits or rolls back (`commit()`, `rollback()`); it begins on
   * its first statement. Internal (subscriptions); others use `transaction(fn)`.
   */
  openTransaction(): PgTransaction {
    return new PgTransaction(this.pool);
  }

  /** After a commit: wake the readers when the transaction appended events. */
  committed(tx: Transaction): void {
    if (tx instanceof PgTransaction && tx.appended) {
      this.pokeAll();
      this.announce();
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const tx = new PgTransaction(this.pool);
    let result: T;
    try {
      result = await fn(tx);
    } catch (err) {
      await tx.rollback();
      throw err;
    }
    await tx.commit();
    this.committed(tx);
    return result;
  }

  /**
   * Idempotent consumption of a NATS message: records `messageId` for `consumer` in the inbox
   * and runs `fn` in the same transaction, or skips `fn` when the message was applied before.
   */
  async processOnce<T>(consumer: string, messageId: string, fn: (tx: Transaction) => Promise<T>, subject?: string): Promise<{ duplicate: boolean; result?: T }> {
    return this.transaction(async (tx) => {
      const fresh = await tx.query(
        `INSERT INTO ${this.s}.inbox (consumer, message_id, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
        [consumer, messageId, subject ?? null],
      );
      if (fresh.length === 0) return { duplicate: true };
      return { duplicate: false, result: await fn(tx) };
    });
  }

  /** Validates an append and turns it into what append_events takes (nothing is written on a bad event). */
  private prepareAppend(streamId: string, expected: ExpectedVersion, events: readonly NewEvent[], what = ''): PreparedAppend {
    if (typeof streamId !== 'string' || streamId.length === 0) throw new TypeError(`${what}streamId: must be a non-empty string`);
    if (!Array.isArray(events) || events.length === 0) throw new TypeError(`${what}events: appending to ${streamId} needs at least one event`);
    const [kind, version] = expectedParams(expected);
    const prepared = events.map((e, i) => {
      if (!e || typeof e.type !== 'string' || !e.type) throw new TypeError(`${what}events[${i}].type: must be a non-empty string`);
      const data = this.catalogue.validate(e.type, e.data);
      return { id: e.id ?? uuidv7(), type: e.type, version: e.version ?? this.catalogue.currentVersion(e.type), data };
    });
    return { streamId, streamType: streamTypeOf(streamId), expected, kind, version, idsGiven: events[0]!.id !== undefined, events: prepared };
  }

  /** The stored metadata of an append: the trace context as given, else the active span's. */
  private appendMetadata(opts: EventMetadata, firstEventId: string): { metadata: Record<string, string>; correlationId: string; causationId: string | null } {
    const trace = opts.traceparent !== undefined ? { traceparent: opts.traceparent, tracestate: opts.tracestate } : currentTraceContext();
    const metadata: Record<string, string> = {};
    if (trace.traceparent) metadata['traceparent'] = trace.traceparent;
    if (trace.tracestate) metadata['tracestate'] = trace.tracestate;
    return { metadata, correlationId: opts.correlationId ?? firstEventId, causationId: opts.causationId ?? null };
  }

  /** The appended events as readers will see them. */
  private appendResult(p: PreparedAppend, meta: ReturnType<PostgresEventStore['appendMetadata']>, rows: AppendedRow[]): AppendResult {
    rows.sort((a, b) => Number(a.stream_position) - Number(b.stream_position));
    const byId = new Map(p.events.map((e) => [e.id, e]));
    const envelopes = rows.map((r): EventEnvelope => {
      const e = byId.get(r.event_id);
      return {
        id: r.event_id,
        type: e?.type ?? '',
        version: e?.version ?? 1,
        streamId: p.streamId,
        streamVersion: Number(r.stream_position),
        position: Number(r.global_position),
        occurredAt: new Date(r.created_at).toISOString(),
        correlationId: meta.correlationId,
        causationId: meta.causationId,
        traceparent: meta.metadata['traceparent'] ?? null,
        tracestate: meta.metadata['tracestate'] ?? null,
        data: e?.data,
      };
    });
    const last = envelopes[envelopes.length - 1]!;
    return { streamId: p.streamId, nextExpectedVersion: last.streamVersion, events: envelopes, lastPosition: last.position };
  }

  /** After an append: the owner of a transaction announces at commit; an autocommit append now. */
  private appended(tx: Transaction | undefined): void {
    if (tx instanceof PgTransaction) tx.appended = true;
    else if (!tx) {
      // Our own readers need not wait for the NOTIFY round trip; other processes get one.
      this.pokeAll();
      this.announce();
    }
  }

  /** A version conflict as the typed error (the stream is named by the database when known). */
  private conflictError(err: unknown, fallback: PreparedAppend, batch?: readonly PreparedAppend[]): unknown {
    if (pgErrorCode(err) !== WRONG_EXPECTED_VERSION_SQLSTATE) return err;
    const detail = pgErrorDetail(err) ?? '-1';
    let streamId = fallback.streamId;
    let actual: number;
    if (detail.startsWith('{')) {
      const d = JSON.parse(detail) as { stream: string; actual: number };
      streamId = d.stream;
      actual = Number(d.actual);
    } else actual = Number(detail);
    const p = batch?.find((b) => b.streamId === streamId) ?? fallback;
    return new WrongExpectedVersionError(streamId, p.expected, actual < 0 ? null : actual);
  }

  async append(streamId: string, expected: ExpectedVersion, events: readonly NewEvent[], opts: AppendOptions = {}): Promise<AppendResult> {
    const p = this.prepareAppend(streamId, expected, events);
    return withSpan(
      `append ${p.streamType}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'db.system.name': 'postgresql',
          'bosun.stream.id': streamId,
          'bosun.event.types': [...new Set(p.events.map((e) => e.type))].join(','),
          'messaging.batch.message_count': p.events.length,
        },
      },
      async (span) => {
        // The stored trace context: as given, else the append span's own (a child of the caller's).
        const meta = this.appendMetadata(opts, p.events[0]!.id);
        const params = [streamId, p.streamType, p.kind, p.version, p.idsGiven, JSON.stringify(p.events), JSON.stringify(meta.metadata), meta.correlationId, meta.causationId];
        const sql = `SELECT * FROM ${this.s}.append_events($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9)`;
        let rows: AppendedRow[];
        try {
          const name = `bosun_append_${this.schema}`;
          rows = opts.tx instanceof PgTransaction ? await opts.tx.query(sql, params, name) : opts.tx ? await opts.tx.query(sql, params) : await this.query(sql, params, name);
        } catch (err) {
          throw this.conflictError(err, p);
        }
        const result = this.appendResult(p, meta, rows);
        span.setAttribute('bosun.stream.version', result.nextExpectedVersion);
        this.appended(opts.tx);
        return result;
      },
    );
  }

  /**
   * Appends to several streams in one statement, all or nothing: when any expected version does
   * not match, nothing is stored and the WrongExpectedVersionError names that stream. Each
   * append has its own expected version, correlation, causation and trace context (by default
   * the active span's). Results come back in the order given; streams are locked in that order
   * (sort them when concurrent batches may share streams).
   */
  async appendMany(appends: readonly StreamAppend[], opts: { readonly tx?: Transaction } = {}): Promise<AppendResult[]> {
    if (!Array.isArray(appends) || appends.length === 0) throw new TypeError('appends: at least one append is needed');
    const prepared = appends.map((a, i) => this.prepareAppend(a.streamId, a.expected, a.events, `appends[${i}].`));
    return withSpan(
      'append many',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'db.system.name': 'postgresql',
          'bosun.stream.count': prepared.length,
          'messaging.batch.message_count': prepared.reduce((n, p) => n + p.events.length, 0),
        },
      },
      async () => {
        const metas = prepared.map((p, i) => this.appendMetadata(appends[i]!.metadata ?? {}, p.events[0]!.id));
        const param = JSON.stringify(
          prepared.map((p, i) => ({
            stream_id: p.streamId,
            stream_type: p.streamType,
            kind: p.kind,
            expected: p.version,
            ids_given: p.idsGiven,
            events: p.events,
            metadata: metas[i]!.metadata,
            correlation_id: metas[i]!.correlationId,
            causation_id: metas[i]!.causationId,
          })),
        );
        const sql = `SELECT * FROM ${this.s}.append_events_many($1::jsonb)`;
        let rows: Array<AppendedRow & { append_index: number }>;
        try {
          const name = `bosun_append_many_${this.schema}`;
          rows = opts.tx instanceof PgTransaction ? await opts.tx.query(sql, [param], name) : opts.tx ? await opts.tx.query(sql, [param]) : await this.query(sql, [param], name);
        } catch (err) {
          throw this.conflictError(err, prepared[0]!, prepared);
        }
        const perAppend = prepared.map((): AppendedRow[] => []);
        for (const r of rows) perAppend[r.append_index]!.push(r);
        const results = prepared.map((p, i) => this.appendResult(p, metas[i]!, perAppend[i]!));
        this.appended(opts.tx);
        return results;
      },
    );
  }

  async readStream(streamId: string, opts: ReadStreamOptions = {}): Promise<EventEnvelope[]> {
    const params: unknown[] = [streamId, opts.fromVersion ?? 1];
    let sql = `SELECT ${EVENT_COLUMNS} FROM ${this.s}.events e WHERE e.stream_id = $1 AND e.stream_position >= $2`;
    if (opts.toVersion !== undefined) {
      params.push(opts.toVersion);
      sql += ` AND e.stream_position <= $${params.length}`;
    }
    sql += ' ORDER BY e.stream_position';
    if (opts.limit !== undefined) {
      params.push(opts.limit);
      sql += ` LIMIT $${params.length}`;
    }
    const rows = await this.query<EventRow>(sql, params);
    return rows.map((r) => toEnvelope(r, this.catalogue));
  }

  async streamVersion(streamId: string): Promise<number> {
    const rows = await this.query<{ version: string }>(`SELECT version FROM ${this.s}.streams WHERE stream_id = $1`, [streamId]);
    return rows[0] ? Number(rows[0].version) : 0;
  }

  async readAll(opts: ReadAllOptions = {}): Promise<ReadAllResult> {
    const limit = opts.limit ?? 1000;
    if (!Number.isSafeInteger(limit) || limit <= 0) throw new TypeError(`limit: ${limit} must be a positive integer`);
    // Windows of the log until `limit` matching events or the end: fewer than `limit` events
    // means caught up, as callers expect.
    const events: EventEnvelope[] = [];
    let after = opts.after ?? START;
    for (;;) {
      const page = await this.readPage(after, limit, opts);
      const room = limit - events.length;
      if (page.events.length > room) {
        events.push(...page.events.slice(0, room));
        const last = events[events.length - 1]!;
        return { events, checkpoint: page.checkpointOf(last), caughtUp: false };
      }
      events.push(...page.events);
      after = page.checkpoint;
      if (page.caughtUp) return { events, checkpoint: after, caughtUp: true };
      if (events.length === limit) return { events, checkpoint: after, caughtUp: false };
    }
  }

  /**
   * One statement, so one snapshot: the next `limit` readable events after `after` (a window of
   * the log in read order), those of them matching `filter`, and whether committed events wait
   * behind an open transaction. The filter applies inside the window, not to the scan: the
   * window is an ordered index range scan that stops after `limit` rows whatever the filter
   * (a filter in the scan makes the planner sort everything after the checkpoint instead), so
   * a page may hold fewer matching events than `limit` without being the end of the log.
   * The horizon is a scalar subquery, so that it bounds the index scans (a join would not).
   */
  async readPage(after: Checkpoint, limit: number, filter: EventFilter = {}, reader?: Reader): Promise<Page> {
    const { sql, params, name } = this.readPageStatement(after, limit, filter);
    const rows = reader ? await reader.query(sql, params, name) : await this.query(sql, params, name);
    const first = rows[0] as { last_txid: string | null; last_pos: string | null; scanned: string | null; pending: boolean; horizon: string } | undefined;
    const eventRows = (rows as Array<EventRow & { event_id: string | null }>).filter((r) => r.event_id !== null);
    const byId = new Map<string, Checkpoint>();
    const events = eventRows.map((r) => {
      const e = toEnvelope(r, this.catalogue);
      byId.set(e.id, checkpointOfRow(r));
      return e;
    });
    const scanned = Number(first?.scanned ?? 0);
    const checkpoint = first?.last_txid != null && first.last_pos != null ? { txid: String(first.last_txid), position: Number(first.last_pos) } : after;
    return {
      events,
      checkpoint,
      caughtUp: scanned < limit,
      pending: Boolean(first?.pending),
      horizon: first?.horizon ?? '0',
      checkpointOf: (e) => byId.get(e.id) ?? checkpoint,
    };
  }

  /** The statement `readPage` runs (tests explain it). */
  readPageStatement(after: Checkpoint, limit: number, filter: EventFilter = {}): { sql: string; params: unknown[]; name: string } {
    if (!Number.isSafeInteger(limit) || limit <= 0) throw new TypeError(`limit: ${limit} must be a positive integer`);
    const f = filterSql(filter, 4);
    const sql = `
WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
w AS MATERIALIZED (
  SELECT ${EVENT_COLUMNS}, e.transaction_id AS tx_order, (true${f.sql}) AS wanted FROM ${this.s}.events e
  WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint) AND e.transaction_id < (SELECT xmin FROM h)
  ORDER BY e.transaction_id, e.global_position LIMIT $3
),
last AS (
  SELECT w.transaction_id AS last_txid, w.global_position AS last_pos, (SELECT count(*) FROM w) AS scanned
  FROM w ORDER BY w.tx_order DESC, w.global_position DESC LIMIT 1
)
SELECT l.last_txid, l.last_pos, l.scanned, (SELECT xmin FROM h)::text AS horizon,
       coalesce((SELECT e.transaction_id FROM ${this.s}.events e ORDER BY e.transaction_id DESC LIMIT 1) >= (SELECT xmin FROM h), false) AS pending,
       w.*
FROM (SELECT 1) AS one
LEFT JOIN w ON w.wanted
LEFT JOIN last l ON true
ORDER BY w.tx_order, w.global_position`;
    const name = `bosun_read_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    return { sql, params: [after.txid, after.position, limit, ...f.params], name };
  }

  /**
   * The last `limit` readable events matching `filter`, oldest first, and the checkpoint to
   * follow on from (after every readable event, matching or not): `tail -n N -f`.
   */
  async readLast(limit: number, filter: EventFilter = {}): Promise<{ events: EventEnvelope[]; checkpoint: Checkpoint }> {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`limit: ${limit} must be an integer >= 0`);
    const f = filterSql(filter, 2);
    const sql = `
WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
page AS (
  SELECT ${EVENT_COLUMNS}, e.transaction_id AS tx_order FROM ${this.s}.events e
  WHERE e.transaction_id < (SELECT xmin FROM h)${f.sql}
  ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT $1
),
tail AS (
  SELECT e.transaction_id::text AS tail_txid, e.global_position AS tail_pos FROM ${this.s}.events e
  WHERE e.transaction_id < (SELECT xmin FROM h) ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1
)
SELECT t.tail_txid, t.tail_pos, page.* FROM (SELECT 1) AS one LEFT JOIN page ON true LEFT JOIN tail t ON true
ORDER BY page.tx_order, page.global_position`;
    const rows = await this.query<EventRow & { event_id: string | null; tail_txid: string | null; tail_pos: string | null }>(sql, [limit, ...f.params]);
    const first = rows[0];
    const checkpoint = first?.tail_txid != null && first.tail_pos != null ? { txid: first.tail_txid, position: Number(first.tail_pos) } : START;
    return { events: rows.filter((r) => r.event_id !== null).map((r) => toEnvelope(r, this.catalogue)), checkpoint };
  }

  /**
   * A checkpoint at which new events start: everything of transactions older than the oldest
   * running one counts as past; events of still-running (or just committed) transactions come after.
   */
  async endCheckpoint(): Promise<Checkpoint> {
    const rows = await this.query<{ xmin: string }>(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
    const xmin = BigInt(rows[0]!.xmin);
    return { txid: (xmin > 0n ? xmin - 1n : 0n).toString(), position: Number.MAX_SAFE_INTEGER };
  }

  /**
   * The checkpoint of the last committed event (readable or not yet: it may sit behind an
   * older open transaction). A reader whose checkpoint reaches it has read everything
   * committed before this call.
   */
  async headCheckpoint(): Promise<Checkpoint> {
    const rows = await this.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text AS transaction_id, global_position FROM ${this.s}.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    );
    return rows[0] ? checkpointOfRow(rows[0]) : START;
  }

  /** Resolves once every event committed before the call is readable (tests, tools). */
  async settled(timeoutMs = 30_000): Promise<void> {
    const head = await this.headCheckpoint();
    const deadline = Date.now() + timeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      const { checkpoint } = await this.readLast(0);
      if (compareCheckpoints(checkpoint, head) >= 0) return;
      if (Date.now() > deadline) throw new Error(`events up to ${head.txid}:${head.position} are still not readable after ${timeoutMs} ms (an open transaction holds the read horizon)`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async checkpointAt(position: number): Promise<Checkpoint | null> {
    const rows = await this.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text AS transaction_id, global_position FROM ${this.s}.events WHERE global_position = $1`,
      [position],
    );
    return rows[0] ? checkpointOfRow(rows[0]) : null;
  }

  subscribe(opts: SubscriptionOptions): Subscription {
    if (this.closed) throw new Error('event store is closed');
    if (typeof opts.handler !== 'function') throw new TypeError('handler: must be a function');
    const sub = new PgSubscription(this, opts, this.pollIntervalMs, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    this.notifier.start();
    sub.start();
    return sub;
  }

  private readonly horizonWaiters = new Set<{ readonly xmin: bigint; readonly wake: () => void }>();
  private horizonLoop: Promise<void> | null = null;
  private horizonConnection: DedicatedConnection | null = null;

  /**
   * Calls `wake` once the read horizon has moved past `horizon` (the transaction that held a
   * page back has ended). Nothing announces the end of a transaction that wrote no events (or
   * of any other session's), so while someone waits, one loop per store probes the horizon, a
   * statement that touches no table, every few milliseconds. Returns the cancel function.
   */
  onHorizonPast(horizon: string, wake: () => void): () => void {
    const waiter = { xmin: BigInt(horizon), wake };
    if (this.closed) return () => undefined;
    this.horizonWaiters.add(waiter);
    this.horizonLoop ??= this.watchHorizon().finally(() => {
      this.horizonLoop = null;
    });
    return () => this.horizonWaiters.delete(waiter);
  }

  private async watchHorizon(): Promise<void> {
    this.horizonConnection ??= new DedicatedConnection(this.url, 'bosun-eventstore-horizon');
    const c = this.horizonConnection;
    for (let delay = 1; this.horizonWaiters.size > 0 && !this.closed; delay = Math.min(delay * 2, HORIZON_PROBE_MAX_MS)) {
      await new Promise((r) => setTimeout(r, delay));
      let xmin: bigint;
      try {
        const rows = await c.query<{ xmin: string }>(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`, [], 'bosun_horizon');
        xmin = BigInt(rows[0]!.xmin);
      } catch {
        // The waiters fall back to their poll; the next wait starts a new loop.
        return;
      }
      for (const w of this.horizonWaiters) {
        if (xmin > w.xmin) {
          this.horizonWaiters.delete(w);
          w.wake();
        }
      }
    }
  }

  /** Wakes every subscription of this process (after a local append or commit). */
  pokeAll(): void {
    for (const s of this.subscriptions) s.poke();
    for (const l of this.wakeListeners) l();
  }

  private notifying = false;
  private notifyAgain = false;

  /**
   * Tells every process's readers that events were committed: a NOTIFY in its own tiny
   * statement (no WAL flush, so commits are not serialised behind the notify lock), coalesced
   * to at most one in flight.
   */
  private announce(): void {
    if (this.closed) return;
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    void (async () => {
      do {
        this.notifyAgain = false;
        // On the store's own reader connection: it must not take a pool slot from the appends.
        await this.reader.query(`SELECT pg_notify($1, '')`, [notifyChannel(this.schema)]).catch(() => undefined);
      } while (this.notifyAgain && !this.closed);
      this.notifying = false;
    })();
  }

  /**
   * Calls `listener` whenever events may have been appended (NOTIFY from any process, or a
   * local append/commit). A hint only: read by the read rule. Returns the unregister function.
   */
  onAppend(listener: () => void): () => void {
    if (this.closed) throw new Error('event store is closed');
    this.wakeListeners.add(listener);
    this.notifier.start();
    return () => this.wakeListeners.delete(listener);
  }

  get checkpointsTable(): string {
    return `${this.s}.checkpoints`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.notifier.stop();
    this.horizonWaiters.clear();
    await this.horizonLoop?.catch(() => undefined);
    await this.horizonConnection?.close();
    await this.reader.close();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** Connects to Postgres, runs the migrations, and returns the store. */
export const createEventStore = (opts: EventStoreOptions = {}): Promise<PostgresEventStore> => PostgresEventStore.create(opts);
