import { BaseRpcContext } from '@nestjs/microservices';
import type { JsMsg } from '@nats-io/jetstream';
import type { Msg, MsgHdrs } from '@nats-io/transport-node';

type JetStreamContextArgs = [subject: string, message: JsMsg | Msg, consumer: string | null];

/** `@Ctx()` of handlers on the JetStream transport. */
export class JetStreamContext extends BaseRpcContext<JetStreamContextArgs> {
  getSubject(): string {
    return this.args[0];
  }
  /** The JetStream message (event handlers) or core NATS message (request handlers). */
  getMessage(): JsMsg | Msg {
    return this.args[1];
  }
  getHeaders(): MsgHdrs | undefined {
    return this.args[1].headers;
  }
  /** Durable consumer name (event handlers), null for requests. */
  getConsumer(): string | null {
    return this.args[2];
  }
  /** `Nats-Msg-Id` (the event id for events from the outbox). */
  getMessageId(): string | undefined {
    return this.args[1].headers?.get('Nats-Msg-Id') || undefined;
  }
  /** 1 on the first delivery. */
  getDeliveryCount(): number {
    const m = this.args[1] as JsMsg;
    return m.info?.deliveryCount ?? 1;
  }
}
