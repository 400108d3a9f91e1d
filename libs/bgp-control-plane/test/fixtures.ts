import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { BgpInputs, KubeObject, NodeInfo, SecretValue } from '../src';

/** The talk's manifests, kept once in the repository (examples/talk). */
export const SEED_DIR = join(__dirname, '..', '..', '..', 'examples', 'talk');

/** Every object of the talk's seed manifests. */
export const seedObjects = (): KubeObject[] =>
  readdirSync(SEED_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(SEED_DIR, f), 'utf8')).map((d) => d.toJS() as KubeObject))
    .filter((o) => o && o.kind);

export const ofKind = (objs: readonly KubeObject[], kind: string): KubeObject[] => objs.filter((o) => o.kind === kind);

export const rack0Node = (name = 'node-1', extra: Partial<NodeInfo> = {}): NodeInfo => ({
  name,
  labels: { rack: 'rack0', 'kubernetes.io/hostname': name },
  addresses: [
    { type: 'InternalIP', address: '10.0.0.2' },
    { type: 'InternalIP', address: 'fd00:10::2' },
  ],
  podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'],
  ...extra,
});

export const secret = (name: string, password?: string): [string, SecretValue] => [
  name,
  { namespace: 'kube-system', name, data: password === undefined ? {} : { password } },
];

export interface ServiceOptions {
  labels?: Record<string, string>;
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  externalIPs?: string[];
  ingress?: string[];
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  loadBalancerClass?: string;
}

export const service = (ns: string, name: string, o: ServiceOptions = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns, labels: o.labels ?? {} },
  spec: {
    type: o.type ?? 'LoadBalancer',
    ...(o.clusterIP ? { clusterIP: o.clusterIP, clusterIPs: o.clusterIPs ?? [o.clusterIP] } : {}),
    ...(o.externalIPs ? { externalIPs: o.externalIPs } : {}),
    ...(o.externalTrafficPolicy ? { externalTrafficPolicy: o.externalTrafficPolicy } : {}),
    ...(o.internalTrafficPolicy ? { internalTrafficPolicy: o.internalTrafficPolicy } : {}),
    ...(o.loadBalancerClass ? { loadBalancerClass: o.loadBalancerClass } : {}),
  },
  status: { loadBalancer: { ingress: (o.ingress ?? []).map((ip) => ({ ip })) } },
});

export const endpointSlice = (
  ns: string,
  svc: string,
  endpoints: Array<{ nodeName: string; ready?: boolean; terminating?: boolean }>,
): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svc}-abc`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: endpoints.map((e, i) => ({
    addresses: [`10.244.0.${i + 10}`],
    nodeName: e.nodeName,
    conditions: { ...(e.ready !== undefined ? { ready: e.ready } : {}), ...(e.terminating !== undefined ? { terminating: e.terminating } : {}) },
  })),
});

/** Inputs from the seed's BGP manifests, with the secret present, and the given extras. */
export const seedInputs = (over: Partial<BgpInputs> = {}): BgpInputs => {
  const objs = seedObjects();
  return {
    node: rack0Node(),
    clusterConfigs: ofKind(objs, 'CiliumBGPClusterConfig').map((o) => ({ ...o, metadata: { ...o.metadata, uid: `uid-${o.metadata?.name}` } })),
    peerConfigs: ofKind(objs, 'CiliumBGPPeerConfig'),
    advertisements: ofKind(objs, 'CiliumBGPAdvertisement'),
    nodeConfigOverrides: [],
    services: [],
    endpointSlices: [],
    secrets: new Map([secret('bgp-auth-secret', 's3cr3t')]),
    ...over,
  };
};

export const advert = (name: string, labels: Record<string, string>, advertisements: unknown[]): KubeObject => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumBGPAdvertisement',
  metadata: { name, labels },
  spec: { advertisements },
});

export const peerConfig = (name: string, spec: Record<string, unknown>, apiVersion = 'cilium.io/v2'): KubeObject => ({
  apiVersion,
  kind: 'CiliumBGPPeerConfig',
  metadata: { name },
  spec,
});

export const clusterConfig = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumBGPClusterConfig',
  metadata: { name, uid: `uid-${name}`, ...extra },
  spec,
});
