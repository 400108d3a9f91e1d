// Postgres event store: append with expected version, reads, subscriptions, checkpoints, outbox relay.
export * from './types';
