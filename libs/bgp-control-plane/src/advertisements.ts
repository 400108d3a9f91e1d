import { selectorMatches, type LabelSelector } from '@bosun/resources';
import { parseLargeCommunity, parseStandardCommunity, parseWellKnownCommunity } from './communities';
import { bitLength, isUnadvertisableInterfaceAddress, parseAddress, parsePrefix, prefixOf } from './ip';
import { BGP_LOAD_BALANCER_CLASS, type Afi, type KubeObject, type NodeInfo } from './model';
import { isRecord, labelsOf, nameOf, readArray, readInt, readSelector, readString, type Problems } from './read';

/**
 * CiliumBGPAdvertisement semantics: which prefixes one advertisement entry yields on this node
 * (Service addresses, PodCIDRs, interface addresses) and with which attributes.
 */

export type AdvertisementType = 'Service' | 'PodCIDR' | 'Interface' | 'CiliumPodIPPool';
export type ServiceAddressType = 'LoadBalancerIP' | 'ClusterIP' | 'ExternalIP';

export interface AdvertAttributes {
  readonly communities: readonly number[];
  readonly largeCommunities: readonly string[];
  readonly localPreference?: number;
}

/** One entry of `spec.advertisements[]`, parsed. */
export interface AdvertEntry {
  /** `CiliumBGPAdvertisement/<name>[<i>]`, unique per entry (cache key and route source). */
  readonly id: string;
  readonly advertName: string;
  readonly type: AdvertisementType;
  /** Service selector; undefined = selects no Service (Cilium's rule for a missing selector). */
  readonly selector?: LabelSelector;
  readonly serviceAddresses: ReadonlySet<ServiceAddressType>;
  readonly aggregationLengthIPv4?: number;
  readonly aggregationLengthIPv6?: number;
  readonly interfaceName?: string;
  readonly attributes: AdvertAttributes;
}

const ADVERT_TYPES = new Set<AdvertisementType>(['Service', 'PodCIDR', 'Interface', 'CiliumPodIPPool']);
const SERVICE_ADDRESS_TYPES = new Set<ServiceAddressType>(['LoadBalancerIP', 'ClusterIP', 'ExternalIP']);

/** Parses the entries of one CiliumBGPAdvertisement; unknown advertisement types are skipped (tolerated). */
export const parseAdvertisement = (advert: KubeObject, problems: Problems): AdvertEntry[] => {
  const name = nameOf(advert);
  const ref = `CiliumBGPAdvertisement/${name}`;
  const out: AdvertEntry[] = [];
  for (const [i, raw] of readArray(advert.spec?.advertisements, `${ref}: spec.advertisements`, problems).entries()) {
    const where = `${ref}: spec.advertisements[${i}]`;
    if (!isRecord(raw)) {
      problems.push(`${where}: must be an object`);
      continue;
    }
    const type = raw.advertisementType as AdvertisementType;
    if (!ADVERT_TYPES.has(type)) continue; // newer types than Bosun knows: tolerated, as Cilium does
    const attributes = parseAttributes(raw.attributes, `${where}.attributes`, problems);
    const selector = readSelector(raw.selector, `${where}.selector`, problems);
    const serviceAddresses = new Set<ServiceAddressType>();
    let aggregationLengthIPv4: number | undefined;
    let aggregationLengthIPv6: number | undefined;
    if (type === 'Service') {
      if (!isRecord(raw.service)) {
        problems.push(`${where}.service: required when advertisementType is Service`);
        continue;
      }
      for (const [j, a] of readArray(raw.service.addresses, `${where}.service.addresses`, problems).entries()) {
        if (SERVICE_ADDRESS_TYPES.has(a as ServiceAddressType)) serviceAddresses.add(a as ServiceAddressType);
        else problems.push(`${where}.service.addresses[${j}]: unsupported value ${JSON.stringify(a)} (LoadBalancerIP, ClusterIP or ExternalIP)`);
      }
      aggregationLengthIPv4 = readInt(raw.service.aggregationLengthIPv4, `${where}.service.aggregationLengthIPv4`, problems, { min: 0, max: 31 });
      aggregationLengthIPv6 = readInt(raw.service.aggregationLengthIPv6, `${where}.service.aggregationLengthIPv6`, problems, { min: 0, max: 127 });
    }
    let interfaceName: string | undefined;
    if (type === 'Interface') {
      interfaceName = isRecord(raw.interface) ? readString(raw.interface.name, `${where}.interface.name`, problems) : undefined;
      if (!interfaceName) {
        problems.push(`${where}.interface.name: required when advertisementType is Interface`);
        continue;
      }
    }
    out.push({
      id: `${ref}[${i}]`,
      advertName: name,
      type,
      ...(selector ? { selector } : {}),
      serviceAddresses,
      ...(aggregationLengthIPv4 !== undefined ? { aggregationLengthIPv4 } : {}),
      ...(aggregationLengthIPv6 !== undefined ? { aggregationLengthIPv6 } : {}),
      ...(interfaceName ? { interfaceName } : {}),
      attributes,
    });
  }
  return out;
};

