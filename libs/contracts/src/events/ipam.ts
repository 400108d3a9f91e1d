import { z } from 'zod';
import { defineEvent, type EventDefinition } from '../catalogue';

/**
 * Events of the `ipam` context (LB IPAM, Cilium's `CiliumLoadBalancerIPPool` semantics), written
 * by the ipam service. Allocations, releases and pool status go to the pool's stream
 * `ipam-pool-<name>` (optimistic concurrency per pool); Service conditions go to the stream
 * `ipam-services`. Addresses are strings in their canonical form (`20.0.10.1`, `2001:db8::1`).
 */

export const IPAM_POOL_STREAM_PREFIX = 'ipam-pool-';
export const ipamPoolStreamId = (pool: string): string => `${IPAM_POOL_STREAM_PREFIX}${pool}`;
/** One stream for every Service's `cilium.io/IPAMRequestSatisfied` condition. */
export const IPAM_SERVICES_STREAM = 'ipam-services';

export const IPFamily = z.enum(['IPv4', 'IPv6']);
export type IPFamily = z.infer<typeof IPFamily>;

/** The Service an allocation or condition belongs to; `uid` tells re-created Services apart. */
export const ServiceRef = z.object({ namespace: z.string().min(1), name: z.string().min(1), uid: z.string() });
export type ServiceRef = z.infer<typeof ServiceRef>;

/** Condition type written on Services (`status.conditions`), as Cilium does. */
export const IPAM_REQUEST_SATISFIED_CONDITION = 'cilium.io/IPAMRequestSatisfied';

/**
 * Why a Service is not (fully) satisfied: Cilium's reason vocabulary, plus `invalid_request`
 * (an unparsable requested address: Bosun allocates nothing rather than guessing).
 */
export const UnsatisfiedReason = z.enum([
  'no_pool',
  'out_of_ips',
  'pool_selector_mismatch',
  'already_allocated',
  'already_allocated_incompatible_service',
  'invalid_request',
]);
export type UnsatisfiedReason = z.infer<typeof UnsatisfiedReason>;

/** Why an address was taken away from a Service. */
export const ReleaseReason = z.enum([
  /** The Service was deleted (or re-created: another uid). */
  'service_deleted',
  /** `spec.type` is no longer LoadBalancer. */
  'service_not_load_balancer',
  /** `spec.loadBalancerClass` names a class LB IPAM does not handle. */
  'load_balancer_class_not_handled',
  'pool_deleted',
  /** The pool no longer has a block containing the address (block removed or shrunk). */
  'range_removed',
  /** The pool's serviceSelector no longer selects the Service (relabel or selector change). */
  'pool_selector_mismatch',
  /** The address is not among the Service's requested addresses any more. */
  'ip_not_requested',
  /** The Service no longer asks for this address family (ipFamilies / ipFamilyPolicy). */
  'family_not_requested',
  /** The Service can no longer share the address with the others holding it (see message). */
  'sharing_incompatible',
]);
export type ReleaseReason = z.infer<typeof ReleaseReason>;

/** An address was given to a Service (a second Service on the same address shares it). */
export const LoadBalancerIPAllocated = defineEvent({
  type: 'ipam.LoadBalancerIPAllocated',
  version: 1,
  schema: z.object({
    pool: z.string().min(1),
    service: ServiceRef,
    ip: z.string().min(1),
    family: IPFamily,
    /** `lbipam.cilium.io/sharing-key` of the Service, when it has one. */
    sharingKey: z.string().optional(),
    /** How the address was chosen. */
    origin: z.enum(['requested', 'family', 'shared', 'adopted']),
  }),
});

/** An address was taken away from a Service; it is free again once no Service holds it. */
export const LoadBalancerIPReleased = defineEvent({
  type: 'ipam.LoadBalancerIPReleased',
  version: 1,
  schema: z.object({
    pool: z.string().min(1),
    service: ServiceRef,
    ip: z.string().min(1),
    family: IPFamily,
    reason: ReleaseReason,
    message: z.string(),
  }),
});

