// npm run bench:ipam — LB IPAM throughput and latency, with the real ipam service (compiled,
// as a child process) following one event store. Services are written as the API writes them
// (`resource.Applied`); allocations are observed as any consumer sees them (a subscription).
// In the same run, plain event-store appends give the yardstick for the ratio.
// Progress on stderr; the last stdout line is one JSON object with the figures issue 4 names.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { resourceStreamId, type EventEnvelope } from '@bosun/contracts';
import { createEventStore, DEFAULT_DATABASE_URL, type PostgresEventStore, type Subscription } from '@bosun/event-store';
import { BosunClient, type KubeObject } from '@bosun/client';
import { freePort } from '@bosun/testing';

const log = (msg: string) => process.stderr.write(`[bench:ipam] ${msg}\n`);
const url = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
const SERVICES = Number(process.env['BENCH_SERVICES'] ?? 10_000);
/** Services per apply transaction in the throughput phase (a bulk `bosun apply -f` is one). */
const APPLY_BATCH = Number(process.env['BENCH_APPLY_BATCH'] ?? 100);
const APPLY_CONCURRENCY = Number(process.env['BENCH_APPLY_CONCURRENCY'] ?? 4);
const LATENCY_SERVICES = Number(process.env['BENCH_LATENCY_SERVICES'] ?? 2_500);
const LATENCY_RATE = Number(process.env['BENCH_LATENCY_RATE'] ?? 500);
const APPEND_EVENTS = Number(process.env['BENCH_APPEND_EVENTS'] ?? 5_000);
const APPEND_CONCURRENCY = Number(process.env['BENCH_APPEND_CONCURRENCY'] ?? 8);
const ROOT = join(__dirname, '..', '..', '..');

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const round = (n: number, digits = 0) => Number(n.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let uidSeq = 0;
/** A Service as the API stores it (admitted and defaulted), applied once. */
const serviceApplied = (ns: string, name: string, labels: Record<string, string>, family: 'IPv4' | 'IPv6') => {
  const uid = `00000000-0000-4000-8000-${String(++uidSeq).padStart(12, '0')}`;
  const ref = { group: '', kind: 'Service', namespace: ns, name, uid };
  const object = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, uid, generation: 1, labels, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    spec: {
      type: 'LoadBalancer',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      selector: { app: name },
      ipFamilies: [family],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      externalTrafficPolicy: 'Cluster',
      internalTrafficPolicy: 'Cluster',
      allocateLoadBalancerNodePorts: true,
    },
  };
  return { streamId: resourceStreamId(ref), event: { type: 'resource.Applied', data: { ref, apiVersion: 'v1', generation: 1, object } } };
};

const poolApplied = (name: string, cidr: string, selector?: Record<string, string>) => {
  const uid = `00000000-0000-4000-9000-${String(++uidSeq).padStart(12, '0')}`;
  const ref = { group: 'cilium.io', kind: 'CiliumLoadBalancerIPPool', namespace: '', name, uid };
  const object = {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumLoadBalancerIPPool',
    metadata: { name, uid, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { blocks: [{ cidr }], disabled: false, ...(selector ? { serviceSelector: { matchLabels: selector } } : {}) },
  };
  return { streamId: resourceStreamId(ref), event: { type: 'resource.Applied', data: { ref, apiVersion: 'cilium.io/v2', generation: 1, object } } };
};

/** Runs `total` operations with `concurrency` workers; returns ops per second. */
const drive = async (total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<number> => {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) await op(i);
    }),
  );
  return total / ((performance.now() - t0) / 1000);
};

const startIpam = (schema: string): { child: ChildProcess; ready: Promise<void> } => {
  const child = spawn(process.execPath, [join(ROOT, 'apps', 'ipam', 'dist', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, BOSUN_EVENTSTORE_SCHEMA: schema, BOSUN_HTTP_LISTEN: '127.0.0.1:0', BOSUN_IPAM_INSTANCE: 'bench', OTEL_SDK_DISABLED: 'true', LOG_LEVEL: process.env['BENCH_IPAM_LOG_LEVEL'] ?? 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    let address = '';
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const j = JSON.parse(line) as { msg?: string; address?: string; level?: string };
          if (j.level === 'error' || j.level === 'warn') log(`ipam: ${line}`);
          if (process.env['BENCH_IPAM_LOG_LEVEL'] === 'debug' && j.level === 'debug') process.stderr.write(`${line}\n`);
          if (j.msg === 'health and metrics endpoints listening' && j.address) address = j.address;
          if (j.msg === 'ipam is running') {
            void (async () => {
              for (let k = 0; k < 100 && address; k++) {
                if ((await fetch(`http://${address}/readyz`).catch(() => null))?.ok) return resolve();
                await sleep(100);
              }
              resolve();
            })();
          }
        } catch {
          /* not JSON */
        }
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`ipam exited (${code ?? signal})`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
};


/** The compiled API on the same event store (its own tables in `<schema>_api`), no tokens file: open, as in a test. */
const startApi = async (schema: string): Promise<{ child: ChildProcess; server: string }> => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'apps', 'api', 'dist', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, BOSUN_EVENTSTORE_SCHEMA: schema, BOSUN_API_SCHEMA: `${schema}_api`, BOSUN_API_LISTEN: `127.0.0.1:${port}`, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const server = `http://127.0.0.1:${port}`;
  for (let k = 0; ; k++) {
    if ((await fetch(`${server}/readyz`).catch(() => null))?.ok) return { child, server };
    if (child.exitCode !== null || k > 600) throw new Error('the API did not become ready');
    await sleep(100);
  }
};

/** A LoadBalancer Service as a user applies it (the API admits and defaults it). */
const serviceManifest = (ns: string, name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns, labels },
  spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: name } },
});

