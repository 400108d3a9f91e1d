import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createEventStore, DEFAULT_DATABASE_URL, type EventStoreOptions, type PostgresEventStore } from '@bosun/event-store';

/** The Postgres the tests use (the machine's, database `test`). */
export const testDatabaseUrl = (): string => process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;

export const randomSuffix = (bytes = 4): string => randomBytes(bytes).toString('hex');

const areaName = (area: string): string => {
  if (!/^[a-z][a-z0-9]{0,15}$/.test(area)) throw new Error(`test area "${area}": use 1-16 lower-case letters/digits`);
  return area;
};

/**
 * A fresh schema name for one test file: `t_<area>_<created, base 36 seconds>_<random>`, so
 * that leftovers of killed runs can be recognised by age.
 */
export const testSchemaName = (area: string): string =>
  `t_${areaName(area)}_${Math.floor(Date.now() / 1000).toString(36)}_${randomSuffix()}`;

/** Runs `fn` with a plain pg client (closed afterwards). */
export const withPgClient = async <T>(fn: (c: Client) => Promise<T>, url = testDatabaseUrl()): Promise<T> => {
  const c = new Client({ connectionString: url, application_name: 'bosun-test' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
};

/** Drops one schema and everything in it. */
export const dropSchema = (schema: string, url = testDatabaseUrl()): Promise<void> =>
  withPgClient(async (c) => {
    await c.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
  }, url);

/** Drops the schemas `t_<area>_*` that killed runs left behind (created more than `olderThanMs` ago). */
export const dropStaleSchemas = async (area: string, olderThanMs = 30 * 60_000, url = testDatabaseUrl()): Promise<string[]> =>
  withPgClient(async (c) => {
    const prefix = `t_${areaName(area)}_`;
    const { rows } = await c.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [prefix]);
    const dropped: string[] = [];
    for (const { nspname } of rows) {
      const created = parseInt(nspname.slice(prefix.length).split('_')[0] ?? '', 36) * 1000;
      if (Number.isNaN(created) || Date.now() - created > olderThanMs) {
        await c.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`).catch(() => undefined);
        dropped.push(nspname);
      }
    }
    return dropped;
  }, url);

export interface TestEventStore {
  readonly store: PostgresEventStore;
  readonly schema: string;
  /** Closes the store and drops its schema. */
  cleanup(): Promise<void>;
}

/** An event store in a schema of its own (dropped by `cleanup`). */
export const createTestEventStore = async (area: string, opts: Omit<EventStoreOptions, 'schema'> = {}): Promise<TestEventStore> => {
  const schema = testSchemaName(area);
  const store = await createEventStore({ url: testDatabaseUrl(), ...opts, schema });
  return {
    store,
    schema,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
};
