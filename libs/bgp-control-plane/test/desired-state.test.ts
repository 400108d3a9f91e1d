import { describe, expect, it } from 'vitest';
import { clusterConfigConditions, computeDesiredState, peerConfigConditions, type BgpInputs, type DesiredPeer, type NodeDesiredState } from '../src';
import {
  advert,
  clusterConfig,
  endpointSlice,
  peerConfig,
  rack0Node,
  secret,
  seedInputs,
  service,
} from './fixtures';

const onlyPeer = (s: NodeDesiredState): DesiredPeer => {
  expect(s.instances).toHaveLength(1);
  expect(s.instances[0]!.peers).toHaveLength(1);
  return s.instances[0]!.peers[0]!;
};
const prefixes = (p: DesiredPeer, afi: 'ipv4' | 'ipv6' = 'ipv4'): string[] =>
  p.routes.find((r) => r.family.afi === afi)?.routes.map((r) => r.prefix) ?? [];
const condition = (s: NodeDesiredState, type: string) => s.conditions.find((c) => c.type === type);

/** The gateway's Service as ipam and the gateway translator leave it, plus the `bgp=blue` label. */
const blueGatewayService = (labels: Record<string, string> = { color: 'blue', bgp: 'blue' }, extra = {}) =>
  service('tenant-blue', 'cilium-gateway-gateway-blue', {
    labels: { ...labels, 'io.cilium.gateway/owning-gateway': 'gateway-blue' },
    clusterIP: '10.96.0.10',
    ingress: ['20.0.10.1'],
    ...extra,
  });

describe('the seed (talk) manifests', () => {
  it('given a rack0 node, the seed BGP manifests and bgp-auth-secret, when computed, then one iBGP MD5 session to fd00:10::1 with the talk timers', () => {
    const s = computeDesiredState(seedInputs());
    expect(s.nodeConfig?.owner.name).toBe('cilium-bgp');
    const inst = s.instances[0]!;
    expect(inst).toMatchObject({ name: 'instance-65000', localASN: 65000, routerID: '10.0.0.2' });
    expect(inst.localPort).toBeUndefined(); // no listener: active only, as in Cilium
    const peer = onlyPeer(s);
    expect(peer).toMatchObject({
      name: 'peer-65000-tor1',
      peerAddress: 'fd00:10::1',
      peerPort: 179,
      peerASN: 65000,
      ibgp: true,
      timers: { connectRetryTimeSeconds: 12, holdTimeSeconds: 9, keepAliveTimeSeconds: 3 },
      gracefulRestart: { enabled: true, restartTimeSeconds: 15 },
      families: [{ afi: 'ipv4', safi: 'unicast' }],
      auth: { secretRef: 'bgp-auth-secret', password: 's3cr3t' },
      nextHop: { ipv4: '10.0.0.2', ipv6: 'fd00:10::2' },
    });
    expect(s.conditions.every((c) => c.status === 'False')).toBe(true);
    expect(s.problems).toEqual([]);
  });

  it.each([
    {
      given: 'the gateway Service labelled bgp=blue and color=blue with LB IP 20.0.10.1',
      services: [blueGatewayService()],
      then: ['10.96.0.10/32', '20.0.10.1/32'],
    },
    { given: 'the same Service without the bgp label', services: [blueGatewayService({ color: 'blue' })], then: [] },
    {
      given: 'service-blue (labelled name=blue, no address) and the labelled gateway Service',
      services: [service('blue', 'service-blue', { labels: { name: 'blue' }, clusterIP: '10.96.0.20' }), blueGatewayService()],
      then: ['10.96.0.10/32', '20.0.10.1/32'],
    },
    {
      given: 'a labelled Service with external IPs and an IPv6 LB address',
      services: [blueGatewayService(undefined, { externalIPs: ['192.0.2.7'], ingress: ['20.0.10.1', '2001:db8::1'] })],
      then: ['10.96.0.10/32', '20.0.10.1/32', '192.0.2.7/32'],
    },
  ])('given $given, when computed, then ipv4 routes are $then', ({ services, then }) => {
    const s = computeDesiredState(seedInputs({ services }));
    expect(prefixes(onlyPeer(s))).toEqual(then);
    // the seed's PeerConfig negotiates IPv4 unicast only
    expect(onlyPeer(s).routes.map((r) => r.family.afi)).toEqual(['ipv4']);
  });

  it('given a node not labelled rack=rack0, when computed, then no BGP runs on it', () => {
    const s = computeDesiredState(seedInputs({ node: rack0Node('node-3', { labels: { rack: 'rack1' } }), services: [blueGatewayService()] }));
    expect(s.nodeConfig).toBeUndefined();
    expect(s.instances).toEqual([]);
  });

  it('given the auth Secret is missing, when computed, then the peer is blocked (never unauthenticated) and MissingAuthSecret is True', () => {
    const s = computeDesiredState(seedInputs({ secrets: new Map(), services: [blueGatewayService()] }));
    expect(s.instances[0]!.peers).toEqual([]);
    expect(s.instances[0]!.blockedPeers).toEqual([
      {
        name: 'peer-65000-tor1',
        peerAddress: 'fd00:10:0:0::1',
        peerASN: 65000,
        reason: 'MissingAuthSecret',
        message: 'Secret kube-system/bgp-auth-secret referenced by authSecretRef does not exist',
        authSecretRef: 'bgp-auth-secret',
      },
    ]);
    expect(condition(s, 'cilium.io/MissingAuthSecret')).toMatchObject({ status: 'True', reason: 'MissingAuthSecret' });
    expect(condition(s, 'cilium.io/MissingAuthSecret')!.message).toContain('bgp-auth-secret');
  });

  it('given the Secret has no password key, when computed, then the peer is blocked as InvalidAuthSecret', () => {
    const s = computeDesiredState(seedInputs({ secrets: new Map([secret('bgp-auth-secret')]) }));
    expect(s.instances[0]!.blockedPeers[0]).toMatchObject({ reason: 'InvalidAuthSecret' });
  });

  it('given a custom secrets namespace, when the Secret is missing, then the message names that namespace', () => {
    const s = computeDesiredState(seedInputs({ secrets: new Map(), secretsNamespace: 'bosun-secrets' }));
    expect(s.instances[0]!.blockedPeers[0]!.message).toContain('bosun-secrets/bgp-auth-secret');
  });
});

