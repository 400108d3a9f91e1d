/**
 * OpenTelemetry bootstrap. Load it before anything else:
 *
 *   node --require @bosun/telemetry/dist/register.js apps/ipam/dist/main.js
 *
 * Configured only by the standard variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_EXPORTER, OTEL_SDK_DISABLED, …). Traces are exported
 * only when an exporter or endpoint is configured, so nothing tries to reach a collector by
 * default; the context manager and the W3C propagator are installed either way, so trace
 * context still flows through the process (HTTP in, events, NATS headers).
 */
import { startTelemetry } from './sdk';

startTelemetry();
