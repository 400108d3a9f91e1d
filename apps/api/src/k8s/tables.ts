import type { KindInfo } from '@bosun/resources';

/**
 * Printer columns per kind (from kube-apiserver's table convertors and the CRDs'
 * `additionalPrinterColumns`), served as `meta.k8s.io/v1 Table` so that `kubectl get` and
 * `bosun get` show the same columns.
 */
export interface ColumnDefinition {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format: string;
  readonly description: string;
  readonly priority: number;
}

interface Column extends ColumnDefinition {
  readonly cell: (o: Obj) => unknown;
}

type Obj = Record<string, any>;

const col = (name: string, type: Column['type'], cell: (o: Obj) => unknown, priority = 0, format = ''): Column => ({
  name,
  type,
  format,
  description: name,
  priority,
  cell,
});

/** A small JSONPath subset: `.a.b`, `[0]`, `[*]`, `[?(@.type=="X")]`. */
export const jsonPath = (obj: unknown, path: string): unknown[] => {
  let cur: unknown[] = [obj];
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\*\]|\[\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*["']([^"']*)["']\)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (v == null) continue;
      if (m[1] !== undefined) {
        if (typeof v === 'object' && !Array.isArray(v)) next.push((v as Obj)[m[1]]);
      } else if (m[2] !== undefined) {
        if (Array.isArray(v)) next.push(v[Number(m[2])]);
      } else if (m[3] !== undefined) {
        if (Array.isArray(v)) for (const e of v) if (e && jsonPath(e, `.${m[3]}`)[0] === m[4]) next.push(e);
      } else if (Array.isArray(v)) next.push(...v);
    }
    cur = next.filter((x) => x !== undefined);
  }
  return cur;
};

const jp =
  (path: string) =>
  (o: Obj): unknown => {
    const vs = jsonPath(o, path);
    if (vs.length === 0) return undefined;
    return vs.length === 1 ? vs[0] : vs.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
  };

const name = col('Name', 'string', (o) => o.metadata?.name, 0, 'name');
const age = col('Age', 'date', (o) => o.metadata?.creationTimestamp);

const servicePorts = (o: Obj): string => {
  const ports = (o.spec?.ports ?? []) as Obj[];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
};
const externalIP = (o: Obj): string => {
  const ips = [...((o.spec?.externalIPs as string[]) ?? [])];
  for (const i of (o.status?.loadBalancer?.ingress ?? []) as Obj[]) ips.push(i.ip ?? i.hostname);
  if (ips.length > 0) return ips.join(',');
  if (o.spec?.type === 'LoadBalancer') return '<pending>';
  if (o.spec?.type === 'ExternalName') return o.spec?.externalName ?? '<none>';
  return '<none>';
};
const selectorText = (sel: Obj | undefined): string => {
  if (!sel) return '<none>';
  const parts = Object.entries((sel.matchLabels ?? sel) as Record<string, string>)
    .filter(([k]) => k !== 'matchExpressions' && k !== 'matchLabels')
    .map(([k, v]) => `${k}=${v}`);
  for (const e of (sel.matchExpressions ?? []) as Obj[]) parts.push(`${e.key} ${String(e.operator).toLowerCase()} (${(e.values ?? []).join(',')})`);
  return parts.length ? parts.join(',') : '<none>';
};
const condition = (type: string, field: 'status' | 'message' | 'reason' = 'status') => jp(`.status.conditions[?(@.type=="${type}")].${field}`);

