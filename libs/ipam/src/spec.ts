import type { PoolSpecError } from '@bosun/contracts';
import type { LabelSelector, LabelSelectorRequirement } from '@bosun/resources';
import { parseAddress, parseCidr, formatAddress, FAMILIES, type Address, type AddressRange, type Family } from './address';

/**
 * What LB IPAM reads from the objects the API stores: CiliumLoadBalancerIPPool (v2) and Service
 * (v1). Parsing never throws: a bad pool becomes a list of field errors, a bad Service request
 * becomes `requestErrors`.
 */

export const POOL_GROUP = 'cilium.io';
export const POOL_KIND = 'CiliumLoadBalancerIPPool';
export const SERVICE_GROUP = '';
export const SERVICE_KIND = 'Service';

export const ANNOTATIONS = {
  ips: ['lbipam.cilium.io/ips', 'io.cilium/lb-ipam-ips'],
  sharingKey: ['lbipam.cilium.io/sharing-key', 'io.cilium/lb-ipam-sharing-key'],
  sharingCrossNamespace: ['lbipam.cilium.io/sharing-cross-namespace', 'io.cilium/lb-ipam-sharing-cross-namespace'],
  sharingPermitDifferentPods: ['lbipam.cilium.io/sharing-permit-different-pods'],
  poolPriority: ['bosun.io/pool-priority'],
} as const;

/** Labels every Service carries for pool selectors; they override same-key user labels (no spoofing). */
export const SERVICE_NAMESPACE_LABEL = 'io.kubernetes.service.namespace';
export const SERVICE_NAME_LABEL = 'io.kubernetes.service.name';

export interface IpamConfig {
  /** Handle Services without `loadBalancerClass` (Cilium's `default-lb-service-ipam=lbipam`). */
  readonly handleClasslessServices: boolean;
  /** Classes LB IPAM answers for. */
  readonly loadBalancerClasses: readonly string[];
  /** Cluster-wide address families (decide what dual-stack Services get, as in Cilium). */
  readonly ipv4Enabled: boolean;
  readonly ipv6Enabled: boolean;
  /** Sharing: ports clash only on equal port *and* protocol (Cilium needs an agent option for this). */
  readonly protocolDifferentiation: boolean;
}

export const DEFAULT_CONFIG: IpamConfig = {
  handleClasslessServices: true,
  loadBalancerClasses: ['io.cilium/bgp-control-plane', 'io.cilium/l2-announcer'],
  ipv4Enabled: true,
  ipv6Enabled: true,
  protocolDifferentiation: true,
};

// ---------------------------------------------------------------------------------------------
// Pools
// ---------------------------------------------------------------------------------------------

export interface PoolBlock extends AddressRange {
  /** Index in `spec.blocks`. */
  readonly index: number;
  /** From a CIDR (only those reserve their first and last address). */
  readonly fromCidr: boolean;
}

export interface PoolSpec {
  readonly generation: number;
  readonly blocks: readonly PoolBlock[];
  /** null: every Service. */
  readonly serviceSelector: LabelSelector | null;
  readonly disabled: boolean;
  /** Only `allowFirstLastIPs: "Yes"` hands out the first and last address of a CIDR block. */
  readonly allowFirstLastIPs: boolean;
  /** `bosun.io/pool-priority`: lower first; pools without one come after all that have one. */
  readonly priority: number | null;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly generation: number;
  readonly creationTimestamp: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type PoolParseResult =
  | { readonly ok: true; readonly spec: PoolSpec }
  | { readonly ok: false; readonly errors: readonly PoolSpecError[] };

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const stringMap = (x: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isRecord(x)) for (const [k, v] of Object.entries(x)) if (typeof v === 'string') out[k] = v;
  return out;
};
const annotation = (annotations: Readonly<Record<string, string>>, keys: readonly string[]): { key: string; value: string } | null => {
  for (const key of keys) {
    const value = annotations[key];
    if (value !== undefined && value !== '') return { key, value };
  }
  return null;
};

export const readMeta = (object: Record<string, unknown>, ref: { namespace: string; name: string; uid: string }, generation: number): ObjectMeta => {
  const m = isRecord(object['metadata']) ? object['metadata'] : {};
  return {
    name: ref.name,
    namespace: ref.namespace,
    uid: ref.uid,
    generation,
    creationTimestamp: typeof m['creationTimestamp'] === 'string' ? m['creationTimestamp'] : '',
    labels: stringMap(m['labels']),
    annotations: stringMap(m['annotations']),
  };
};

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

