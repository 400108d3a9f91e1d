// OpenTelemetry bootstrap, trace-context carriers, Prometheus metrics, health, structured logs.
export * from './trace-context';
export * from './spans';
export * from './logger';
export * from './metrics';
export * from './health';
export * from './http';
export * from './nest';
export { startTelemetry, shutdownTelemetry, tracesConfigured } from './sdk';