const parseAttributes = (raw: unknown, where: string, problems: Problems): AdvertAttributes => {
  if (!isRecord(raw)) return { communities: [], largeCommunities: [] };
  const communities: number[] = [];
  const largeCommunities: string[] = [];
  const c = isRecord(raw.communities) ? raw.communities : {};
  for (const [i, s] of readArray(c.standard, `${where}.communities.standard`, problems).entries()) {
    const v = typeof s === 'string' ? parseStandardCommunity(s) : undefined;
    if (v === undefined) problems.push(`${where}.communities.standard[${i}]: invalid community ${JSON.stringify(s)} (a decimal u32 or <0-65535>:<0-65535>)`);
    else communities.push(v);
  }
  for (const [i, s] of readArray(c.wellKnown, `${where}.communities.wellKnown`, problems).entries()) {
    const v = typeof s === 'string' ? parseWellKnownCommunity(s) : undefined;
    if (v === undefined) problems.push(`${where}.communities.wellKnown[${i}]: unknown well-known community ${JSON.stringify(s)}`);
    else communities.push(v);
  }
  for (const [i, s] of readArray(c.large, `${where}.communities.large`, problems).entries()) {
    const v = typeof s === 'string' ? parseLargeCommunity(s) : undefined;
    if (v === undefined) problems.push(`${where}.communities.large[${i}]: invalid large community ${JSON.stringify(s)} (<u32>:<u32>:<u32>)`);
    else largeCommunities.push(v);
  }
  const localPreference = readInt(raw.localPreference, `${where}.localPreference`, problems, { min: 0, max: 4294967295 });
  return { communities, largeCommunities, ...(localPreference !== undefined ? { localPreference } : {}) };
};

/** A prefix one advertisement entry yields, before attributes are merged across entries. */
export interface AdvertisedPrefix {
  readonly prefix: string;
  readonly source: string;
}

/** Services (by `namespace/name`) with at least one ready, non-terminating endpoint on this node. */
export const servicesWithLocalEndpoints = (nodeName: string, endpointSlices: readonly KubeObject[]): Set<string> => {
  const out = new Set<string>();
  for (const es of endpointSlices) {
    const svc = es.metadata?.labels?.['kubernetes.io/service-name'];
    const ns = es.metadata?.namespace ?? '';
    if (!svc || out.has(`${ns}/${svc}`)) continue;
    const endpoints = Array.isArray((es as any).endpoints) ? ((es as any).endpoints as unknown[]) : [];
    for (const ep of endpoints) {
      if (!isRecord(ep) || ep.nodeName !== nodeName) continue;
      const cond = isRecord(ep.conditions) ? ep.conditions : {};
      // Kubernetes: an unset `ready` means ready; terminating endpoints never count.
      if (cond.ready !== false && cond.terminating !== true) {
        out.add(`${ns}/${svc}`);
        break;
      }
    }
  }
  return out;
};

/** Service labels plus Cilium's virtual labels `io.kubernetes.service.name` / `.namespace`. */
export const serviceLabels = (svc: KubeObject): Record<string, string> => ({
  ...labelsOf(svc),
  'io.kubernetes.service.name': nameOf(svc),
  'io.kubernetes.service.namespace': svc.metadata?.namespace ?? '',
});

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);

/**
 * Memo per Service object: informers hand out the same object until the Service changes, and a
 * reconcile run recomputes every Service. Keyed by what else the answer depends on (the entry's
 * content, the AFI, whether the node has a local endpoint), so memoisation is invisible.
 */
const serviceMemo = new WeakMap<KubeObject, Map<string, AdvertisedPrefix[]>>();
const entryKeys = new WeakMap<AdvertEntry, string>();
const entryKey = (e: AdvertEntry): string => {
  let k = entryKeys.get(e);
  if (k === undefined) {
    k = JSON.stringify([e.type, e.selector ?? null, [...e.serviceAddresses].sort(), e.aggregationLengthIPv4 ?? null, e.aggregationLengthIPv6 ?? null]);
    entryKeys.set(e, k);
  }
  return k;
};

