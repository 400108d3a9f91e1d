import { selectorMatches, type LabelSelector, type Labels } from '@bosun/resources';
import { canonicalIp, ipFamily, ipv6ToBytes, type IpFamily } from '../codec/addresses';
import { compileInterfaceMatcher, InterfaceRegexError, isAnnounceableInterface } from './interfaces';
import type { AddressOrigin, EndpointSlice, L2AnnouncementPolicy, Node, NodeInterface, Service, ServiceRef } from './types';
import { serviceKey } from './types';

/** The only loadBalancerClass (besides none) whose Services the L2 announcer serves. */
export const L2_ANNOUNCER_LB_CLASS = 'io.cilium/l2-announcer';
/** Labels injected into every Service for selectors; they override same-key user labels (no spoofing). */
export const SERVICE_NAMESPACE_LABEL = 'io.kubernetes.service.namespace';
export const SERVICE_NAME_LABEL = 'io.kubernetes.service.name';
export const ENDPOINTSLICE_SERVICE_LABEL = 'kubernetes.io/service-name';

/** Cilium's policy condition types (status `True` = the problem is present). */
export type PolicyConditionType = 'io.cilium/bad-service-selector' | 'io.cilium/bad-node-selector' | 'io.cilium/bad-interface-regex';

export interface PolicyProblem {
  readonly policy: string;
  readonly conditionType: PolicyConditionType;
  readonly message: string;
}

/** One address this node should compete for, and where it would answer for it. */
export interface DesiredAnnouncement {
  readonly address: string;
  readonly family: IpFamily;
  /** Services that own the address (several when it is shared with a sharing key), sorted. */
  readonly services: readonly ServiceRef[];
  /** Local interfaces (link up, matching a policy) to answer on, sorted. */
  readonly interfaces: readonly string[];
  /** Policies selecting it here, sorted. */
  readonly policies: readonly string[];
  readonly origins: readonly AddressOrigin[];
}

export interface SelectionInput {
  readonly nodeName: string;
  readonly nodes: readonly Node[];
  readonly interfaces: readonly NodeInterface[];
  readonly policies: readonly L2AnnouncementPolicy[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
}

export interface Selection {
  /** Addresses to compete for, sorted by address. */
  readonly announcements: readonly DesiredAnnouncement[];
  /** Selected, but every matching interface is down: the node gives these up. */
  readonly linkDown: readonly { readonly address: string; readonly interfaces: readonly string[] }[];
  /** Policies that could not be evaluated (bad selector or regex); they select nothing. */
  readonly problems: readonly PolicyProblem[];
  /** False when this node's Node object is unknown: nothing is selected until it is. */
  readonly nodeKnown: boolean;
}

/** Service labels as selectors see them: user labels plus the injected namespace and name. */
export const serviceSelectorLabels = (svc: Service): Labels => ({
  ...(svc.metadata.labels ?? {}),
  [SERVICE_NAMESPACE_LABEL]: svc.metadata.namespace ?? '',
  [SERVICE_NAME_LABEL]: svc.metadata.name,
});

/** Unset class or `io.cilium/l2-announcer`: any other class belongs to another implementation. */
export const serviceClassAllowed = (svc: Service): boolean => {
  const cls = svc.spec?.loadBalancerClass;
  return cls == null || cls === '' || cls === L2_ANNOUNCER_LB_CLASS;
};

/** Addresses of a Service a policy may announce: ipam's ingress IPs and/or `spec.externalIPs`. */
export const serviceAddresses = (svc: Service): { address: string; origin: AddressOrigin }[] => {
  const out: { address: string; origin: AddressOrigin }[] = [];
  if (svc.spec?.type === 'LoadBalancer') {
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (ing.ip && ipFamily(ing.ip)) out.push({ address: canonicalIp(ing.ip), origin: 'loadBalancerIP' });
    }
  }
  for (const ip of svc.spec?.externalIPs ?? []) {
    if (ipFamily(ip)) out.push({ address: canonicalIp(ip), origin: 'externalIP' });
  }
  return out;
};

/**
 * With `externalTrafficPolicy: Local` only nodes with a ready local endpoint may announce
 * (Cilium since #46399, MetalLB, kube-vip): a lease on a node without backends drops traffic.
 * An endpoint's `ready` left unset counts as ready (discovery.k8s.io/v1 semantics).
 */
export const hasReadyLocalEndpoint = (svc: Service, nodeName: string, slices: readonly EndpointSlice[]): boolean =>
  slices.some(
    (s) =>
      (s.metadata.namespace ?? '') === (svc.metadata.namespace ?? '') &&
      s.metadata.labels?.[ENDPOINTSLICE_SERVICE_LABEL] === svc.metadata.name &&
      (s.endpoints ?? []).some((e) => e.nodeName === nodeName && e.conditions?.ready !== false),
  );

