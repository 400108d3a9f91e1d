import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventCatalogue, defineEvent, type EventEnvelope } from '@bosun/contracts';
import { Client } from 'pg';
import { createTestEventStore, dropStaleSchemas, testDatabaseUrl, withPgClient, type TestEventStore } from '@bosun/testing';
import { createEventStore, WrongExpectedVersionError, type Checkpoint } from './index';

const Counted = defineEvent({ type: 'test.Counted', version: 2, schema: z.object({ n: z.number().int(), label: z.string() }), upcasters: { 1: (d: { n: number }) => ({ ...d, label: 'v1' }) } });
const Noted = defineEvent({ type: 'test.Noted', version: 1, schema: z.object({ text: z.string() }) });
const catalogue = new EventCatalogue([Counted, Noted]);
const counted = (n: number) => ({ type: 'test.Counted', data: { n, label: `#${n}` } });

let t: TestEventStore;
beforeAll(async () => {
  await dropStaleSchemas('es');
  t = await createTestEventStore('es', { catalogue, pollIntervalMs: 200 });
});
afterAll(async () => {
  await t?.cleanup();
});

describe('append and read', () => {
  it('appends with expected versions and reads the stream back in order', async () => {
    const r1 = await t.store.append('acct-1', 'no_stream', [counted(1), counted(2)], { correlationId: 'corr-1' });
    expect(r1.nextExpectedVersion).toBe(2);
    const r2 = await t.store.append('acct-1', 2, [counted(3)]);
    expect(r2.nextExpectedVersion).toBe(3);
    expect(r2.lastPosition).toBeGreaterThan(r1.lastPosition);
    const events = await t.store.readStream('acct-1');
    expect(events.map((e) => [e.streamVersion, (e.data as { n: number }).n])).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(events[0]!.correlationId).toBe('corr-1');
    expect(events[2]!.correlationId).toBe(events[2]!.id);
    expect(await t.store.streamVersion('acct-1')).toBe(3);
    expect(await t.store.streamVersion('acct-none')).toBe(0);
  });

  it('rejects a stale expected version with the typed error, carrying the actual version', async () => {
    await t.store.append('acct-2', 0, [counted(1)]);
    const err = await t.store.append('acct-2', 0, [counted(2)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongExpectedVersionError);
    expect((err as WrongExpectedVersionError).actual).toBe(1);
    await expect(t.store.append('acct-2', 5, [counted(2)])).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(t.store.append('acct-missing', 'stream_exists', [counted(2)])).rejects.toMatchObject({ actual: null });
    const any = await t.store.append('acct-2', 'any', [counted(2)]);
    expect(any.nextExpectedVersion).toBe(2);
  });

  it('validates data against the catalogue and writes nothing when one event is invalid', async () => {
    await expect(t.store.append('acct-3', 0, [counted(1), { type: 'test.Counted', data: { n: 'x' } }])).rejects.toThrow(/test.Counted.*n/);
    await expect(t.store.append('acct-3', 0, [{ type: 'test.Unknown', data: {} }])).rejects.toThrow(/unknown event type test.Unknown/);
    expect(await t.store.streamVersion('acct-3')).toBe(0);
  });

  it('makes a retried append with the same event ids a no-op', async () => {
    const id = '7d0f5a7e-9d2a-4a8e-9f0b-0c8f6b1e2a31';
    const a = await t.store.append('acct-4', 0, [{ ...counted(1), id }]);
    const b = await t.store.append('acct-4', 0, [{ ...counted(1), id }]);
    expect(b.lastPosition).toBe(a.lastPosition);
    expect(await t.store.streamVersion('acct-4')).toBe(1);
  });

  it('appends to several streams in one statement, in order, each with its own expected version and metadata', async () => {
    await t.store.append('many-b', 0, [counted(1)]);
    const [a, b, c] = await t.store.appendMany([
      { streamId: 'many-a', expected: 'no_stream', events: [counted(1), counted(2)], metadata: { correlationId: 'corr-a' } },
      { streamId: 'many-b', expected: 1, events: [counted(2)], metadata: { correlationId: 'corr-b', causationId: 'cause-b' } },
      { streamId: 'many-c', expected: 'any', events: [counted(3)] },
    ]);
    expect([a!.nextExpectedVersion, b!.nextExpectedVersion, c!.nextExpectedVersion]).toEqual([2, 2, 1]);
    expect(a!.events.map((e) => e.position)).toEqual([a!.events[0]!.position, a!.events[0]!.position + 1]);
    expect(b!.lastPosition).toBeGreaterThan(a!.lastPosition);
    expect(c!.lastPosition).toBeGreaterThan(b!.lastPosition);
    const stored = await t.store.readStream('many-b');
    expect(stored.map((e) => [e.streamVersion, e.correlationId, e.causationId])).toEqual([
      [1, stored[0]!.id, null],
      [2, 'corr-b', 'cause-b'],
    ]);
    expect((await t.store.readStream('many-a')).map((e) => e.correlationId)).toEqual(['corr-a', 'corr-a']);
  });

  it('stores nothing of a batch when one expected version does not match, and names that stream', async () => {
    await t.store.append('many-x', 0, [counted(1)]);
    const err = await t.store
      .appendMany([
        { streamId: 'many-w', expected: 0, events: [counted(1)] },
        { streamId: 'many-x', expected: 0, events: [counted(2)] },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongExpectedVersionError);
    expect(err).toMatchObject({ streamId: 'many-x', expected: 0, actual: 1 });
    expect(await t.store.streamVersion('many-w')).toBe(0);
    // The single append path names its stream the same way.
    await expect(t.store.append('many-x', 5, [counted(2)])).rejects.toMatchObject({ streamId: 'many-x', expected: 5, actual: 1 });
    // Bad input is refused before anything is written, naming the append.
    await expect(t.store.appendMany([{ streamId: 'many-w', expected: 0, events: [] }])).rejects.toThrow(/appends\[0\]\.events/);
    await expect(t.store.appendMany([])).rejects.toThrow(/appends/);
    expect(await t.store.streamVersion('many-w')).toBe(0);
  });

  it('upcasts stored old versions on read', async () => {
    await t.store.append('acct-5', 0, [{ type: 'test.Counted', version: 1, data: { n: 7, label: 'ignored' } }]);
    // Simulate an event written by an older release (stored as v1 without label).
    await withPgClient((c) => c.query(`UPDATE "${t.schema}".events SET data = '{"n":7}' WHERE stream_id = 'acct-5'`));
    const [e] = await t.store.readStream('acct-5');
    expect(e).toMatchObject({ version: 2, data: { n: 7, label: 'v1' } });
  });

  it('reads all with filters and advances the checkpoint past filtered-out events', async () => {
    await t.store.append('note-1', 0, [{ type: 'test.Noted', data: { text: 'hello' } }], { correlationId: 'corr-note' });
    // (Another session's open transaction may hold the read horizon back for a moment.)
    await t.store.settled();
    const all = await t.store.readAll();
    expect(all.caughtUp).toBe(true);
    const notes = await t.store.readAll({ types: ['test.Noted'] });
    expect(notes.events.map((e) => e.streamId)).toEqual(['note-1']);
    expect(notes.checkpoint).toEqual(all.checkpoint);
    expect((await t.store.readAll({ streamPrefixes: ['acct-1'] })).events).toHaveLength(3);
    expect((await t.store.readAll({ correlationId: 'corr-note' })).events).toHaveLength(1);
    expect((await t.store.readAll({ since: new Date(Date.now() + 60_000) })).events).toHaveLength(0);
    await expect(t.store.readAll({ since: 'yesterday-ish' })).rejects.toThrow(/since/);
    // checkpointAt resumes right after a given position.
    const third = all.events[2]!;
    const cp = (await t.store.checkpointAt(third.position)) as Checkpoint;
    const after = await t.store.readAll({ after: cp });
    expect(after.events.map((e) => e.id)).toEqual(all.events.slice(3).map((e) => e.id));
  });

  it('pages a filtered read by windows of the log: readAll still returns `limit` matches, or fewer only at the end', async () => {
    // 12 events, every third one matching.
    for (let i = 0; i < 12; i++) {
      await t.store.append(`win-${i}`, 0, [i % 3 === 0 ? { type: 'test.Noted', data: { text: `w${i}` } } : counted(i)]);
    }
    await t.store.settled();
    const start = (await t.store.checkpointAt((await t.store.readStream('win-0'))[0]!.position))!;
    const before = await t.store.readAll({ after: start, limit: 1 });
    // A window of 3 events after win-0 holds one match (win-3); the checkpoint is the window's end.
    const page = await t.store.readPage(start, 3, { types: ['test.Noted'], streamPrefixes: ['win-'] });
    expect(page.events.map((e) => e.streamId)).toEqual(['win-3']);
    expect(page.caughtUp).toBe(false);
    expect(page.checkpoint).toEqual(await t.store.checkpointAt((await t.store.readStream('win-3'))[0]!.position));
    // readAll collects matches across windows and stops exactly after the `limit`-th one.
    const two = await t.store.readAll({ after: start, limit: 2, types: ['test.Noted'], streamPrefixes: ['win-'] });
    expect(two.events.map((e) => e.streamId)).toEqual(['win-3', 'win-6']);
    expect(two.caughtUp).toBe(false);
    const rest = await t.store.readAll({ after: two.checkpoint, limit: 2, types: ['test.Noted'], streamPrefixes: ['win-'] });
    expect(rest.events.map((e) => e.streamId)).toEqual(['win-9']);
    expect(rest.caughtUp).toBe(true);
    expect(before.events.map((e) => e.streamId)).toEqual(['win-1']);
  });
});

describe('subscriptions', () => {
  it('commits the handler writes and the checkpoint together; a failed batch is retried, not skipped', async () => {
    await withPgClient((c) => c.query(`CREATE TABLE "${t.schema}".seen (event_id uuid PRIMARY KEY)`));
    let failOnce = true;
    const errors: unknown[] = [];
    const handler = async (events: EventEnvelope[], { tx }: { tx: { query: (s: string, p?: unknown[]) => Promise<unknown[]> } }) => {
      for (const e of events) await tx.query(`INSERT INTO "${t.schema}".seen VALUES ($1)`, [e.id]);
      if (failOnce) {
        failOnce = false;
        throw new Error('boom');
      }
    };
    const sub = t.store.subscribe({ subscriberId: 'seen', handler, onError: (e) => errors.push(e), batchSize: 3 });
    await sub.caughtUp;
    await sub.stop();
    const total = (await t.store.readAll({ limit: 10_000 })).events.length;
    const seen = await withPgClient((c) => c.query(`SELECT count(*)::int AS n FROM "${t.schema}".seen`));
    expect(seen.rows[0].n).toBe(total);
    expect(errors).toHaveLength(1);
    // Restarting resumes after the stored checkpoint: nothing handled twice (the PK would throw).
    await t.store.append('acct-6', 0, [counted(1)]);
    const again = t.store.subscribe({ subscriberId: 'seen', handler });
    await again.caughtUp;
    await again.stop();
    const seen2 = await withPgClient((c) => c.query(`SELECT count(*)::int AS n FROM "${t.schema}".seen`));
    expect(seen2.rows[0].n).toBe(total + 1);
  });

  it('lets a handler append in its own transaction', async () => {
    const sub = t.store.subscribe({
      subscriberId: 'echo',
      types: ['test.Noted'],
      handler: async (events, { tx }) => {
        for (const e of events) {
          if (e.streamId.startsWith('echo-')) continue;
          await t.store.append(`echo-${e.streamId}`, 'any', [{ type: 'test.Noted', data: { text: 'echo' } }], { tx, causationId: e.id, correlationId: e.correlationId });
        }
      },
    });
    await sub.caughtUp;
    await sub.stop();
    const echoed = await t.store.readStream('echo-note-1');
    expect(echoed).toHaveLength(1);
    expect(echoed[0]!.correlationId).toBe('corr-note');
  });
});

describe('subscriptions hold the read horizon back as briefly as possible', () => {
  it('a durable handler at work takes no transaction id before its first write: other readers are not held back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const handled: string[] = [];
    const sub = t.store.subscribe({
      subscriberId: 'slow-worker',
      from: 'end',
      streamPrefixes: ['slow-'],
      handler: async (events, { tx }) => {
        entered();
        await gate;
        await tx.query('SELECT 1');
        handled.push(...events.map((e) => e.streamId));
      },
    });
    await sub.caughtUp;
    await t.store.append('slow-1', 0, [{ type: 'test.Noted', data: { text: 'first' } }]);
    await inHandler;
    // The handler is at work on slow-1: an event appended now is readable by every reader at
    // once (the checkpoint is written last, in the commit's round trips).
    await t.store.append('slow-2', 0, [{ type: 'test.Noted', data: { text: 'second' } }]);
    try {
      await t.store.settled(5_000);
    } finally {
      release();
    }
    const deadline = Date.now() + 10_000;
    while (!handled.includes('slow-2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await sub.stop();
    expect(handled).toEqual(['slow-1', 'slow-2']);
    const stored = await withPgClient((c) => c.query(`SELECT last_global_position::bigint AS pos FROM "${t.schema}".checkpoints WHERE subscriber_id = 'slow-worker'`));
    expect(Number(stored.rows[0].pos)).toBe((await t.store.readStream('slow-2'))[0]!.position);
  });

  it('a reader held back by a transaction that writes no events goes on when it ends, not at its next poll', async () => {
    // A poll far beyond the test's patience: only the horizon watch can wake the reader.
    const store = await createEventStore({ url: testDatabaseUrl(), schema: t.schema, catalogue, pollIntervalMs: 600_000, migrate: false });
    const holder = new Client({ connectionString: testDatabaseUrl() });
    await holder.connect();
    try {
      const seen: string[] = [];
      const sub = store.subscribe({ from: 'end', streamPrefixes: ['held-'], handler: async (events) => void seen.push(...events.map((e) => e.streamId)) });
      await sub.caughtUp;
      // An open transaction with an id, writing nothing to the event store (as another
      // service's own table, or a checkpoint, would): it holds the horizon.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_current_xact_id()');
      await store.append('held-1', 0, [{ type: 'test.Noted', data: { text: 'behind the holder' } }]);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual([]);
      await holder.query('COMMIT');
      const deadline = Date.now() + 20_000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await sub.stop();
      expect(seen).toEqual(['held-1']);
    } finally {
      await holder.end().catch(() => undefined);
      await store.close();
    }
  });

  it('two instances of one durable subscriber: every batch is committed by exactly one of them', async () => {
    await withPgClient((c) => c.query(`CREATE TABLE "${t.schema}".applied_once (event_id uuid PRIMARY KEY, instance int NOT NULL)`));
    for (let i = 0; i < 60; i++) await t.store.append(`twin-${i}`, 0, [{ type: 'test.Noted', data: { text: `t${i}` } }]);
    const errors: unknown[] = [];
    const instance = (n: number) =>
      t.store.subscribe({
        subscriberId: 'twins',
        streamPrefixes: ['twin-'],
        batchSize: 4,
        handler: async (events, { tx }) => {
          // A duplicate would violate the primary key and fail the batch: never expected.
          for (const e of events) await tx.query(`INSERT INTO "${t.schema}".applied_once VALUES ($1, $2)`, [e.id, n]);
          await new Promise((r) => setTimeout(r, 2));
        },
        onError: (err) => errors.push(err),
      });
    const a = instance(1);
    const b = instance(2);
    await Promise.all([a.caughtUp, b.caughtUp]);
    await Promise.all([a.stop(), b.stop()]);
    const rows = await withPgClient((c) => c.query(`SELECT count(*)::int AS n, count(DISTINCT instance)::int AS instances FROM "${t.schema}".applied_once`));
    expect(rows.rows[0].n).toBe(60);
    // A lost race rolls the loser's batch back (reported to onError: the checkpoint moved, or
    // its writes collided with the winner's); the loser goes on from the winner's checkpoint.
    for (const err of errors) expect(String(err)).toMatch(/another instance moved the checkpoint first|duplicate key/);
  });
});

describe('read plan', () => {
  it('reads a page by an ordered index range scan that stops after the page, never a sort of the rest of the log', async () => {
    // A log of some size, never analyzed (as a fresh one is): the planner must still walk the
    // read-order index and stop after the page instead of sorting everything after the checkpoint.
    for (let b = 0; b < 40; b++) await t.store.append(`plan-${b}`, 0, Array.from({ length: 100 }, (_, i) => counted(i)));
    const { sql, params } = t.store.readPageStatement({ txid: '0', position: 0 }, 500, { types: ['test.Noted'], streamPrefixes: ['note-', 'win-'] });
    // On a connection of the store (its session settings are part of the plan).
    const plan = await t.store.transaction(async (tx) => JSON.stringify((await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params))[0]!['QUERY PLAN']));
    expect(plan).toContain('"Index Name":"events_read_order"');
    expect(plan).not.toContain('Bitmap Heap Scan');
    expect(plan).not.toContain('"Node Type":"Seq Scan"');
  });
});
