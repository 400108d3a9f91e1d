/** Cilium kinds are stored once (v2) and served as v2alpha1 and v2: conversions round-trip. */
import { describe, expect, it } from 'vitest';
import { admit, convert, toStorage } from '../src';
import { SEED } from './fixtures';

const store = (m: unknown) => {
  const r = admit(m, { operation: 'create' });
  if (!r.ok) throw new Error(JSON.stringify(r.causes, null, 1));
  return r.object;
};

/** Fully specified v2alpha1 objects (every field both versions share, plus v2alpha1-only ones). */
const V2ALPHA1: Record<string, any>[] = [
  {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumLoadBalancerIPPool',
    metadata: { name: 'p', labels: { a: 'b' } },
    spec: { blocks: [{ cidr: '10.0.0.0/24' }, { start: '10.0.1.10', stop: '10.0.1.20' }], allowFirstLastIPs: 'No', disabled: true, serviceSelector: { matchLabels: { color: 'blue' } } },
  },
  {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumBGPClusterConfig',
    metadata: { name: 'c' },
    spec: {
      nodeSelector: { matchLabels: { rack: 'rack0' } },
      bgpInstances: [{ name: 'i', localASN: 65000, localPort: 1790, peers: [{ name: 'tor', peerAddress: '10.0.0.1', peerASN: 65001, peerConfigRef: { name: 'pc', group: 'cilium.io', kind: 'CiliumBGPPeerConfig' } }] }],
    },
  },
  {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumBGPPeerConfig',
    metadata: { name: 'pc' },
    spec: {
      transport: { localPort: 1790, peerPort: 1179 },
      timers: { connectRetryTimeSeconds: 5, holdTimeSeconds: 9, keepAliveTimeSeconds: 3 },
      authSecretRef: 's',
      gracefulRestart: { enabled: true, restartTimeSeconds: 30 },
      ebgpMultihop: 2,
      families: [{ afi: 'ipv6', safi: 'unicast', advertisements: { matchLabels: { a: 'b' } } }],
    },
  },
  {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumBGPAdvertisement',
    metadata: { name: 'a' },
    spec: { advertisements: [{ advertisementType: 'Service', service: { addresses: ['LoadBalancerIP'], aggregationLengthIPv4: 24 }, selector: { matchLabels: { a: 'b' } }, attributes: { communities: { standard: ['65000:1'], wellKnown: ['no-export'], large: ['1:2:3'] }, localPreference: 200 } }] },
  },
  {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumBGPNodeConfig',
    metadata: { name: 'node-1' },
    spec: { bgpInstances: [{ name: 'i', localASN: 65000, routerID: '10.0.0.5', peers: [{ name: 'tor', peerAddress: '10.0.0.1', peerASN: 65001, localAddress: '10.0.0.5', peerConfigRef: { name: 'pc', group: 'cilium.io', kind: 'CiliumBGPPeerConfig' } }] }] },
  },
  {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumBGPNodeConfigOverride',
    metadata: { name: 'node-1' },
    spec: { bgpInstances: [{ name: 'i', routerID: '10.0.0.5', localPort: 179, localASN: 65000, peers: [{ name: 'tor', localAddress: '10.0.0.5' }] }] },
  },
];