const parseSelector = (x: unknown, path: string, errors: PoolSpecError[]): LabelSelector | null => {
  if (x === undefined || x === null) return null;
  if (!isRecord(x)) {
    errors.push({ field: path, message: 'must be a label selector object' });
    return null;
  }
  const out: { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] } = {};
  if (x['matchLabels'] !== undefined) {
    if (!isRecord(x['matchLabels'])) errors.push({ field: `${path}.matchLabels`, message: 'must be a map of strings' });
    else {
      for (const [k, v] of Object.entries(x['matchLabels'])) {
        if (typeof v !== 'string') errors.push({ field: `${path}.matchLabels[${k}]`, message: 'must be a string' });
      }
      out.matchLabels = stringMap(x['matchLabels']);
    }
  }
  if (x['matchExpressions'] !== undefined) {
    if (!Array.isArray(x['matchExpressions'])) errors.push({ field: `${path}.matchExpressions`, message: 'must be a list' });
    else {
      out.matchExpressions = [];
      x['matchExpressions'].forEach((e: unknown, i) => {
        const p = `${path}.matchExpressions[${i}]`;
        if (!isRecord(e) || typeof e['key'] !== 'string' || e['key'] === '') {
          errors.push({ field: `${p}.key`, message: 'is required' });
          return;
        }
        const op = e['operator'];
        if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) {
          errors.push({ field: `${p}.operator`, message: `must be one of ${OPERATORS.join(', ')}` });
          return;
        }
        const values = Array.isArray(e['values']) ? e['values'].filter((v): v is string => typeof v === 'string') : [];
        if ((op === 'In' || op === 'NotIn') && values.length === 0) {
          errors.push({ field: `${p}.values`, message: `must be non-empty when operator is ${op}` });
          return;
        }
        if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
          errors.push({ field: `${p}.values`, message: `must be empty when operator is ${op}` });
          return;
        }
        out.matchExpressions!.push({ key: e['key'], operator: op as LabelSelectorRequirement['operator'], values });
      });
    }
  }
  return out;
};

const parseBlock = (b: unknown, index: number, path: string, errors: PoolSpecError[]): PoolBlock | null => {
  const p = `${path}[${index}]`;
  if (!isRecord(b)) {
    errors.push({ field: p, message: 'must be an object with cidr, or start and stop' });
    return null;
  }
  const cidr = typeof b['cidr'] === 'string' ? b['cidr'].trim() : '';
  if (cidr !== '') {
    const r = parseCidr(cidr);
    if (!r) {
      errors.push({ field: `${p}.cidr`, message: `'${cidr}' is not a valid CIDR` });
      return null;
    }
    return { index, family: r.family, from: r.from, to: r.to, fromCidr: true };
  }
  const startText = typeof b['start'] === 'string' ? b['start'].trim() : '';
  const stopText = typeof b['stop'] === 'string' ? b['stop'].trim() : '';
  if (startText === '') {
    errors.push({ field: `${p}.start`, message: stopText === '' ? 'either cidr or start is required' : 'is required when stop is set' });
    return null;
  }
  const start = parseAddress(startText);
  if (!start) {
    errors.push({ field: `${p}.start`, message: `'${startText}' is not an IP address` });
    return null;
  }
  if (stopText === '') return { index, family: start.family, from: start.value, to: start.value, fromCidr: false };
  const stop = parseAddress(stopText);
  if (!stop) {
    errors.push({ field: `${p}.stop`, message: `'${stopText}' is not an IP address` });
    return null;
  }
  if (stop.family !== start.family) {
    errors.push({ field: p, message: `start '${startText}' (${start.family}) and stop '${stopText}' (${stop.family}) are of different families` });
    return null;
  }
  if (start.value > stop.value) {
    errors.push({ field: p, message: `start '${startText}' is after stop '${stopText}'` });
    return null;
  }
  return { index, family: start.family, from: start.value, to: stop.value, fromCidr: false };
};

