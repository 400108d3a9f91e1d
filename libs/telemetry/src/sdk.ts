import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';

type Shutdown = () => Promise<void>;
let started: { shutdown: Shutdown; tracing: boolean } | null = null;

const env = (k: string): string | undefined => {
  const v = process.env[k];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

/** True when the environment asks for trace export (an exporter other than none, or an endpoint). */
export const tracesConfigured = (): boolean => {
  if (env('OTEL_SDK_DISABLED') === 'true') return false;
  const exporters = env('OTEL_TRACES_EXPORTER');
  if (exporters) return exporters.split(',').some((e) => e.trim() !== 'none');
  return Boolean(env('OTEL_EXPORTER_OTLP_ENDPOINT') || env('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'));
};

/**
 * Starts the NodeSDK once per process (see register.ts). Returns whether traces are exported.
 * Metrics go through prom-client (`/metrics`), so OTel metrics and logs stay off unless their
 * exporters are set explicitly.
 */
export const startTelemetry = (opts: { serviceName?: string } = {}): { tracing: boolean; shutdown: Shutdown } => {
  if (started) return started;
  if (env('OTEL_SDK_DISABLED') === 'true') {
    started = { tracing: false, shutdown: async () => undefined };
    return started;
  }
  if (env('OTEL_LOG_LEVEL')) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel[env('OTEL_LOG_LEVEL')!.toUpperCase() as keyof typeof DiagLogLevel] ?? DiagLogLevel.WARN);
  // Required lazily: the SDK and instrumentations must load before the modules they patch, and
  // not at all in processes that never call this.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { NestInstrumentation } = require('@opentelemetry/instrumentation-nestjs-core') as typeof import('@opentelemetry/instrumentation-nestjs-core');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const tracing = tracesConfigured();
  const sdk = new NodeSDK({
    serviceName: opts.serviceName ?? env('OTEL_SERVICE_NAME') ?? env('BOSUN_SERVICE_NAME'),
    // No span processors: no tracer provider, spans are non-recording but context still flows.
    ...(tracing ? {} : { spanProcessors: [] }),
    ...(env('OTEL_METRICS_EXPORTER') ? {} : { metricReaders: [] }),
    ...(env('OTEL_LOGS_EXPORTER') ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|livez|metrics)\b/.test(req.url ?? '') }),
      new PgInstrumentation({ requireParentSpan: true }),
      new NestInstrumentation(),
    ],
  });
  sdk.start();
  const shutdown: Shutdown = () => sdk.shutdown().catch(() => undefined);
  // Flush spans on SIGTERM; exit as the default handler would unless the app handles the signal.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      void shutdown().finally(() => {
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      });
    });
  }
  started = { tracing, shutdown };
  return started;
};

export const shutdownTelemetry = (): Promise<void> => started?.shutdown() ?? Promise.resolve();
