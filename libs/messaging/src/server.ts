import { createHash } from 'node:crypto';
import { EventPattern, Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { headers as natsHeaders, type Msg, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { lastValueFrom, throwError, type Observable } from 'rxjs';
import { Catch, UseFilters, applyDecorators, type RpcExceptionFilter } from '@nestjs/common';
import { DEAD_LETTER_STREAM, EVENTS_STREAM, SUBJECT_PREFIX, deadLetterStreamId, deadLetterSubject, type EventEnvelope } from '@bosun/contracts';
import { ensureStream, type EventStore } from '@bosun/event-store';
import { SpanKind, counter, createLogger, extractTraceHeaders, histogram, LATENCY_BUCKETS, messagingAttributes, withConsumerSpan, withSpan, contextFromTraceContext, type Logger } from '@bosun/telemetry';
import { connectNats, type NatsConnectOptions } from './connection';
import { JetStreamContext } from './context';

/** Options of `@EventPattern(filter, extras)` / `@OnEvent(filter, extras)`. */
export interface EventConsumerExtras {
  /** Durable consumer name (letters, digits, `-`, `_`); `<service>-<filter>` by default. */
  readonly durable?: string;
  /** Deliveries before the message goes to the dead-letter stream (default: the transport's). */
  readonly maxDeliver?: number;
  /** Redelivery delays after failures, by delivery number (the last repeats). */
  readonly backoffMs?: readonly number[];
  readonly ackWaitMs?: number;
  /** Start a new durable at the stream's end instead of its beginning. */
  readonly deliverNew?: boolean;
  /** Messages pulled ahead of the handler (default 64); handled one at a time, in order. */
  readonly prefetch?: number;
}

/**
 * An event handler on a durable JetStream consumer. `filter` is an event type or a wildcard
 * over types (`ipam.LoadBalancerIPAllocated`, `ipam.>`, `>`); the transport adds the subject
 * prefix. The payload is the `EventEnvelope`.
 */
export const OnEvent = (filter: string, extras: EventConsumerExtras = {}): MethodDecorator =>
  applyDecorators(EventPattern(filter, extras as Record<string, any>), UseFilters(EventHandlerErrorFilter));

/**
 * Hands the handler's own error to the transport (for the redelivery log and the dead-letter
 * record) instead of Nest's generic "Internal server error".
 */
@Catch()
export class EventHandlerErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

export interface JetStreamTransportOptions extends NatsConnectOptions {
  /** Service name: queue group of request handlers, prefix of default durable names. */
  readonly serviceName: string;
  /** Use this connection instead of opening one (it is not closed by the transport). */
  readonly connection?: NatsConnection;
  readonly streamName?: string;
  readonly subjectPrefix?: string;
  readonly deadLetterStreamName?: string;
  /** Deliveries before dead-lettering (default 5). */
  readonly maxDeliver?: number;
  /** Default redelivery delays (default 1 s, 5 s, 15 s, 30 s). */
  readonly backoffMs?: readonly number[];
  readonly ackWaitMs?: number;
  /** Records `platform.MessageDeadLettered` for every dead letter when given. */
  readonly eventStore?: EventStore;
  /** Create the event and dead-letter streams when missing (default true). */
  readonly ensureStreams?: boolean;
  readonly logger?: Logger;
}

/** Core-NATS subject of request/reply pattern `p` (outside the events stream's subjects). */
export const requestSubject = (pattern: string, prefix = SUBJECT_PREFIX): string => `${prefix}-rpc.${pattern}`;

const handled = counter({ name: 'bosun_messaging_handled_total', help: 'Messages handled by the JetStream transport', labelNames: ['consumer', 'outcome'] });
const handleSeconds = histogram({ name: 'bosun_messaging_handle_seconds', help: 'Handler duration', labelNames: ['consumer'], buckets: LATENCY_BUCKETS });

/** A name-based (v5-style, SHA-1) uuid: the same name always gives the same id. */
export const uuidFromName = (name: string): string => {
  const h = createHash('sha1').update(`bosun:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const errorMessage = (err: unknown): string =>
  err instanceof Error ? err.message : typeof err === 'object' && err && 'message' in err ? String((err as { message: unknown }).message) : String(err);

interface ConsumerRuntime {
  readonly pattern: string;
  readonly handler: MessageHandler;
  readonly durable: string;
  readonly filterSubject: string;
  readonly maxDeliver: number;
  readonly backoffMs: readonly number[];
  readonly extras: EventConsumerExtras;
  messages: ConsumerMessages | null;
  loop: Promise<void> | null;
}

const durableName = (service: string, pattern: string): string =>
  `${service}-${pattern.replace(/\.>$/, '-all').replace(/>/g, 'all').replace(/\*/g, 'any').replace(/[^A-Za-z0-9_-]/g, '_')}`;

/**
 * NestJS transport over JetStream (`@nats-io/*` v3): `@EventPattern` handlers run on durable
 * pull consumers (ack after the handler succeeded, `nak` with backoff when it throws, after N
 * deliveries the message goes to the dead-letter stream and an event records it);
 * `@MessagePattern` handlers answer core-NATS requests in a queue group.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  private nc: NatsConnection | null = null;
  private ownsConnection = false;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private readonly consumers: ConsumerRuntime[] = [];
  private readonly requestSubs: NatsSubscription[] = [];
  private closing = false;
  private readonly log: Logger;
  readonly streamName: string;
  readonly subjectPrefix: string;
  readonly deadLetterStreamName: string;

  constructor(private readonly options: JetStreamTransportOptions) {
    super();
    this.streamName = options.streamName ?? EVENTS_STREAM;
    this.subjectPrefix = options.subjectPrefix ?? SUBJECT_PREFIX;
    this.deadLetterStreamName = options.deadLetterStreamName ?? DEAD_LETTER_STREAM;
    this.log = options.logger ?? createLogger(`${options.serviceName}-transport`);
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (err) {
      callback(err);
    }
  }

  private async start(): Promise<void> {
    this.closing = false;
    if (this.options.connection) this.nc = this.options.connection;
    else {
      this.nc = await connectNats({ ...this.options, name: this.options.name ?? this.options.serviceName, waitOnFirstConnect: this.options.waitOnFirstConnect ?? true });
      this.ownsConnection = true;
    }
    this.js = jetstream(this.nc);
    this.jsm = await jetstreamManager(this.nc);
    if (this.options.ensureStreams !== false) {
      await ensureStream(this.jsm, { name: this.streamName, subjects: [`${this.subjectPrefix}.>`] });
      await ensureStream(this.jsm, { name: this.deadLetterStreamName, subjects: [`${this.subjectPrefix}-dlq.>`] });
    }
    for (const [pattern, handler] of this.messageHandlers) {
      if (handler.isEventHandler) await this.startConsumer(pattern, handler);
      else this.startResponder(pattern, handler);
    }
  }

  // ---------------------------------------------------------------- event handlers (JetStream)

  private async startConsumer(pattern: string, handler: MessageHandler): Promise<void> {
    const extras = (handler.extras ?? {}) as EventConsumerExtras;
    const durable = extras.durable ?? durableName(this.options.serviceName, pattern);
    if (!/^[A-Za-z0-9_-]+$/.test(durable)) throw new Error(`@EventPattern('${pattern}'): durable "${durable}" may contain only letters, digits, - and _`);
    const rt: ConsumerRuntime = {
      pattern,
      handler,
      durable,
      filterSubject: pattern === '>' ? `${this.subjectPrefix}.>` : `${this.subjectPrefix}.${pattern}`,
      maxDeliver: extras.maxDeliver ?? this.options.maxDeliver ?? 5,
      backoffMs: extras.backoffMs ?? this.options.backoffMs ?? [1_000, 5_000, 15_000, 30_000],
      extras,
      messages: null,
      loop: null,
    };
    await this.ensureConsumer(rt);
    rt.loop = this.consumeLoop(rt);
    this.consumers.push(rt);
  }

  private async ensureConsumer(rt: ConsumerRuntime): Promise<void> {
    const jsm = this.jsm!;
    const ack_wait = (rt.extras.ackWaitMs ?? this.options.ackWaitMs ?? 30_000) * 1_000_000;
    try {
      const info = await jsm.consumers.info(this.streamName, rt.durable);
      if (info.config.filter_subject !== rt.filterSubject) {
        throw new Error(`consumer ${rt.durable} on ${this.streamName} filters ${info.config.filter_subject}, the handler wants ${rt.filterSubject}: rename the durable or delete the consumer`);
      }
    } catch (err) {
      if ((err as { code?: number }).code !== 10014 && (err as Error).name !== 'ConsumerNotFoundError') throw err;
      await jsm.consumers.add(this.streamName, {
        durable_name: rt.durable,
        ack_policy: AckPolicy.Explicit,
        filter_subject: rt.filterSubject,
        deliver_policy: rt.extras.deliverNew ? DeliverPolicy.New : DeliverPolicy.All,
        ack_wait,
        // Dead-lettering is ours (it needs to see the last delivery), so JetStream never gives up.
        max_deliver: -1,
        max_ack_pending: 1_000,
      });
    }
  }

  private async consumeLoop(rt: ConsumerRuntime): Promise<void> {
    let attempt = 0;
    while (!this.closing) {
      try {
        const consumer = await this.js!.consumers.get(this.streamName, rt.durable);
        const messages = await consumer.consume({ max_messages: rt.extras.prefetch ?? 64 });
        rt.messages = messages;
        void this.watchConsumerStatus(rt, messages);
        attempt = 0;
        for await (const m of messages) {
          await this.handleEventMessage(rt, m);
          if (this.closing) break;
        }
      } catch (err) {
        if (this.closing) break;
        attempt++;
        this.log.warn('consumer stopped; recreating', { consumer: rt.durable, err: errorMessage(err), attempt });
        // The consumer may be gone (stream recreated, server state lost): make it again.
        await this.ensureConsumer(rt).catch(() => undefined);
      }
      rt.messages = null;
      if (!this.closing) await sleep(Math.min(250 * 2 ** Math.min(attempt, 5), 5_000));
    }
  }

  private async watchConsumerStatus(rt: ConsumerRuntime, messages: ConsumerMessages): Promise<void> {
    try {
      for await (const s of messages.status()) {
        if (s.type === 'heartbeats_missed' && s.count >= 3) messages.stop();
        else if (s.type === 'consumer_deleted' || s.type === 'consumer_not_found' || s.type === 'stream_not_found') messages.stop();
      }
    } catch {
      /* iterator closed */
    }
  }

  private async handleEventMessage(rt: ConsumerRuntime, m: JsMsg): Promise<void> {
    const deliveries = m.info.deliveryCount;
    const messageId = m.headers?.get('Nats-Msg-Id') || undefined;
    const started = performance.now();
    await withConsumerSpan(m.subject, extractTraceHeaders(m.headers), { messageId, consumerGroup: rt.durable }, async (span) => {
      span.setAttribute('messaging.nats.delivery_count', deliveries);
      let data: unknown;
      try {
        data = m.json();
      } catch (err) {
        await this.deadLetter(rt, m, `payload is not JSON: ${errorMessage(err)}`);
        return;
      }
      // A slow handler keeps its message: tell the server it is still being worked on.
      const ackWaitMs = rt.extras.ackWaitMs ?? this.options.ackWaitMs ?? 30_000;
      const progress = setInterval(() => m.working(), Math.max(1_000, ackWaitMs / 2));
      try {
        await this.invoke(rt.handler, data, new JetStreamContext([m.subject, m, rt.durable]));
        m.ack();
        handled.inc({ consumer: rt.durable, outcome: 'ack' });
      } catch (err) {
        span.recordException(err as Error);
        if (deliveries >= rt.maxDeliver) {
          await this.deadLetter(rt, m, errorMessage(err));
        } else {
          const delay = rt.backoffMs[Math.min(deliveries - 1, rt.backoffMs.length - 1)] ?? 1_000;
          m.nak(delay);
          handled.inc({ consumer: rt.durable, outcome: 'nak' });
          this.log.warn('handler failed; redelivery scheduled', { consumer: rt.durable, subject: m.subject, messageId, deliveries, delayMs: delay, err: errorMessage(err) });
        }
      } finally {
        clearInterval(progress);
        handleSeconds.observe({ consumer: rt.durable }, (performance.now() - started) / 1000);
      }
    });
  }

  /** Runs a handler (and the ones chained to the same pattern) to completion. */
  private async invoke(handler: MessageHandler, data: unknown, ctx: JetStreamContext): Promise<unknown> {
    let h: MessageHandler | undefined = handler;
    let last: unknown;
    while (h) {
      const result = await h(data, ctx);
      last = await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      h = h.next;
    }
    return last;
  }

  /**
   * Moves a message to the dead-letter stream, records `platform.MessageDeadLettered`, then
   * terminates it. If either write fails the message is nak'ed and tried again later.
   */
  private async deadLetter(rt: ConsumerRuntime, m: JsMsg, reason: string): Promise<void> {
    const subject = deadLetterSubject(rt.durable, this.subjectPrefix);
    const messageId = m.headers?.get('Nats-Msg-Id') || null;
    try {
      const h = natsHeaders();
      if (m.headers) for (const k of m.headers.keys()) if (k !== 'Nats-Msg-Id') h.set(k, m.headers.get(k));
      h.set('x-dlq-consumer', rt.durable);
      h.set('x-dlq-original-subject', m.subject);
      h.set('x-dlq-original-sequence', String(m.info.streamSequence));
      h.set('x-dlq-deliveries', String(m.info.deliveryCount));
      h.set('x-dlq-reason', reason.slice(0, 1024));
      await this.js!.publish(subject, m.data, { msgID: `${rt.durable}:${m.info.streamSequence}`, headers: h });
      if (this.options.eventStore) {
        let envelope: Partial<EventEnvelope> = {};
        try {
          envelope = m.json<EventEnvelope>();
        } catch {
          /* not an envelope */
        }
        await this.options.eventStore.append(
          deadLetterStreamId(rt.durable),
          'any',
          [
            {
              type: 'platform.MessageDeadLettered',
              // Deterministic id: a retried dead-lettering records one event.
              id: uuidFromName(`${this.streamName}:${rt.durable}:${m.info.streamSequence}`),
              data: {
                consumer: rt.durable,
                subject: m.subject,
                messageId,
                eventType: typeof envelope.type === 'string' ? envelope.type : null,
                streamSequence: m.info.streamSequence,
                deliveries: m.info.deliveryCount,
                error: reason.slice(0, 1024),
                deadLetterStream: this.deadLetterStreamName,
                deadLetterSubject: subject,
              },
            },
          ],
          { causationId: typeof envelope.id === 'string' ? envelope.id : messageId, ...(typeof envelope.correlationId === 'string' ? { correlationId: envelope.correlationId } : {}) },
        );
      }
      // No reason argument: nats-server < 2.11 ignores a TERM that carries one.
      m.term();
      handled.inc({ consumer: rt.durable, outcome: 'dead_letter' });
      this.log.error('message dead-lettered', { consumer: rt.durable, subject: m.subject, messageId, deliveries: m.info.deliveryCount, reason });
    } catch (err) {
      this.log.error('dead-lettering failed; will retry', { consumer: rt.durable, subject: m.subject, err: errorMessage(err) });
      m.nak(rt.backoffMs[rt.backoffMs.length - 1] ?? 5_000);
    }
  }

  // ---------------------------------------------------------------- request/reply (core NATS)

  private startResponder(pattern: string, handler: MessageHandler): void {
    const subject = requestSubject(pattern, this.subjectPrefix);
    const sub = this.nc!.subscribe(subject, {
      queue: this.options.serviceName,
      callback: (err, msg) => {
        if (err) {
          this.log.warn('request subscription error', { subject, err: errorMessage(err) });
          return;
        }
        void this.handleRequest(subject, handler, msg);
      },
    });
    this.requestSubs.push(sub);
  }

  private async handleRequest(subject: string, handler: MessageHandler, msg: Msg): Promise<void> {
    const parent = contextFromTraceContext(extractTraceHeaders(msg.headers));
    await withSpan(`process ${subject}`, { kind: SpanKind.SERVER, parent, attributes: messagingAttributes({ operation: 'process', destination: subject }) }, async () => {
      let reply: { response?: unknown; err?: unknown };
      try {
        const data = msg.data.length > 0 ? msg.json() : undefined;
        reply = { response: await this.invoke(handler, data, new JetStreamContext([subject, msg, null])) };
      } catch (err) {
        reply = { err: err instanceof Error ? { message: err.message, name: err.name } : err };
      }
      if (msg.reply) msg.respond(JSON.stringify(reply));
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Connection status events by type (`disconnect`, `reconnect`, …). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Nest's abstract signature
  on<EventKey extends string = string, EventCallback extends Function = Function>(event: EventKey, callback: EventCallback): void {
    if (!this.nc) throw new Error('JetStreamServer.on: not listening yet');
    const nc = this.nc;
    void (async () => {
      for await (const s of nc.status()) if (s.type === event) (callback as unknown as (s: unknown) => void)(s);
    })();
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('JetStreamServer.unwrap: not listening yet');
    return this.nc as T;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const sub of this.requestSubs.splice(0)) sub.unsubscribe();
    for (const rt of this.consumers) rt.messages?.stop();
    await Promise.all(this.consumers.map((rt) => rt.loop?.catch(() => undefined)));
    this.consumers.length = 0;
    if (this.ownsConnection && this.nc && !this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
    this.nc = null;
  }
}
