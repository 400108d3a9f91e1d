/**
 * The model of Cilium's BGP Control Plane v2 as Bosun computes it for one node: what comes in
 * (the Node, the BGP resources, Services and their endpoints, secrets) and what goes out (the
 * node's CiliumBGPNodeConfig spec, the desired BGP instances with their peers and per-family
 * routes, and the conditions that explain what could not be configured).
 */

/** A Kubernetes object as the API serves it (any version); fields are read defensively. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly generation?: number;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences?: ReadonlyArray<OwnerReference>;
    readonly resourceVersion?: string;
    readonly [k: string]: unknown;
  };
  readonly spec?: any;
  readonly status?: any;
  readonly [k: string]: unknown;
}

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export type Afi = 'ipv4' | 'ipv6';
/** Only unicast carries routes; other SAFIs of Cilium's enum are accepted in specs and ignored. */
export type Safi = 'unicast';
export interface Family {
  readonly afi: Afi;
  readonly safi: Safi;
}
export const familyKey = (f: Family): string => `${f.afi}/${f.safi}`;
export const IPV4_UNICAST: Family = { afi: 'ipv4', safi: 'unicast' };
export const IPV6_UNICAST: Family = { afi: 'ipv6', safi: 'unicast' };

/** The node as the speaker sees it: from its Node object (and, for Interface adverts, its links). */
export interface NodeInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `status.addresses` of the Node (InternalIP first is preferred for the router ID). */
  readonly addresses: ReadonlyArray<{ readonly type: string; readonly address: string }>;
  /** `spec.podCIDRs` (or `spec.podCIDR`). */
  readonly podCIDRs: readonly string[];
  /** The node's network interfaces, when known (Interface advertisements need them). */
  readonly interfaces?: ReadonlyArray<NodeInterface>;
}

export interface NodeInterface {
  readonly name: string;
  /** Link up (admin up and operationally up or unknown). */
  readonly up: boolean;
  /** Addresses with their prefix length, e.g. `10.0.0.2/24`. */
  readonly addresses: readonly string[];
}

/** A Secret's value as read from the secret store: only the keys Bosun uses. Never logged. */
export interface SecretValue {
  readonly namespace: string;
  readonly name: string;
  readonly data: Readonly<Record<string, string>>;
}

/** Everything one node's BGP computation reads. */
export interface BgpInputs {
  readonly node: NodeInfo;
  readonly clusterConfigs: readonly KubeObject[];
  readonly peerConfigs: readonly KubeObject[];
  readonly advertisements: readonly KubeObject[];
  readonly nodeConfigOverrides: readonly KubeObject[];
  /** The node's current CiliumBGPNodeConfig, if any (for owner/conflict handling). */
  readonly existingNodeConfig?: KubeObject;
  readonly services: readonly KubeObject[];
  readonly endpointSlices: readonly KubeObject[];
  /** Secrets of the BGP secrets namespace, by name. A missing entry = the Secret does not exist. */
  readonly secrets: ReadonlyMap<string, SecretValue>;
  /** Cilium's `bgp-secrets-namespace` (Helm `bgpControlPlane.secretsNamespace.name`). */
  readonly secretsNamespace?: string;
}

export const DEFAULT_SECRETS_NAMESPACE = 'kube-system';
/** Services with another `loadBalancerClass` are not Cilium BGP's to announce. */
export const BGP_LOAD_BALANCER_CLASS = 'io.cilium/bgp-control-plane';

export type ConditionStatus = 'True' | 'False' | 'Unknown';
export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

/** Condition types (the names Cilium uses, plus the agent's reconcile error). */
export const ConditionType = {
  NoMatchingNode: 'cilium.io/NoMatchingNode',
  MissingPeerConfigs: 'cilium.io/MissingPeerConfigs',
  ConflictingClusterConfig: 'cilium.io/ConflictingClusterConfig',
  MissingAuthSecret: 'cilium.io/MissingAuthSecret',
  BGPReconcileError: 'cilium.io/BGPReconcileError',
} as const;

export interface Timers {
  readonly connectRetryTimeSeconds: number;
  readonly holdTimeSeconds: number;
  readonly keepAliveTimeSeconds: number;
}

export interface GracefulRestart {
  readonly enabled: boolean;
  readonly restartTimeSeconds: number;
}

