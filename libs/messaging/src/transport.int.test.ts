import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { z } from 'zod';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EventCatalogue, defineEvent, platformEvents, deadLetterStreamId, type EventEnvelope } from '@bosun/contracts';
import { OutboxRelay } from '@bosun/event-store';
import { JetStreamClientProxy, JetStreamContext, JetStreamServer, OnEvent, connectNats, startNatsUnixBridge } from './index';
import { connectTestNats, createTestEventStore, deleteStaleStreams, deleteStreams, dropStaleSchemas, testNatsNames, testNatsUrl, type TestEventStore } from '@bosun/testing';

const catalogue = new EventCatalogue([
  ...platformEvents,
  defineEvent({ type: 'test.Ok', version: 1, schema: z.object({ n: z.number() }) }),
  defineEvent({ type: 'test.Fails', version: 1, schema: z.object({ n: z.number() }) }),
]);

const okSeen: Array<{ n: number; deliveries: number; messageId?: string }> = [];
const failDeliveries: number[] = [];

@Controller()
class TestHandlers {
  @OnEvent('test.Ok', { durable: 'ok-handler' })
  ok(@Payload() e: EventEnvelope<'test.Ok', { n: number }>, @Ctx() ctx: JetStreamContext) {
    okSeen.push({ n: e.data.n, deliveries: ctx.getDeliveryCount(), messageId: ctx.getMessageId() });
  }

  @OnEvent('test.Fails', { durable: 'failing-handler', maxDeliver: 3, backoffMs: [50, 100] })
  async fails(@Ctx() ctx: JetStreamContext) {
    failDeliveries.push(ctx.getDeliveryCount());
    throw new Error('cannot handle this');
  }

  @MessagePattern('test.echo')
  echo(@Payload() data: { text: string }) {
    return { echoed: data.text.toUpperCase() };
  }

  @MessagePattern('test.broken')
  broken() {
    throw new Error('request failed on purpose');
  }
}
@Module({ controllers: [TestHandlers] })
class TestModule {}

const names = testNatsNames('msg');
let t: TestEventStore;
let nc: NatsConnection;
let app: INestMicroservice;
let relay: OutboxRelay;
let client: JetStreamClientProxy;

const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

beforeAll(async () => {
  await dropStaleSchemas('msg');
  nc = await connectTestNats();
  await deleteStaleStreams(nc, 'msg');
  t = await createTestEventStore('msg', { catalogue, pollIntervalMs: 100 });
  relay = new OutboxRelay({ store: t.store, nats: nc, streamName: names.streamName, subjectPrefix: names.subjectPrefix, pollIntervalMs: 100 }).start();
  const server = new JetStreamServer({ url: testNatsUrl(), serviceName: 'msgtest', ...names, eventStore: t.store });
  app = await NestFactory.createMicroservice(TestModule, { strategy: server, logger: false });
  await app.listen();
  client = new JetStreamClientProxy({ url: testNatsUrl(), subjectPrefix: names.subjectPrefix, timeoutMs: 5_000 });
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  await relay?.stop();
  await deleteStreams(nc, [names.streamName, names.deadLetterStreamName]);
  await nc?.close();
  await t?.cleanup();
});

describe('JetStream transport', () => {
  it('delivers relayed events to a durable consumer and acks them', async () => {
    const r = await t.store.append('ok-1', 0, [1, 2, 3].map((n) => ({ type: 'test.Ok', data: { n } })));
    await waitFor('three events handled', () => okSeen.length >= 3);
    expect(okSeen.map((s) => s.n)).toEqual([1, 2, 3]);
    expect(okSeen.map((s) => s.messageId)).toEqual(r.events.map((e) => e.id));
    expect(okSeen.every((s) => s.deliveries === 1)).toBe(true);
    const jsm = await jetstreamManager(nc);
    await waitFor('acks to land', async () => (await jsm.consumers.info(names.streamName, 'ok-handler')).num_ack_pending === 0);
    const info = await jsm.consumers.info(names.streamName, 'ok-handler');
    expect(info.num_pending).toBe(0);
    expect(info.config.filter_subject).toBe(`${names.subjectPrefix}.test.Ok`);
  });

  it('redelivers a failing message with backoff, then dead-letters it and records an event', async () => {
    const r = await t.store.append('fails-1', 0, [{ type: 'test.Fails', data: { n: 1 } }], { correlationId: 'corr-dlq' });
    const failing = r.events[0]!;
    const dlqStreamId = deadLetterStreamId('failing-handler');
    await waitFor('the dead-letter event', async () => (await t.store.streamVersion(dlqStreamId)) > 0);
    expect(failDeliveries).toEqual([1, 2, 3]);
    const [recorded] = await t.store.readStream(dlqStreamId);
    expect(recorded).toMatchObject({
      type: 'platform.MessageDeadLettered',
      causationId: failing.id,
      correlationId: 'corr-dlq',
      data: {
        consumer: 'failing-handler',
        subject: `${names.subjectPrefix}.test.Fails`,
        messageId: failing.id,
        eventType: 'test.Fails',
        deliveries: 3,
        error: 'cannot handle this',
        deadLetterStream: names.deadLetterStreamName,
        deadLetterSubject: `${names.subjectPrefix}-dlq.failing-handler`,
      },
    });
    // The message itself is on the dead-letter stream, with the reason in its headers.
    const jsm = await jetstreamManager(nc);
    const dead = await jsm.streams.getMessage(names.deadLetterStreamName, { last_by_subj: `${names.subjectPrefix}-dlq.failing-handler` });
    expect(dead).not.toBeNull();
    expect(dead!.json<EventEnvelope>().id).toBe(failing.id);
    expect(dead!.header.get('x-dlq-reason')).toBe('cannot handle this');
    expect(dead!.header.get('x-dlq-deliveries')).toBe('3');
    // And JetStream does not redeliver it any more.
    await waitFor('consumer settled', async () => (await jsm.consumers.info(names.streamName, 'failing-handler')).num_ack_pending === 0);
    expect(failDeliveries).toEqual([1, 2, 3]);
  });

  it('answers requests (and returns handler errors to the caller)', async () => {
    expect(await firstValueFrom(client.send('test.echo', { text: 'ahoy' }))).toEqual({ echoed: 'AHOY' });
    await expect(firstValueFrom(client.send('test.broken', {}))).rejects.toMatchObject({ message: expect.stringMatching(/request failed on purpose|Internal server error/) });
  });

  it('reaches NATS through a Unix socket (agents in network namespaces)', async () => {
    const path = `/tmp/bosun-test-nats-${names.subjectPrefix}.sock`;
    const bridge = await startNatsUnixBridge(path);
    try {
      const viaSocket = await connectNats({ url: `unix:${path}` });
      const c = new JetStreamClientProxy({ connection: viaSocket, subjectPrefix: names.subjectPrefix });
      expect(await firstValueFrom(c.send('test.echo', { text: 'through the socket' }))).toEqual({ echoed: 'THROUGH THE SOCKET' });
      await viaSocket.close();
    } finally {
      await bridge.close();
    }
  });
});