/** Reads a CiliumLoadBalancerIPPool (v2 `blocks`; v2alpha1 `cidrs` accepted too). */
export const parsePool = (object: Record<string, unknown>, meta: ObjectMeta): PoolParseResult => {
  const errors: PoolSpecError[] = [];
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const blocksField = spec['blocks'] !== undefined ? 'blocks' : spec['cidrs'] !== undefined ? 'cidrs' : 'blocks';
  const rawBlocks = spec[blocksField] ?? [];
  const blocks: PoolBlock[] = [];
  if (!Array.isArray(rawBlocks)) errors.push({ field: `spec.${blocksField}`, message: 'must be a list' });
  else rawBlocks.forEach((b, i) => {
    const block = parseBlock(b, i, `spec.${blocksField}`, errors);
    if (block) blocks.push(block);
  });
  const serviceSelector = parseSelector(spec['serviceSelector'], 'spec.serviceSelector', errors);
  const disabledRaw = spec['disabled'];
  if (disabledRaw !== undefined && typeof disabledRaw !== 'boolean') errors.push({ field: 'spec.disabled', message: 'must be a boolean' });
  const allow = spec['allowFirstLastIPs'];
  if (allow !== undefined && allow !== 'Yes' && allow !== 'No') {
    errors.push({ field: 'spec.allowFirstLastIPs', message: `must be "Yes" or "No", not ${JSON.stringify(allow)}` });
  }
  let priority: number | null = null;
  const prio = annotation(meta.annotations, ANNOTATIONS.poolPriority);
  if (prio) {
    if (/^[+-]?\d{1,9}$/.test(prio.value.trim())) priority = Number(prio.value.trim());
    else errors.push({ field: `metadata.annotations[${prio.key}]`, message: `'${prio.value}' is not an integer` });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    spec: {
      generation: meta.generation,
      blocks,
      serviceSelector,
      disabled: disabledRaw === true,
      allowFirstLastIPs: allow === 'Yes',
      priority,
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

export interface ServicePort {
  readonly port: number;
  readonly protocol: string;
}

/** Whether LB IPAM handles the Service; when not, why (the reason its addresses are released). */
export type ServiceHandling =
  | { readonly handled: true }
  | { readonly handled: false; readonly reason: 'service_not_load_balancer' | 'load_balancer_class_not_handled' };

export interface RequestedIP extends Address {
  readonly text: string;
}

export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly creationTimestamp: string;
  /** User labels plus the injected namespace/name labels. */
  readonly labels: Readonly<Record<string, string>>;
  readonly handling: ServiceHandling;
  /** `spec.loadBalancerIP` then `lbipam.cilium.io/ips`, canonical and without duplicates. */
  readonly requestedIPs: readonly RequestedIP[];
  /** Unparsable requested addresses (field: reason). While any exists nothing new is allocated. */
  readonly requestErrors: readonly string[];
  /** Families wanted when no address is requested (Cilium's rules, §dual-stack). */
  readonly families: readonly Family[];
  readonly sharingKey: string | null;
  readonly sharingCrossNamespace: readonly string[];
  readonly sharingPermitDifferentPods: boolean;
  readonly ports: readonly ServicePort[];
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  /** `spec.selector`; null when absent or empty. */
  readonly selector: Readonly<Record<string, string>> | null;
}

const GO_TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);

/** Cilium's family rules (lbipam.go `serviceIPFamilyRequest`), code over docs. */
export const requestedFamilies = (policy: string | undefined, ipFamilies: readonly string[], config: IpamConfig): Family[] => {
  const listed = ipFamilies.filter((f): f is Family => f === 'IPv4' || f === 'IPv6');
  const enabled = (f: Family): boolean => (f === 'IPv4' ? config.ipv4Enabled : config.ipv6Enabled);
  const single = (): Family[] => {
    if (listed.length > 0) return [listed[0]!]; // the first listed family, even if disabled
    if (config.ipv4Enabled) return ['IPv4'];
    if (config.ipv6Enabled) return ['IPv6'];
    return [];
  };
  switch (policy) {
    case 'PreferDualStack':
      return listed.length > 0 ? FAMILIES.filter((f) => listed.includes(f) && enabled(f)) : FAMILIES.filter(enabled);
    case 'RequireDualStack':
      return FAMILIES.filter(enabled);
    case 'SingleStack':
    default:
      return single();
  }
};

export const serviceHandling = (type: string, loadBalancerClass: string | null, config: IpamConfig): ServiceHandling => {
  if (type !== 'LoadBalancer') return { handled: false, reason: 'service_not_load_balancer' };
  if (loadBalancerClass === null) return config.handleClasslessServices ? { handled: true } : { handled: false, reason: 'load_balancer_class_not_handled' };
  return config.loadBalancerClasses.includes(loadBalancerClass) ? { handled: true } : { handled: false, reason: 'load_balancer_class_not_handled' };
};

export const parseService = (object: Record<string, unknown>, meta: ObjectMeta, config: IpamConfig): ServiceSpec => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const type = typeof spec['type'] === 'string' ? spec['type'] : 'ClusterIP';
  const lbClass = typeof spec['loadBalancerClass'] === 'string' && spec['loadBalancerClass'] !== '' ? spec['loadBalancerClass'] : null;

  const requestedIPs: RequestedIP[] = [];
  const requestErrors: string[] = [];
  const seen = new Set<string>();
  const request = (text: string, field: string): void => {
    const a = parseAddress(text);
    if (!a) {
      requestErrors.push(`${field}: '${text.trim()}' is not an IP address`);
      return;
    }
    const canonical = formatAddress(a.family, a.value);
    if (seen.has(canonical)) return;
    seen.add(canonical);
    requestedIPs.push({ ...a, text: canonical });
  };
  if (typeof spec['loadBalancerIP'] === 'string' && spec['loadBalancerIP'].trim() !== '') request(spec['loadBalancerIP'], 'spec.loadBalancerIP');
  const ips = annotation(meta.annotations, ANNOTATIONS.ips);
  if (ips) {
    for (const part of ips.value.split(',')) if (part.trim() !== '') request(part, `metadata.annotations[${ips.key}]`);
  }

  const ipFamilies = Array.isArray(spec['ipFamilies']) ? spec['ipFamilies'].filter((f): f is string => typeof f === 'string') : [];
  const policy = typeof spec['ipFamilyPolicy'] === 'string' ? spec['ipFamilyPolicy'] : undefined;

  const ports: ServicePort[] = [];
  if (Array.isArray(spec['ports'])) {
    for (const p of spec['ports']) {
      if (isRecord(p) && typeof p['port'] === 'number') {
        ports.push({ port: p['port'], protocol: typeof p['protocol'] === 'string' && p['protocol'] !== '' ? p['protocol'] : 'TCP' });
      }
    }
  }
  const selector = stringMap(spec['selector']);
  const key = annotation(meta.annotations, ANNOTATIONS.sharingKey);
  const crossNs = annotation(meta.annotations, ANNOTATIONS.sharingCrossNamespace);
  const permit = annotation(meta.annotations, ANNOTATIONS.sharingPermitDifferentPods);

  return {
    namespace: meta.namespace,
    name: meta.name,
    uid: meta.uid,
    generation: meta.generation,
    creationTimestamp: meta.creationTimestamp,
    labels: { ...meta.labels, [SERVICE_NAMESPACE_LABEL]: meta.namespace, [SERVICE_NAME_LABEL]: meta.name },
    handling: serviceHandling(type, lbClass, config),
    requestedIPs,
    requestErrors,
    families: requestedFamilies(policy, ipFamilies, config),
    sharingKey: key ? key.value : null,
    // Trimmed, unlike Cilium (where "a, b" silently misses b).
    sharingCrossNamespace: crossNs ? crossNs.value.split(',').map((s) => s.trim()).filter((s) => s !== '') : [],
    sharingPermitDifferentPods: permit ? GO_TRUE.has(permit.value.trim()) : false,
    ports,
    externalTrafficPolicy: spec['externalTrafficPolicy'] === 'Local' ? 'Local' : 'Cluster',
    selector: Object.keys(selector).length > 0 ? selector : null,
  };
};

/** Addresses in `status.loadBalancer.ingress` (adopted when valid and free, as Cilium does at start). */
export const readIngress = (status: unknown): Address[] => {
  if (!isRecord(status) || !isRecord(status['loadBalancer']) || !Array.isArray(status['loadBalancer']['ingress'])) return [];
  const out: Address[] = [];
  for (const i of status['loadBalancer']['ingress']) {
    if (!isRecord(i) || typeof i['ip'] !== 'string') continue;
    const a = parseAddress(i['ip']);
    if (a && !out.some((o) => o.family === a.family && o.value === a.value)) out.push(a);
  }
  return out;
};
