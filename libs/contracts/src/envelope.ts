/**
 * The envelope every Bosun event travels in: stored in Postgres, published on JetStream,
 * read back by every consumer. `data` is validated by the event's schema in the catalogue.
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  /** uuid; also the JetStream `Nats-Msg-Id`, so a re-publish is dropped as a duplicate. */
  readonly id: string;
  /** `<context>.<EventName>`, e.g. `ipam.LoadBalancerIPAllocated`. */
  readonly type: TType;
  /** Schema version of `data` as stored; readers get the latest after upcasting. */
  readonly version: number;
  readonly streamId: string;
  /** 1-based position of the event inside its stream (optimistic concurrency). */
  readonly streamVersion: number;
  /** Global position in the store; the API's `resourceVersion`. */
  readonly position: number;
  /** ISO-8601 time of the append. */
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  /** W3C trace context of the append, so consumers continue the same trace. */
  readonly traceparent: string | null;
  readonly tracestate?: string | null;
  readonly data: TData;
}

/** An event about to be appended: the store fills in id (unless given), positions and time. */
export interface NewEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
  /** Defaults to the catalogue's current version for `type`. */
  readonly version?: number;
  /** Defaults to a fresh uuid. Giving one makes a retried append idempotent. */
  readonly id?: string;
}

/** Correlation and causation of an append; trace context is taken from the active span. */
export interface EventMetadata {
  readonly correlationId?: string;
  readonly causationId?: string | null;
  readonly traceparent?: string | null;
  readonly tracestate?: string | null;
}

/** The bounded context of an event type: the part before the first dot. */
export const contextOf = (type: string): string => type.slice(0, Math.max(0, type.indexOf('.'))) || type;

/**
 * One event that touched an object, as the API's `history` subresource (`bosun describe`) shows
 * it: a summary of the envelope, without its data.
 */
export interface HistoryEntry {
  readonly position: number;
  readonly type: string;
  readonly occurredAt: string;
  readonly correlationId: string;
  /** Who did it, for mutating API requests (audit). */
  readonly user?: string;
  /** What it did, when the event's status projector summarizes it. */
  readonly message?: string;
}
