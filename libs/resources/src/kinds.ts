/**
 * The kinds the API serves: where they live in the REST tree and how they are stored.
 * One entry per kind; every version listed is served, and objects are stored once, in
 * `storageVersion` (other versions are converted on the way in and out).
 */
export interface KindInfo {
  /** API group; '' for the core group (`/api/v1`). */
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly namespaced: boolean;
  /** Served versions, preferred first. */
  readonly versions: readonly string[];
  readonly storageVersion: string;
  /** Has a `status` subresource (spec changes and status changes are separate writes). */
  readonly hasStatus: boolean;
  /** Read-only kind that exists only as a projection of other contexts' events (e.g. L2 Leases). */
  readonly projected?: boolean;
}

const k = (i: Omit<KindInfo, 'singular' | 'categories' | 'storageVersion' | 'shortNames'> & Partial<KindInfo>): KindInfo => ({
  singular: i.kind.toLowerCase(),
  categories: [],
  shortNames: [],
  storageVersion: i.versions[0]!,
  ...i,
});

const cilium = (kind: string, plural: string, shortNames: string[], opts: Partial<KindInfo> = {}): KindInfo =>
  k({ group: 'cilium.io', kind, plural, shortNames, namespaced: false, versions: ['v2', 'v2alpha1'], hasStatus: true, categories: ['cilium'], ...opts });

const gateway = (kind: string, plural: string, shortNames: string[], opts: Partial<KindInfo> = {}): KindInfo =>
  k({ group: 'gateway.networking.k8s.io', kind, plural, shortNames, namespaced: true, versions: ['v1'], hasStatus: true, categories: ['gateway-api'], ...opts });

export const KINDS: readonly KindInfo[] = [
  // core
  k({ group: '', kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], namespaced: false, versions: ['v1'], hasStatus: true }),
  k({ group: '', kind: 'Node', plural: 'nodes', shortNames: ['no'], namespaced: false, versions: ['v1'], hasStatus: true }),
  k({ group: '', kind: 'Pod', plural: 'pods', shortNames: ['po'], namespaced: true, versions: ['v1'], hasStatus: true }),
  k({ group: '', kind: 'Service', plural: 'services', shortNames: ['svc'], namespaced: true, versions: ['v1'], hasStatus: true }),
  k({ group: '', kind: 'Secret', plural: 'secrets', shortNames: [], namespaced: true, versions: ['v1'], hasStatus: false }),
  k({ group: 'discovery.k8s.io', kind: 'EndpointSlice', plural: 'endpointslices', shortNames: [], namespaced: true, versions: ['v1'], hasStatus: false }),
  k({ group: 'networking.k8s.io', kind: 'NetworkPolicy', plural: 'networkpolicies', shortNames: ['netpol'], namespaced: true, versions: ['v1'], hasStatus: false }),
  // projected (read-only): Cilium's L2 announcement leases `cilium-l2announce-<ns>-<svc>`
  k({ group: 'coordination.k8s.io', kind: 'Lease', plural: 'leases', shortNames: [], namespaced: true, versions: ['v1'], hasStatus: false, projected: true }),
  // cilium.io
  cilium('CiliumLoadBalancerIPPool', 'ciliumloadbalancerippools', ['ippools', 'ippool', 'lbippool', 'lbippools']),
  cilium('CiliumBGPClusterConfig', 'ciliumbgpclusterconfigs', ['cbgpcluster'], { categories: ['cilium', 'ciliumbgp'] }),
  cilium('CiliumBGPPeerConfig', 'ciliumbgppeerconfigs', ['cbgppeer'], { categories: ['cilium', 'ciliumbgp'] }),
  cilium('CiliumBGPAdvertisement', 'ciliumbgpadvertisements', ['cbgpadvert'], { categories: ['cilium', 'ciliumbgp'], hasStatus: false }),
  cilium('CiliumBGPNodeConfig', 'ciliumbgpnodeconfigs', ['cbgpnode'], { categories: ['cilium', 'ciliumbgp'] }),
  cilium('CiliumBGPNodeConfigOverride', 'ciliumbgpnodeconfigoverrides', ['cbgpnodeoverride'], { categories: ['cilium', 'ciliumbgp'], hasStatus: false }),
  cilium('CiliumL2AnnouncementPolicy', 'ciliuml2announcementpolicies', ['l2announcement'], { versions: ['v2alpha1'] }),
  cilium('CiliumNetworkPolicy', 'ciliumnetworkpolicies', ['cnp', 'ciliumnp'], { namespaced: true, versions: ['v2'], categories: ['cilium', 'ciliumpolicy'] }),
  cilium('CiliumClusterwideNetworkPolicy', 'ciliumclusterwidenetworkpolicies', ['ccnp'], { versions: ['v2'], categories: ['cilium', 'ciliumpolicy'] }),
  // gateway.networking.k8s.io
  // Versions as gateway-api v1.6.1's standard CRDs serve them (v1beta1 shares the v1 schema;
  // ReferenceGrant is still stored as v1beta1 there).
  gateway('GatewayClass', 'gatewayclasses', ['gc'], { namespaced: false, versions: ['v1', 'v1beta1'] }),
  gateway('Gateway', 'gateways', ['gtw'], { versions: ['v1', 'v1beta1'] }),
  gateway('HTTPRoute', 'httproutes', [], { versions: ['v1', 'v1beta1'] }),
  gateway('GRPCRoute', 'grpcroutes', []),
  gateway('ReferenceGrant', 'referencegrants', ['refgrant'], { versions: ['v1', 'v1beta1'], storageVersion: 'v1beta1', hasStatus: false }),
];

const byGroupKind = new Map(KINDS.map((i) => [`${i.group}/${i.kind}`, i]));
const byGroupPlural = new Map(KINDS.map((i) => [`${i.group}/${i.plural}`, i]));

/** Splits `apiVersion` into group and version (`v1` → core group). */
export const parseApiVersion = (apiVersion: string): { group: string; version: string } => {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
};
export const apiVersionOf = (group: string, version: string): string => (group ? `${group}/${version}` : version);

export const kindByGroupKind = (group: string, kind: string): KindInfo | undefined => byGroupKind.get(`${group}/${kind}`);
export const kindByGroupPlural = (group: string, plural: string): KindInfo | undefined => byGroupPlural.get(`${group}/${plural}`);

/** Resolves what a user typed (`svc`, `ippools`, `Service`, `gateways.gateway.networking.k8s.io`). */
export const resolveKindName = (name: string): KindInfo | undefined => {
  const lower = name.toLowerCase();
  const dot = lower.indexOf('.');
  const [base, group] = dot < 0 ? [lower, undefined] : [lower.slice(0, dot), lower.slice(dot + 1)];
  return KINDS.find(
    (i) =>
      (group === undefined || i.group === group) &&
      (i.plural === base || i.singular === base || i.kind.toLowerCase() === base || i.shortNames.includes(base)),
  );
};
