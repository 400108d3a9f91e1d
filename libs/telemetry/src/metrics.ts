import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

/** The process-wide Prometheus registry every Bosun component registers its metrics in. */
export const metricsRegistry = new Registry();

let defaultsOn = false;
/** Process metrics (CPU, memory, event loop lag, GC) under their standard names. Idempotent. */
export const enableDefaultMetrics = (labels?: Record<string, string>): void => {
  if (defaultsOn) return;
  defaultsOn = true;
  if (labels) metricsRegistry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: metricsRegistry });
};

// Get-or-create: modules that are loaded twice (tests, several instances) share one metric.
const existing = <M>(name: string): M | undefined => metricsRegistry.getSingleMetric(name) as M | undefined;

export const counter = <L extends string = string>(cfg: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> =>
  existing<Counter<L>>(cfg.name) ?? new Counter<L>({ ...cfg, registers: [metricsRegistry] });

export const gauge = <L extends string = string>(cfg: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> =>
  existing<Gauge<L>>(cfg.name) ?? new Gauge<L>({ ...cfg, registers: [metricsRegistry] });

export const histogram = <L extends string = string>(cfg: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> =>
  existing<Histogram<L>>(cfg.name) ?? new Histogram<L>({ ...cfg, registers: [metricsRegistry] });

/** Latency buckets (seconds) for in-process work: 0.5 ms … 10 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The text exposition of the registry (for `/metrics`). */
export const renderMetrics = async (): Promise<{ contentType: string; body: string }> => ({
  contentType: metricsRegistry.contentType,
  body: await metricsRegistry.metrics(),
});
