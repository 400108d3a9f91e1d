import type { EventEnvelope } from '@bosun/contracts';
import { upsertCondition, type StatusChange, type StatusProjector } from './status-projector';

/**
 * The l2-announcer's events as objects people already know how to read:
 *
 *  - a `coordination.k8s.io/v1` Lease `cilium-l2announce-<ns>-<svc>` in `kube-system` per
 *    Service, as Cilium keeps them (`kubectl get lease -n kube-system` shows HOLDER and AGE).
 *    Cilium elects one holder per Service; Bosun elects one per address (an address shared by
 *    two Services must have a single answerer), so `spec` describes the Service's first address
 *    and `status.addresses[]` lists every address with its holder, interfaces and fencing token
 *    (what `bosun get l2leases` prints). Renewals are not events, so `renewTime` is the time of
 *    the last change.
 *  - a condition `bosun.io/L2Announced` on the Service (`bosun describe service`): True with
 *    "<address> by <node> on <interfaces>" per announced address, False when none is.
 *
 * Events carry fencing tokens that grow with every change of holder: an event with a lower
 * token than the one recorded for its address is stale (e.g. the old holder's loss recorded
 * after the new holder's acquisition) and changes nothing.
 */

export const L2_LEASE_NAMESPACE = 'kube-system';
export const L2_ANNOUNCED_CONDITION = 'bosun.io/L2Announced';
export const l2LeaseName = (namespace: string, service: string): string => `cilium-l2announce-${namespace}-${service}`;

interface ServiceRef {
  namespace: string;
  name: string;
}

/** One address of a Service's lease, as `status.addresses[]` of the projected Lease shows it. */
export interface L2LeaseAddress {
  address: string;
  /** Node answering for it; '' when nobody holds the lease. */
  holder: string;
  interfaces: string[];
  fencingToken: number;
  leaseTransitions: number;
  /** Kubernetes MicroTime. */
  acquireTime?: string;
  /** When the last gratuitous announcement burst left (MicroTime). */
  announceTime?: string;
  /** Why the last holder let go, while nobody holds it. */
  lostReason?: string;
}

interface LeaseContent {
  spec: {
    holderIdentity: string;
    leaseDurationSeconds: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions: number;
  };
  status: { service: ServiceRef; addresses: L2LeaseAddress[] };
}

