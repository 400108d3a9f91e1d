import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, trace } from '@opentelemetry/api';
import { installInMemoryTracing } from '@bosun/testing';
import {
  HealthRegistry,
  contextFromTraceContext,
  counter,
  createLogger,
  currentTraceContext,
  extractTraceHeaders,
  formatHealthReport,
  injectTraceHeaders,
  metricsRegistry,
  parseListenAddress,
  parseTraceparent,
  setLogSink,
  startObservabilityServer,
  withConsumerSpan,
  withProducerSpan,
  withSpan,
  type HeaderLike,
} from './index';

const tracing = installInMemoryTracing();
afterAll(() => tracing.uninstall());
beforeEach(() => tracing.reset());

class Headers implements HeaderLike {
  private readonly m = new Map<string, string>();
  get(k: string) {
    return this.m.get(k) ?? '';
  }
  set(k: string, v: string) {
    this.m.set(k, v);
  }
  keys() {
    return [...this.m.keys()];
  }
}

describe('trace context', () => {
  it('round-trips the active span through W3C strings and headers', async () => {
    await withSpan('root', {}, async (root) => {
      const carrier = currentTraceContext();
      expect(carrier.traceparent).toBe(`00-${root.spanContext().traceId}-${root.spanContext().spanId}-01`);
      const h = new Headers();
      injectTraceHeaders(h, carrier);
      expect(extractTraceHeaders(h)).toEqual(carrier);
      const ctx = contextFromTraceContext(extractTraceHeaders(h));
      expect(trace.getSpanContext(ctx)).toMatchObject({ traceId: root.spanContext().traceId, isRemote: true });
    });
  });

  it('rejects malformed traceparents instead of inventing a context', () => {
    expect(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toMatchObject({ traceFlags: 1 });
    for (const bad of ['', 'garbage', '00-00000000000000000000000000000000-b7ad6b7169203331-01', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']) {
      expect(parseTraceparent(bad)).toBeNull();
    }
    expect(extractTraceHeaders(new Headers())).toEqual({});
    expect(currentTraceContext()).toEqual({});
  });

  it('producer and consumer spans continue the stored trace', async () => {
    let stored = {};
    let traceId = '';
    await withSpan('request', { kind: SpanKind.SERVER }, async (s) => {
      traceId = s.spanContext().traceId;
      stored = currentTraceContext();
    });
    // Later, outside any span (the relay), and in another process (the consumer).
    const sent = await withProducerSpan('bosun.test.Happened', stored, { messageId: 'm1' }, async () => currentTraceContext());
    await withConsumerSpan('bosun.test.Happened', sent, { messageId: 'm1', consumerGroup: 'c1', link: sent }, async () => undefined);
    const send = tracing.named('send bosun.test.Happened')[0]!;
    const proc = tracing.named('process bosun.test.Happened')[0]!;
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(proc.kind).toBe(SpanKind.CONSUMER);
    expect(send.spanContext().traceId).toBe(traceId);
    expect(proc.spanContext().traceId).toBe(traceId);
    expect(proc.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(proc.attributes['messaging.consumer.group.name']).toBe('c1');
    expect(proc.links).toHaveLength(1);
  });

  it('records a thrown error on the span', async () => {
    await expect(withSpan('fails', {}, async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    expect(tracing.named('fails')[0]!.status).toMatchObject({ code: 2, message: 'nope' });
  });
});

describe('logger', () => {
  it('writes JSON lines with trace ids, redacts secrets, honours the level', async () => {
    const lines: string[] = [];
    setLogSink((l) => lines.push(l));
    try {
      const log = createLogger('unit', { node: 'n1' });
      await withSpan('op', {}, async (s) => {
        log.info('peer configured', { peerASN: 65001, password: 'hunter2', auth: { md5Key: 'k', secretRef: 'x' } });
        const line = JSON.parse(lines[0]!);
        expect(line).toMatchObject({ level: 'info', component: 'unit', msg: 'peer configured', node: 'n1', peerASN: 65001, password: '[REDACTED]' });
        expect(line.auth).toEqual({ md5Key: '[REDACTED]', secretRef: '[REDACTED]' });
        expect(line.trace_id).toBe(s.spanContext().traceId);
        expect(line.span_id).toBe(s.spanContext().spanId);
        expect(lines[0]).not.toContain('hunter2');
      });
      log.debug('not shown at info');
      expect(lines).toHaveLength(1);
      log.error('failed', { err: new Error('x') });
      expect(JSON.parse(lines[1]!).err).toMatchObject({ type: 'Error', message: 'x' });
    } finally {
      setLogSink(null);
    }
  });
});

describe('health and metrics endpoints', () => {
  it('reports named readiness checks like Kubernetes does', async () => {
    const h = new HealthRegistry(200);
    h.addReadinessCheck('eventstore', async () => undefined);
    h.addReadinessCheck('nats', () => {
      throw new Error('connection refused');
    });
    h.addReadinessCheck('slow', () => new Promise(() => undefined));
    const r = await h.ready();
    expect(r.ok).toBe(false);
    expect(formatHealthReport('readyz', r)).toBe('[+]eventstore ok\n[-]nats failed: connection refused\n[-]slow failed: timed out after 200 ms\nreadyz check failed\n');
  });

  it('serves /healthz, /readyz and /metrics on a standalone listener', async () => {
    const h = new HealthRegistry();
    let ready = false;
    h.addReadinessCheck('nats', () => ready);
    counter({ name: 'bosun_test_things_total', help: 'things', labelNames: ['kind'] }).inc({ kind: 'a' });
    const srv = await startObservabilityServer({ health: h, listen: '127.0.0.1:0' });
    try {
      const base = `http://${srv.address}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.text()).toContain('[-]nats failed: not ready');
      ready = true;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const m = await fetch(`${base}/metrics`);
      expect(m.headers.get('content-type')).toContain('text/plain');
      expect(await m.text()).toContain('bosun_test_things_total{kind="a"} 1');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      h.markShuttingDown();
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
    } finally {
      await srv.close();
    }
    // Get-or-create: asking again returns the same metric.
    expect(counter({ name: 'bosun_test_things_total', help: 'things', labelNames: ['kind'] })).toBe(metricsRegistry.getSingleMetric('bosun_test_things_total'));
  });

  it('parses listen addresses and names the problem in bad ones', () => {
    expect(parseListenAddress('127.0.0.1:9101')).toEqual({ host: '127.0.0.1', port: 9101 });
    expect(parseListenAddress(':9101')).toEqual({ host: '127.0.0.1', port: 9101 });
    expect(parseListenAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseListenAddress('unix:/run/bosun.sock')).toEqual({ path: '/run/bosun.sock' });
    expect(() => parseListenAddress('localhost')).toThrow(/host:port/);
    expect(() => parseListenAddress('a:70000')).toThrow(/out of range/);
  });
});
