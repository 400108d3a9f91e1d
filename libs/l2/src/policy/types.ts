import type { LabelSelector } from '@bosun/resources';

/**
 * The parts of the API objects the L2 announcer reads. Structural, so plain objects from the API
 * (or from Kubernetes) fit without conversion.
 */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>> | null;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string | null;
}

export interface L2AnnouncementPolicySpec {
  readonly serviceSelector?: LabelSelector | null;
  readonly nodeSelector?: LabelSelector | null;
  /** Regular expressions, OR-ed and unanchored (as Cilium does): `eth0` also matches `veth0`. */
  readonly interfaces?: readonly string[] | null;
  readonly externalIPs?: boolean | null;
  readonly loadBalancerIPs?: boolean | null;
}

export interface L2AnnouncementPolicy {
  readonly metadata: ObjectMeta;
  readonly spec?: L2AnnouncementPolicySpec | null;
}

export interface ServiceSpec {
  readonly type?: string;
  readonly loadBalancerClass?: string | null;
  readonly externalIPs?: readonly string[] | null;
  readonly externalTrafficPolicy?: string | null;
  readonly selector?: Readonly<Record<string, string>> | null;
}

export interface LoadBalancerIngress {
  readonly ip?: string;
  readonly hostname?: string;
}

export interface Service {
  readonly metadata: ObjectMeta;
  readonly spec?: ServiceSpec | null;
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly LoadBalancerIngress[] | null } | null } | null;
}

export interface Node {
  readonly metadata: ObjectMeta;
}

export interface EndpointConditions {
  readonly ready?: boolean | null;
  readonly serving?: boolean | null;
  readonly terminating?: boolean | null;
}

export interface Endpoint {
  readonly addresses?: readonly string[];
  readonly conditions?: EndpointConditions | null;
  readonly nodeName?: string | null;
}

export interface EndpointSlice {
  readonly metadata: ObjectMeta;
  readonly addressType?: string;
  readonly endpoints?: readonly Endpoint[] | null;
}

/** A network interface of this node, as the announcer sees it (from /sys/class/net). */
export interface NodeInterface {
  readonly name: string;
  readonly mac: string;
  /** Carrier up and administratively up (operstate up, or unknown with carrier). */
  readonly up: boolean;
  readonly loopback?: boolean;
  /** IFF_NOARP (e.g. dummy, tun, WireGuard): no neighbour discovery on it. */
  readonly noArp?: boolean;
  /** Enslaved to a bridge or bond: the master answers, not the port. */
  readonly hasMaster?: boolean;
}

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

export const serviceKey = (s: ServiceRef): string => `${s.namespace}/${s.name}`;

export type AddressOrigin = 'loadBalancerIP' | 'externalIP';
