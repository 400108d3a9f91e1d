// OpenTelemetry bootstrap, trace-context carriers, Prometheus metrics, health, structured logs.
export {};
