import { SpanKind, SpanStatusCode, context as otelContext, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import { contextFromTraceContext, spanContextOf, type TraceContextCarrier } from './trace-context';

export const TRACER_NAME = '@bosun/telemetry';
export const tracer = () => trace.getTracer(TRACER_NAME);

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** Parent context; the active one by default. */
  parent?: Context;
}

/**
 * Runs `fn` inside a new active span; ends it when `fn` settles and records an exception as
 * the span's error status (then rethrows).
 */
export const withSpan = async <T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T> | T): Promise<T> => {
  const parent = opts.parent ?? otelContext.active();
  const span = tracer().startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes, links: opts.links }, parent);
  try {
    return await otelContext.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
};

/** Messaging attributes (OTel semantic conventions for messaging, NATS has no own entry). */
export const messagingAttributes = (a: {
  operation: 'create' | 'send' | 'receive' | 'process' | 'settle';
  destination: string;
  messageId?: string;
  consumerGroup?: string;
  batchSize?: number;
}): Attributes => ({
  'messaging.system': 'nats',
  'messaging.operation.type': a.operation,
  'messaging.operation.name': a.operation,
  'messaging.destination.name': a.destination,
  ...(a.messageId ? { 'messaging.message.id': a.messageId } : {}),
  ...(a.consumerGroup ? { 'messaging.consumer.group.name': a.consumerGroup } : {}),
  ...(a.batchSize !== undefined ? { 'messaging.batch.message_count': a.batchSize } : {}),
});

/**
 * A PRODUCER span `send <subject>` for publishing a stored event: it continues the trace that
 * appended the event (the stored context is its parent), so one trace runs from the request
 * that caused the event to every handler.
 */
export const withProducerSpan = <T>(
  subject: string,
  stored: TraceContextCarrier | null | undefined,
  attrs: { messageId?: string },
  fn: (span: Span) => Promise<T> | T,
): Promise<T> =>
  withSpan(
    `send ${subject}`,
    {
      kind: SpanKind.PRODUCER,
      parent: contextFromTraceContext(stored, otelContext.active()),
      attributes: messagingAttributes({ operation: 'send', destination: subject, messageId: attrs.messageId }),
    },
    fn,
  );

/**
 * A CONSUMER span `process <subject>`: its parent is the context extracted from the message
 * (single-message processing may use the creation context as parent), with a link to `link`
 * (e.g. the publisher's own span) when given.
 */
export const withConsumerSpan = <T>(
  subject: string,
  extracted: TraceContextCarrier | null | undefined,
  attrs: { messageId?: string; consumerGroup?: string; link?: TraceContextCarrier | null },
  fn: (span: Span) => Promise<T> | T,
): Promise<T> => {
  const linkCtx = spanContextOf(attrs.link);
  return withSpan(
    `process ${subject}`,
    {
      kind: SpanKind.CONSUMER,
      parent: contextFromTraceContext(extracted),
      links: linkCtx ? [{ context: linkCtx }] : [],
      attributes: messagingAttributes({ operation: 'process', destination: subject, messageId: attrs.messageId, consumerGroup: attrs.consumerGroup }),
    },
    fn,
  );
};

export { SpanKind };
