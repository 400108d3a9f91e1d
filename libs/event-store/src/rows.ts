import type { EventCatalogue, EventEnvelope } from '@bosun/contracts';
import type { Checkpoint } from './types';

/** Columns every event read selects, in this order. */
export const EVENT_COLUMNS = `e.event_id, e.event_type, e.schema_version, e.stream_id, e.stream_position, e.global_position,
  e.transaction_id::text AS transaction_id, e.created_at, e.correlation_id, e.causation_id, e.metadata, e.data`;

export interface EventRow {
  event_id: string;
  event_type: string;
  schema_version: number;
  stream_id: string;
  stream_position: string | number;
  global_position: string | number;
  transaction_id: string;
  created_at: Date | string;
  correlation_id: string;
  causation_id: string | null;
  metadata: Record<string, unknown> | null;
  data: unknown;
}

const iso = (d: Date | string): string => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

/** A stored row as the envelope readers get, upcast to the current version of its type. */
export const toEnvelope = (row: EventRow, catalogue?: EventCatalogue): EventEnvelope => {
  const meta = row.metadata ?? {};
  const env: EventEnvelope = {
    id: row.event_id,
    type: row.event_type,
    version: row.schema_version,
    streamId: row.stream_id,
    streamVersion: Number(row.stream_position),
    position: Number(row.global_position),
    occurredAt: iso(row.created_at),
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    traceparent: typeof meta['traceparent'] === 'string' ? meta['traceparent'] : null,
    tracestate: typeof meta['tracestate'] === 'string' ? meta['tracestate'] : null,
    data: row.data,
  };
  return catalogue ? catalogue.upcast(env) : env;
};

export const checkpointOfRow = (row: Pick<EventRow, 'transaction_id' | 'global_position'>): Checkpoint => ({
  txid: String(row.transaction_id),
  position: Number(row.global_position),
});

/** Total order of checkpoints: (txid, position). */
export const compareCheckpoints = (a: Checkpoint, b: Checkpoint): number => {
  const ta = BigInt(a.txid);
  const tb = BigInt(b.txid);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.position - b.position;
};
