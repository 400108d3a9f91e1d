// npm run bench:eventstore — event store throughput against plain INSERTs on the same database,
// and append → handler latency through the whole path (outbox relay → JetStream → consumer).
// Progress on stderr; the last stdout line is one JSON object with the figures issue 2 names.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Pool } from 'pg';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { jetstreamManager } from '@nats-io/jetstream';
import { EventCatalogue, defineEvent, platformEvents, type EventEnvelope } from '@bosun/contracts';
import { createEventStore, DEFAULT_DATABASE_URL, OutboxRelay, type PostgresEventStore } from '@bosun/event-store';
import { JetStreamServer, OnEvent, connectNats } from '@bosun/messaging';
import { metricsRegistry } from '@bosun/telemetry';

const log = (msg: string) => process.stderr.write(`[bench:eventstore] ${msg}\n`);
const url = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const BATCH1_EVENTS = Number(process.env['BENCH_BATCH1_EVENTS'] ?? 5_000);
const BATCH100_EVENTS = Number(process.env['BENCH_BATCH100_EVENTS'] ?? 50_000);
const LATENCY_EVENTS = Number(process.env['BENCH_LATENCY_EVENTS'] ?? 10_000);
const LATENCY_RATE = Number(process.env['BENCH_LATENCY_RATE'] ?? 1_000);

const Measured = defineEvent({
  type: 'bench.LoadBalancerIPAllocated',
  version: 1,
  schema: z.object({ service: z.string(), namespace: z.string(), pool: z.string(), ip: z.string(), sharingKey: z.string().nullable(), seq: z.number().int() }),
});
const catalogue = new EventCatalogue([...platformEvents, Measured]);
// A realistic event body (~200 bytes of JSON), the same for the store and the raw table.
const body = (seq: number) => ({ service: `svc-${seq % 977}`, namespace: 'tenant-blue', pool: 'ip-pool-blue', ip: `20.0.${(seq >> 8) & 255}.${seq & 255}`, sharingKey: null, seq });
const metadata = JSON.stringify({ traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });

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

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const round = (n: number, digits = 0) => Number(n.toFixed(digits));