/** Path attributes of one advertised prefix (already merged across overlapping adverts). */
export interface RouteAttributes {
  /** Standard communities as `hi:lo`, deduplicated by value, sorted by value. */
  readonly communities: readonly string[];
  /** Large communities `a:b:c`, deduplicated, sorted. */
  readonly largeCommunities: readonly string[];
  /** Only toward iBGP peers (dropped for eBGP). Highest wins on overlap. */
  readonly localPreference?: number;
}

export interface DesiredRoute extends RouteAttributes {
  /** Canonical prefix, e.g. `20.0.10.1/32`, `2001:db8::/64`. */
  readonly prefix: string;
  /** What put it here, e.g. `Service/tenant-blue/cilium-gateway-gateway-blue/LoadBalancerIP`. */
  readonly sources: readonly string[];
}

export interface FamilyRoutes {
  readonly family: Family;
  /** Sorted by prefix. */
  readonly routes: readonly DesiredRoute[];
}

export interface DesiredPeer {
  readonly name: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  /** 0 = learn it from the peer's OPEN. */
  readonly peerASN: number;
  /** iBGP when the peer's AS is ours; undefined while the AS is learnt from the OPEN. */
  readonly ibgp: boolean | undefined;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly peerConfigRef?: string;
  readonly timers: Timers;
  readonly gracefulRestart: GracefulRestart;
  /** TTL for eBGP (1 = directly connected); ignored for iBGP. */
  readonly ebgpMultihop: number;
  readonly families: readonly Family[];
  /** TCP MD5 (RFC 2385): the Secret's name and its `password` (in memory only, never in events or logs). */
  readonly auth?: { readonly secretRef: string; readonly password: string };
  /** Next hops of our routes per AFI: IPv4 routes over an IPv6 session need an IPv4 next hop. */
  readonly nextHop: { readonly ipv4?: string; readonly ipv6?: string };
  readonly routes: readonly FamilyRoutes[];
}

/** A peer that is configured in the NodeConfig but not run, and why (never run unauthenticated). */
export interface BlockedPeer {
  readonly name: string;
  readonly peerAddress?: string;
  readonly peerASN: number;
  readonly reason: 'MissingPeerConfig' | 'MissingAuthSecret' | 'InvalidAuthSecret' | 'InvalidPeerConfig' | 'NoPeerAddress';
  readonly message: string;
  /** The Secret (in the BGP secrets namespace) when the reason is about it. */
  readonly authSecretRef?: string;
}

export interface DesiredInstance {
  readonly name: string;
  readonly localASN: number;
  readonly routerID: string;
  /** Unset: no listener (active only), as in Cilium. */
  readonly localPort?: number;
  readonly peers: readonly DesiredPeer[];
  readonly blockedPeers: readonly BlockedPeer[];
}

/** The node's CiliumBGPNodeConfig spec, rendered as Cilium's operator would. */
export interface NodeConfigSpec {
  readonly bgpInstances: ReadonlyArray<{
    readonly name: string;
    readonly localASN?: number;
    readonly routerID?: string;
    readonly localPort?: number;
    readonly peers?: ReadonlyArray<{
      readonly name: string;
      readonly peerAddress?: string;
      readonly peerASN?: number;
      readonly localAddress?: string;
      readonly peerConfigRef?: { readonly name: string };
    }>;
  }>;
}

export interface RenderedNodeConfig {
  /** The ClusterConfig that owns this node's NodeConfig. */
  readonly owner: { readonly name: string; readonly uid: string };
  readonly spec: NodeConfigSpec;
  /** Other ClusterConfigs that also select this node (they get ConflictingClusterConfig). */
  readonly conflictingClusterConfigs: readonly string[];
}

/** The whole desired BGP state of one node. */
export interface NodeDesiredState {
  readonly node: string;
  /** Undefined when no ClusterConfig selects the node: no BGP runs and no NodeConfig exists. */
  readonly nodeConfig?: RenderedNodeConfig;
  readonly instances: readonly DesiredInstance[];
  /** Conditions for the node's CiliumBGPNodeConfig status (sorted by type). */
  readonly conditions: readonly Condition[];
  /** Problems with a field path each, for logs and the reconcile-error condition. */
  readonly problems: readonly string[];
}