describe('Service advertisement rules', () => {
  const allAdvert = (svcAdvert: Record<string, unknown>, attributes?: Record<string, unknown>) =>
    advert('all', { advertise: 'bgp' }, [
      {
        advertisementType: 'Service',
        service: { addresses: ['LoadBalancerIP', 'ClusterIP', 'ExternalIP'], ...svcAdvert },
        selector: { matchExpressions: [{ key: 'never', operator: 'NotIn', values: ['used'] }] },
        ...(attributes ? { attributes } : {}),
      },
    ]);
  const run = (services: BgpInputs['services'], opts: Partial<BgpInputs> = {}, svcAdvert: Record<string, unknown> = {}) =>
    prefixes(onlyPeer(computeDesiredState(seedInputs({ advertisements: [allAdvert(svcAdvert)], services, ...opts }))));

  it.each([
    {
      given: 'eTP=Local and no endpoint at all',
      slices: [],
      then: ['10.96.0.30/32'],
    },
    {
      given: 'eTP=Local and a ready endpoint on this node',
      slices: [endpointSlice('ns', 'web', [{ nodeName: 'node-1', ready: true }])],
      then: ['10.96.0.30/32', '20.0.10.5/32', '192.0.2.5/32'],
    },
    {
      given: 'eTP=Local and an endpoint with unset ready on this node',
      slices: [endpointSlice('ns', 'web', [{ nodeName: 'node-1' }])],
      then: ['10.96.0.30/32', '20.0.10.5/32', '192.0.2.5/32'],
    },
    {
      given: 'eTP=Local and only a not-ready endpoint on this node',
      slices: [endpointSlice('ns', 'web', [{ nodeName: 'node-1', ready: false }])],
      then: ['10.96.0.30/32'],
    },
    {
      given: 'eTP=Local and only a terminating endpoint on this node',
      slices: [endpointSlice('ns', 'web', [{ nodeName: 'node-1', ready: true, terminating: true }])],
      then: ['10.96.0.30/32'],
    },
    {
      given: 'eTP=Local and a ready endpoint on another node only',
      slices: [endpointSlice('ns', 'web', [{ nodeName: 'node-2', ready: true }])],
      then: ['10.96.0.30/32'],
    },
  ])('given $given, when computed, then $then', ({ slices, then }) => {
    const svc = service('ns', 'web', { clusterIP: '10.96.0.30', externalIPs: ['192.0.2.5'], ingress: ['20.0.10.5'], externalTrafficPolicy: 'Local' });
    expect(run([svc], { endpointSlices: slices })).toEqual(then);
  });

  it.each([
    { given: 'no loadBalancerClass', cls: undefined, then: ['10.96.0.31/32', '20.0.10.6/32'] },
    { given: 'loadBalancerClass io.cilium/bgp-control-plane', cls: 'io.cilium/bgp-control-plane', then: ['10.96.0.31/32', '20.0.10.6/32'] },
    { given: 'loadBalancerClass io.cilium/l2-announcer', cls: 'io.cilium/l2-announcer', then: ['10.96.0.31/32'] },
  ])('given $given, when computed, then $then', ({ cls, then }) => {
    const svc = service('ns', 'lb', { clusterIP: '10.96.0.31', ingress: ['20.0.10.6'], ...(cls ? { loadBalancerClass: cls } : {}) });
    expect(run([svc])).toEqual(then);
  });

  it('given a ClusterIP Service with an ingress in status, when computed, then its LB address is not advertised', () => {
    expect(run([service('ns', 'c', { type: 'ClusterIP', clusterIP: '10.96.0.32', ingress: ['20.0.10.9'] })])).toEqual(['10.96.0.32/32']);
  });

  it('given a headless Service, when computed, then no ClusterIP route', () => {
    expect(run([service('ns', 'h', { type: 'ClusterIP', clusterIP: 'None' })])).toEqual([]);
  });

  it('given iTP=Local without a local endpoint, when computed, then the ClusterIP is withheld but the LB IP is not', () => {
    const svc = service('ns', 'i', { clusterIP: '10.96.0.33', ingress: ['20.0.10.7'], internalTrafficPolicy: 'Local' });
    expect(run([svc])).toEqual(['20.0.10.7/32']);
    expect(run([svc], { endpointSlices: [endpointSlice('ns', 'i', [{ nodeName: 'node-1', ready: true }])] })).toEqual(['10.96.0.33/32', '20.0.10.7/32']);
  });

  it('given aggregation lengths, when computed, then covering prefixes are advertised once, except under eTP=Local', () => {
    const a = service('ns', 'a', { clusterIP: '10.96.0.40', ingress: ['20.0.10.1'] });
    const b = service('ns', 'b', { clusterIP: '10.96.0.41', ingress: ['20.0.10.2'] });
    const local = service('ns', 'l', { clusterIP: '10.96.0.42', ingress: ['20.0.10.3'], externalTrafficPolicy: 'Local' });
    const slices = [endpointSlice('ns', 'l', [{ nodeName: 'node-1' }])];
    expect(run([a, b, local], { endpointSlices: slices }, { aggregationLengthIPv4: 24 })).toEqual(['10.96.0.0/24', '20.0.10.0/24', '20.0.10.3/32']);
  });

  it('given a dual-stack Service and a PeerConfig with both families, when computed, then each family gets its own addresses', () => {
    const pc = peerConfig('cilium-peer', {
      authSecretRef: 'bgp-auth-secret',
      families: [
        { afi: 'ipv4', safi: 'unicast', advertisements: { matchLabels: { advertise: 'bgp' } } },
        { afi: 'ipv6', safi: 'unicast', advertisements: { matchLabels: { advertise: 'bgp' } } },
      ],
    });
    const svc = service('ns', 'ds', { clusterIP: '10.96.0.50', clusterIPs: ['10.96.0.50', 'fd00:96::50'], ingress: ['20.0.10.8', '2001:db8:10::8'] });
    const p = onlyPeer(computeDesiredState(seedInputs({ peerConfigs: [pc], advertisements: [allAdvert({})], services: [svc] })));
    expect(prefixes(p, 'ipv4')).toEqual(['10.96.0.50/32', '20.0.10.8/32']);
    expect(prefixes(p, 'ipv6')).toEqual(['2001:db8:10::8/128', 'fd00:96::50/128']);
  });

  it.each([
    { given: 'an advertisement without selector', selector: undefined, then: [] },
    { given: 'an empty selector {}', selector: {}, then: ['10.96.0.60/32'] },
    { given: 'a selector on the virtual label io.kubernetes.service.namespace', selector: { matchLabels: { 'io.kubernetes.service.namespace': 'ns' } }, then: ['10.96.0.60/32'] },
    { given: 'a selector on the virtual label io.kubernetes.service.name of another Service', selector: { matchLabels: { 'io.kubernetes.service.name': 'other' } }, then: [] },
  ])('given $given, when computed, then $then', ({ selector, then }) => {
    const a = advert('sel', { advertise: 'bgp' }, [
      { advertisementType: 'Service', service: { addresses: ['ClusterIP'] }, ...(selector !== undefined ? { selector } : {}) },
    ]);
    const svc = service('ns', 'x', { type: 'ClusterIP', clusterIP: '10.96.0.60' });
    expect(prefixes(onlyPeer(computeDesiredState(seedInputs({ advertisements: [a], services: [svc] }))))).toEqual(then);
  });

  it('given a family without an advertisements selector, when computed, then nothing is advertised on it', () => {
    const pc = peerConfig('cilium-peer', { authSecretRef: 'bgp-auth-secret', families: [{ afi: 'ipv4', safi: 'unicast' }] });
    const p = onlyPeer(computeDesiredState(seedInputs({ peerConfigs: [pc], services: [blueGatewayService()] })));
    expect(prefixes(p)).toEqual([]);
  });
});