const rawBench = async (pool: Pool, schema: string) => {
  await pool.query(`CREATE TABLE "${schema}".raw_events (id bigserial PRIMARY KEY, stream_id text NOT NULL, event_type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  const insert1 = `INSERT INTO "${schema}".raw_events (stream_id, event_type, data, metadata) VALUES ($1, $2, $3, $4)`;
  const insertN = `INSERT INTO "${schema}".raw_events (stream_id, event_type, data, metadata) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[])`;
  const batch1 = async (offset: number, n: number) =>
    drive(n, CONCURRENCY, async (i) => {
      await pool.query(insert1, [`raw-${offset + i}`, Measured.type, JSON.stringify(body(i)), metadata]);
    });
  const batch100 = async (offset: number, n: number) =>
    (await drive(n / 100, CONCURRENCY, async (b) => {
      const seqs = Array.from({ length: 100 }, (_, k) => b * 100 + k);
      await pool.query(insertN, [seqs.map(() => `rawb-${offset + b}`), seqs.map(() => Measured.type), seqs.map((s) => JSON.stringify(body(s))), seqs.map(() => metadata)]);
    })) * 100;
  return { batch1, batch100 };
};

const storeBench = (store: PostgresEventStore) => {
  const batch1 = async (offset: number, n: number) =>
    drive(n, CONCURRENCY, async (i) => {
      await store.append(`bench-${offset + i}`, 0, [{ type: Measured.type, data: body(i) }]);
    });
  const batch100 = async (offset: number, n: number) =>
    (await drive(n / 100, CONCURRENCY, async (b) => {
      await store.append(`benchb-${offset + b}`, 0, Array.from({ length: 100 }, (_, k) => ({ type: Measured.type, data: body(b * 100 + k) })));
    })) * 100;
  return { batch1, batch100 };
};

// ------------------------------------------------------------------ append → handler latency

const sent = new Map<number, number>();
const latencies: number[] = [];
let handled = 0;

@Controller()
class LatencyConsumer {
  @OnEvent('bench.>', { durable: 'bench-latency', prefetch: 256 })
  onEvent(@Payload() e: EventEnvelope<string, { seq: number }>) {
    const t = sent.get(e.data.seq);
    if (t !== undefined) {
      latencies.push(performance.now() - t);
      sent.delete(e.data.seq);
      handled++;
    }
  }
}
@Module({ controllers: [LatencyConsumer] })
class LatencyModule {}

const main = async () => {
  const suffix = randomBytes(4).toString('hex');
  const schema = `bench_es_${suffix}`;
  const stream = `BENCH_ES_${suffix.toUpperCase()}`;
  const prefix = `bench_es_${suffix}`;
  const pool = new Pool({ connectionString: url, max: CONCURRENCY, application_name: 'bosun-bench-raw' });
  const store = await createEventStore({ url, schema, catalogue, poolSize: CONCURRENCY, applicationName: 'bosun-bench' });
  const nats = await connectNats({ name: 'bosun-bench' });
  let relay: OutboxRelay | null = null;
  let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>> | null = null;
  try {
    const raw = await rawBench(pool, schema);
    const es = storeBench(store);
    // Other work on this machine skews every figure: say how busy it was.
    log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores; warming up (concurrency ${CONCURRENCY})`);
    await raw.batch1(1_000_000, 500);
    await es.batch1(1_000_000, 500);
    log(`batch of 1: ${BATCH1_EVENTS} events each`);
    const rawEps1 = await raw.batch1(0, BATCH1_EVENTS);
    const esEps1 = await es.batch1(0, BATCH1_EVENTS);
    log(`  raw INSERT ${rawEps1.toFixed(0)}/s, append ${esEps1.toFixed(0)}/s`);
    log(`batch of 100: ${BATCH100_EVENTS} events each`);
    const rawEps100 = await raw.batch100(0, BATCH100_EVENTS);
    const esEps100 = await es.batch100(0, BATCH100_EVENTS);
    log(`  raw INSERT ${rawEps100.toFixed(0)}/s, append ${esEps100.toFixed(0)}/s`);

    // The relay catches up on the throughput events first, so latency is measured on a quiet pipe.
    log('latency: starting relay and consumer, relaying the backlog');
    relay = new OutboxRelay({ store, nats, streamName: stream, subjectPrefix: prefix, pollIntervalMs: 250 }).start();
    await relay.idle();
    app = await NestFactory.createMicroservice(LatencyModule, {
      strategy: new JetStreamServer({ serviceName: 'bench', connection: nats, streamName: stream, subjectPrefix: prefix, deadLetterStreamName: `${stream}_DLQ` }),
      logger: false,
    });
    await app.listen();
    // The durable starts at the stream's beginning: drain the backlog before measuring.
    const jsm = await jetstreamManager(nats);
    for (;;) {
      const ci = await jsm.consumers.info(stream, 'bench-latency');
      if (ci.num_pending === 0 && ci.num_ack_pending === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    log(`latency: ${LATENCY_EVENTS} events at ${LATENCY_RATE}/s, one append each`);
    const t0 = performance.now();
    const interval = 1000 / LATENCY_RATE;
    // Open loop: appends start on schedule whether or not earlier ones finished (bounded).
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < LATENCY_EVENTS; i++) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const seq = 10_000_000 + i;
      sent.set(seq, performance.now());
      const p: Promise<unknown> = store
        .append(`bench-lat-${i % 100}`, 'any', [{ type: Measured.type, data: { ...body(i), seq } }], { correlationId: randomUUID() })
        .finally(() => inflight.delete(p));
      inflight.add(p);
      while (inflight.size >= 1_024) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const offered = LATENCY_EVENTS / ((performance.now() - t0) / 1000);
    const deadline = Date.now() + 60_000;
    while (handled < LATENCY_EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (handled < LATENCY_EVENTS) throw new Error(`only ${handled} of ${LATENCY_EVENTS} events reached the handler`);
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    log(`  offered ${offered.toFixed(0)}/s; append → handler p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${latencies[latencies.length - 1]!.toFixed(2)} ms`);
    // Where the time goes: append → PubAck (relay) as the relay's histogram saw it.
    const lag = (await metricsRegistry.getSingleMetric('bosun_outbox_relay_lag_seconds')?.get())?.values ?? [];
    const buckets = (lag as Array<{ metricName?: string; labels: Record<string, unknown>; value: number }>).filter((v) => v.metricName?.endsWith('_bucket')).map((v) => `≤${v.labels['le']}s:${v.value}`);
    log(`  relay append → PubAck histogram (all events of the run): ${buckets.join(' ')}`);

    const result = {
      append_eps_batch1: round(esEps1),
      append_eps_batch100: round(esEps100),
      append_to_handler_p50_ms: round(p50, 2),
      append_to_handler_p99_ms: round(p99, 2),
      raw_insert_eps_batch1: round(rawEps1),
      raw_insert_eps_batch100: round(rawEps100),
      ratio_vs_raw_insert_batch100: round(esEps100 / rawEps100, 3),
    };
    log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await app?.close().catch(() => undefined);
    await relay?.stop().catch(() => undefined);
    const jsm = await jetstreamManager(nats).catch(() => null);
    for (const s of [stream, `${stream}_DLQ`]) await jsm?.streams.delete(s).catch(() => undefined);
    await nats.close().catch(() => undefined);
    await store.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
};

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
