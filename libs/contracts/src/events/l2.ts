import { z } from 'zod';
import { defineEvent, type EventDefinition } from '../catalogue';

/**
 * Events of the `l2` context, written by each node's l2-announcer to the stream
 * `l2-lease-<namespace>.<service>` of every Service owning the address (an address shared by
 * several Services through a sharing key is one lease, recorded in each of their streams).
 * Leases are per address; `fencingToken` increases on every change of holder, so readers can
 * order and discard stale events (a lost event with a lower token than the current holder's).
 */

export const l2LeaseStreamId = (namespace: string, service: string): string => `l2-lease-${namespace}.${service}`;
export const L2_LEASE_STREAM_PREFIX = 'l2-lease-';

const ServiceRef = z.object({ namespace: z.string(), name: z.string().min(1) });

const LeaseIdentity = z.object({
  service: ServiceRef,
  /** Canonical text of the IPv4 or IPv6 address. */
  address: z.string().min(1),
  node: z.string().min(1),
  fencingToken: z.number().int().positive(),
});

/** Why a node stopped holding a lease. */
export const L2LeaseLossReason = z.enum([
  /** Another node holds it now (we were judged dead, e.g. our session dropped). */
  'taken',
  /** No renewal succeeded within the renew deadline: the node stopped answering by itself. */
  'renew-deadline',
  /** The node's database session ended. */
  'session-lost',
  /** No policy selects the address here any more (or the Service lost it). */
  'not-selected',
  /** Every interface the address is announced on went down. */
  'link-down',
  /** The announcer is stopping. */
  'shutdown',
  /** Handed to the address's preferred node (rebalancing). */
  'handover',
]);
export type L2LeaseLossReason = z.infer<typeof L2LeaseLossReason>;

/** This node won the lease: it answers ARP/NDP for the address from now on. */
export const L2LeaseAcquired = defineEvent({
  type: 'l2.LeaseAcquired',
  version: 1,
  schema: LeaseIdentity.extend({
    interfaces: z.array(z.string()),
    /** The node that held it before, if any (a failover when it is another node). */
    previousHolder: z.string().nullable(),
    /** Holder changes of this lease so far (Kubernetes `leaseTransitions`). */
    leaseTransitions: z.number().int().nonnegative(),
    leaseDurationSeconds: z.number().positive(),
    /** Database time of the grant (RFC 3339). */
    acquiredAt: z.string(),
  }),
});

/** This node no longer holds the lease and has stopped answering for the address. */
export const L2LeaseLost = defineEvent({
  type: 'l2.LeaseLost',
  version: 1,
  schema: LeaseIdentity.extend({ reason: L2LeaseLossReason }),
});

/** Gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6) went out on an interface. */
export const L2Announced = defineEvent({
  type: 'l2.Announced',
  version: 1,
  schema: LeaseIdentity.extend({
    interface: z.string().min(1),
    method: z.enum(['gratuitous-arp', 'unsolicited-na']),
    /** Frames in the first burst (more follow for a few seconds). */
    frames: z.number().int().nonnegative(),
    /** When the first burst left (RFC 3339). */
    at: z.string(),
  }),
});

/**
 * What an announcer found wrong (or no longer wrong) with a CiliumL2AnnouncementPolicy, as
 * Cilium's condition types (`io.cilium/bad-service-selector`, `bad-node-selector`,
 * `bad-interface-regex`; status True = the problem is there). Recorded on `l2-policy-<name>`
 * only when they differ from the policy's current status, so nodes do not repeat each other.
 */
export const L2PolicyConditionsObserved = defineEvent({
  type: 'l2.PolicyConditionsObserved',
  version: 1,
  schema: z.object({
    policy: z.string().min(1),
    node: z.string().min(1),
    conditions: z.array(
      z.object({
        type: z.enum(['io.cilium/bad-service-selector', 'io.cilium/bad-node-selector', 'io.cilium/bad-interface-regex']),
        status: z.enum(['True', 'False']),
        reason: z.string(),
        message: z.string(),
      }),
    ),
  }),
});

export const l2PolicyStreamId = (policy: string): string => `l2-policy-${policy}`;

export type L2LeaseAcquiredData = z.infer<typeof L2LeaseAcquired.schema>;
export type L2PolicyConditionsObservedData = z.infer<typeof L2PolicyConditionsObserved.schema>;
export type L2LeaseLostData = z.infer<typeof L2LeaseLost.schema>;
export type L2AnnouncedData = z.infer<typeof L2Announced.schema>;

/** Events of the `l2` context. */
export const l2Events: EventDefinition[] = [L2LeaseAcquired, L2LeaseLost, L2Announced, L2PolicyConditionsObserved];
