import { context as otelContext, trace } from '@opentelemetry/api';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  isLevelEnabled(level: LogLevel): boolean;
}

/** Field names whose values never reach a log line (passwords, keys, tokens…). */
const SECRET_KEY = /(pass(word|phrase)?|secret|token|authorization|api[-_]?key|private[-_]?key|md5[-_]?key|^key$)/i;

const thresholdFromEnv = (): number => {
  const l = (process.env['LOG_LEVEL'] ?? 'info').toLowerCase();
  return l in LEVELS ? LEVELS[l as keyof typeof LEVELS] : LEVELS.info;
};

export const serializeError = (err: unknown): unknown => {
  if (!(err instanceof Error)) return err;
  const out: Record<string, unknown> = { type: err.name, message: err.message };
  if (err.stack) out['stack'] = err.stack;
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out['code'] = code;
  if (err.cause !== undefined) out['cause'] = serializeError(err.cause);
  return out;
};

const redact = (value: unknown, depth = 0): unknown => {
  if (value instanceof Error) return serializeError(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[REDACTED]' : redact(v, depth + 1);
  return out;
};

/** Where log lines go; stderr by default (tests may capture). */
export type LogSink = (line: string) => void;
let sink: LogSink = (line) => process.stderr.write(line);
export const setLogSink = (s: LogSink | null): void => {
  sink = s ?? ((line) => process.stderr.write(line));
};

class JsonLogger implements Logger {
  constructor(
    private readonly component: string,
    private readonly fields: LogFields,
    private readonly threshold: number,
  ) {}

  isLevelEnabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.threshold;
  }

  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (LEVELS[level] < this.threshold) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, component: this.component, msg };
    const merged = fields ? { ...this.fields, ...fields } : this.fields;
    for (const [k, v] of Object.entries(merged)) {
      if (k in line) continue;
      line[k] = SECRET_KEY.test(k) ? '[REDACTED]' : redact(v);
    }
    const sc = trace.getSpanContext(otelContext.active());
    if (sc && trace.isSpanContextValid(sc)) {
      line['trace_id'] = sc.traceId;
      line['span_id'] = sc.spanId;
    }
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ time: line['time'], level, component: this.component, msg, note: 'fields not serialisable' });
    }
    sink(`${text}\n`);
  }

  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.component, { ...this.fields, ...fields }, this.threshold);
  }
}

/**
 * Structured JSON lines on stderr: `time`, `level`, `component`, `msg`, the given fields
 * (secret-looking keys redacted), and `trace_id`/`span_id` of the active span. The level
 * comes from `LOG_LEVEL` (debug, info, warn, error, silent; default info).
 */
export const createLogger = (component: string, fields: LogFields = {}): Logger => new JsonLogger(component, fields, thresholdFromEnv());