interface LeaseEventData {
  service: ServiceRef;
  address: string;
  node: string;
  fencingToken: number;
}
type Acquired = LeaseEventData & { interfaces: string[]; previousHolder: string | null; leaseTransitions: number; leaseDurationSeconds: number; acquiredAt: string };
type Lost = LeaseEventData & { reason: string };
type Announced = LeaseEventData & { interface: string; method: string; frames: number; at: string };

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
const microTime = (iso: string): string => {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z` : iso;
};

const compareAddresses = (a: string, b: string): number => {
  const v6a = a.includes(':');
  const v6b = b.includes(':');
  if (v6a !== v6b) return v6a ? 1 : -1;
  if (!v6a) {
    const n = (s: string) => s.split('.').reduce((x, o) => x * 256 + Number(o), 0);
    return n(a) - n(b);
  }
  return a.localeCompare(b);
};

/** The Lease content after `change` is applied to one address (the same object when nothing changes). */
const updateLease = (
  current: Record<string, unknown> | undefined,
  d: LeaseEventData,
  durationSeconds: number | undefined,
  at: string,
  change: (prev: L2LeaseAddress | undefined) => L2LeaseAddress | null,
): Record<string, unknown> | undefined => {
  const cur = current as unknown as LeaseContent | undefined;
  const addresses = [...(cur?.status?.addresses ?? [])];
  const i = addresses.findIndex((a) => a.address === d.address);
  const next = change(i >= 0 ? addresses[i] : undefined);
  if (next === null) return current;
  if (i >= 0) addresses[i] = next;
  else addresses.push(next);
  addresses.sort((x, y) => compareAddresses(x.address, y.address));
  const primary = addresses.find((a) => a.holder !== '') ?? addresses[0]!;
  const content: LeaseContent = {
    spec: {
      holderIdentity: primary.holder,
      leaseDurationSeconds: durationSeconds ?? cur?.spec?.leaseDurationSeconds ?? 0,
      ...(primary.acquireTime ? { acquireTime: primary.acquireTime } : {}),
      renewTime: microTime(at),
      leaseTransitions: primary.leaseTransitions,
    },
    status: { service: { namespace: d.service.namespace, name: d.service.name }, addresses },
  };
  return content as unknown as Record<string, unknown>;
};

const leaseChange = (d: LeaseEventData, at: string, durationSeconds: number | undefined, change: (prev: L2LeaseAddress | undefined) => L2LeaseAddress | null): StatusChange => ({
  key: { group: 'coordination.k8s.io', kind: 'Lease', namespace: L2_LEASE_NAMESPACE, name: l2LeaseName(d.service.namespace, d.service.name) },
  update: (current) => updateLease(current, d, durationSeconds, at, change),
});

// The Service condition lists "<address> by <node> on <if>[,<if>]" entries, "; "-separated.
const ENTRY = /^(\S+) by (\S+) on (\S+)$/;
const parseEntries = (message: string | undefined): Map<string, { node: string; interfaces: string }> => {
  const out = new Map<string, { node: string; interfaces: string }>();
  for (const part of (message ?? '').split('; ')) {
    const m = ENTRY.exec(part);
    if (m) out.set(m[1]!, { node: m[2]!, interfaces: m[3]! });
  }
  return out;
};

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

const serviceChange = (d: LeaseEventData, at: string, edit: (entries: Map<string, { node: string; interfaces: string }>) => boolean): StatusChange => ({
  key: { group: '', kind: 'Service', namespace: d.service.namespace, name: d.service.name },
  update: (status) => {
    const conditions = (status?.conditions as Condition[] | undefined) ?? [];
    const prev = conditions.find((c) => c.type === L2_ANNOUNCED_CONDITION);
    const entries = parseEntries(prev?.message);
    if (!edit(entries)) return status;
    const list = [...entries].sort(([a], [b]) => compareAddresses(a, b)).map(([a, e]) => `${a} by ${e.node} on ${e.interfaces}`);
    const s: 'True' | 'False' = list.length > 0 ? 'True' : 'False';
    const c: Condition = {
      type: L2_ANNOUNCED_CONDITION,
      status: s,
      reason: s === 'True' ? 'Announced' : 'NotAnnounced',
      message: list.length > 0 ? list.join('; ') : 'no node answers ARP/NDP for this Service',
      lastTransitionTime: prev && prev.status === s ? prev.lastTransitionTime : at.replace(/\.\d+Z$/, 'Z'),
    };
    if (prev && prev.status === c.status && prev.message === c.message) return status;
    return { ...(status ?? {}), conditions: upsertCondition(conditions, c) };
  },
});

const acquired = (e: EventEnvelope): StatusChange[] => {
  const d = e.data as Acquired;
  return [
    leaseChange(d, e.occurredAt, d.leaseDurationSeconds, (prev) =>
      prev && prev.fencingToken > d.fencingToken
        ? null
        : {
            address: d.address,
            holder: d.node,
            interfaces: [...d.interfaces],
            fencingToken: d.fencingToken,
            leaseTransitions: d.leaseTransitions,
            acquireTime: microTime(d.acquiredAt),
          },
    ),
    serviceChange(d, e.occurredAt, (entries) => {
      entries.set(d.address, { node: d.node, interfaces: d.interfaces.join(',') || '-' });
      return true;
    }),
  ];
};

const lost = (e: EventEnvelope): StatusChange[] => {
  const d = e.data as Lost;
  return [
    leaseChange(d, e.occurredAt, undefined, (prev) =>
      !prev || prev.fencingToken !== d.fencingToken || prev.holder !== d.node
        ? null
        : { address: prev.address, holder: '', interfaces: [], fencingToken: prev.fencingToken, leaseTransitions: prev.leaseTransitions, lostReason: d.reason },
    ),
    serviceChange(d, e.occurredAt, (entries) => entries.get(d.address)?.node === d.node && entries.delete(d.address)),
  ];
};

const announced = (e: EventEnvelope): StatusChange[] => {
  const d = e.data as Announced;
  return [leaseChange(d, e.occurredAt, undefined, (prev) => (!prev || prev.fencingToken !== d.fencingToken ? null : { ...prev, announceTime: microTime(d.at) }))];
};

/**
 * Cilium's policy conditions: a problem sets its condition True (reason `error`); once fixed it
 * turns False, and a policy that never had the problem gets no condition at all.
 */
const policyConditions = (e: EventEnvelope): StatusChange[] => {
  const d = e.data as { policy: string; conditions: { type: string; status: 'True' | 'False'; reason: string; message: string }[] };
  return [
    {
      key: { group: 'cilium.io', kind: 'CiliumL2AnnouncementPolicy', namespace: '', name: d.policy },
      update: (status) => {
        let conditions = (status?.conditions as Condition[] | undefined) ?? [];
        let changed = false;
        for (const c of d.conditions) {
          const prev = conditions.find((x) => x.type === c.type);
          if (!prev && c.status === 'False') continue;
          if (prev && prev.status === c.status && prev.message === c.message) continue;
          const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : e.occurredAt.replace(/\.\d+Z$/, 'Z');
          conditions = upsertCondition(conditions, { type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime });
          changed = true;
        }
        return changed ? { ...(status ?? {}), conditions } : status;
      },
    },
  ];
};

export const l2StatusProjector: StatusProjector = {
  eventTypes: ['l2.LeaseAcquired', 'l2.LeaseLost', 'l2.Announced', 'l2.PolicyConditionsObserved'],
  project(event: EventEnvelope): StatusChange[] {
    switch (event.type) {
      case 'l2.LeaseAcquired':
        return acquired(event);
      case 'l2.LeaseLost':
        return lost(event);
      case 'l2.Announced':
        return announced(event);
      case 'l2.PolicyConditionsObserved':
        return policyConditions(event);
      default:
        return [];
    }
  },
  summarize(event: EventEnvelope): string | undefined {
    const d = event.data as Partial<Acquired & Lost & Announced>;
    switch (event.type) {
      case 'l2.LeaseAcquired':
        return `${d.address} held by ${d.node} (fencing ${d.fencingToken}${d.previousHolder && d.previousHolder !== d.node ? `, took over from ${d.previousHolder}` : ''})`;
      case 'l2.LeaseLost':
        return `${d.address} released by ${d.node}: ${d.reason}`;
      case 'l2.Announced':
        return `${d.address} announced by ${d.node} on ${d.interface} (${d.method === 'unsolicited-na' ? 'unsolicited NA' : 'gratuitous ARP'})`;
      default:
        return undefined;
    }
  },
};
