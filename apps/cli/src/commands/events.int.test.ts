import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventCatalogue, defineEvent } from '@bosun/contracts';
import { createTestEventStore, dropStaleSchemas, type TestEventStore } from '@bosun/testing';
import { tailEvents } from './events';

const catalogue = new EventCatalogue([
  defineEvent({ type: 'tail.Opened', version: 1, schema: z.object({ n: z.number() }) }),
  defineEvent({ type: 'tail.Closed', version: 1, schema: z.object({ n: z.number() }) }),
]);
let t: TestEventStore;
beforeAll(async () => {
  await dropStaleSchemas('clitail');
  t = await createTestEventStore('clitail', { catalogue, pollIntervalMs: 100 });
  for (let n = 0; n < 5; n++) await t.store.append(`door-${n % 2}`, 'any', [{ type: n % 2 ? 'tail.Closed' : 'tail.Opened', data: { n } }], { correlationId: `c${n}` });
  await t.store.settled();
});
afterAll(async () => {
  await t?.cleanup();
});

const base = { types: [], streams: [], last: 20, follow: false, output: 'json' as const };
const run = async (o: Partial<Parameters<typeof tailEvents>[1]>) => {
  const lines: string[] = [];
  await tailEvents(t.store, { ...base, ...o }, (l) => lines.push(l));
  return lines.map((l) => JSON.parse(l) as { type: string; streamId: string; data: { n: number } });
};

describe('bosun events tail', () => {
  it('shows the last N events, oldest first, with filters', async () => {
    expect((await run({ last: 3 })).map((e) => e.data.n)).toEqual([2, 3, 4]);
    expect((await run({ types: ['tail.Closed'] })).map((e) => e.data.n)).toEqual([1, 3]);
    expect((await run({ streams: ['door-0'] })).map((e) => e.data.n)).toEqual([0, 2, 4]);
    expect((await run({ correlation: 'c3' })).map((e) => e.data.n)).toEqual([3]);
    expect((await run({ since: '1h' })).map((e) => e.data.n)).toEqual([0, 1, 2, 3, 4]);
    expect(await run({ since: '2099-01-01T00:00:00Z' })).toEqual([]);
  });

  it('follows new events live until stopped', async () => {
    const lines: string[] = [];
    const abort = new AbortController();
    const done = tailEvents(t.store, { ...base, last: 1, follow: true, types: ['tail.Opened'], output: 'compact' }, (l) => lines.push(l), abort.signal);
    while (lines.length < 1) await new Promise((r) => setTimeout(r, 10));
    await t.store.append('door-9', 'any', [{ type: 'tail.Closed', data: { n: 98 } }]);
    await t.store.append('door-9', 'any', [{ type: 'tail.Opened', data: { n: 99 } }]);
    const deadline = Date.now() + 20_000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await done;
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/\[door-0#3\]: tail\.Opened \(n=4\)$/);
    expect(lines[1]).toMatch(/\[door-9#2\]: tail\.Opened \(n=99\)$/);
  });
});