const tryMatch = (selector: LabelSelector | null | undefined, labels: Labels): boolean | Error => {
  try {
    // Kubernetes: an absent selector in these policies means "all" (Cilium documents nil = all).
    return selectorMatches(selector, labels, true);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
};

/**
 * What this node should announce: Cilium's `CiliumL2AnnouncementPolicy` semantics.
 *
 * A Service address is selected on this node when some policy matches this node's labels
 * (`nodeSelector`, absent = all nodes), matches the Service (`serviceSelector` over its labels
 * plus the injected namespace/name labels, absent = all Services), announces that kind of address
 * (`loadBalancerIPs` for ipam's `status.loadBalancer.ingress`, `externalIPs` for
 * `spec.externalIPs`; both false by default, so a policy with neither announces nothing), the
 * Service's `loadBalancerClass` is unset or `io.cilium/l2-announcer`, the Service is not being
 * deleted, and, for `externalTrafficPolicy: Local`, this node has a ready endpoint of it. The
 * interfaces are the union over the matching policies of the eligible local interfaces matching
 * their `interfaces` regexes. Pure and deterministic: same input, same output.
 */
export const selectAnnouncements = (input: SelectionInput): Selection => {
  const problems: PolicyProblem[] = [];
  const node = input.nodes.find((n) => n.metadata.name === input.nodeName);
  if (!node) return { announcements: [], linkDown: [], problems, nodeKnown: false };
  const nodeLabels: Labels = node.metadata.labels ?? {};
  const eligible = input.interfaces.filter(isAnnounceableInterface);

  interface Acc {
    family: IpFamily;
    services: Map<string, ServiceRef>;
    interfaces: Set<string>;
    policies: Set<string>;
    origins: Set<AddressOrigin>;
  }
  const acc = new Map<string, Acc>();

  const policies = [...input.policies].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const policy of policies) {
    const name = policy.metadata.name;
    if (policy.metadata.deletionTimestamp) continue;
    const spec = policy.spec ?? {};
    const announceLb = spec.loadBalancerIPs === true;
    const announceExternal = spec.externalIPs === true;

    let matchInterface: (ifname: string) => boolean;
    try {
      matchInterface = compileInterfaceMatcher(spec.interfaces);
    } catch (e) {
      problems.push({ policy: name, conditionType: 'io.cilium/bad-interface-regex', message: e instanceof InterfaceRegexError ? e.message : String(e) });
      continue;
    }
    const nodeMatch = tryMatch(spec.nodeSelector, nodeLabels);
    if (nodeMatch instanceof Error) {
      problems.push({ policy: name, conditionType: 'io.cilium/bad-node-selector', message: `spec.nodeSelector: ${nodeMatch.message}` });
      continue;
    }
    // A broken service selector is reported whether or not this node is selected.
    let serviceSelectorBroken = false;
    const matches: Service[] = [];
    for (const svc of input.services) {
      const m = tryMatch(spec.serviceSelector, serviceSelectorLabels(svc));
      if (m instanceof Error) {
        problems.push({ policy: name, conditionType: 'io.cilium/bad-service-selector', message: `spec.serviceSelector: ${m.message}` });
        serviceSelectorBroken = true;
        break;
      }
      if (m) matches.push(svc);
    }
    if (serviceSelectorBroken || !nodeMatch || (!announceLb && !announceExternal)) continue;
    const ifaces = eligible.filter((i) => matchInterface(i.name));

    for (const svc of matches) {
      if (svc.metadata.deletionTimestamp || !serviceClassAllowed(svc)) continue;
      if (svc.spec?.externalTrafficPolicy === 'Local' && !hasReadyLocalEndpoint(svc, input.nodeName, input.endpointSlices)) continue;
      const ref: ServiceRef = { namespace: svc.metadata.namespace ?? '', name: svc.metadata.name };
      for (const { address, origin } of serviceAddresses(svc)) {
        if (origin === 'loadBalancerIP' ? !announceLb : !announceExternal) continue;
        let a = acc.get(address);
        if (!a) acc.set(address, (a = { family: ipFamily(address)!, services: new Map(), interfaces: new Set(), policies: new Set(), origins: new Set() }));
        a.services.set(serviceKey(ref), ref);
        a.policies.add(name);
        a.origins.add(origin);
        for (const i of ifaces) a.interfaces.add(i.name);
      }
    }
  }

  const up = new Set(eligible.filter((i) => i.up).map((i) => i.name));
  const announcements: DesiredAnnouncement[] = [];
  const linkDown: { address: string; interfaces: string[] }[] = [];
  for (const address of [...acc.keys()].sort(compareAddresses)) {
    const a = acc.get(address)!;
    const all = [...a.interfaces].sort();
    const live = all.filter((i) => up.has(i));
    if (live.length === 0) {
      if (all.length > 0) linkDown.push({ address, interfaces: all });
      continue;
    }
    announcements.push({
      address,
      family: a.family,
      services: [...a.services.values()].sort((x, y) => serviceKey(x).localeCompare(serviceKey(y))),
      interfaces: live,
      policies: [...a.policies].sort(),
      origins: [...a.origins].sort(),
    });
  }
  return { announcements, linkDown, problems: dedupeProblems(problems), nodeKnown: true };
};

const dedupeProblems = (ps: PolicyProblem[]): PolicyProblem[] => {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.policy}\0${p.conditionType}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};

/** IPv4 before IPv6, then numerically within a family. */
export const compareAddresses = (a: string, b: string): number => {
  const fa = ipFamily(a) ?? 0;
  const fb = ipFamily(b) ?? 0;
  if (fa !== fb) return fa - fb;
  if (fa === 4) {
    const n = (s: string) => s.split('.').reduce((x, o) => x * 256 + Number(o), 0);
    return n(a) - n(b);
  }
  return Buffer.compare(ipv6ToBytes(a), ipv6ToBytes(b));
};