/** The Service's `cilium.io/IPAMRequestSatisfied` condition changed (status, reason, message or generation). */
export const ServiceIPAMConditionChanged = defineEvent({
  type: 'ipam.ServiceIPAMConditionChanged',
  version: 1,
  schema: z.object({
    service: ServiceRef,
    observedGeneration: z.number().int().nonnegative(),
    status: z.enum(['True', 'False']),
    /** `satisfied` when True; an UnsatisfiedReason when False. */
    reason: z.string().min(1),
    message: z.string(),
  }),
});

/** LB IPAM no longer handles the Service (type or class changed): its condition is removed. */
export const ServiceIPAMConditionRemoved = defineEvent({
  type: 'ipam.ServiceIPAMConditionRemoved',
  version: 1,
  schema: z.object({ service: ServiceRef }),
});

/** Decimal counts (an IPv6 /64 does not fit a JS number). `used` includes reserved first/last addresses. */
export const IPCounts = z.object({
  total: z.string().regex(/^\d+$/),
  available: z.string().regex(/^\d+$/),
  used: z.string().regex(/^\d+$/),
});
export type IPCounts = z.infer<typeof IPCounts>;

/** The pool's address counts changed (Cilium's `cilium.io/IPsTotal|IPsAvailable|IPsUsed`), also per family. */
export const PoolStatusChanged = defineEvent({
  type: 'ipam.PoolStatusChanged',
  version: 1,
  schema: IPCounts.extend({
    pool: z.string().min(1),
    observedGeneration: z.number().int().nonnegative(),
    families: z.object({ IPv4: IPCounts.optional(), IPv6: IPCounts.optional() }),
  }),
});

/** A block of the pool overlaps another block (of another, older pool, or of itself): the pool allocates nothing new. */
export const PoolConflictDetected = defineEvent({
  type: 'ipam.PoolConflictDetected',
  version: 1,
  schema: z.object({
    pool: z.string().min(1),
    observedGeneration: z.number().int().nonnegative(),
    /** `<first> - <last>` of the pool's overlapping block. */
    range: z.string(),
    conflictingPool: z.string(),
    conflictingRange: z.string(),
    /** Cilium's text: `Pool conflicts since range '…' overlaps range '…' from IP Pool '…'`. */
    message: z.string(),
  }),
});

/** The pool overlaps nothing (also written once for every new pool, so the CONFLICTING column is never blank). */
export const PoolConflictResolved = defineEvent({
  type: 'ipam.PoolConflictResolved',
  version: 1,
  schema: z.object({ pool: z.string().min(1), observedGeneration: z.number().int().nonnegative() }),
});

export const PoolSpecError = z.object({
  /** Field path, e.g. `spec.blocks[1].stop`. */
  field: z.string(),
  message: z.string(),
});
export type PoolSpecError = z.infer<typeof PoolSpecError>;

/**
 * The pool's spec (this generation) is invalid, e.g. a block whose start is after its stop or
 * that mixes families. Nothing of it is applied: the last valid spec stays in force (or, for a
 * new pool, it allocates nothing).
 */
export const PoolSpecRejected = defineEvent({
  type: 'ipam.PoolSpecRejected',
  version: 1,
  schema: z.object({
    pool: z.string().min(1),
    observedGeneration: z.number().int().nonnegative(),
    errors: z.array(PoolSpecError).min(1),
    /** The generation still in force, when an earlier spec was valid. */
    activeGeneration: z.number().int().nonnegative().optional(),
  }),
});

/** The pool's spec is valid again after a rejection. */
export const PoolSpecAccepted = defineEvent({
  type: 'ipam.PoolSpecAccepted',
  version: 1,
  schema: z.object({ pool: z.string().min(1), observedGeneration: z.number().int().nonnegative() }),
});

