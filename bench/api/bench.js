#!/usr/bin/env node
// npm run bench:api — the API's write, list and watch paths against the event store's raw append
// rate, measured in the same run on this machine. Progress on stderr; the last stdout line is the
// JSON result: create_per_s, create_p99_ms (10k Services, 32 concurrent clients), list_10k_ms,
// watch_latency_p99_ms (write → watch event), eventstore_append_eps, ratio_create_vs_append.
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const { join } = require('node:path');
const pg = require('pg');
const { createEventStore } = require('@bosun/event-store');
const { BosunClient } = require('@bosun/client');

const ROOT = join(__dirname, '..', '..');
const DATABASE_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
const N = Number(process.env.BENCH_N || 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 32);
const WATCH_N = Number(process.env.BENCH_WATCH_N || 500);
const log = (...a) => process.stderr.write(`[bench:api] ${a.join(' ')}\n`);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const dropSchemas = async (names) => {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    const stale = (await c.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench_api_%'`)).rows.map((r) => r.nspname);
    for (const n of new Set([...(names || []), ...stale])) await c.query(`DROP SCHEMA IF EXISTS "${n}" CASCADE`);
  } finally {
    await c.end();
  }
};

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = require('node:net').createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const runPool = async (n, concurrency, fn) => {
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      await fn(i);
    }
  });
  await Promise.all(workers);
};

const appendBaseline = async (schema) => {
  const store = await createEventStore({ url: DATABASE_URL, schema, poolSize: 10 });
  try {
    const n = N;
    const obj = (i) => ({
      type: 'resource.Applied',
      data: {
        ref: { group: '', kind: 'Service', namespace: `ns${i % 10}`, name: `svc-${i}`, uid: randomUUID() },
        apiVersion: 'v1',
        generation: 1,
        object: { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: `ns${i % 10}` }, spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], type: 'ClusterIP' } },
      },
    });
    const t0 = process.hrtime.bigint();
    await runPool(n, CONCURRENCY, (i) => store.append(`resource-core.Service-ns${i % 10}.svc-${i}`, 0, [obj(i)]));
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    return n / s;
  } finally {
    await store.close();
  }
};

const main = async () => {
  const id = randomBytes(3).toString('hex');
  const baseSchema = `bench_api_${id}_es`;
  const apiSchema = `bench_api_${id}`;
  await dropSchemas([]);
  log(`event store baseline: ${N} appends (one new stream each), ${CONCURRENCY} concurrent`);
  const eps = await appendBaseline(baseSchema);
  log(`eventstore_append_eps=${round(eps)}`);

  const port = await freePort();
  const server = `http://127.0.0.1:${port}`;
  const nodeArgs = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const api = spawn(process.execPath, [...nodeArgs, join(ROOT, 'apps/api/dist/main.js')], {
    env: { ...process.env, DATABASE_URL, BOSUN_EVENTSTORE_SCHEMA: apiSchema, BOSUN_API_SCHEMA: `${apiSchema}_api`, BOSUN_API_LISTEN: `127.0.0.1:${port}`, LOG_LEVEL: 'error', OTEL_SDK_DISABLED: 'true', BOSUN_TOKENS_FILE: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const client = new BosunClient({ server, token: 'unused' });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${server}/readyz`)).ok) break;
      } catch {
        /* starting */
      }
      if (i > 300) throw new Error('the API did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    log(`creating ${N} Services through the API, ${CONCURRENCY} concurrent clients`);
    const lat = [];
    const t0 = process.hrtime.bigint();
    await runPool(N, CONCURRENCY, async (i) => {
      const s = process.hrtime.bigint();
      await client.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: `ns${i % 10}`, labels: { app: `a${i % 7}` } }, spec: { ports: [{ port: 80 }] } });
      lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      if ((i + 1) % 2000 === 0) log(`  ${i + 1} created (${round(Number(process.hrtime.bigint() - t0) / 1e9, 2)} s)`);
    });
    const createS = Number(process.hrtime.bigint() - t0) / 1e9;
    const createPerS = N / createS;
    log(`create_per_s=${round(createPerS)} p50=${round(pct(lat, 50))}ms p99=${round(pct(lat, 99))}ms`);

    log(`LIST of all ${N} Services (3 runs, median)`);
    const lists = [];
    for (let r = 0; r < 3; r++) {
      const s = process.hrtime.bigint();
      const l = await client.list('svc');
      lists.push(Number(process.hrtime.bigint() - s) / 1e6);
      if (l.items.length !== N) throw new Error(`LIST returned ${l.items.length} items, expected ${N}`);
    }
    const listMs = pct(lists, 50);
    log(`list_10k_ms=${round(listMs)}`);

    log(`watch latency: ${WATCH_N} updates, write → watch event`);
    const sent = new Map();
    const wl = [];
    let resolveAll;
    const all = new Promise((r) => (resolveAll = r));
    const rv = (await client.list('svc', { namespace: 'ns0', limit: 1 })).metadata.resourceVersion;
    const handle = client.watch('svc', { namespace: 'ns0', resourceVersion: rv }, (e) => {
      const at = process.hrtime.bigint();
      const k = e.object.metadata.labels && e.object.metadata.labels.seq;
      if (k && sent.has(k)) {
        wl.push(Number(at - sent.get(k)) / 1e6);
        sent.delete(k);
        if (wl.length >= WATCH_N) resolveAll();
      }
    });
    handle.done.catch((e) => log(`watch ended: ${e.message}`));
    await new Promise((r) => setTimeout(r, 200));
    await runPool(WATCH_N, 4, async (i) => {
      const name = `svc-${(i * 10) % N}`;
      const seq = `s${i}`;
      sent.set(seq, process.hrtime.bigint());
      await client.patch('svc', name, { metadata: { labels: { seq } } }, { namespace: 'ns0' });
    });
    await Promise.race([all, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${wl.length} of ${WATCH_N} watch events arrived in 120 s`)), 120_000))]);
    handle.stop();
    const watchP99 = pct(wl, 99);
    log(`watch_latency_p99_ms=${round(watchP99, 2)} (p50 ${round(pct(wl, 50), 2)})`);

    const result = {
      create_per_s: round(createPerS),
      create_p99_ms: round(pct(lat, 99), 2),
      list_10k_ms: round(listMs, 1),
      watch_latency_p99_ms: round(watchP99, 2),
      eventstore_append_eps: round(eps),
      ratio_create_vs_append: round(createPerS / eps, 3),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    client.close();
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
    await dropSchemas([baseSchema, apiSchema, `${apiSchema}_api`]);
  }
};

main().catch((e) => {
  process.stderr.write(`[bench:api] failed: ${e.stack || e}\n`);
  process.exit(1);
});
