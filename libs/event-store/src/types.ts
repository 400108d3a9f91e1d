import type { EventEnvelope, EventMetadata, NewEvent } from '@bosun/contracts';

/**
 * The public contract of the event store. Services code against this; the Postgres
 * implementation lives beside it. (Written first so that every service can be built in parallel.)
 */

/** What the stream must look like for an append to succeed. */
export type ExpectedVersion =
  | number // exactly this version (0 = the stream does not exist yet)
  | 'any' // no check
  | 'no_stream' // same as 0
  | 'stream_exists'; // at least one event

/** Thrown when the expected version does not match: reload, decide again, retry. */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number | null,
  ) {
    super(`stream ${streamId}: expected version ${String(expected)}, actual ${actual ?? 'none'}`);
  }
}

/**
 * A reader's position in the global order: events are read in (transaction id, global position)
 * order, only below the oldest running transaction, so that a slow transaction's events are
 * never skipped. Serialised as `"<txid>:<position>"`.
 */
export interface Checkpoint {
  readonly txid: string;
  readonly position: number;
}
export const START: Checkpoint = { txid: '0', position: 0 };

export interface AppendResult {
  readonly streamId: string;
  /** The stream's version after the append (pass it as the next expected version). */
  readonly nextExpectedVersion: number;
  readonly events: EventEnvelope[];
  /** Global position of the last appended event. */
  readonly lastPosition: number;
}

export interface AppendOptions extends EventMetadata {
  /** Run inside an existing transaction (e.g. a subscriber's handler), committed by its owner. */
  readonly tx?: Transaction;
}

/** One append of a batch (`appendMany`). */
export interface StreamAppend {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  readonly events: readonly NewEvent[];
  /** Correlation, causation and trace context of this append's events (the active span's by default). */
  readonly metadata?: EventMetadata;
}

export interface ReadStreamOptions {
  /** First stream version to return (1-based, inclusive). */
  readonly fromVersion?: number;
  readonly toVersion?: number;
  readonly limit?: number;
}

/** Filters for reading the global log (all optional, ANDed). */
export interface EventFilter {
  readonly types?: readonly string[];
  /** Streams whose id starts with any of these. */
  readonly streamPrefixes?: readonly string[];
  readonly correlationId?: string;
  /** ISO time or Date: occurredAt >= since. */
  readonly since?: string | Date;
  readonly until?: string | Date;
}

export interface ReadAllOptions extends EventFilter {
  readonly after?: Checkpoint;
  readonly limit?: number;
}

export interface ReadAllResult {
  readonly events: EventEnvelope[];
  /** Where the next read continues (advances past filtered-out events too). */
  readonly checkpoint: Checkpoint;
  /** True when no committed event is left after the checkpoint. */
  readonly caughtUp: boolean;
}

/** An open Postgres transaction, handed to handlers so their writes commit with the checkpoint. */
export interface Transaction {
  query<R = any>(sql: string, params?: unknown[]): Promise<R[]>;
}

export interface SubscriptionOptions extends EventFilter {
  /**
   * Durable subscriptions have an id: the checkpoint is stored in Postgres in the same
   * transaction as the handler's writes, and a restart resumes after it. Without an id the
   * subscription starts at `from` and keeps its position in memory only.
   */
  readonly subscriberId?: string;
  readonly from?: Checkpoint | 'start' | 'end';
  readonly batchSize?: number;
  /** Called with each batch inside one transaction; throw to roll back and retry the batch. */
  readonly handler: (events: EventEnvelope[], ctx: { tx: Transaction; checkpoint: Checkpoint }) => Promise<void>;
  /** Called after a handler failure, before the retry with backoff. */
  readonly onError?: (err: unknown, attempt: number) => void;
}

export interface Subscription {
  /** Resolves when the subscription has handled everything committed before it started. */
  readonly caughtUp: Promise<void>;
  /** The last checkpoint handled. */
  checkpoint(): Checkpoint;
  /** Wake the reader now (e.g. right after a local append) instead of waiting for NOTIFY. */
  poke(): void;
  stop(): Promise<void>;
}

export interface EventStore {
  append(streamId: string, expected: ExpectedVersion, events: readonly NewEvent[], opts?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several streams in one statement (one round trip), all or nothing: on a version
   * conflict nothing is stored and the error names the stream. Results in the order given.
   */
  appendMany(appends: readonly StreamAppend[], opts?: { readonly tx?: Transaction }): Promise<AppendResult[]>;
  readStream(streamId: string, opts?: ReadStreamOptions): Promise<EventEnvelope[]>;
  /** Current version of a stream (0 when it does not exist). */
  streamVersion(streamId: string): Promise<number>;
  readAll(opts?: ReadAllOptions): Promise<ReadAllResult>;
  subscribe(opts: SubscriptionOptions): Subscription;
  /** Runs `fn` in one transaction (appends with `{ tx }` join it). */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** The checkpoint of the event at a global position (to resume a watch from a resourceVersion). */
  checkpointAt(position: number): Promise<Checkpoint | null>;
  close(): Promise<void>;
}

export const formatCheckpoint = (c: Checkpoint): string => `${c.txid.padStart(20, '0')}:${c.position}`;
export const parseCheckpoint = (s: string): Checkpoint => {
  const [txid, pos] = s.split(':');
  if (!txid || pos === undefined || !/^\d+$/.test(txid) || !/^\d+$/.test(pos)) throw new Error(`bad checkpoint ${s}`);
  return { txid: BigInt(txid).toString(), position: Number(pos) };
};
