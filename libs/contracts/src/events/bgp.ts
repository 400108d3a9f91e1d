import { z } from 'zod';
import { defineEvent, type EventDefinition } from '../catalogue';

/**
 * Events of the `bgp` context, written by each node's bgp-speaker to the stream
 * `bgp-node-<node>`. They describe sessions and routes as Cilium's CiliumBGPNodeConfig status
 * does. Passwords never appear: a peer's authentication is named by its Secret reference only.
 */

export const bgpNodeStreamId = (node: string): string => `bgp-node-${node}`;
export const BGP_NODE_STREAM_PREFIX = 'bgp-node-';

/** Cilium's peering state strings (`cilium bgp peers`, `status.bgpInstances[].peers[].peeringState`). */
export const PeeringState = z.enum(['idle', 'connect', 'active', 'open_sent', 'open_confirm', 'established', 'unknown']);
export type PeeringState = z.infer<typeof PeeringState>;

const Afi = z.enum(['ipv4', 'ipv6']);
const Safi = z.enum(['unicast']);

/** A peer of one BGP instance on one node. */
const PeerIdentity = z.object({
  node: z.string().min(1),
  instance: z.string().min(1),
  peer: z.string().min(1),
  peerAddress: z.string(),
});

export const BgpCondition = z.object({
  type: z.string().min(1),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
});
export type BgpCondition = z.infer<typeof BgpCondition>;

export const BgpPeerStatus = z.object({
  name: z.string(),
  peerAddress: z.string(),
  peerASN: z.number().int().nonnegative().optional(),
  peeringState: PeeringState.optional(),
  /** RFC 3339 UTC. */
  establishedTime: z.string().optional(),
  /** Negotiated timers. */
  timers: z.object({ appliedHoldTimeSeconds: z.number().int().nonnegative(), appliedKeepaliveSeconds: z.number().int().nonnegative() }).optional(),
  routeCount: z
    .array(z.object({ afi: Afi, safi: Safi, advertised: z.number().int().nonnegative(), received: z.number().int().nonnegative() }))
    .optional(),
});
export type BgpPeerStatus = z.infer<typeof BgpPeerStatus>;

export const BgpInstanceStatus = z.object({
  name: z.string(),
  localASN: z.number().int().positive().optional(),
  peers: z.array(BgpPeerStatus),
});
export type BgpInstanceStatus = z.infer<typeof BgpInstanceStatus>;

/** The node's BGP status, shaped like `CiliumBGPNodeConfig.status`; appended when it changes. */
export const NodeStatusReported = defineEvent({
  type: 'bgp.NodeStatusReported',
  version: 1,
  schema: z.object({
    node: z.string().min(1),
    /** The CiliumBGPClusterConfig that selects the node; absent when none does (no BGP on it). */
    clusterConfig: z.string().optional(),
    bgpInstances: z.array(BgpInstanceStatus),
    conditions: z.array(BgpCondition),
  }),
});

/** A session moved to another state. */
export const PeerStateChanged = defineEvent({
  type: 'bgp.PeerStateChanged',
  version: 1,
  schema: PeerIdentity.extend({
    localASN: z.number().int().positive(),
    peerASN: z.number().int().nonnegative(),
    from: PeeringState,
    to: PeeringState,
    /** E.g. the NOTIFICATION received, `hold timer expired`, `peer removed`. */
    reason: z.string().optional(),
  }),
});

/**
 * Prefixes entered the peer's Adj-RIB-Out, or changed attributes there: one event per batch,
 * per peer, family and set of attributes.
 */
export const RouteAdvertised = defineEvent({
  type: 'bgp.RouteAdvertised',
  version: 1,
  schema: PeerIdentity.extend({
    afi: Afi,
    safi: Safi,
    prefixes: z.array(z.string()).min(1),
    nextHop: z.string().optional(),
    /** Standard communities `hi:lo`. */
    communities: z.array(z.string()).optional(),
    largeCommunities: z.array(z.string()).optional(),
    /** Sent to iBGP peers only. */
    localPreference: z.number().int().nonnegative().optional(),
  }),
});

/** Prefixes left the peer's Adj-RIB-Out. */
export const RouteWithdrawn = defineEvent({
  type: 'bgp.RouteWithdrawn',
  version: 1,
  schema: PeerIdentity.extend({ afi: Afi, safi: Safi, prefixes: z.array(z.string()).min(1) }),
});

/** A session-affecting change (ASN, address, timers, password, families…) reset this session only. */
export const PeerSessionReset = defineEvent({
  type: 'bgp.PeerSessionReset',
  version: 1,
  schema: PeerIdentity.extend({ reasons: z.array(z.string()).min(1) }),
});

/** A configured peer is not started, and why (e.g. its auth Secret is missing: never unauthenticated). */
export const PeerBlocked = defineEvent({
  type: 'bgp.PeerBlocked',
  version: 1,
  schema: PeerIdentity.extend({
    reason: z.enum(['MissingPeerConfig', 'MissingAuthSecret', 'InvalidAuthSecret', 'InvalidPeerConfig', 'NoPeerAddress']),
    message: z.string(),
    /** Name of the Secret (in the BGP secrets namespace) when the reason is about it. */
    authSecretRef: z.string().optional(),
  }),
});

/** A previously blocked peer is configured again (or no longer configured at all). */
export const PeerUnblocked = defineEvent({
  type: 'bgp.PeerUnblocked',
  version: 1,
  schema: PeerIdentity,
});

/** A reconcile run failed (retried with backoff). */
export const ReconcileFailed = defineEvent({
  type: 'bgp.ReconcileFailed',
  version: 1,
  schema: z.object({ node: z.string().min(1), instance: z.string().optional(), error: z.string() }),
});

export const bgpClusterConfigStreamId = (name: string): string => `bgp-cluster-config-${name}`;
export const bgpPeerConfigStreamId = (name: string): string => `bgp-peer-config-${name}`;

/**
 * The conditions Cilium's operator writes on a CiliumBGPClusterConfig (NoMatchingNode,
 * MissingPeerConfigs, ConflictingClusterConfig), from the cluster-wide view; appended by the
 * speakers to `bgp-cluster-config-<name>` when they change (any speaker may: they agree).
 */
export const ClusterConfigConditionsReported = defineEvent({
  type: 'bgp.ClusterConfigConditionsReported',
  version: 1,
  schema: z.object({ clusterConfig: z.string().min(1), observedGeneration: z.number().int().nonnegative().optional(), conditions: z.array(BgpCondition) }),
});

/** The conditions of a CiliumBGPPeerConfig (MissingAuthSecret), to `bgp-peer-config-<name>`. */
export const PeerConfigConditionsReported = defineEvent({
  type: 'bgp.PeerConfigConditionsReported',
  version: 1,
  schema: z.object({ peerConfig: z.string().min(1), observedGeneration: z.number().int().nonnegative().optional(), conditions: z.array(BgpCondition) }),
});

/** Events of the `bgp` context. */
export const bgpEvents: EventDefinition[] = [
  ClusterConfigConditionsReported,
  PeerConfigConditionsReported,
  NodeStatusReported,
  PeerStateChanged,
  RouteAdvertised,
  RouteWithdrawn,
  PeerSessionReset,
  PeerBlocked,
  PeerUnblocked,
  ReconcileFailed,
];
