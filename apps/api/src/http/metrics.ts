import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The API's Prometheus metrics (names after kube-apiserver's where they mean the same). */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'apiserver_request_total', help: 'API requests by verb, resource and HTTP code', labelNames: ['verb', 'resource', 'code'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'API request latency (watches excluded)',
    labelNames: ['verb', 'resource'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly objects = new Gauge({ name: 'bosun_api_objects', help: 'Objects in the API object view', registers: [this.registry] });
  readonly watchers = new Gauge({ name: 'bosun_api_watchers', help: 'Open watches', registers: [this.registry] });
  readonly position = new Gauge({ name: 'bosun_api_projection_position', help: 'Global position of the last event in the object view', registers: [this.registry] });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}
