import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { z } from 'zod';
import type { NatsConnection } from '@nats-io/transport-node';
import { EventCatalogue, defineEvent, platformEvents, type EventEnvelope } from '@bosun/contracts';
import { OutboxRelay } from '@bosun/event-store';
import { JetStreamClientProxy, JetStreamServer, OnEvent, connectNats, watchNatsStatus } from './index';
import {
  connectTestNats,
  createTestEventStore,
  deleteStaleStreams,
  deleteStreams,
  dropStaleSchemas,
  restartMachineNats,
  startMachineNats,
  testNatsNames,
  testNatsUrl,
  type TestEventStore,
} from '@bosun/testing';

/**
 * Must-show: NATS stopped and started again during a run (the machine's nats-server, by the
 * commands of scripts/setup.sh; it is left running): the relay, the consumer and a request
 * client reconnect, and no event is lost.
 */
const catalogue = new EventCatalogue([...platformEvents, defineEvent({ type: 'restart.Ticked', version: 1, schema: z.object({ n: z.number().int() }) })]);
const names = testNatsNames('natsrestart');
let t: TestEventStore;
let serviceNats: NatsConnection;
let relay: OutboxRelay;
let app: INestMicroservice;
const applied = new Set<string>();
let deliveries = 0;

@Controller()
class Ticks {
  @OnEvent('restart.>', { durable: 'restart-consumer', backoffMs: [100] })
  async onTick(@Payload() e: EventEnvelope) {
    deliveries++;
    const { duplicate } = await t.store.processOnce('restart-consumer', e.id, async () => undefined);
    if (!duplicate) applied.add(e.id);
  }

  @MessagePattern('restart.ping')
  ping() {
    return 'pong';
  }
}
@Module({ controllers: [Ticks] })
class TicksModule {}

beforeAll(async () => {
  await dropStaleSchemas('natsrestart');
  const admin = await connectTestNats();
  await deleteStaleStreams(admin, 'natsrestart');
  await admin.close();
  t = await createTestEventStore('natsrestart', { catalogue, pollIntervalMs: 100 });
  serviceNats = await connectNats({ url: testNatsUrl(), name: 'restart-test', waitOnFirstConnect: true });
  relay = new OutboxRelay({ store: t.store, nats: serviceNats, ...names, pollIntervalMs: 100, publishTimeoutMs: 2_000 }).start();
  app = await NestFactory.createMicroservice(TicksModule, { strategy: new JetStreamServer({ serviceName: 'natsrestart', connection: serviceNats, ...names }), logger: false });
  await app.listen();
});

afterAll(async () => {
  await startMachineNats(); // whatever happened, leave the machine's NATS running
  await app?.close();
  await relay?.stop();
  const admin = await connectTestNats();
  await deleteStreams(admin, [names.streamName, names.deadLetterStreamName]);
  await admin.close();
  await serviceNats?.close();
  await t?.cleanup();
});

describe('NATS restart', () => {
  it('reconnects the relay, the consumer and request clients; no event is lost', async () => {
    const status = watchNatsStatus(serviceNats, 'restart-test');
    const client = new JetStreamClientProxy({ url: testNatsUrl(), subjectPrefix: names.subjectPrefix, timeoutMs: 2_000 });
    expect(await firstValueFrom(client.send('restart.ping', {}))).toBe('pong');

    const appended: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing || n < 200; n++) {
        const r = await t.store.append(`restart-${n % 5}`, 'any', [{ type: 'restart.Ticked', data: { n } }]);
        appended.push(r.events[0]!.id);
        await new Promise((res) => setTimeout(res, 5));
        if (n > 2_000) break;
      }
    })();
    // Let some events flow, then take NATS away while events keep being appended.
    const deadline = Date.now() + 60_000;
    while (applied.size < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(applied.size).toBeGreaterThanOrEqual(50);
    await restartMachineNats(1_500);
    writing = false;
    await writer;

    while (applied.size < appended.length && Date.now() < deadline + 60_000) await new Promise((r) => setTimeout(r, 50));
    expect(status.connected()).toBe(true);
    expect([...applied].sort()).toEqual([...appended].sort());
    expect(deliveries).toBeGreaterThanOrEqual(appended.length);
    // Request/reply works again over the reconnected connections.
    expect(await firstValueFrom(client.send('restart.ping', {}))).toBe('pong');
    await client.close();
  });
});
