/** Names shared with Cilium, so manifests, selectors and dashboards written for Cilium keep working. */

/** The `spec.controllerName` of the GatewayClasses Bosun serves (Cilium's). */
export const CONTROLLER_NAME = 'io.cilium/gateway-controller';

/** The GatewayClass Cilium's Helm chart installs (`gatewayAPI.gatewayClass.create`), used by the talk's Gateway. */
export const DEFAULT_GATEWAY_CLASS = 'cilium';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_VERSION = `${GATEWAY_API_GROUP}/v1`;

/** The generated LoadBalancer Service: `cilium-gateway-<gateway>`. */
export const SERVICE_NAME_PREFIX = 'cilium-gateway-';
export const serviceNameFor = (gateway: string): string => `${SERVICE_NAME_PREFIX}${gateway}`;

export const OWNING_GATEWAY_LABEL = 'io.cilium.gateway/owning-gateway';
/** What the GatewayInfrastructure conformance test lists the Gateway's infrastructure by. */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
/** LB IPAM's requested-addresses annotation (spec.addresses of type IPAddress end up here). */
export const LBIPAM_IPS_ANNOTATION = 'lbipam.cilium.io/ips';
/** Set by ipam on Services: whether LB IPAM could satisfy the request (its message says why not). */
export const IPAM_REQUEST_SATISFIED_CONDITION = 'cilium.io/IPAMRequestSatisfied';

/** The label every Namespace carries (kube-apiserver sets it; Bosun assumes it when absent). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Condition types and reasons of Gateway API v1.6.1 (apis/v1/*_types.go). */
export const ConditionType = {
  Accepted: 'Accepted',
  Programmed: 'Programmed',
  ResolvedRefs: 'ResolvedRefs',
  Conflicted: 'Conflicted',
  OverlappingTLSConfig: 'OverlappingTLSConfig',
} as const;

export const Reason = {
  // GatewayClass
  Accepted: 'Accepted',
  InvalidParameters: 'InvalidParameters',
  // Gateway
  Invalid: 'Invalid',
  ListenersNotValid: 'ListenersNotValid',
  UnsupportedAddress: 'UnsupportedAddress',
  Programmed: 'Programmed',
  AddressNotAssigned: 'AddressNotAssigned',
  AddressNotUsable: 'AddressNotUsable',
  Pending: 'Pending',
  // Listener
  UnsupportedProtocol: 'UnsupportedProtocol',
  UnsupportedValue: 'UnsupportedValue',
  ResolvedRefs: 'ResolvedRefs',
  InvalidCertificateRef: 'InvalidCertificateRef',
  InvalidRouteKinds: 'InvalidRouteKinds',
  RefNotPermitted: 'RefNotPermitted',
  HostnameConflict: 'HostnameConflict',
  ProtocolConflict: 'ProtocolConflict',
  NoConflicts: 'NoConflicts',
  OverlappingHostnames: 'OverlappingHostnames',
  // Route
  NotAllowedByListeners: 'NotAllowedByListeners',
  NoMatchingListenerHostname: 'NoMatchingListenerHostname',
  NoMatchingParent: 'NoMatchingParent',
  IncompatibleFilters: 'IncompatibleFilters',
  InvalidKind: 'InvalidKind',
  BackendNotFound: 'BackendNotFound',
} as const;