describe('attributes', () => {
  const svc = service('ns', 'x', { type: 'ClusterIP', clusterIP: '10.96.0.70' });
  const entry = (attributes: Record<string, unknown>) => ({
    advertisementType: 'Service',
    service: { addresses: ['ClusterIP'] },
    selector: {},
    attributes,
  });

  it('given two adverts for one prefix, when computed, then communities are unioned and the highest local preference wins', () => {
    const a = advert('a', { advertise: 'bgp' }, [entry({ communities: { standard: ['65000:100', '65000:100'], wellKnown: ['no-export'] }, localPreference: 100 })]);
    const b = advert('b', { advertise: 'bgp' }, [entry({ communities: { standard: ['4259840200'], large: ['65000:1:2', '65000:1:2'] }, localPreference: 200 })]);
    const route = onlyPeer(computeDesiredState(seedInputs({ advertisements: [a, b], services: [svc] }))).routes[0]!.routes[0]!;
    expect(route).toEqual({
      prefix: '10.96.0.70/32',
      communities: ['65000:100', '65000:200', '65535:65281'],
      largeCommunities: ['65000:1:2'],
      localPreference: 200,
      sources: ['Service/ns/x/ClusterIP'],
    });
  });

  it('given an eBGP peer, when computed, then local preference is dropped but communities stay', () => {
    const cc = clusterConfig('ebgp', {
      nodeSelector: { matchLabels: { rack: 'rack0' } },
      bgpInstances: [{ name: 'i', localASN: 65001, peers: [{ name: 'tor', peerAddress: '10.0.0.1', peerASN: 65000, peerConfigRef: { name: 'cilium-peer' } }] }],
    });
    const a = advert('a', { advertise: 'bgp' }, [entry({ communities: { standard: ['65000:100'] }, localPreference: 300 })]);
    const p = onlyPeer(computeDesiredState(seedInputs({ clusterConfigs: [cc], advertisements: [a], services: [svc] })));
    expect(p.ibgp).toBe(false);
    expect(p.routes[0]!.routes[0]).toEqual({ prefix: '10.96.0.70/32', communities: ['65000:100'], largeCommunities: [], sources: ['Service/ns/x/ClusterIP'] });
  });

  it('given invalid communities, when computed, then they are named in problems and the reconcile-error condition', () => {
    const a = advert('bad', { advertise: 'bgp' }, [entry({ communities: { standard: ['70000:1'], wellKnown: ['no-such'] } })]);
    const s = computeDesiredState(seedInputs({ advertisements: [a], services: [svc] }));
    expect(s.problems).toEqual([
      'CiliumBGPAdvertisement/bad: spec.advertisements[0].attributes.communities.standard[0]: invalid community "70000:1" (a decimal u32 or <0-65535>:<0-65535>)',
      'CiliumBGPAdvertisement/bad: spec.advertisements[0].attributes.communities.wellKnown[0]: unknown well-known community "no-such"',
    ]);
    expect(s.conditions.find((c) => c.type === 'cilium.io/BGPReconcileError')?.status).toBe('True');
    expect(prefixes(onlyPeer(s))).toEqual(['10.96.0.70/32']);
  });
});

