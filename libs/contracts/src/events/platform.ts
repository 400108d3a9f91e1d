import { z } from 'zod';
import { defineEvent, type EventDefinition } from '../catalogue';

/**
 * A consumer gave up on a message after N deliveries: the message was moved to the dead-letter
 * stream (`BOSUN_DLQ`, subject `<prefix>-dlq.<consumer>`) and JetStream will not redeliver it.
 * Stream: `platform-deadletter-<consumer>`; causation is the dead-lettered event's id.
 */
export const MessageDeadLettered = defineEvent({
  type: 'platform.MessageDeadLettered',
  version: 1,
  schema: z.object({
    /** Durable consumer name. */
    consumer: z.string().min(1),
    subject: z.string().min(1),
    /** `Nats-Msg-Id` of the message (the event id for events from the outbox). */
    messageId: z.string().nullable(),
    eventType: z.string().nullable(),
    /** Sequence of the message in its source stream. */
    streamSequence: z.number().int().nonnegative(),
    deliveries: z.number().int().positive(),
    /** The last handler error (message only: no stack, no payload). */
    error: z.string(),
    deadLetterStream: z.string(),
    deadLetterSubject: z.string(),
  }),
});

export const platformEvents: EventDefinition[] = [MessageDeadLettered];

export const deadLetterStreamId = (consumer: string): string => `platform-deadletter-${consumer}`;
