import { randomUUID } from 'node:crypto';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { SUBJECT_PREFIX } from '@bosun/contracts';
import { SpanKind, currentTraceContext, injectTraceHeaders, messagingAttributes, withSpan } from '@bosun/telemetry';
import { connectNats, type NatsConnectOptions } from './connection';
import { requestSubject } from './server';

export interface JetStreamClientOptions extends NatsConnectOptions {
  readonly connection?: NatsConnection;
  readonly subjectPrefix?: string;
  /** Request timeout (default 5 s). */
  readonly timeoutMs?: number;
}

/**
 * The client side: `send(pattern, data)` is a core-NATS request to `<prefix>-rpc.<pattern>`;
 * `emit(type, data)` publishes to JetStream `<prefix>.<type>` and awaits the PubAck (an event's
 * `id` becomes the `Nats-Msg-Id`). Services normally append to the event store instead; emit is
 * for tools and tests.
 */
export class JetStreamClientProxy extends ClientProxy {
  private nc: NatsConnection | null = null;
  private connecting: Promise<NatsConnection> | null = null;
  private readonly prefix: string;

  constructor(private readonly options: JetStreamClientOptions = {}) {
    super();
    this.prefix = options.subjectPrefix ?? SUBJECT_PREFIX;
  }

  async connect(): Promise<NatsConnection> {
    if (this.nc) return this.nc;
    this.connecting ??= (this.options.connection ? Promise.resolve(this.options.connection) : connectNats(this.options)).then((nc) => (this.nc = nc));
    return this.connecting;
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = null;
    this.connecting = null;
    if (nc && !this.options.connection && !nc.isClosed()) await nc.drain().catch(() => undefined);
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('JetStreamClientProxy.unwrap: not connected');
    return this.nc as T;
  }

  override on(): void {
    throw new Error('JetStreamClientProxy.on: use unwrap<NatsConnection>().status()');
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const subject = requestSubject(this.normalizePattern(packet.pattern), this.prefix);
    let disposed = false;
    void withSpan(`send ${subject}`, { kind: SpanKind.CLIENT, attributes: messagingAttributes({ operation: 'send', destination: subject }) }, async () => {
      const nc = await this.connect();
      const h = natsHeaders();
      injectTraceHeaders(h, currentTraceContext());
      const reply = await nc.request(subject, packet.data === undefined ? '' : JSON.stringify(packet.data), { timeout: this.options.timeoutMs ?? 5_000, headers: h });
      const r = reply.json<{ response?: unknown; err?: unknown }>();
      if (disposed) return;
      if (r.err !== undefined) callback({ err: r.err, isDisposed: true });
      else callback({ response: r.response, isDisposed: true });
    }).catch((err: unknown) => {
      if (!disposed) callback({ err, isDisposed: true });
    });
    return () => {
      disposed = true;
    };
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const nc = await this.connect();
    const subject = `${this.prefix}.${this.normalizePattern(packet.pattern)}`;
    return withSpan(`send ${subject}`, { kind: SpanKind.PRODUCER, attributes: messagingAttributes({ operation: 'send', destination: subject }) }, async () => {
      const h = natsHeaders();
      injectTraceHeaders(h, currentTraceContext());
      const id = typeof (packet.data as { id?: unknown })?.id === 'string' ? (packet.data as { id: string }).id : randomUUID();
      return (await jetstream(nc).publish(subject, JSON.stringify(packet.data), { msgID: id, headers: h })) as T;
    });
  }
}
