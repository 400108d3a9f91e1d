import type { EventEnvelope } from '@bosun/contracts';

/** `3s`, `1h43m`, `250ms`, `2d` → milliseconds; null when `spec` is not a duration. */
export const parseDuration = (spec: string): number | null => {
  const s = spec.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) return null;
  const unit: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
};

/** `--since`: a duration back from now (`3s`, `1h43m`) or a time (RFC 3339, `2006-01-02`). */
export const parseSince = (spec: string, now = Date.now()): Date => {
  const d = parseDuration(spec);
  if (d !== null) return new Date(now - d);
  const t = Date.parse(spec);
  if (Number.isNaN(t)) throw new Error(`--since: "${spec}" is neither a duration (3s, 1h43m) nor a time (2006-01-02T15:04:05Z)`);
  return new Date(t);
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Hubble's compact timestamp: `Nov 26 23:04:31.123` (UTC). */
export const compactTime = (iso: string): string => {
  const d = new Date(iso);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
};

const scalar = (v: unknown): string | null => {
  if (v === null) return 'null';
  if (typeof v === 'string') return /^[\w./:@-]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
};

/**
 * A one-line summary of an event's data: its scalar fields as `k=v`, and the `ref` of resource
 * events as `kind ns/name` (nested objects are left out), cut at `max` characters.
 */
export const summarize = (data: unknown, max = 120): string => {
  if (data === null || typeof data !== 'object') return scalar(data) ?? '';
  const parts: string[] = [];
  const d = data as Record<string, unknown>;
  const ref = d['ref'] as { kind?: unknown; namespace?: unknown; name?: unknown } | undefined;
  if (ref && typeof ref === 'object' && typeof ref.kind === 'string' && typeof ref.name === 'string') {
    parts.push(`${ref.kind} ${typeof ref.namespace === 'string' && ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`);
  }
  for (const [k, v] of Object.entries(d)) {
    const s = scalar(v);
    if (s !== null) parts.push(`${k}=${s}`);
    else if (Array.isArray(v) && v.every((x) => scalar(x) !== null) && v.length <= 4) parts.push(`${k}=[${v.map((x) => scalar(x)).join(',')}]`);
  }
  const text = parts.join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/** `Nov 26 23:04:31.123 [ipam-pool-blue#3]: ipam.LoadBalancerIPAllocated (ip=20.0.10.1 …)` */
export const compactLine = (e: EventEnvelope): string => {
  const summary = summarize(e.data);
  return `${compactTime(e.occurredAt)} [${e.streamId}#${e.streamVersion}]: ${e.type}${summary ? ` (${summary})` : ''}`;
};

export const TABLE_HEADER = ['TIMESTAMP', 'POSITION', 'STREAM', 'VERSION', 'TYPE', 'CORRELATION', 'SUMMARY'];
const WIDTHS = [19, 9, 40, 7, 36, 12];
const cell = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));

/** Fixed-width table rows (the stream is unbounded, so widths cannot be measured first). */
export const tableLine = (cols: string[]): string => cols.map((c, i) => (i < WIDTHS.length ? cell(c, WIDTHS[i]!) : c)).join('   ').trimEnd();

export const tableRow = (e: EventEnvelope): string =>
  tableLine([compactTime(e.occurredAt), String(e.position), e.streamId, String(e.streamVersion), e.type, e.correlationId.slice(0, 12), summarize(e.data, 80)]);

export type OutputFormat = 'compact' | 'table' | 'json';
export const parseOutput = (o: string): OutputFormat => {
  if (o === 'compact' || o === 'table' || o === 'json') return o;
  throw new Error(`-o/--output: "${o}" is not one of compact, table, json`);
};

/** The text for one event in a format (json: the envelope, one object per line). */
export const formatEvent = (e: EventEnvelope, o: OutputFormat): string => (o === 'json' ? JSON.stringify(e) : o === 'table' ? tableRow(e) : compactLine(e));