describe('PodCIDR and Interface advertisements', () => {
  it('given a PodCIDR advert and both families, when computed, then each family gets the node pod CIDR of its AFI', () => {
    const pc = peerConfig('cilium-peer', {
      authSecretRef: 'bgp-auth-secret',
      families: [
        { afi: 'ipv4', safi: 'unicast', advertisements: { matchLabels: { advertise: 'bgp' } } },
        { afi: 'ipv6', safi: 'unicast', advertisements: { matchLabels: { advertise: 'bgp' } } },
      ],
    });
    const a = advert('pods', { advertise: 'bgp' }, [{ advertisementType: 'PodCIDR', attributes: { communities: { standard: ['65000:99'] } } }]);
    const p = onlyPeer(computeDesiredState(seedInputs({ peerConfigs: [pc], advertisements: [a] })));
    expect(p.routes).toEqual([
      { family: { afi: 'ipv4', safi: 'unicast' }, routes: [{ prefix: '10.244.1.0/24', communities: ['65000:99'], largeCommunities: [], sources: ['Node/node-1/PodCIDR'] }] },
      { family: { afi: 'ipv6', safi: 'unicast' }, routes: [{ prefix: 'fd00:244:1::/64', communities: ['65000:99'], largeCommunities: [], sources: ['Node/node-1/PodCIDR'] }] },
    ]);
  });

  it('given an Interface advert, when computed, then the usable addresses of that link are advertised as /32 while it is up', () => {
    const a = advert('lo', { advertise: 'bgp' }, [{ advertisementType: 'Interface', interface: { name: 'dummy0' } }]);
    const node = (up: boolean) =>
      rack0Node('node-1', { interfaces: [{ name: 'dummy0', up, addresses: ['198.51.100.1/24', '127.0.0.2/8', 'fe80::1/64'] }] });
    expect(prefixes(onlyPeer(computeDesiredState(seedInputs({ node: node(true), advertisements: [a] }))))).toEqual(['198.51.100.1/32']);
    expect(prefixes(onlyPeer(computeDesiredState(seedInputs({ node: node(false), advertisements: [a] }))))).toEqual([]);
  });
});

