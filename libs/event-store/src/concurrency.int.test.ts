import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Client } from 'pg';
import { EventCatalogue, defineEvent, type EventEnvelope } from '@bosun/contracts';
import { createEventStore, WrongExpectedVersionError, type PostgresEventStore } from './index';
import { createTestEventStore, dropSchema, dropStaleSchemas, testDatabaseUrl, type TestEventStore } from '@bosun/testing';

const Written = defineEvent({ type: 'test.Written', version: 1, schema: z.object({ writer: z.number().int(), seq: z.number().int() }) });
const catalogue = new EventCatalogue([Written]);

let t: TestEventStore;
beforeAll(async () => {
  await dropStaleSchemas('esconc');
  t = await createTestEventStore('esconc', { catalogue, pollIntervalMs: 100, poolSize: 30 });
});
afterAll(async () => {
  await t?.cleanup();
});

describe('optimistic concurrency', () => {
  it('50 concurrent writers on one stream: every version written exactly once, every loser gets the conflict error', async () => {
    const stream = 'race-1';
    const PER_WRITER = 3;
    const written: number[] = [];
    let conflicts = 0;
    let otherErrors = 0;
    const writer = async (w: number) => {
      // Each writer appends 3 events, each time expecting the version it last read.
      for (let seq = 0; seq < PER_WRITER; ) {
        const expected = await t.store.streamVersion(stream);
        try {
          const r = await t.store.append(stream, expected, [{ type: 'test.Written', data: { writer: w, seq } }]);
          written.push(r.nextExpectedVersion);
          seq++;
        } catch (err) {
          if (err instanceof WrongExpectedVersionError) {
            expect(err.streamId).toBe(stream);
            expect(err.expected).toBe(expected);
            expect(err.actual).not.toBe(expected);
            conflicts++;
          } else {
            otherErrors++;
            throw err;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, (_, w) => writer(w)));
    expect(otherErrors).toBe(0);
    // 150 successful appends, each got a distinct version 1..150.
    expect(written.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 * PER_WRITER }, (_, i) => i + 1));
    expect(conflicts).toBeGreaterThan(0);
    const events = await t.store.readStream(stream);
    expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: 50 * PER_WRITER }, (_, i) => i + 1));
    // Every writer's events are in its own order.
    for (let w = 0; w < 50; w++) {
      const mine = events.filter((e) => (e.data as { writer: number }).writer === w).map((e) => (e.data as { seq: number }).seq);
      expect(mine).toEqual([0, 1, 2]);
    }
  });

  it('50 writers expecting the same version of an existing stream: one wins, 49 get the conflict with the actual version', async () => {
    const base = await t.store.append('race-existing', 0, [{ type: 'test.Written', data: { writer: -1, seq: 0 } }, { type: 'test.Written', data: { writer: -1, seq: 1 } }]);
    expect(base.nextExpectedVersion).toBe(2);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, w) => t.store.append('race-existing', 2, [{ type: 'test.Written', data: { writer: w, seq: 2 } }])),
    );
    const won = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ nextExpectedVersion: number }>[];
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(won[0]!.value.nextExpectedVersion).toBe(3);
    expect(lost).toHaveLength(49);
    for (const l of lost) expect(l.reason).toMatchObject({ name: 'WrongExpectedVersionError', streamId: 'race-existing', expected: 2, actual: 3 });
    expect((await t.store.readStream('race-existing')).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
  });

  it('50 writers all creating the same new stream: exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, w) => t.store.append('race-new', 'no_stream', [{ type: 'test.Written', data: { writer: w, seq: 0 } }])),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const l of lost) expect(l.reason).toBeInstanceOf(WrongExpectedVersionError);
    expect(await t.store.streamVersion('race-new')).toBe(1);
  });
});

