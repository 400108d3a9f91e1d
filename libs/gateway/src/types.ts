import type { LabelSelector } from '@bosun/resources';

/**
 * The parts of the Gateway API (v1.6.1 standard channel) and core objects the translator reads,
 * as the API serves them (admitted, so CRD defaults are filled in). Fields Bosun does not act on
 * are left out; unknown fields are ignored, never dropped from what users wrote.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** `metav1.Condition`. */
export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
}

export interface LocalParametersReference {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface GatewayClass {
  readonly apiVersion?: string;
  readonly kind?: 'GatewayClass';
  readonly metadata: ObjectMeta;
  readonly spec: { readonly controllerName: string; readonly parametersRef?: LocalParametersReference; readonly description?: string };
  readonly status?: { readonly conditions?: readonly Condition[]; readonly [k: string]: unknown };
}

export type ProtocolType = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | (string & {});

export interface RouteGroupKind {
  readonly group?: string;
  readonly kind: string;
}

export interface SecretObjectReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface Listener {
  readonly name: string;
  readonly hostname?: string;
  readonly port: number;
  readonly protocol: ProtocolType;
  readonly tls?: { readonly mode?: 'Terminate' | 'Passthrough'; readonly certificateRefs?: readonly SecretObjectReference[]; readonly options?: Readonly<Record<string, string>> };
  readonly allowedRoutes?: {
    readonly namespaces?: { readonly from?: 'All' | 'Same' | 'Selector' | (string & {}); readonly selector?: LabelSelector };
    readonly kinds?: readonly RouteGroupKind[];
  };
}

export interface GatewaySpecAddress {
  readonly type?: string;
  readonly value?: string;
}

export interface ListenerStatus {
  readonly name: string;
  readonly supportedKinds: readonly RouteGroupKind[];
  readonly attachedRoutes: number;
  readonly conditions: readonly Condition[];
}

export interface GatewayStatus {
  readonly addresses?: readonly { readonly type?: string; readonly value: string }[];
  readonly conditions?: readonly Condition[];
  readonly listeners?: readonly ListenerStatus[];
  readonly [k: string]: unknown;
}

export interface Gateway {
  readonly apiVersion?: string;
  readonly kind?: 'Gateway';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly gatewayClassName: string;
    readonly listeners: readonly Listener[];
    readonly addresses?: readonly GatewaySpecAddress[];
    readonly infrastructure?: {
      readonly labels?: Readonly<Record<string, string>>;
      readonly annotations?: Readonly<Record<string, string>>;
      readonly parametersRef?: { readonly group: string; readonly kind: string; readonly name: string };
    };
  };
  readonly status?: GatewayStatus;
}

export interface ParentReference {
  readonly group?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name: string;
  readonly sectionName?: string;
  readonly port?: number;
}

export interface BackendRef {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly port?: number;
  readonly weight?: number;
}

export interface HTTPRouteFilter {
  readonly type: string;
  readonly [k: string]: unknown;
}

export interface HTTPRouteRule {
  readonly name?: string;
  readonly matches?: readonly Record<string, unknown>[];
  readonly filters?: readonly HTTPRouteFilter[];
  readonly backendRefs?: readonly (BackendRef & { readonly filters?: readonly HTTPRouteFilter[] })[];
}

export interface RouteParentStatus {
  readonly parentRef: ParentReference;
  readonly controllerName: string;
  readonly conditions: readonly Condition[];
}

export interface HTTPRoute {
  readonly apiVersion?: string;
  readonly kind?: 'HTTPRoute';
  readonly metadata: ObjectMeta;
  readonly spec: { readonly parentRefs?: readonly ParentReference[]; readonly hostnames?: readonly string[]; readonly rules?: readonly HTTPRouteRule[] };
  readonly status?: { readonly parents?: readonly RouteParentStatus[]; readonly [k: string]: unknown };
}

export interface ReferenceGrant {
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly from: readonly { readonly group: string; readonly kind: string; readonly namespace: string }[];
    readonly to: readonly { readonly group: string; readonly kind: string; readonly name?: string }[];
  };
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly protocol?: string;
  readonly targetPort?: number | string;
  readonly nodePort?: number;
}

export interface Service {
  readonly apiVersion?: string;
  readonly kind?: 'Service';
  readonly metadata: ObjectMeta;
  readonly spec?: { readonly type?: string; readonly ports?: readonly ServicePort[]; readonly [k: string]: unknown };
  readonly status?: {
    readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[] };
    readonly conditions?: readonly Condition[];
  };
}

export interface Namespace {
  readonly metadata: ObjectMeta;
}

/**
 * What the translator needs to know about a Secret: never its values. The app reads the
 * Secret, checks that `tls.crt`/`tls.key` parse as a certificate and a private key, and keeps
 * only this summary.
 */
export interface SecretSummary {
  readonly namespace: string;
  readonly name: string;
  readonly type?: string;
  /** Whether the data holds a PEM certificate (`tls.crt`) and a matching PEM private key (`tls.key`). */
  readonly validTLS: boolean;
  /** Why not, when not (no values in it). */
  readonly problem?: string;
}