describe('peers, PeerConfigs and overrides', () => {
  it('given a peer without peerConfigRef, when computed, then Cilium defaults apply and nothing is advertised', () => {
    const cc = clusterConfig('plain', { bgpInstances: [{ name: 'i', localASN: 65001, peers: [{ name: 'tor', peerAddress: '10.0.0.1', peerASN: 65000 }] }] });
    const p = onlyPeer(computeDesiredState(seedInputs({ clusterConfigs: [cc], services: [blueGatewayService()] })));
    expect(p).toMatchObject({
      peerPort: 179,
      timers: { connectRetryTimeSeconds: 120, holdTimeSeconds: 90, keepAliveTimeSeconds: 30 },
      gracefulRestart: { enabled: false },
      ebgpMultihop: 1,
      families: [{ afi: 'ipv6', safi: 'unicast' }, { afi: 'ipv4', safi: 'unicast' }],
    });
    expect(p.routes.every((r) => r.routes.length === 0)).toBe(true);
    expect(p.auth).toBeUndefined();
  });

  it('given a peer whose PeerConfig does not exist, when computed, then the peer is not started and MissingPeerConfigs names it', () => {
    const s = computeDesiredState(seedInputs({ peerConfigs: [] }));
    expect(s.instances[0]!.peers).toEqual([]);
    expect(s.instances[0]!.blockedPeers[0]).toMatchObject({ name: 'peer-65000-tor1', reason: 'MissingPeerConfig' });
    expect(s.conditions.find((c) => c.type === 'cilium.io/MissingPeerConfigs')).toMatchObject({
      status: 'True',
      message: 'Referenced CiliumBGPPeerConfig(s) are missing: ["cilium-peer"]',
    });
  });

  it('given keepalive > hold, when computed, then the peer is blocked and the field is named', () => {
    const pc = peerConfig('cilium-peer', { timers: { holdTimeSeconds: 9, keepAliveTimeSeconds: 10 } });
    const s = computeDesiredState(seedInputs({ peerConfigs: [pc] }));
    expect(s.instances[0]!.blockedPeers[0]).toMatchObject({ reason: 'InvalidPeerConfig' });
    expect(s.problems).toContain(
      'CiliumBGPPeerConfig/cilium-peer: spec.timers.keepAliveTimeSeconds: must be less than or equal to holdTimeSeconds (10 > 9)',
    );
  });

  it('given a v2alpha1 PeerConfig with transport.localPort, when computed, then it is the session source port', () => {
    const pc = peerConfig('cilium-peer', { transport: { peerPort: 1790, localPort: 1791 }, authSecretRef: 'bgp-auth-secret' }, 'cilium.io/v2alpha1');
    expect(onlyPeer(computeDesiredState(seedInputs({ peerConfigs: [pc] })))).toMatchObject({ peerPort: 1790, localPort: 1791 });
    const v2 = peerConfig('cilium-peer', { transport: { peerPort: 1790, localPort: 1791 }, authSecretRef: 'bgp-auth-secret' });
    expect(onlyPeer(computeDesiredState(seedInputs({ peerConfigs: [v2] }))).localPort).toBeUndefined();
    // stored in v2, the API keeps the v2alpha1-only field in its conversion annotation
    const stored = {
      ...peerConfig('cilium-peer', { transport: { peerPort: 1790 }, authSecretRef: 'bgp-auth-secret' }),
      metadata: { name: 'cilium-peer', annotations: { 'conversion.bosun.io/v2alpha1-fields': JSON.stringify([{ path: ['spec', 'transport', 'localPort'], value: 1791 }]) } },
    };
    expect(onlyPeer(computeDesiredState(seedInputs({ peerConfigs: [stored] })))).toMatchObject({ peerPort: 1790, localPort: 1791 });
  });

  it('given a NodeConfigOverride named after the node, when computed, then routerID, localASN, localPort and peer localAddress/localPort apply', () => {
    const ov = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumBGPNodeConfigOverride',
      metadata: { name: 'node-1' },
      spec: {
        bgpInstances: [
          { name: 'instance-65000', routerID: '192.0.2.1', localASN: 65010, localPort: 1790, peers: [{ name: 'peer-65000-tor1', localAddress: 'fd00:10::2', localPort: 40000 }] },
        ],
      },
    };
    const s = computeDesiredState(seedInputs({ nodeConfigOverrides: [ov] }));
    expect(s.instances[0]).toMatchObject({ routerID: '192.0.2.1', localASN: 65010, localPort: 1790 });
    expect(onlyPeer(s)).toMatchObject({ localAddress: 'fd00:10::2', localPort: 40000, ibgp: false });
    expect(s.nodeConfig!.spec.bgpInstances[0]).toMatchObject({ routerID: '192.0.2.1', localASN: 65010, localPort: 1790 });
  });

  it('given an IPv6-only node and no override, when computed, then the instance is not run and the problem says how to fix it', () => {
    const node = rack0Node('v6', { addresses: [{ type: 'InternalIP', address: 'fd00:10::9' }] });
    const s = computeDesiredState(seedInputs({ node }));
    expect(s.instances).toEqual([]);
    expect(s.problems[0]).toContain('set spec.bgpInstances[].routerID in CiliumBGPNodeConfigOverride/v6');
  });

  it('given two ClusterConfigs selecting the node, when computed, then the current owner keeps it and ConflictingClusterConfig is True', () => {
    const a = clusterConfig('a', { bgpInstances: [{ name: 'ia', localASN: 65001, peers: [] }] }, { creationTimestamp: '2025-01-02T00:00:00Z' });
    const b = clusterConfig('b', { bgpInstances: [{ name: 'ib', localASN: 65002, peers: [] }] }, { creationTimestamp: '2025-01-01T00:00:00Z' });
    const fresh = computeDesiredState(seedInputs({ clusterConfigs: [a, b] }));
    expect(fresh.nodeConfig!.owner.name).toBe('b'); // oldest wins when nobody owns the node yet
    const owned = computeDesiredState(
      seedInputs({
        clusterConfigs: [a, b],
        existingNodeConfig: { metadata: { name: 'node-1', ownerReferences: [{ apiVersion: 'cilium.io/v2', kind: 'CiliumBGPClusterConfig', name: 'a', uid: 'uid-a' }] } },
      }),
    );
    expect(owned.nodeConfig!.owner.name).toBe('a');
    expect(owned.instances.map((i) => i.name)).toEqual(['ia']);
    expect(owned.conditions.find((c) => c.type === 'cilium.io/ConflictingClusterConfig')).toMatchObject({ status: 'True' });
  });

  it('given an unchanged input, when computed twice, then the results are equal (deterministic)', () => {
    const input = seedInputs({ services: [blueGatewayService(), service('ns', 'z', { labels: { bgp: 'blue' }, clusterIP: '10.96.0.1' })] });
    expect(computeDesiredState(input)).toEqual(computeDesiredState(input));
  });
});

