// OpenTelemetry bootstrap, trace-context carriers, Prometheus metrics, health, structured logs.
export * from './trace-context';
export * from './spans';