describe('v2alpha1 → v2 → v2alpha1', () => {
  it.each(V2ALPHA1.map((m) => [m.kind, m] as const))('%s is an identity', (_k, m) => {
    const stored = store(m);
    expect(stored.apiVersion).toBe('cilium.io/v2');
    const back = convert(stored, 'cilium.io/v2alpha1');
    // Every field is given, so no default is added: the read is exactly what was written.
    expect(back).toEqual(m);
  });

  it('the seed pool (cidrs) reads back as blocks in v2alpha1 and v2', () => {
    const stored = store(SEED['05-lb-ip-pool.yaml']);
    expect((convert(stored, 'cilium.io/v2alpha1') as any).spec.blocks).toEqual([{ cidr: '20.0.10.0/24' }]);
    expect((stored as any).spec.blocks).toEqual([{ cidr: '20.0.10.0/24' }]);
  });

  it('cidrs and blocks together are merged, blocks first', () => {
    const stored = store({ apiVersion: 'cilium.io/v2alpha1', kind: 'CiliumLoadBalancerIPPool', metadata: { name: 'p' }, spec: { blocks: [{ cidr: '10.0.0.0/24' }], cidrs: [{ cidr: '10.0.1.0/24' }] } });
    expect((stored as any).spec.blocks).toEqual([{ cidr: '10.0.0.0/24' }, { cidr: '10.0.1.0/24' }]);
  });

  it('peerConfigRef group/kind exist only in v2alpha1', () => {
    const stored = store(SEED['01-bgp-cluster-config.yaml']) as any;
    expect(stored.spec.bgpInstances[0].peers[0].peerConfigRef).toEqual({ name: 'cilium-peer' });
    expect((convert(stored, 'cilium.io/v2alpha1') as any).spec.bgpInstances[0].peers[0].peerConfigRef).toEqual({ name: 'cilium-peer', group: 'cilium.io', kind: 'CiliumBGPPeerConfig' });
  });

  it('v2alpha1-only transport.localPort survives in storage through an annotation', () => {
    const stored = store(V2ALPHA1[2]) as any;
    expect(stored.spec.transport).toEqual({ peerPort: 1179 });
    expect(Object.keys(stored.metadata.annotations)).toEqual(['conversion.bosun.io/v2alpha1-fields']);
  });
});

describe('v2 → v2alpha1 → v2', () => {
  const V2 = [
    {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumBGPAdvertisement',
      metadata: { name: 'a' },
      spec: { advertisements: [{ advertisementType: 'Service', service: { addresses: ['ClusterIP'] }, selector: { matchLabels: { a: 'b' } } }, { advertisementType: 'Interface', interface: { name: 'lo' } }, { advertisementType: 'PodCIDR' }] },
    },
    {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumBGPClusterConfig',
      metadata: { name: 'c' },
      spec: { bgpInstances: [{ name: 'i', localASN: 65000, peers: [{ name: 'tor', autoDiscovery: { mode: 'DefaultGateway', defaultGateway: { addressFamily: 'ipv6' } }, peerConfigRef: { name: 'pc' } }, { name: 'u', peerAddress: 'fe80::1', peerInterface: 'eth1' }] }] },
    },
    { apiVersion: 'cilium.io/v2', kind: 'CiliumBGPPeerConfig', metadata: { name: 'pc' }, spec: { transport: { sourceInterface: 'lo', peerPort: 179 } } },
  ];

  it.each(V2.map((m) => [m.kind, m] as const))('%s: v2-only fields come back after a v2alpha1 read and write', (_k, m) => {
    const stored = store(m);
    const alpha = convert(stored, 'cilium.io/v2alpha1');
    // A v2alpha1 client reads, then writes the object back unchanged.
    const rewritten = admit(alpha, { operation: 'update', old: stored });
    if (!rewritten.ok) throw new Error(JSON.stringify(rewritten.causes, null, 1));
    expect(rewritten.object).toEqual(stored);
  });

  it('the Interface advertisement is not shown to v2alpha1 readers', () => {
    const alpha = convert(store(V2[0]), 'cilium.io/v2alpha1') as any;
    expect(alpha.spec.advertisements.map((a: any) => a.advertisementType)).toEqual(['Service', 'PodCIDR']);
  });

  it('toStorage of a v2 object is the object', () => {
    const stored = store(V2[2]);
    expect(toStorage(stored)).toEqual(stored);
  });
});

describe('Gateway API versions', () => {
  it('v1beta1 HTTPRoute is stored as v1 and read back as v1beta1', () => {
    const m = { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'd' }, spec: { parentRefs: [{ name: 'gw' }] } };
    const stored = store(m);
    expect(stored.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(convert(stored, 'gateway.networking.k8s.io/v1beta1')).toEqual({ ...stored, apiVersion: 'gateway.networking.k8s.io/v1beta1' });
  });
  it('ReferenceGrant v1 is stored as v1beta1 (the CRD storage version)', () => {
    const stored = store({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'ReferenceGrant', metadata: { name: 'g', namespace: 'd' }, spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'x' }], to: [{ group: '', kind: 'Service' }] } });
    expect(stored.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
  });
  it('convert refuses an unserved version', () => {
    const stored = store(SEED['07-gateway-blue.yaml']);
    expect(() => convert(stored, 'gateway.networking.k8s.io/v1alpha2')).toThrow(/not served/);
  });
});
