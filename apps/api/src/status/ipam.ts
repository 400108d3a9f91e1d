import {
  IPAM_EVENT_TYPES,
  IPAM_REQUEST_SATISFIED_CONDITION,
  POOL_CONDITIONS,
  type EventEnvelope,
  type IpamEvent,
  type PoolStatusChangedData,
} from '@bosun/contracts';
import { upsertCondition, type ObjectKey, type StatusChange, type StatusProjector } from './status-projector';

/**
 * The ipam service's events as status, the way Cilium's operator writes it:
 * - Service: `status.loadBalancer.ingress[]` (`{ip, ipMode: VIP}`, in allocation order) and the
 *   condition `cilium.io/IPAMRequestSatisfied`;
 * - CiliumLoadBalancerIPPool: `cilium.io/IPsTotal|IPsAvailable|IPsUsed` (status Unknown, reason
 *   `noreason`, the count as message), `cilium.io/PoolConflict`, and Bosun's `bosun.io/InvalidSpec`.
 * A condition keeps its lastTransitionTime while its status does not change.
 */

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

interface Ingress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
  [k: string]: unknown;
}

const rfc3339 = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z');

const serviceKey = (s: { namespace: string; name: string }): ObjectKey => ({ group: '', kind: 'Service', namespace: s.namespace, name: s.name });
const poolKey = (name: string): ObjectKey => ({ group: 'cilium.io', kind: 'CiliumLoadBalancerIPPool', namespace: '', name });

const conditionsOf = (status: Record<string, unknown> | undefined): Condition[] =>
  Array.isArray(status?.['conditions']) ? (status!['conditions'] as Condition[]) : [];

const sameCondition = (a: Condition | undefined, b: Condition): boolean =>
  !!a && a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;

/** Sets conditions; returns `status` itself when nothing changed. */
const setConditions = (status: Record<string, unknown> | undefined, next: Condition[], at: string): Record<string, unknown> | undefined => {
  let list = conditionsOf(status);
  let changed = false;
  for (const c of next) {
    const prev = list.find((x) => x.type === c.type);
    if (sameCondition(prev, c)) continue;
    changed = true;
    list = upsertCondition(list, { ...c, lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : at });
  }
  return changed ? { ...(status ?? {}), conditions: list } : status;
};

const removeCondition = (status: Record<string, unknown> | undefined, type: string): Record<string, unknown> | undefined => {
  const list = conditionsOf(status);
  if (!list.some((c) => c.type === type)) return status;
  const rest = list.filter((c) => c.type !== type);
  const next = { ...(status ?? {}) };
  if (rest.length > 0) next['conditions'] = rest;
  else delete next['conditions'];
  return next;
};

const ingressOf = (status: Record<string, unknown> | undefined): Ingress[] => {
  const lb = status?.['loadBalancer'] as { ingress?: unknown } | undefined;
  return Array.isArray(lb?.ingress) ? (lb!.ingress as Ingress[]) : [];
};

const withIngress = (status: Record<string, unknown> | undefined, ingress: Ingress[]): Record<string, unknown> => {
  const lb = { ...((status?.['loadBalancer'] as Record<string, unknown> | undefined) ?? {}) };
  if (ingress.length > 0) lb['ingress'] = ingress;
  else delete lb['ingress'];
  return { ...(status ?? {}), loadBalancer: lb };
};

const countConditions = (d: PoolStatusChangedData): Condition[] =>
  (
    [
      [POOL_CONDITIONS.total, d.total],
      [POOL_CONDITIONS.available, d.available],
      [POOL_CONDITIONS.used, d.used],
    ] as const
  ).map(([type, n]) => ({ type, status: 'Unknown', reason: 'noreason', message: n, observedGeneration: d.observedGeneration }));

