import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { EventEnvelope } from '@bosun/contracts';
import { JetStreamContext, OnEvent } from '@bosun/messaging';
import { counter, histogram } from '@bosun/telemetry';
import { CorrelationTimeline } from './timeline';

const eventsSeen = counter({ name: 'bosun_events_total', help: 'Events seen on the event stream, by type', labelNames: ['type'] });
const eventLag = histogram({
  name: 'bosun_event_delivery_lag_seconds',
  help: 'Time from append to delivery to the observability consumer',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
});
const deadLetters = counter({ name: 'bosun_dead_letters_total', help: 'Messages dead-lettered, by consumer', labelNames: ['consumer'] });

/** The read side: every event, once, on the `observability` durable consumer. */
@Controller()
export class EventsController {
  constructor(@Inject(CorrelationTimeline) private readonly timeline: CorrelationTimeline) {}

  @OnEvent('>', { durable: 'observability-all' })
  onEvent(@Payload() e: EventEnvelope, @Ctx() ctx: JetStreamContext): void {
    if (ctx.getDeliveryCount() === 1) eventsSeen.inc({ type: e.type });
    const appended = Date.parse(e.occurredAt);
    if (!Number.isNaN(appended)) eventLag.observe(Math.max(0, Date.now() - appended) / 1000);
    if (e.type === 'platform.MessageDeadLettered') deadLetters.inc({ consumer: String((e.data as { consumer?: unknown }).consumer ?? 'unknown') });
    this.timeline.add(e);
  }

  /** Request/reply: the events of one correlation id seen so far. */
  @MessagePattern('observability.timeline')
  timelineOf(@Payload() req: { correlationId?: unknown }): { events: EventEnvelope[] } {
    if (typeof req?.correlationId !== 'string' || req.correlationId === '') throw new Error('correlationId: required (a string)');
    return { events: this.timeline.get(req.correlationId) };
  }
}
