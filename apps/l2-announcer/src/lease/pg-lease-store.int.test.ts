import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, dropStaleSchemas, testDatabaseUrl, testSchemaName, withPgClient } from '@bosun/testing';
import type { LeaseTimings } from '@bosun/l2';
import { PgLeaseStore } from './pg-lease-store';
import { HolderWatch } from './holder-watch';

const timings: LeaseTimings = { leaseDurationMs: 400, renewDeadlineMs: 250, retryPeriodMs: 50 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PgLeaseStore (real Postgres)', () => {
  const schema = testSchemaName('l2lease');
  const stores: PgLeaseStore[] = [];
  const lost: Record<string, string[]> = {};
  const open = async (node: string) => {
    const s = await PgLeaseStore.connect({ connectionString: testDatabaseUrl(), schema, node, timings, onSessionLost: (r) => (lost[node] ??= []).push(r) });
    stores.push(s);
    await s.register();
    return s;
  };
  const req = (address: string) => ({ address, interfaces: ['eth0'], services: ['blue/svc'] });

  beforeAll(async () => {
    await dropStaleSchemas('l2lease');
  });
  afterAll(async () => {
    for (const s of stores) await s.abandon();
    await dropSchema(schema);
  });

  it('grants a free lease to exactly one node, with fencing token 1', async () => {
    const a = await open('node-a');
    const b = await open('node-b');
    const ga = await a.acquire([req('10.0.0.1')]);
    expect(ga.grants).toEqual([{ address: '10.0.0.1', fencingToken: 1, acquiredAt: expect.any(String), transitions: 0, previousHolder: null }]);
    expect((await b.acquire([req('10.0.0.1')])).grants).toEqual([]);
    const seen = (await b.observe(['10.0.0.1', '10.0.0.2'])).get('10.0.0.1')!;
    expect(seen.holder).toEqual({ node: 'node-a', memberId: a.memberId, fencingToken: 1, valid: true });
    expect((await b.observe(['10.0.0.2'])).get('10.0.0.2')).toEqual({ holder: null, candidates: [] });
    expect((await a.renew()).held).toEqual([{ address: '10.0.0.1', fencingToken: 1 }]);
  });

  it('sees a holder whose session died as dead at once, and the taker gets the next token', async () => {
    const a = await open('node-c');
    const b = await open('node-d');
    await a.acquire([req('10.0.1.1')]);
    await a.abandon(); // like SIGKILL: the connection closes, Postgres drops the session lock
    await sleep(20);
    const seen = (await b.observe(['10.0.1.1'])).get('10.0.1.1')!;
    expect(seen.holder).toMatchObject({ node: 'node-c', valid: false });
    const g = await b.acquire([req('10.0.1.1')]);
    expect(g.grants).toEqual([{ address: '10.0.1.1', fencingToken: 2, acquiredAt: expect.any(String), transitions: 1, previousHolder: 'node-c' }]);
  });

  it('lets a lease expire by the database clock when its live holder stops renewing, and then refuses the late renewal', async () => {
    const a = await open('node-e');
    const b = await open('node-f');
    await a.acquire([req('10.0.2.1')]);
    expect((await b.acquire([req('10.0.2.1')])).grants).toEqual([]);
    // b keeps renewing; a's process lives on (session held) but stops renewing.
    for (let t = 0; t < timings.leaseDurationMs + 100; t += timings.retryPeriodMs) {
      expect((await b.renew()).renewed).toBe(true);
      await sleep(timings.retryPeriodMs);
    }
    expect((await b.observe(['10.0.2.1'])).get('10.0.2.1')!.holder).toMatchObject({ node: 'node-e', valid: false });
    const g = await b.acquire([req('10.0.2.1')]);
    expect(g.grants.map((x) => [x.address, x.fencingToken, x.previousHolder])).toEqual([['10.0.2.1', 2, 'node-e']]);
    const late = await a.renew();
    expect(late.renewed).toBe(false);
    expect(late.held).toEqual([]);
  });

  it('releases: the next contender takes the lease at once', async () => {
    const a = await open('node-g');
    const b = await open('node-h');
    const [grant] = (await a.acquire([req('10.0.3.1')])).grants;
    expect((await b.acquire([req('10.0.3.1')])).grants).toEqual([]);
    await a.release([{ address: '10.0.3.1', fencingToken: grant!.fencingToken }]);
    expect((await b.acquire([req('10.0.3.1')])).grants.map((x) => x.fencingToken)).toEqual([2]);
    // A release with a stale token changes nothing.
    await a.release([{ address: '10.0.3.1', fencingToken: 1 }]);
    expect((await b.observe(['10.0.3.1'])).get('10.0.3.1')!.holder).toMatchObject({ node: 'node-h', valid: true });
  });

  it('lists live candidates with how long they have been candidates', async () => {
    const a = await open('node-i');
    const b = await open('node-j');
    await a.setCandidacy(['10.0.4.1', '10.0.4.2']);
    await b.setCandidacy(['10.0.4.1']);
    const seen = await a.observe(['10.0.4.1', '10.0.4.2']);
    expect(seen.get('10.0.4.1')!.candidates.map((c) => c.node).sort()).toEqual(['node-i', 'node-j']);
    expect(seen.get('10.0.4.2')!.candidates.map((c) => c.node)).toEqual(['node-i']);
    await b.setCandidacy([]);
    expect((await a.observe(['10.0.4.1'])).get('10.0.4.1')!.candidates.map((c) => c.node)).toEqual(['node-i']);
    await b.abandon();
    await a.setCandidacy(['10.0.4.1']);
  });

  it('under a race of five nodes for fifty addresses, every address gets exactly one holder', async () => {
    const nodes = await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map(open));
    const addrs = Array.from({ length: 50 }, (_, i) => `10.0.5.${i + 1}`);
    // Each node asks in a different order, so the lease-row locks are contended both ways.
    const results = await Promise.all(nodes.map((n, i) => n.acquire((i % 2 ? [...addrs].reverse() : addrs).map(req))));
    const holders = new Map<string, number>();
    results.forEach((r) => r.grants.forEach((g) => holders.set(g.address, (holders.get(g.address) ?? 0) + 1)));
    expect([...holders.keys()].sort()).toEqual([...addrs].sort());
    expect([...holders.values()].every((n) => n === 1)).toBe(true);
    const tokens = await withPgClient(async (c) => (await c.query(`SELECT DISTINCT fencing_token FROM "${schema}".leases WHERE address LIKE '10.0.5.%'`)).rows);
    expect(tokens).toEqual([{ fencing_token: '1' }]);
  });

  it('wakes a successor the moment the holder process is gone, and on releases', async () => {
    const a = await open('node-w1');
    const b = await open('node-w2');
    const wakes: string[] = [];
    const watch = new HolderWatch({ connectionString: testDatabaseUrl(), schema, wake: (why) => wakes.push(why) });
    try {
      await watch.start();
      const [g] = (await a.acquire([req('10.0.6.1')])).grants;
      watch.set([a.memberId!]);
      await sleep(100);
      expect(wakes).toEqual([]);
      // A waiter in share mode never makes a member look alive.
      const c = await open('node-w3');
      await c.acquire([req('10.0.6.2')]);
      await c.release([{ address: '10.0.6.2', fencingToken: 1 }]);
      for (let i = 0; i < 50 && wakes.length === 0; i++) await sleep(10);
      expect(wakes).toEqual(['leases released']);
      await a.abandon();
      for (let i = 0; i < 100 && wakes.length < 2; i++) await sleep(10);
      expect(wakes[1]).toBe(`holder member ${a.memberId} is gone`);
      expect((await b.observe(['10.0.6.1'])).get('10.0.6.1')!.holder).toMatchObject({ node: 'node-w1', valid: false });
      expect((await b.acquire([req('10.0.6.1')])).grants.map((x) => x.fencingToken)).toEqual([g!.fencingToken + 1]);
      expect(watch.watching).toEqual([]);
    } finally {
      await watch.close();
    }
  });

  it('reports the loss of its session', async () => {
    const a = await open('node-k');
    await withPgClient((c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bosun-l2-announcer:node-k'`));
    for (let i = 0; i < 50 && !lost['node-k']; i++) await sleep(20);
    expect(lost['node-k']?.[0]).toMatch(/database session/);
    expect(a.sessionLost).toBe(true);
  });
});