const COLUMNS: Record<string, Column[]> = {
  '/Namespace': [name, col('Status', 'string', (o) => o.status?.phase ?? 'Active'), age],
  '/Node': [
    name,
    col('Status', 'string', (o) => (condition('Ready')(o) === 'True' ? 'Ready' : condition('Ready')(o) ? 'NotReady' : 'Unknown')),
    col('Roles', 'string', (o) => Object.keys(o.metadata?.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)).join(',') || '<none>'),
    age,
    col('Internal-IP', 'string', jp('.status.addresses[?(@.type=="InternalIP")].address'), 1),
  ],
  '/Pod': [
    name,
    col('Ready', 'string', (o) => `${((o.status?.containerStatuses ?? []) as Obj[]).filter((c) => c.ready).length}/${(o.spec?.containers ?? []).length}`),
    col('Status', 'string', (o) => o.status?.phase ?? 'Pending'),
    col('Restarts', 'integer', (o) => ((o.status?.containerStatuses ?? []) as Obj[]).reduce((n, c) => n + (c.restartCount ?? 0), 0)),
    age,
    col('IP', 'string', (o) => o.status?.podIP ?? '<none>', 1),
    col('Node', 'string', (o) => o.spec?.nodeName ?? '<none>', 1),
  ],
  '/Service': [
    name,
    col('Type', 'string', (o) => o.spec?.type ?? 'ClusterIP'),
    col('Cluster-IP', 'string', (o) => o.spec?.clusterIP ?? '<none>'),
    col('External-IP', 'string', externalIP),
    col('Port(s)', 'string', servicePorts),
    age,
    col('Selector', 'string', (o) => selectorText(o.spec?.selector), 1),
  ],
  '/Secret': [name, col('Type', 'string', (o) => o.type ?? 'Opaque'), col('Data', 'integer', (o) => Object.keys(o.data ?? {}).length || (o.metadata?.annotations?.['bosun.io/secret-keys'] ?? '').split(',').filter(Boolean).length), age],
  'discovery.k8s.io/EndpointSlice': [
    name,
    col('AddressType', 'string', (o) => o.addressType),
    col('Ports', 'string', (o) => ((o.ports ?? []) as Obj[]).map((p) => p.port).join(',') || '<unset>'),
    col('Endpoints', 'string', (o) => ((o.endpoints ?? []) as Obj[]).flatMap((e) => e.addresses ?? []).join(',') || '<unset>'),
    age,
  ],
  'networking.k8s.io/NetworkPolicy': [name, col('Pod-Selector', 'string', (o) => selectorText(o.spec?.podSelector) === '<none>' ? '<none>' : selectorText(o.spec?.podSelector)), age],
  'coordination.k8s.io/Lease': [name, col('Holder', 'string', (o) => o.spec?.holderIdentity ?? ''), age],
  'cilium.io/CiliumLoadBalancerIPPool': [
    name,
    col('CIDRs', 'string', (o) => ((o.spec?.blocks ?? o.spec?.cidrs ?? []) as Obj[]).map((b) => b.cidr || (b.stop ? `${b.start}-${b.stop}` : b.start)).join(',')),
    col('Disabled', 'boolean', (o) => o.spec?.disabled ?? false),
    col('Conflicting', 'string', condition('cilium.io/PoolConflict')),
    col('IPs Available', 'string', condition('cilium.io/IPsAvailable', 'message')),
    age,
  ],
  'cilium.io/CiliumNetworkPolicy': [name, age, col('Valid', 'string', condition('Valid'))],
  'cilium.io/CiliumClusterwideNetworkPolicy': [name, age, col('Valid', 'string', condition('Valid'))],
  'cilium.io/CiliumL2AnnouncementPolicy': [name, age],
  'gateway.networking.k8s.io/GatewayClass': [
    name,
    col('Controller', 'string', jp('.spec.controllerName')),
    col('Accepted', 'string', condition('Accepted')),
    age,
    col('Description', 'string', jp('.spec.description'), 1),
  ],
  'gateway.networking.k8s.io/Gateway': [
    name,
    col('Class', 'string', jp('.spec.gatewayClassName')),
    col('Address', 'string', jp('.status.addresses[*].value')),
    col('Programmed', 'string', condition('Programmed')),
    age,
  ],
  'gateway.networking.k8s.io/HTTPRoute': [name, col('Hostnames', 'string', jp('.spec.hostnames')), age],
  'gateway.networking.k8s.io/GRPCRoute': [name, col('Hostnames', 'string', jp('.spec.hostnames')), age],
  'gateway.networking.k8s.io/ReferenceGrant': [name, age],
};

const columnsOf = (info: KindInfo): Column[] => COLUMNS[`${info.group}/${info.kind}`] ?? [name, age];

export const columnDefinitions = (info: KindInfo): ColumnDefinition[] =>
  columnsOf(info).map(({ cell: _c, ...d }) => d);

const ageText = (ts: unknown, now: number): string => {
  if (typeof ts !== 'string') return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  return d < 8 && h % 24 ? `${d}d${h % 24}h` : `${d}d`;
};

/** Cells of one row, as kube-apiserver fills them (dates as age strings). */
export const rowCells = (info: KindInfo, o: Obj, now = Date.now()): unknown[] =>
  columnsOf(info).map((c) => {
    const v = c.cell(o);
    if (c.type === 'date') return ageText(v, now);
    if (v === undefined || v === null) return c.type === 'string' ? '' : null;
    return v;
  });