describe('subscriptions never skip an event committed late', () => {
  it('a subscriber sees every event exactly once while 20 writers append in overlapping transactions, some held open', async () => {
    const received: EventEnvelope[] = [];
    const seenIds = new Set<string>();
    let duplicates = 0;
    const sub = t.store.subscribe({
      subscriberId: 'all-events',
      from: 'end',
      types: ['test.Written'],
      streamPrefixes: ['overlap-'],
      batchSize: 17,
      handler: async (events) => {
        for (const e of events) {
          if (seenIds.has(e.id)) duplicates++;
          seenIds.add(e.id);
          received.push(e);
        }
      },
    });
    await sub.caughtUp;

    // Writers that hold their transaction open take their global positions early and commit
    // late, after many later positions were committed: the classic skip.
    const url = testDatabaseUrl();
    const appended: string[] = [];
    const writer = async (w: number) => {
      const holdOpen = w % 4 === 0;
      for (let batch = 0; batch < 10; batch++) {
        if (holdOpen && batch % 3 === 0) {
          const client = new Client({ connectionString: url });
          await client.connect();
          try {
            await client.query('BEGIN');
            // Append through the store, joining this transaction.
            const tx = { query: async (sql: string, params?: unknown[]) => (await client.query(sql, params as unknown[])).rows };
            const r = await t.store.append(`overlap-${w}`, 'any', [{ type: 'test.Written', data: { writer: w, seq: batch } }, { type: 'test.Written', data: { writer: w, seq: batch + 100 } }], { tx });
            await new Promise((res) => setTimeout(res, 150 + ((w * 37) % 200)));
            await client.query('COMMIT');
            appended.push(...r.events.map((e) => e.id));
          } finally {
            await client.end();
          }
        } else {
          const r = await t.store.append(`overlap-${w}`, 'any', [{ type: 'test.Written', data: { writer: w, seq: batch } }]);
          appended.push(...r.events.map((e) => e.id));
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, w) => writer(w)));
    // A rolled-back transaction's events must not appear either.
    await t.store.transaction(async (tx) => {
      await t.store.append('overlap-rollback', 'any', [{ type: 'test.Written', data: { writer: -1, seq: 0 } }], { tx });
      throw new Error('roll back');
    }).catch(() => undefined);

    // Wait until the subscriber has everything (bounded: the test fails, not hangs).
    const deadline = Date.now() + 60_000;
    while (seenIds.size < appended.length && Date.now() < deadline) {
      sub.poke();
      await new Promise((r) => setTimeout(r, 50));
    }
    await sub.stop();
    expect(duplicates).toBe(0);
    expect(received.filter((e) => e.streamId === 'overlap-rollback')).toEqual([]);
    expect(new Set(appended).size).toBe(appended.length);
    expect([...seenIds].sort()).toEqual([...appended].sort());
    // Delivery order is the read order: (transaction id, global position) ascending.
    // Per stream, versions arrive in order.
    for (let w = 0; w < 20; w++) {
      const versions = received.filter((e) => e.streamId === `overlap-${w}`).map((e) => e.streamVersion);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    }
  });

  it('stores opened at the same time on a new schema run the migrations exactly once', async () => {
    const schema = `${t.schema}_m`;
    try {
      const opened: PostgresEventStore[] = await Promise.all([1, 2, 3].map(() => createEventStore({ url: testDatabaseUrl(), schema, catalogue })));
      await opened[0]!.append('m-1', 0, [{ type: 'test.Written', data: { writer: 0, seq: 0 } }]);
      for (const s of opened) expect(await s.streamVersion('m-1')).toBe(1);
      const rows = await opened[0]!.query<{ name: string }>(`SELECT name FROM "${schema}".migrations`);
      expect(rows.map((r) => r.name)).toEqual(['EventStoreInitial1764115200000', 'EventStoreAppendJson1764201600000', 'EventStoreOutOfBandNotify1764288000000', 'EventStoreAppendMany1764374400000']);
      await Promise.all(opened.map((s) => s.close()));
    } finally {
      await dropSchema(schema);
    }
  });
});
