// Postgres event store: append with expected version, reads, subscriptions, checkpoints, outbox relay.
export * from './types';
export { createEventStore, PostgresEventStore, DEFAULT_DATABASE_URL, DEFAULT_SCHEMA, pgErrorCode, streamTypeOf, uuidv7 } from './postgres-event-store';
export type { EventStoreOptions, Page, Reader } from './postgres-event-store';
export { notifyChannel, validateSchemaName, quoteIdent } from './schema';
export { compareCheckpoints } from './rows';
export { OutboxRelay, startOutboxRelay, ensureStream } from './relay';
export type { OutboxRelayOptions, StreamSpec } from './relay';