const main = async () => {
  const suffix = randomBytes(4).toString('hex');
  const schema = `bench_ipam_${suffix}`;
  const store: PostgresEventStore = await createEventStore({ url, schema, poolSize: 12, applicationName: 'bosun-bench-ipam', pollIntervalMs: 100 });
  let ipam: ChildProcess | null = null;
  let api: ChildProcess | null = null;
  let sub: Subscription | null = null;
  try {
    // --- the yardstick: plain appends, one event each, on the same database --------------------
    log(`event store: ${APPEND_EVENTS} single-event appends, concurrency ${APPEND_CONCURRENCY}`);
    const sample = serviceApplied('yardstick', 'x', {}, 'IPv4').event;
    await drive(500, APPEND_CONCURRENCY, async (i) => void (await store.append(`warm-${i}`, 0, [sample])));
    const appendEps = await drive(APPEND_EVENTS, APPEND_CONCURRENCY, async (i) => void (await store.append(`yard-${i}`, 0, [sample])));
    log(`  ${appendEps.toFixed(0)} appends/s`);

    // --- pools and the service ------------------------------------------------------------------
    for (const p of [poolApplied('bench-v4-a', '10.10.0.0/16', { tier: 'a' }), poolApplied('bench-v4-b', '10.20.0.0/16', { tier: 'b' }), poolApplied('bench-v6', '2001:db8:10::/64')]) {
      await store.append(p.streamId, 'any', [p.event]);
    }
    const seen = new Map<string, number>(); // service → time its allocation became visible
    const t0Ref: { t?: number } = {};
    const ips = new Set<string>();
    let duplicates = 0;
    sub = store.subscribe({
      from: 'end',
      types: ['ipam.LoadBalancerIPAllocated'],
      streamPrefixes: ['ipam-pool-bench-'],
      batchSize: 2000,
      handler: async (events: EventEnvelope[]) => {
        const now = performance.now();
        if (process.env['BENCH_DEBUG']) log(`reader: ${events.length} allocations at +${((now - (t0Ref.t ?? now)) / 1000).toFixed(2)} s`);
        for (const e of events) {
          const d = e.data as { ip: string; service: { namespace: string; name: string } };
          if (ips.has(d.ip)) duplicates++;
          ips.add(d.ip);
          const key = `${d.service.namespace}/${d.service.name}`;
          if (!seen.has(key)) seen.set(key, now);
        }
      },
    });
    await sub.caughtUp;
    const started = startIpam(schema);
    ipam = started.child;
    await started.ready;
    log('ipam service is running');

    // --- throughput: apply N Services (bulk applies), until every one has an address -------------
    log(`throughput: ${SERVICES} Services in applies of ${APPLY_BATCH}, concurrency ${APPLY_CONCURRENCY}`);
    const family = (i: number): 'IPv4' | 'IPv6' => (i % 10 === 9 ? 'IPv6' : 'IPv4');
    const t0 = performance.now();
    t0Ref.t = t0;
    await drive(Math.ceil(SERVICES / APPLY_BATCH), APPLY_CONCURRENCY, async (b) => {
      await store.transaction(async (tx) => {
        for (let i = b * APPLY_BATCH; i < Math.min(SERVICES, (b + 1) * APPLY_BATCH); i++) {
          const s = serviceApplied(`bench-${i % 100}`, `svc-${i}`, { tier: i % 2 ? 'a' : 'b' }, family(i));
          await store.append(s.streamId, 'any', [s.event], { tx });
        }
      });
    });
    const applied = performance.now();
    log(`  applied in ${((applied - t0) / 1000).toFixed(2)} s; waiting for the allocations`);
    for (let k = 0; seen.size < SERVICES; k++) {
      if (k % 50 === 0) log(`  ${seen.size}/${SERVICES} allocated`);
      if (performance.now() - t0 > 300_000) throw new Error(`only ${seen.size} of ${SERVICES} Services got an address in 300 s`);
      await sleep(20);
    }
    const totalS = (Math.max(...seen.values()) - t0) / 1000;
    const allocPerS = SERVICES / totalS;
    log(`  ${SERVICES} allocated in ${totalS.toFixed(2)} s: ${allocPerS.toFixed(0)}/s`);

    // The service still reads back its own events of the burst: measure latency in steady state.
    const settled = async (): Promise<void> => {
      const deadline = performance.now() + 30_000;
      while (performance.now() < deadline) {
        const rows = await store.query<{ behind: string }>(
          `SELECT (SELECT max(global_position) FROM "${schema}".events) - last_global_position AS behind FROM "${schema}".checkpoints WHERE subscriber_id = 'ipam-bench'`,
        );
        if (rows[0] && Number(rows[0].behind) <= 0) return;
        await sleep(50);
      }
      log('  (the service did not catch up within 30 s)');
    };
    await settled();

    /**
     * LATENCY_SERVICES writes at LATENCY_RATE/s (at most 64 in flight); each one's time until its
     * allocation is seen. `op(i)` names the Service (`ns/name`) and gives its write. Returns p99.
     */
    const pacedLatency = async (op: (i: number) => [string, () => Promise<unknown>], what: string): Promise<number> => {
      const sent = new Map<string, number>();
      const t0 = performance.now();
      const inflight: Promise<unknown>[] = [];
      for (let i = 0; i < LATENCY_SERVICES; i++) {
        const wait = t0 + (i * 1000) / LATENCY_RATE - performance.now();
        if (wait > 1) await sleep(wait);
        const [key, write] = op(i);
        sent.set(key, performance.now());
        inflight.push(write());
        if (inflight.length >= 64) await Promise.all(inflight.splice(0));
      }
      await Promise.all(inflight);
      const offered = LATENCY_SERVICES / ((performance.now() - t0) / 1000);
      const deadline = performance.now() + 120_000;
      while ([...sent.keys()].some((k) => !seen.has(k)) && performance.now() < deadline) await sleep(20);
      if (process.env['BENCH_DEBUG']) {
        // Worst latency per 250 ms of the run: spikes show where they are.
        const windows = new Map<number, number>();
        for (const [k, t] of sent) {
          const w = Math.floor((t - t0) / 250);
          windows.set(w, Math.max(windows.get(w) ?? 0, (seen.get(k) ?? Number.POSITIVE_INFINITY) - t));
        }
        log(`  worst per 250 ms: ${[...windows.entries()].sort((x, y) => x[0] - y[0]).map(([, v]) => v.toFixed(0)).join(' ')}`);
      }
      const lat = [...sent].map(([k, t]) => (seen.get(k) ?? Number.POSITIVE_INFINITY) - t).sort((x, y) => x - y);
      log(`  offered ${offered.toFixed(0)}/s; ${what} p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms, max ${lat[lat.length - 1]!.toFixed(1)} ms`);
      return percentile(lat, 99);
    };

    // --- latency: one apply per Service at a steady rate ------------------------------------------
    log(`latency: ${LATENCY_SERVICES} Services at ${LATENCY_RATE}/s, one apply each`);
    const p99 = await pacedLatency((i) => {
      const name = `lat-${i}`;
      const svc = serviceApplied('bench-lat', name, { tier: i % 2 ? 'a' : 'b' }, 'IPv4');
      return [`bench-lat/${name}`, () => store.append(svc.streamId, 'any', [svc.event])];
    }, 'apply → allocated');
    if (duplicates > 0) throw new Error(`${duplicates} addresses were allocated twice`);
    log(`  ${ips.size} distinct addresses, no duplicates`);

    // Restart: the state is rebuilt from every event; nothing may be reallocated.
    const before = ips.size;
    const exited = new Promise((r) => ipam!.once('exit', r));
    ipam.kill('SIGTERM');
    await exited;
    const tr = performance.now();
    const again = startIpam(schema);
    ipam = again.child;
    await again.ready;
    log(`restart: rebuilt and ready in ${((performance.now() - tr) / 1000).toFixed(2)} s (${SERVICES + LATENCY_SERVICES} Services)`);
    await sleep(500);
    if (ips.size !== before || duplicates > 0) throw new Error('the restart changed allocations');

    // Catch-up (informational): Services written while the service is down, then it starts.
    // Without the writer in the way, this is the service's own capacity.
    const CATCHUP = Math.min(SERVICES, 5_000);
    const stopped = new Promise((r) => ipam!.once('exit', r));
    ipam.kill('SIGTERM');
    await stopped;
    await drive(Math.ceil(CATCHUP / APPLY_BATCH), APPLY_CONCURRENCY, async (b) => {
      await store.transaction(async (tx) => {
        for (let i = b * APPLY_BATCH; i < Math.min(CATCHUP, (b + 1) * APPLY_BATCH); i++) {
          const svc = serviceApplied('bench-catchup', `svc-${i}`, { tier: i % 2 ? 'a' : 'b' }, 'IPv4');
          await store.append(svc.streamId, 'any', [svc.event], { tx });
        }
      });
    });
    const tc = performance.now();
    const third = startIpam(schema);
    ipam = third.child;
    await third.ready;
    while ([...Array(CATCHUP).keys()].some((i) => !seen.has(`bench-catchup/svc-${i}`))) {
      if (performance.now() - tc > 120_000) throw new Error('catch-up did not finish');
      await sleep(20);
    }
    const catchupS = (performance.now() - tc) / 1000;
    log(`catch-up: started with ${CATCHUP} new Services waiting, all allocated ${catchupS.toFixed(2)} s later (rebuild of ${SERVICES + LATENCY_SERVICES + CATCHUP} Services included): ${(CATCHUP / catchupS).toFixed(0)}/s`);

    // --- the same through the API: `bosun apply`-sized requests, then single applies at 500/s ----
    // (HTTP, admission, the API's group commit, then ipam; the API and ipam share the 2 cores).
    const started2 = await startApi(schema);
    api = started2.child;
    const client = new BosunClient({ server: started2.server, token: 'bench' });
    const label = (i: number): Record<string, string> => ({ tier: i % 2 ? 'a' : 'b' });
    const apiNs = (i: number): string => `bench-api-${i % 10}`;
    await client.applyAll(Array.from({ length: 10 }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: apiNs(i) } })));
    log(`through the API: ${SERVICES} Services in applies of ${APPLY_BATCH} (one request each, all or nothing), concurrency ${APPLY_CONCURRENCY}`);
    const ta = performance.now();
    await drive(Math.ceil(SERVICES / APPLY_BATCH), APPLY_CONCURRENCY, async (b) => {
      const docs: KubeObject[] = [];
      for (let i = b * APPLY_BATCH; i < Math.min(SERVICES, (b + 1) * APPLY_BATCH); i++) docs.push(serviceManifest(apiNs(i), `api-${i}`, label(i)));
      await client.applyAll(docs, { fieldManager: 'bench' });
    });
    log(`  applied in ${((performance.now() - ta) / 1000).toFixed(2)} s; waiting for the allocations`);
    const apiKeys = Array.from({ length: SERVICES }, (_, i) => `${apiNs(i)}/api-${i}`);
    while (apiKeys.some((k) => !seen.has(k))) {
      if (performance.now() - ta > 300_000) throw new Error('through the API: not every Service got an address in 300 s');
      await sleep(20);
    }
    const apiTotalS = (Math.max(...apiKeys.map((k) => seen.get(k)!)) - ta) / 1000;
    log(`  ${SERVICES} allocated in ${apiTotalS.toFixed(2)} s: ${(SERVICES / apiTotalS).toFixed(0)}/s`);
    await settled();
    log(`through the API: ${LATENCY_SERVICES} Services at ${LATENCY_RATE}/s, one apply request each`);
    const p99Api = await pacedLatency((i) => {
      const name = `api-lat-${i}`;
      return [`${apiNs(i)}/${name}`, () => client.apply(serviceManifest(apiNs(i), name, label(i)), { fieldManager: 'bench' })];
    }, 'apply request → allocated');
    if (duplicates > 0) throw new Error(`${duplicates} addresses were allocated twice`);
    client.close();

    const result = {
      services: SERVICES,
      allocate_total_s: round(totalS, 2),
      allocations_per_s: round(allocPerS),
      apply_to_allocated_p99_ms: round(p99, 1),
      eventstore_append_eps: round(appendEps),
      ratio_alloc_vs_append: round(allocPerS / appendEps, 3),
      // The same work applied through the API (HTTP, admission, group commit) in the same run.
      api_allocate_total_s: round(apiTotalS, 2),
      api_allocations_per_s: round(SERVICES / apiTotalS),
      api_apply_to_allocated_p99_ms: round(p99Api, 1),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await sub?.stop().catch(() => undefined);
    if (api && api.exitCode === null && api.signalCode === null) {
      const exited = new Promise((r) => api!.once('exit', r));
      api.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (api.exitCode === null && api.signalCode === null) api.kill('SIGKILL');
    }
    if (ipam && ipam.exitCode === null && ipam.signalCode === null) {
      const exited = new Promise((r) => ipam!.once('exit', r));
      ipam.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (ipam.exitCode === null && ipam.signalCode === null) ipam.kill('SIGKILL');
    }
    await store.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await store.query(`DROP SCHEMA IF EXISTS "${schema}_api" CASCADE`).catch(() => undefined);
    await store.close();
  }
};

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