describe('v2alpha1 and v2 through the API', () => {
  it('given the seed stored by admission (converted to v2) or read back in v2alpha1, when computed, then the same desired state', async () => {
    const { admit, convert } = await import('@bosun/resources');
    const stored = (o: import('../src').KubeObject) => {
      const r = admit(o, { operation: 'create' });
      if (!r.ok) throw new Error(JSON.stringify(r.causes));
      return r.object as import('../src').KubeObject;
    };
    const base = seedInputs({ services: [blueGatewayService()] });
    const v2 = {
      ...base,
      clusterConfigs: base.clusterConfigs.map((o) => ({ ...stored(o), metadata: { ...stored(o).metadata, uid: o.metadata!.uid } })),
      peerConfigs: base.peerConfigs.map(stored),
      advertisements: base.advertisements.map(stored),
    };
    expect(v2.peerConfigs[0]!.apiVersion).toBe('cilium.io/v2');
    const back = { ...v2, clusterConfigs: v2.clusterConfigs.map((o) => convert(o as Record<string, unknown>, 'cilium.io/v2alpha1') as import('../src').KubeObject) };
    const a = computeDesiredState(base);
    expect(computeDesiredState(v2)).toEqual(a);
    expect(computeDesiredState(back)).toEqual(a);
    expect(prefixes(onlyPeer(a))).toEqual(['10.96.0.10/32', '20.0.10.1/32']);
  });
});