const project = (event: IpamEvent, at: string): StatusChange[] => {
  switch (event.type) {
    case 'ipam.LoadBalancerIPAllocated': {
      const { ip } = event.data;
      return [
        {
          key: serviceKey(event.data.service),
          update: (status) => {
            const ingress = ingressOf(status);
            return ingress.some((i) => i.ip === ip) ? status : withIngress(status, [...ingress, { ip, ipMode: 'VIP' }]);
          },
        },
      ];
    }
    case 'ipam.LoadBalancerIPReleased': {
      const { ip } = event.data;
      return [
        {
          key: serviceKey(event.data.service),
          update: (status) => {
            const ingress = ingressOf(status);
            return ingress.some((i) => i.ip === ip) ? withIngress(status, ingress.filter((i) => i.ip !== ip)) : status;
          },
        },
      ];
    }
    case 'ipam.ServiceIPAMConditionChanged': {
      const d = event.data;
      const c: Condition = { type: IPAM_REQUEST_SATISFIED_CONDITION, status: d.status, reason: d.reason, message: d.message, observedGeneration: d.observedGeneration };
      return [{ key: serviceKey(d.service), update: (status) => setConditions(status, [c], at) }];
    }
    case 'ipam.ServiceIPAMConditionRemoved':
      return [{ key: serviceKey(event.data.service), update: (status) => removeCondition(status, IPAM_REQUEST_SATISFIED_CONDITION) }];
    case 'ipam.PoolStatusChanged':
      return [{ key: poolKey(event.data.pool), update: (status) => setConditions(status, countConditions(event.data), at) }];
    case 'ipam.PoolConflictDetected': {
      const d = event.data;
      const c: Condition = { type: POOL_CONDITIONS.conflict, status: 'True', reason: 'cidr_overlap', message: d.message, observedGeneration: d.observedGeneration };
      return [{ key: poolKey(d.pool), update: (status) => setConditions(status, [c], at) }];
    }
    case 'ipam.PoolConflictResolved': {
      const d = event.data;
      const c: Condition = { type: POOL_CONDITIONS.conflict, status: 'False', reason: 'resolved', message: '', observedGeneration: d.observedGeneration };
      return [{ key: poolKey(d.pool), update: (status) => setConditions(status, [c], at) }];
    }
    case 'ipam.PoolSpecRejected': {
      const d = event.data;
      const message =
        d.errors.map((e) => `${e.field}: ${e.message}`).join('; ') +
        (d.activeGeneration !== undefined ? ` (generation ${d.activeGeneration} stays in force)` : ' (nothing is allocated from this pool)');
      const c: Condition = { type: POOL_CONDITIONS.invalidSpec, status: 'True', reason: 'invalid_spec', message, observedGeneration: d.observedGeneration };
      return [{ key: poolKey(d.pool), update: (status) => setConditions(status, [c], at) }];
    }
    case 'ipam.PoolSpecAccepted': {
      const d = event.data;
      const c: Condition = { type: POOL_CONDITIONS.invalidSpec, status: 'False', reason: 'valid', message: '', observedGeneration: d.observedGeneration };
      return [{ key: poolKey(d.pool), update: (status) => setConditions(status, [c], at) }];
    }
    default: {
      const never: never = event;
      throw new Error(`unhandled ipam event ${(never as { type: string }).type}`);
    }
  }
};

/** One line per event for `bosun describe` (what was given, taken, decided). */
export const summarizeIpamEvent = (event: IpamEvent): string => {
  switch (event.type) {
    case 'ipam.LoadBalancerIPAllocated': {
      const d = event.data;
      const how = d.origin === 'family' ? '' : ` (${d.origin}${d.sharingKey ? `, sharing key ${d.sharingKey}` : ''})`;
      return `${d.ip} allocated from pool ${d.pool}${how}`;
    }
    case 'ipam.LoadBalancerIPReleased':
      return `${event.data.ip} released to pool ${event.data.pool}: ${event.data.reason}${event.data.message ? ` (${event.data.message})` : ''}`;
    case 'ipam.ServiceIPAMConditionChanged':
      return `IPAMRequestSatisfied=${event.data.status} ${event.data.reason}${event.data.message ? `: ${event.data.message}` : ''}`;
    case 'ipam.ServiceIPAMConditionRemoved':
      return 'IPAMRequestSatisfied removed (not handled by LB IPAM)';
    case 'ipam.PoolStatusChanged':
      return `${event.data.available} of ${event.data.total} addresses available (${event.data.used} used)`;
    case 'ipam.PoolConflictDetected':
      return event.data.message;
    case 'ipam.PoolConflictResolved':
      return 'no conflict';
    case 'ipam.PoolSpecRejected':
      return `spec rejected: ${event.data.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
    case 'ipam.PoolSpecAccepted':
      return 'spec accepted';
    default: {
      const never: never = event;
      return (never as { type: string }).type;
    }
  }
};

export const ipamStatusProjector: StatusProjector = {
  eventTypes: IPAM_EVENT_TYPES,
  project(event: EventEnvelope): StatusChange[] {
    if (!(IPAM_EVENT_TYPES as readonly string[]).includes(event.type)) return [];
    return project(event as unknown as IpamEvent, rfc3339(event.occurredAt));
  },
  summarize(event: EventEnvelope): string | undefined {
    if (!(IPAM_EVENT_TYPES as readonly string[]).includes(event.type)) return undefined;
    return summarizeIpamEvent(event as unknown as IpamEvent);
  },
};