/**
 * The prefixes of one Service for one Service advertisement entry and one AFI (Cilium's
 * service reconciler rules: LB class, eTP/iTP=Local, /32 or /128 or the aggregation length).
 */
export const servicePrefixes = (svc: KubeObject, entry: AdvertEntry, afi: Afi, localServices: ReadonlySet<string>): AdvertisedPrefix[] => {
  if (entry.type !== 'Service' || !entry.selector) return [];
  const local = localServices.has(`${svc.metadata?.namespace ?? ''}/${nameOf(svc)}`);
  const key = `${entryKey(entry)}|${afi}|${local}`;
  let memo = serviceMemo.get(svc);
  const hit = memo?.get(key);
  if (hit) return hit;
  const out = servicePrefixesUncached(svc, entry, afi, localServices);
  if (!memo) serviceMemo.set(svc, (memo = new Map()));
  memo.set(key, out);
  return out;
};

const servicePrefixesUncached = (svc: KubeObject, entry: AdvertEntry, afi: Afi, localServices: ReadonlySet<string>): AdvertisedPrefix[] => {
  if (entry.type !== 'Service' || !entry.selector) return [];
  if (!selectorMatches(entry.selector, serviceLabels(svc))) return [];
  const spec = isRecord(svc.spec) ? svc.spec : {};
  const key = `${svc.metadata?.namespace ?? ''}/${nameOf(svc)}`;
  const hasLocal = localServices.has(key);
  const eTPLocal = spec.externalTrafficPolicy === 'Local';
  const iTPLocal = spec.internalTrafficPolicy === 'Local';
  const aggregation = afi === 'ipv4' ? entry.aggregationLengthIPv4 : entry.aggregationLengthIPv6;
  const out: AdvertisedPrefix[] = [];
  const add = (ip: string, addrType: ServiceAddressType, fullLength: boolean): void => {
    const a = parseAddress(ip);
    if (!a || a.afi !== afi) return;
    const len = fullLength || aggregation === undefined ? bitLength(afi) : aggregation;
    out.push({ prefix: prefixOf(a, len), source: `Service/${key}/${addrType}` });
  };
  if (entry.serviceAddresses.has('LoadBalancerIP') && spec.type === 'LoadBalancer') {
    const lbClass = spec.loadBalancerClass;
    const ours = lbClass === undefined || lbClass === null || lbClass === BGP_LOAD_BALANCER_CLASS;
    if (ours && (!eTPLocal || hasLocal)) {
      const ingress = Array.isArray(svc.status?.loadBalancer?.ingress) ? (svc.status.loadBalancer.ingress as unknown[]) : [];
      for (const ing of ingress) if (isRecord(ing) && typeof ing.ip === 'string' && ing.ip) add(ing.ip, 'LoadBalancerIP', eTPLocal);
    }
  }
  if (entry.serviceAddresses.has('ExternalIP') && (!eTPLocal || hasLocal)) {
    for (const ip of strings(spec.externalIPs)) add(ip, 'ExternalIP', eTPLocal);
  }
  if (entry.serviceAddresses.has('ClusterIP') && (!iTPLocal || hasLocal)) {
    const ips = new Set([...strings([spec.clusterIP]), ...strings(spec.clusterIPs)]);
    ips.delete('None');
    for (const ip of ips) add(ip, 'ClusterIP', iTPLocal);
  }
  return out;
};

/** PodCIDR advertisement: the node's pod CIDRs of that AFI. */
export const podCIDRPrefixes = (node: NodeInfo, entry: AdvertEntry, afi: Afi): AdvertisedPrefix[] =>
  entry.type !== 'PodCIDR'
    ? []
    : node.podCIDRs
        .map(parsePrefix)
        .filter((p) => p !== undefined && p.afi === afi)
        .map((p) => ({ prefix: p!.text, source: `Node/${node.name}/PodCIDR` }));

/** Interface advertisement: each usable address of the named interface, as /32 or /128, while the link is up. */
export const interfacePrefixes = (node: NodeInfo, entry: AdvertEntry, afi: Afi): AdvertisedPrefix[] => {
  if (entry.type !== 'Interface' || !entry.interfaceName) return [];
  const link = node.interfaces?.find((i) => i.name === entry.interfaceName);
  if (!link || !link.up) return [];
  const out: AdvertisedPrefix[] = [];
  for (const cidr of link.addresses) {
    const a = parseAddress(cidr.split('/')[0]);
    if (!a || a.afi !== afi || isUnadvertisableInterfaceAddress(a)) continue;
    out.push({ prefix: prefixOf(a, bitLength(afi)), source: `Interface/${node.name}/${link.name}` });
  }
  return out;
};
