import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:http';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import type { NatsConnection } from '@nats-io/transport-node';
import { EventCatalogue, defineEvent, platformEvents, type EventEnvelope } from '@bosun/contracts';
import { OutboxRelay } from '@bosun/event-store';
import { JetStreamServer, OnEvent } from './index';
import { withSpan } from '@bosun/telemetry';
import {
  connectTestNats,
  createTestEventStore,
  deleteStaleStreams,
  deleteStreams,
  dropStaleSchemas,
  installInMemoryTracing,
  testNatsNames,
  type TestEventStore,
} from '@bosun/testing';

/**
 * Must-show: one trace from an HTTP request → append → relay → consumer → second append, with
 * producer and consumer spans, asserted on the SDK's in-memory exporter.
 */
const tracing = installInMemoryTracing();
const catalogue = new EventCatalogue([
  ...platformEvents,
  defineEvent({ type: 'trace.Requested', version: 1, schema: z.object({ name: z.string() }) }),
  defineEvent({ type: 'trace.Fulfilled', version: 1, schema: z.object({ name: z.string() }) }),
]);

let t: TestEventStore;
let nc: NatsConnection;
let relay: OutboxRelay;
let app: INestMicroservice;
let http: Server;
const names = testNatsNames('trace');
const fulfilled: EventEnvelope[] = [];

@Controller()
class Reactor {
  @OnEvent('trace.Requested', { durable: 'trace-reactor' })
  async onRequested(@Payload() e: EventEnvelope<'trace.Requested', { name: string }>) {
    // The reaction: a second append, caused by the first event, in the handler's trace context.
    await t.store.append(`trace-result-${e.data.name}`, 0, [{ type: 'trace.Fulfilled', data: { name: e.data.name } }], { causationId: e.id, correlationId: e.correlationId });
  }

  @OnEvent('trace.Fulfilled', { durable: 'trace-watcher' })
  onFulfilled(@Payload() e: EventEnvelope) {
    fulfilled.push(e);
  }
}
@Module({ controllers: [Reactor] })
class ReactorModule {}

beforeAll(async () => {
  await dropStaleSchemas('trace');
  nc = await connectTestNats();
  await deleteStaleStreams(nc, 'trace');
  t = await createTestEventStore('trace', { catalogue, pollIntervalMs: 100 });
  relay = new OutboxRelay({ store: t.store, nats: nc, ...names, pollIntervalMs: 100 }).start();
  app = await NestFactory.createMicroservice(ReactorModule, { strategy: new JetStreamServer({ serviceName: 'trace', connection: nc, ...names }), logger: false });
  await app.listen();
  // A minimal HTTP API: continues the caller's trace (W3C headers) in a SERVER span, appends.
  http = createServer((req, res) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    void withSpan('POST /requests', { kind: SpanKind.SERVER, parent }, async () => {
      const name = new URL(req.url ?? '/', 'http://x').searchParams.get('name') ?? 'none';
      const r = await t.store.append(`trace-request-${name}`, 0, [{ type: 'trace.Requested', data: { name } }]);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: r.events[0]!.id }));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  http?.close();
  await app?.close();
  await relay?.stop();
  await deleteStreams(nc, [names.streamName, names.deadLetterStreamName]);
  await nc?.close();
  await t?.cleanup();
  await tracing.uninstall();
});

const post = (path: string): Promise<{ id: string }> =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    const port = (http.address() as { port: number }).port;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c)).on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject).end();
  });

describe('one trace across HTTP, the event store, the relay and JetStream', () => {
  it('links request, append, publish, handle and the second append in one trace', async () => {
    let traceId = '';
    const { id } = await withSpan('client: create request', { kind: SpanKind.CLIENT }, async (span) => {
      traceId = span.spanContext().traceId;
      return post('/requests?name=blue');
    });
    const deadline = Date.now() + 30_000;
    while (fulfilled.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(fulfilled).toHaveLength(1);
    // The watcher's span ends just after its handler: wait for it to be exported.
    while (tracing.named(`process ${names.subjectPrefix}.trace.Fulfilled`).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));

    const spans = tracing.spans().filter((s) => s.spanContext().traceId === traceId);
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0]!;
    };
    const server = one('POST /requests');
    const appends = spans.filter((s) => s.name === 'append trace');
    expect(appends).toHaveLength(2);
    const append1 = appends.find((s) => s.parentSpanContext?.spanId === server.spanContext().spanId)!;
    expect(append1).toBeDefined();
    const send1 = one(`send ${names.subjectPrefix}.trace.Requested`);
    const process1 = one(`process ${names.subjectPrefix}.trace.Requested`);
    const append2 = appends.find((s) => s !== append1 && s.parentSpanContext?.spanId === process1.spanContext().spanId)!;
    const send2 = one(`send ${names.subjectPrefix}.trace.Fulfilled`);
    const process2 = one(`process ${names.subjectPrefix}.trace.Fulfilled`);

    expect(server.kind).toBe(SpanKind.SERVER);
    expect([append1.kind, send1.kind, append2.kind, send2.kind]).toEqual([SpanKind.PRODUCER, SpanKind.PRODUCER, SpanKind.PRODUCER, SpanKind.PRODUCER]);
    expect([process1.kind, process2.kind]).toEqual([SpanKind.CONSUMER, SpanKind.CONSUMER]);
    // The chain: request → append → send → process → append → send → process.
    const parentOf = (s: typeof server) => s.parentSpanContext?.spanId;
    expect(parentOf(append1)).toBe(server.spanContext().spanId);
    expect(parentOf(send1)).toBe(append1.spanContext().spanId);
    expect(parentOf(process1)).toBe(send1.spanContext().spanId);
    expect(append2).toBeDefined();
    expect(parentOf(send2)).toBe(append2.spanContext().spanId);
    expect(parentOf(process2)).toBe(send2.spanContext().spanId);
    expect(process1.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.consumer.group.name': 'trace-reactor', 'messaging.message.id': id });

    // And the stored events carry the trace context of their append.
    const [requested] = await t.store.readStream('trace-request-blue');
    expect(requested!.traceparent).toBe(`00-${traceId}-${append1.spanContext().spanId}-01`);
    expect(fulfilled[0]!.traceparent).toBe(`00-${traceId}-${append2.spanContext().spanId}-01`);
    expect(fulfilled[0]!.causationId).toBe(requested!.id);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
