import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EventCatalogue, catalogue as bosunCatalogue, defineEvent, type EventEnvelope } from '@bosun/contracts';
import { JetStreamServer, OnEvent } from '@bosun/messaging';
import {
  connectTestNats,
  createTestEventStore,
  deleteStaleStreams,
  deleteStreams,
  dropStaleSchemas,
  testDatabaseUrl,
  testNatsNames,
  testNatsUrl,
  type TestEventStore,
  type TestNatsNames,
} from '@bosun/testing';

/**
 * Must-show: the relay killed with SIGKILL mid-stream and restarted; the consumer's final state
 * equals that of a run without the kill, no event handled twice, none lost.
 */
const root = resolve(__dirname, '../../..');
const Stepped = defineEvent({ type: 'relaytest.Stepped', version: 1, schema: z.object({ stream: z.number().int(), step: z.number().int() }) });
const catalogue = new EventCatalogue([...bosunCatalogue.types().map((t) => bosunCatalogue.get(t)!), Stepped]);

const STREAMS = 8;
const STEPS = 150; // 1,200 events per run

let sink: { store: TestEventStore['store']; schema: string; invocations: number; perStream: Map<number, number[]> } | null = null;

@Controller()
class SteppedConsumer {
  @OnEvent('relaytest.>', { durable: 'relay-kill-consumer', prefetch: 128 })
  async onStepped(@Payload() e: EventEnvelope<'relaytest.Stepped', { stream: number; step: number }>) {
    const s = sink!;
    s.invocations++;
    const { duplicate } = await s.store.processOnce('relay-kill-consumer', e.id, async (tx) => {
      await tx.query(`INSERT INTO "${s.schema}".consumer_state (stream, step) VALUES ($1, $2)`, [e.data.stream, e.data.step]);
    });
    if (!duplicate) {
      const list = s.perStream.get(e.data.stream) ?? [];
      list.push(e.data.step);
      s.perStream.set(e.data.stream, list);
    }
  }
}
@Module({ controllers: [SteppedConsumer] })
class ConsumerModule {}

const startRelay = (t: TestEventStore, names: TestNatsNames): ChildProcess =>
  spawn(process.execPath, [resolve(root, 'apps/observability/dist/relay-main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: testDatabaseUrl(),
      BOSUN_EVENTSTORE_SCHEMA: t.schema,
      NATS_URL: testNatsUrl(),
      BOSUN_EVENTS_STREAM: names.streamName,
      BOSUN_SUBJECT_PREFIX: names.subjectPrefix,
      BOSUN_RELAY_BATCH: '25',
      LOG_LEVEL: 'warn',
      OTEL_SDK_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });

const waitFor = async (what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 90_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** One run: append the workload while the relay runs in a child process; kill it mid-stream if asked. */
const run = async (nc: NatsConnection, kill: boolean) => {
  const t = await createTestEventStore('relaykill', { catalogue });
  const names = testNatsNames('relaykill');
  await t.store.query(`CREATE TABLE "${t.schema}".consumer_state (stream int NOT NULL, step int NOT NULL, PRIMARY KEY (stream, step))`);
  sink = { store: t.store, schema: t.schema, invocations: 0, perStream: new Map() };
  const children: ChildProcess[] = [];
  const jsm = await jetstreamManager(nc);
  const server = new JetStreamServer({ serviceName: 'relaykill', connection: nc, ...names, backoffMs: [50] });
  const app = await NestFactory.createMicroservice(ConsumerModule, { strategy: server, logger: false });
  try {
    await app.listen();
    children.push(startRelay(t, names));
    let killedAt = -1;
    const writers = Array.from({ length: STREAMS }, async (_, s) => {
      for (let step = 0; step < STEPS; step++) {
        await t.store.append(`relaytest-${s}`, step, [{ type: 'relaytest.Stepped', data: { stream: s, step } }]);
        if (step % 10 === 9) await new Promise((r) => setTimeout(r, 5));
      }
    });
    if (kill) {
      // SIGKILL once the relay is well into the stream, while writers still append.
      await waitFor('the relay to publish some events', async () => ((await jsm.streams.info(names.streamName).catch(() => null))?.state.messages ?? 0) > 300);
      killedAt = (await jsm.streams.info(names.streamName)).state.messages;
      children[0]!.kill('SIGKILL');
      await new Promise((r) => children[0]!.once('exit', r));
      await new Promise((r) => setTimeout(r, 300));
      children.push(startRelay(t, names));
    }
    await Promise.all(writers);
    const total = STREAMS * STEPS;
    await waitFor('every event relayed', async () => (await jsm.streams.info(names.streamName)).state.messages >= total);
    await waitFor('every event handled', () => sink!.perStream.size === STREAMS && [...sink!.perStream.values()].every((l) => l.length === STEPS));
    // Give stray redeliveries a moment to show up, then read the final state.
    await new Promise((r) => setTimeout(r, 300));
    const info = await jsm.streams.info(names.streamName);
    const rows = await t.store.query<{ stream: number; step: number }>(`SELECT stream, step FROM "${t.schema}".consumer_state ORDER BY stream, step`);
    return {
      killedAt,
      streamMessages: info.state.messages,
      invocations: sink.invocations,
      state: rows.map((r) => `${r.stream}:${r.step}`),
      arrivalOrder: [...sink.perStream.entries()].sort((a, b) => a[0] - b[0]).map(([, steps]) => steps),
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await app.close();
    await deleteStreams(nc, [names.streamName, names.deadLetterStreamName]);
    await t.cleanup();
  }
};

let nc: NatsConnection;
beforeAll(async () => {
  // The relay runs as a real process from the compiled app.
  execFileSync('npx', ['tsc', '-b', 'apps/observability'], { cwd: root, stdio: 'inherit' });
  await dropStaleSchemas('relaykill');
  nc = await connectTestNats();
  await deleteStaleStreams(nc, 'relaykill');
});
afterAll(async () => {
  await nc?.close();
});

describe('outbox relay crash', () => {
  it('SIGKILL mid-stream and restart: same consumer state as without the kill, nothing twice, nothing lost', async () => {
    const clean = await run(nc, false);
    const killed = await run(nc, true);
    expect(killed.killedAt).toBeGreaterThan(0);
    expect(killed.killedAt).toBeLessThan(STREAMS * STEPS);
    const expectedState = Array.from({ length: STREAMS }, (_, s) => Array.from({ length: STEPS }, (_, i) => `${s}:${i}`)).flat().sort();
    expect(clean.state.slice().sort()).toEqual(expectedState);
    expect(killed.state.slice().sort()).toEqual(clean.state.slice().sort());
    // Re-published events after the restart were dropped by Nats-Msg-Id: each event is once in the stream…
    expect(killed.streamMessages).toBe(STREAMS * STEPS);
    // …and handled once, in per-stream order.
    expect(killed.invocations).toBe(STREAMS * STEPS);
    const inOrder = Array.from({ length: STEPS }, (_, i) => i);
    for (const steps of killed.arrivalOrder) expect(steps).toEqual(inOrder);
    for (const steps of clean.arrivalOrder) expect(steps).toEqual(inOrder);
  });
});
