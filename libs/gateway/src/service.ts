import { GATEWAY_API_VERSION, GATEWAY_NAME_LABEL, LBIPAM_IPS_ANNOTATION, OWNING_GATEWAY_LABEL, SERVICE_NAME_PREFIX } from './constants';
import type { ListenerDecision } from './listeners';
import type { Gateway, OwnerReference, Service, ServicePort } from './types';

/** FNV-1a (32 bit), hex: a short, stable suffix for names that must be shortened. */
const fnv1a = (s: string): string => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
};

/**
 * A DNS-1035 label of at most 63 characters from `s`: kept as is when it already is one,
 * otherwise dots and other characters become `-`, and it is cut and suffixed with a hash of the
 * original so two long names stay distinct (Gateway names may be 253-character subdomains;
 * Service names and label values may not).
 */
export const shortName = (s: string, max = 63): string => {
  if (s.length <= max && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(s)) return s;
  const clean = s.toLowerCase().replace(/[^-a-z0-9]/g, '-');
  const hash = fnv1a(s);
  const head = clean.slice(0, max - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
};

/** A label value (≤ 63 characters, alphanumerics at both ends); long Gateway names are shortened. */
const labelValue = (s: string): string => (s.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(s) ? s : shortName(s));

/** `cilium-gateway-<gateway>` (shortened with a hash when that is no valid Service name). */
export const gatewayServiceName = (gateway: string): string => shortName(`${SERVICE_NAME_PREFIX}${gateway}`);

/** The LoadBalancer Service a Gateway gets, as a server-side apply configuration (only the fields the translator owns). */
export interface GatewayService {
  readonly apiVersion: 'v1';
  readonly kind: 'Service';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences: readonly OwnerReference[];
  };
  readonly spec: { readonly type: 'LoadBalancer'; readonly ports: readonly ServicePort[] };
}

/** The IPAddress values of `spec.addresses` (an entry without a value asks for any address). */
export const requestedAddresses = (gw: Gateway): string[] =>
  (gw.spec?.addresses ?? []).filter((a) => (a.type ?? 'IPAddress') === 'IPAddress' && a.value).map((a) => a.value!);

/**
 * Gateway → its LoadBalancer Service, as Cilium makes it (operator/pkg/model/translation,
 * cilium/cilium#29122):
 * - name `cilium-gateway-<gateway>` in the Gateway's namespace, owned by the Gateway
 *   (`controller: true`, so deleting the Gateway deletes the Service);
 * - labels: `spec.infrastructure.labels` plus `io.cilium.gateway/owning-gateway` and
 *   `gateway.networking.k8s.io/gateway-name` (the latter two always win);
 * - annotations: `spec.infrastructure.annotations`, plus `lbipam.cilium.io/ips` from the
 *   IPAddress entries of `spec.addresses` unless the annotations already set it;
 * - type LoadBalancer, one port `port-<n>` (TCP) per distinct port of the valid listeners.
 */
export const desiredService = (gw: Gateway, listeners: readonly ListenerDecision[]): GatewayService => {
  const name = gw.metadata.name;
  const infra = gw.spec?.infrastructure;
  const annotations: Record<string, string> = { ...(infra?.annotations ?? {}) };
  const ips = requestedAddresses(gw);
  if (ips.length > 0 && annotations[LBIPAM_IPS_ANNOTATION] === undefined) annotations[LBIPAM_IPS_ANNOTATION] = ips.join(',');
  const ports = [...new Set(listeners.filter((l) => l.valid).map((l) => l.listener.port))]
    .sort((a, b) => a - b)
    .map((port): ServicePort => ({ name: `port-${port}`, port, protocol: 'TCP' }));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: gatewayServiceName(name),
      namespace: gw.metadata.namespace ?? 'default',
      labels: { ...(infra?.labels ?? {}), [OWNING_GATEWAY_LABEL]: labelValue(name), [GATEWAY_NAME_LABEL]: labelValue(name) },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [{ apiVersion: GATEWAY_API_VERSION, kind: 'Gateway', name, uid: gw.metadata.uid ?? '', controller: true }],
    },
    spec: { type: 'LoadBalancer', ports },
  };
};

/**
 * Whether the Service as it is differs from what the translator applies in any field the
 * translator owns (labels and annotations it sets, owner, type, ports), so an apply is due.
 * Fields others added (more labels, status, clusterIP, nodePorts…) do not count.
 */
export const serviceDrifted = (desired: GatewayService, current: Service | undefined): boolean => {
  if (!current) return true;
  const m = current.metadata;
  for (const [k, v] of Object.entries(desired.metadata.labels)) if (m.labels?.[k] !== v) return true;
  for (const [k, v] of Object.entries(desired.metadata.annotations ?? {})) if (m.annotations?.[k] !== v) return true;
  const owners = (m.ownerReferences ?? []).map((r) => `${r.apiVersion}|${r.kind}|${r.name}|${r.uid}|${r.controller === true}`);
  const want = desired.metadata.ownerReferences.map((r) => `${r.apiVersion}|${r.kind}|${r.name}|${r.uid}|${r.controller === true}`);
  if (owners.length !== want.length || owners.some((o, i) => o !== want[i])) return true;
  if (current.spec?.type !== desired.spec.type) return true;
  const ports = (current.spec?.ports ?? []).map((p) => `${p.name ?? ''}|${p.port}|${p.protocol ?? 'TCP'}`);
  const wantPorts = desired.spec.ports.map((p) => `${p.name ?? ''}|${p.port}|${p.protocol ?? 'TCP'}`);
  return ports.length !== wantPorts.length || ports.some((p, i) => p !== wantPorts[i]);
};