/** Condition types written on pools. */
export const POOL_CONDITIONS = {
  total: 'cilium.io/IPsTotal',
  available: 'cilium.io/IPsAvailable',
  used: 'cilium.io/IPsUsed',
  conflict: 'cilium.io/PoolConflict',
  /** Bosun's own: True while the spec is rejected (Cilium retries silently). */
  invalidSpec: 'bosun.io/InvalidSpec',
} as const;

export type LoadBalancerIPAllocatedData = z.infer<typeof LoadBalancerIPAllocated.schema>;
export type LoadBalancerIPReleasedData = z.infer<typeof LoadBalancerIPReleased.schema>;
export type ServiceIPAMConditionChangedData = z.infer<typeof ServiceIPAMConditionChanged.schema>;
export type ServiceIPAMConditionRemovedData = z.infer<typeof ServiceIPAMConditionRemoved.schema>;
export type PoolStatusChangedData = z.infer<typeof PoolStatusChanged.schema>;
export type PoolConflictDetectedData = z.infer<typeof PoolConflictDetected.schema>;
export type PoolConflictResolvedData = z.infer<typeof PoolConflictResolved.schema>;
export type PoolSpecRejectedData = z.infer<typeof PoolSpecRejected.schema>;
export type PoolSpecAcceptedData = z.infer<typeof PoolSpecAccepted.schema>;

/** Every event the ipam service writes, as a discriminated union on `type`. */
export type IpamEvent =
  | { readonly type: 'ipam.LoadBalancerIPAllocated'; readonly data: LoadBalancerIPAllocatedData }
  | { readonly type: 'ipam.LoadBalancerIPReleased'; readonly data: LoadBalancerIPReleasedData }
  | { readonly type: 'ipam.ServiceIPAMConditionChanged'; readonly data: ServiceIPAMConditionChangedData }
  | { readonly type: 'ipam.ServiceIPAMConditionRemoved'; readonly data: ServiceIPAMConditionRemovedData }
  | { readonly type: 'ipam.PoolStatusChanged'; readonly data: PoolStatusChangedData }
  | { readonly type: 'ipam.PoolConflictDetected'; readonly data: PoolConflictDetectedData }
  | { readonly type: 'ipam.PoolConflictResolved'; readonly data: PoolConflictResolvedData }
  | { readonly type: 'ipam.PoolSpecRejected'; readonly data: PoolSpecRejectedData }
  | { readonly type: 'ipam.PoolSpecAccepted'; readonly data: PoolSpecAcceptedData };
export type IpamEventType = IpamEvent['type'];

/** Events of the `ipam` context. */
export const ipamEvents: EventDefinition[] = [
  LoadBalancerIPAllocated,
  LoadBalancerIPReleased,
  ServiceIPAMConditionChanged,
  ServiceIPAMConditionRemoved,
  PoolStatusChanged,
  PoolConflictDetected,
  PoolConflictResolved,
  PoolSpecRejected,
  PoolSpecAccepted,
];
export const IPAM_EVENT_TYPES: readonly IpamEventType[] = ipamEvents.map((d) => d.type as IpamEventType);

/** The stream an ipam event is appended to. */
export const ipamStreamOf = (event: IpamEvent): string => {
  switch (event.type) {
    case 'ipam.ServiceIPAMConditionChanged':
    case 'ipam.ServiceIPAMConditionRemoved':
      return IPAM_SERVICES_STREAM;
    case 'ipam.LoadBalancerIPAllocated':
    case 'ipam.LoadBalancerIPReleased':
    case 'ipam.PoolStatusChanged':
    case 'ipam.PoolConflictDetected':
    case 'ipam.PoolConflictResolved':
    case 'ipam.PoolSpecRejected':
    case 'ipam.PoolSpecAccepted':
      return ipamPoolStreamId(event.data.pool);
    default: {
      const never: never = event;
      throw new Error(`unknown ipam event ${(never as { type: string }).type}`);
    }
  }
};
