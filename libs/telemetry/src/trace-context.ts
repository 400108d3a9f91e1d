import {
  ROOT_CONTEXT,
  context as otelContext,
  createTraceState,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) carried in event metadata and NATS
 * headers. Formatted and parsed here directly, so that it works whether or not an SDK (and
 * its global propagator) has been registered in the process.
 */
export interface TraceContextCarrier {
  traceparent?: string | null;
  tracestate?: string | null;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export const formatTraceparent = (sc: SpanContext): string =>
  `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;

/** Parses a `traceparent` header into a (remote) span context; null when absent or invalid. */
export const parseTraceparent = (traceparent: string | null | undefined, tracestate?: string | null): SpanContext | null => {
  if (!traceparent) return null;
  const m = TRACEPARENT.exec(traceparent.trim());
  if (!m) return null;
  const [, version, traceId, spanId, flags] = m;
  if (version === 'ff' || /^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return null;
  return {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: parseInt(flags!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    traceState: tracestate ? createTraceState(tracestate) : undefined,
  };
};

/** The trace context of the active span (or of `ctx`), as W3C strings; empty when none. */
export const currentTraceContext = (ctx: Context = otelContext.active()): TraceContextCarrier => {
  const sc = trace.getSpanContext(ctx);
  if (!sc || !trace.isSpanContextValid(sc)) return {};
  const tracestate = sc.traceState?.serialize();
  return { traceparent: formatTraceparent(sc), ...(tracestate ? { tracestate } : {}) };
};

/** A context whose parent is the remote span described by the carrier (ROOT when absent). */
export const contextFromTraceContext = (carrier: TraceContextCarrier | null | undefined, base: Context = ROOT_CONTEXT): Context => {
  const sc = parseTraceparent(carrier?.traceparent, carrier?.tracestate);
  return sc ? trace.setSpanContext(base, sc) : base;
};

/** The span context stored in a carrier (for span links), or undefined. */
export const spanContextOf = (carrier: TraceContextCarrier | null | undefined): SpanContext | undefined =>
  parseTraceparent(carrier?.traceparent, carrier?.tracestate) ?? undefined;

/** Minimal header shape shared by NATS `MsgHdrs` (keeps this library free of @nats-io). */
export interface HeaderLike {
  get(key: string): string;
  set(key: string, value: string): void;
  keys(): string[];
}

/** `MsgHdrs.get()` returns '' for absent keys: map that to undefined. */
export const natsHeaderGetter: TextMapGetter<HeaderLike | undefined> = {
  keys: (h) => h?.keys() ?? [],
  get: (h, key) => h?.get(key) || undefined,
};
export const natsHeaderSetter: TextMapSetter<HeaderLike> = {
  set: (h, key, value) => h.set(key, value),
};

/** Writes traceparent/tracestate into message headers. */
export const injectTraceHeaders = (headers: HeaderLike, carrier: TraceContextCarrier): void => {
  if (carrier.traceparent) headers.set('traceparent', carrier.traceparent);
  if (carrier.tracestate) headers.set('tracestate', carrier.tracestate);
};

/** Reads traceparent/tracestate from message headers. */
export const extractTraceHeaders = (headers: HeaderLike | undefined): TraceContextCarrier => {
  const traceparent = headers?.get('traceparent') || undefined;
  const tracestate = headers?.get('tracestate') || undefined;
  return { ...(traceparent ? { traceparent } : {}), ...(tracestate ? { tracestate } : {}) };
};
