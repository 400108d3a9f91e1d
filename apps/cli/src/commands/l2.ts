import type { Command } from 'commander';
import type { BosunClient, KubeObject } from '@bosun/client';
import { kindByGroupKind } from '@bosun/resources';
import { ageOf, formatColumns, toYaml } from '../print';
import { registerGetView, type GetViewOptions } from '../get-views';

/**
 * `bosun get l2leases`: who answers ARP/NDP for which Service address — one row per address,
 * from the Leases the API projects from the l2-announcers' events
 * (`kube-system/cilium-l2announce-<ns>-<svc>`, `status.addresses[]`).
 *
 *   SERVICE              ADDRESS      NODE     INTERFACE   AGE
 *   tenant-blue/gateway  20.0.10.1    node-b   eth0        5m
 */

export interface L2LeaseRow {
  readonly service: string;
  readonly address: string;
  readonly node: string;
  readonly interfaces: readonly string[];
  readonly fencingToken: number;
  readonly acquireTime?: string;
}

interface LeaseStatus {
  service?: { namespace: string; name: string };
  addresses?: { address: string; holder: string; interfaces?: string[]; fencingToken: number; acquireTime?: string }[];
}

/** Rows of `get l2leases` from Lease objects (others are ignored). */
export const l2LeaseRows = (leases: readonly KubeObject[], namespace?: string): L2LeaseRow[] => {
  const rows: L2LeaseRow[] = [];
  for (const l of leases) {
    if (!String(l.metadata?.name ?? '').startsWith('cilium-l2announce-')) continue;
    const status = (l as { status?: LeaseStatus }).status;
    const svc = status?.service;
    if (!svc || (namespace !== undefined && svc.namespace !== namespace)) continue;
    for (const a of status?.addresses ?? []) {
      rows.push({ service: `${svc.namespace}/${svc.name}`, address: a.address, node: a.holder, interfaces: a.interfaces ?? [], fencingToken: a.fencingToken, ...(a.acquireTime ? { acquireTime: a.acquireTime } : {}) });
    }
  }
  return rows.sort((x, y) => x.service.localeCompare(y.service) || x.address.localeCompare(y.address));
};

export const formatL2Leases = (rows: readonly L2LeaseRow[], opts: { headers: boolean; wide?: boolean }, now = Date.now()): string => {
  const headers = ['SERVICE', 'ADDRESS', 'NODE', 'INTERFACE', 'AGE', ...(opts.wide ? ['FENCING'] : [])];
  const cells = rows.map((r) => [r.service, r.address, r.node || '<none>', r.interfaces.join(',') || '<none>', r.node ? ageOf(r.acquireTime, now) : '<none>', ...(opts.wide ? [String(r.fencingToken)] : [])]);
  const text = formatColumns(headers, cells);
  return opts.headers ? text : text.split('\n').slice(1).join('\n');
};

const runL2Leases = async (client: BosunClient, _names: readonly string[], opts: GetViewOptions): Promise<void> => {
  const info = kindByGroupKind('coordination.k8s.io', 'Lease');
  if (!info) throw new Error('the API has no Lease kind');
  const leases = (await client.list(info, { namespace: 'kube-system' })).items;
  const rows = l2LeaseRows(leases, opts.namespace);
  if (opts.output === 'json') return void process.stdout.write(`${JSON.stringify({ items: rows }, null, 2)}\n`);
  if (opts.output === 'yaml') return void process.stdout.write(toYaml({ items: rows }));
  if (rows.length === 0) return void process.stderr.write(opts.namespace ? `No resources found in ${opts.namespace} namespace.\n` : 'No resources found\n');
  process.stdout.write(formatL2Leases(rows, { headers: opts.headers, wide: opts.output === 'wide' }));
};

export const register = (_program: Command): void => {
  registerGetView({ names: ['l2leases', 'l2lease', 'l2announcements'], run: runL2Leases });
};
