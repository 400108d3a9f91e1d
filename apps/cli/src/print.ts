import { stringify } from 'yaml';
import type { Table } from '@bosun/client';

/** kubectl-style columns: upper-case headers, left-aligned, three spaces apart. */
export const formatColumns = (headers: string[], rows: string[][]): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
};

const cellText = (v: unknown): string => {
  if (v === null || v === undefined) return '<none>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
};

/** Prints a server Table as `kubectl get` does (`wide` adds priority > 0 columns). */
export const formatTable = (t: Table, opts: { wide?: boolean; withNamespace?: boolean; noHeaders?: boolean } = {}): string => {
  const cols = t.columnDefinitions.map((c, i) => ({ c, i })).filter(({ c }) => opts.wide || c.priority === 0);
  const headers = [...(opts.withNamespace ? ['NAMESPACE'] : []), ...cols.map(({ c }) => c.name.toUpperCase())];
  const rows = t.rows.map((r) => [...(opts.withNamespace ? [r.object?.metadata?.namespace ?? ''] : []), ...cols.map(({ i }) => cellText(r.cells[i]))]);
  if (opts.noHeaders) return rows.map((r) => r.join('   ')).join('\n') + '\n';
  return formatColumns(headers, rows);
};

export const toYaml = (o: unknown): string => stringify(o, { lineWidth: 0 });

/** Strips noise for `-o yaml` like kubectl does by default (managedFields). */
export const forOutput = (o: Record<string, unknown>, showManagedFields = false): Record<string, unknown> => {
  if (showManagedFields) return o;
  const meta = o.metadata as Record<string, unknown> | undefined;
  if (!meta?.managedFields) return o;
  const { managedFields: _m, ...rest } = meta;
  return { ...o, metadata: rest };
};

export const ageOf = (ts: string | undefined, now = Date.now()): string => {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`;
};