describe('ClusterConfig and PeerConfig conditions (the operator view)', () => {
  it.each([
    { given: 'a rack0 node and its PeerConfig', nodes: [rack0Node()], peerConfigs: ['cilium-peer'], others: [], then: { ConflictingClusterConfig: 'False', MissingPeerConfigs: 'False', NoMatchingNode: 'False' } },
    { given: 'no rack0 node', nodes: [rack0Node('n', { labels: { rack: 'rack1' } })], peerConfigs: ['cilium-peer'], others: [], then: { ConflictingClusterConfig: 'False', MissingPeerConfigs: 'False', NoMatchingNode: 'True' } },
    { given: 'a missing PeerConfig', nodes: [rack0Node()], peerConfigs: [], others: [], then: { ConflictingClusterConfig: 'False', MissingPeerConfigs: 'True', NoMatchingNode: 'False' } },
    {
      given: 'another ClusterConfig selecting all nodes',
      nodes: [rack0Node()],
      peerConfigs: ['cilium-peer'],
      others: [clusterConfig('all', { bgpInstances: [] })],
      then: { ConflictingClusterConfig: 'True', MissingPeerConfigs: 'False', NoMatchingNode: 'False' },
    },
  ])('given $given, when computed, then $then', async ({ nodes, peerConfigs, others, then }) => {
    const cc = seedInputs().clusterConfigs[0]!;
    const conds = clusterConfigConditions(cc, nodes, new Set(peerConfigs), [cc, ...others]);
    expect(Object.fromEntries(conds.map((c) => [c.type.replace('cilium.io/', ''), c.status]))).toEqual(then);
  });

  it('given a PeerConfig whose auth Secret is missing, when computed, then MissingAuthSecret is True and names it', async () => {
    const pc = seedInputs().peerConfigs[0]!;
    expect(peerConfigConditions(pc, new Set(), 'kube-system')[0]).toMatchObject({ type: 'cilium.io/MissingAuthSecret', status: 'True' });
    expect(peerConfigConditions(pc, new Set(), 'kube-system')[0]!.message).toContain('"bgp-auth-secret"');
    expect(peerConfigConditions(pc, new Set(['bgp-auth-secret']), 'kube-system')[0]).toMatchObject({ status: 'False', message: '' });
  });
});
