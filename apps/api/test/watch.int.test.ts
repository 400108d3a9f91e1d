import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiStatusError, BosunClient, Informer, type KubeObject, type WatchEvent } from '@bosun/client';
import { apiEnv, dropSchemas, fixture, freePort, spawnApi, type Fixture } from './helpers';

// The API as a child process (so it can be killed): a watch from resourceVersion X receives every
// later change exactly once, also when resumed from the last resourceVersion seen after a restart.
let f: Fixture;
let port: number;
let base: string;
let child: ChildProcess | undefined;
let client: BosunClient;

const start = async (extra: Record<string, string> = {}): Promise<void> => {
  child = await spawnApi(apiEnv(f, `127.0.0.1:${port}`, extra), base);
};
const stop = async (): Promise<void> => {
  if (!child || child.exitCode !== null) return;
  const c = child;
  await new Promise<void>((r) => {
    c.once('exit', () => r());
    c.kill('SIGKILL');
  });
};

const svc = (name: string, port = 80, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'w', labels },
  spec: { ports: [{ port }] },
});

/** Collects watch events until `until` says stop. */
const collect = (from: string, opts: { labelSelector?: string } = {}) => {
  const events: WatchEvent[] = [];
  const handle = client.watch('svc', { namespace: 'w', resourceVersion: from, ...opts }, (e) => events.push(e));
  handle.done.catch(() => undefined);
  return { events, handle };
};

const waitFor = async (pred: () => boolean, what: string, ms = 30_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const key = (e: WatchEvent) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`;

beforeAll(async () => {
  await dropSchemas();
  f = fixture();
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  client = new BosunClient({ server: base, token: f.tokens.admin });
  await start();
});

afterAll(async () => {
  client?.close();
  await stop();
  await dropSchemas([f.schema, f.apiSchema]);
});

describe('watch', () => {
  it('from resourceVersion X: every later change exactly once, in order, across an API restart', async () => {
    const x = (await client.create(svc('w0'))).metadata!.resourceVersion!;
    const w1 = collect(x);
    // 30 changes: creates, updates, deletes
    const expected: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const o = await client.create(svc(`w${i}`));
      expected.push(`ADDED w${i} ${o.metadata!.resourceVersion}`);
    }
    for (let i = 1; i <= 10; i++) {
      const o = await client.apply(svc(`w${i}`, 8000 + i), { force: true });
      expected.push(`MODIFIED w${i} ${o.metadata!.resourceVersion}`);
    }
    for (let i = 1; i <= 5; i++) {
      await client.delete('svc', `w${i}`, 'w');
    }
    await waitFor(() => w1.events.length >= 25, '25 events');
    expect(w1.events.slice(0, 20).map(key)).toEqual(expected);
    expect(w1.events.slice(20).map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([1, 2, 3, 4, 5].map((i) => `DELETED w${i}`));
    const lastSeen = w1.events[w1.events.length - 1]!.object.metadata!.resourceVersion!;
    w1.handle.stop();

    // Restart the API; changes made while it is down are appended by a second API process later.
    await stop();
    await start();
    const w2 = collect(lastSeen);
    const more: string[] = [];
    for (let i = 11; i <= 15; i++) more.push(`ADDED w${i} ${(await client.create(svc(`w${i}`))).metadata!.resourceVersion}`);
    await waitFor(() => w2.events.length >= 5, '5 events after restart');
    await new Promise((r) => setTimeout(r, 300));
    expect(w2.events.map(key)).toEqual(more);
    w2.handle.stop();

    // Resuming from X again (before the restart) replays the same history exactly once.
    const w3 = collect(x);
    await waitFor(() => w3.events.length >= 30, '30 events from X');
    await new Promise((r) => setTimeout(r, 300));
    expect(w3.events.length).toBe(30);
    expect(w3.events.slice(0, 20).map(key)).toEqual(expected);
    expect(w3.events.slice(25).map(key)).toEqual(more);
    w3.handle.stop();
  });

  it('resumes from a resourceVersion older than the in-memory window by replaying the log', async () => {
    await stop();
    await start({ BOSUN_API_WATCH_WINDOW: '3' });
    const x = (await client.create(svc('old0'))).metadata!.resourceVersion!;
    const names: string[] = [];
    for (let i = 1; i <= 8; i++) {
      await client.create(svc(`old${i}`));
      names.push(`ADDED old${i}`);
    }
    const w = collect(x);
    await waitFor(() => w.events.length >= 8, '8 replayed events');
    await client.create(svc('old9'));
    names.push('ADDED old9');
    await waitFor(() => w.events.length >= 9, 'the live event after the replay');
    await new Promise((r) => setTimeout(r, 300));
    expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(names);
    w.handle.stop();
  });

  it('410 Expired for an unknown resourceVersion', async () => {
    const h = client.watch('svc', { namespace: 'w', resourceVersion: '999999999' }, () => undefined);
    const e = await h.done.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ApiStatusError);
    expect((e as ApiStatusError).code).toBe(410);
    expect((e as ApiStatusError).reason).toBe('Expired');
  });

  it('a label-selector watch sees an object leave the selection as DELETED', async () => {
    const x = (await client.apply(svc('sel', 80, { tier: 'a' }))).metadata!.resourceVersion!;
    const w = collect(x, { labelSelector: 'tier=a' });
    await client.apply(svc('sel', 80, { tier: 'b' }), { force: true });
    await waitFor(() => w.events.length >= 1, 'the DELETED event');
    expect(w.events[0]!.type).toBe('DELETED');
    w.handle.stop();
  });

  it('an Informer lists, watches, and resumes after the API restarts', async () => {
    const seen = new Map<string, number>();
    const inf = new Informer(client, 'svc', { namespace: 'w', minBackoffMs: 50, maxBackoffMs: 500, onAdd: (o) => seen.set(o.metadata!.name!, (seen.get(o.metadata!.name!) ?? 0) + 1) }).start();
    await inf.synced;
    const initial = inf.list().length;
    expect(initial).toBeGreaterThan(0);
    await stop();
    await start();
    await client.create(svc('after-restart'));
    await waitFor(() => inf.get('after-restart', 'w') !== undefined, 'the informer to see the new object');
    expect(seen.get('after-restart')).toBe(1);
    expect(inf.list().length).toBe(initial + 1);
    await inf.stop();
  });
});
