import { describe, expect, it } from 'vitest';
import { catalogue } from '@bosun/contracts';
import { decide, evolve, foldAdvertisedRoutes, foldBgpNodeEvents, initialBgpNodeState, type BgpNodeCommand, type BgpNodeEvent, type BgpNodeState, type NodeStatusData } from '../src';

/** given (past events) / when (command) / then (new events) */
const given = (events: BgpNodeEvent[]): BgpNodeState => events.reduce(evolve, initialBgpNodeState('node-1'));
const then = (state: BgpNodeState, command: BgpNodeCommand): BgpNodeEvent[] => {
  const events = decide(command, state);
  for (const e of events) catalogue.validate(e.type, e.data); // every event matches its contract
  return events;
};

const peer = { instance: 'instance-65000', peer: 'tor', peerAddress: 'fd00:10::1' };
const advertised = (prefixes: string[]): BgpNodeEvent => ({
  type: 'bgp.RouteAdvertised',
  data: { node: 'node-1', ...peer, afi: 'ipv4', safi: 'unicast', prefixes },
});
const status = (state: 'established' | 'idle', advertisedCount = 1): NodeStatusData => ({
  node: 'node-1',
  clusterConfig: 'cilium-bgp',
  bgpInstances: [
    {
      name: 'instance-65000',
      localASN: 65000,
      peers: [{ name: 'tor', peerAddress: 'fd00:10::1', peerASN: 65000, peeringState: state, routeCount: [{ afi: 'ipv4', safi: 'unicast', advertised: advertisedCount, received: 0 }] }],
    },
  ],
  conditions: [],
});

describe('bgp-node decider', () => {
  it('given nothing, when a peer is observed established, then PeerStateChanged idle → established', () => {
    expect(
      then(given([]), { type: 'ObservePeerState', ...peer, localASN: 65000, peerASN: 65000, state: 'established' }),
    ).toEqual([
      { type: 'bgp.PeerStateChanged', data: { node: 'node-1', ...peer, localASN: 65000, peerASN: 65000, from: 'idle', to: 'established' } },
    ]);
  });

  it('given the peer is established, when observed established again (replay, restart), then nothing', () => {
    const s = given([{ type: 'bgp.PeerStateChanged', data: { node: 'node-1', ...peer, localASN: 65000, peerASN: 65000, from: 'idle', to: 'established' } }]);
    expect(then(s, { type: 'ObservePeerState', ...peer, localASN: 65000, peerASN: 65000, state: 'established' })).toEqual([]);
  });

  const routes = (...ps: string[]) => ps.map((prefix) => ({ prefix }));
  it.each([
    { given: 'nothing advertised', past: [], now: routes('20.0.10.1/32'), events: [advertised(['20.0.10.1/32'])] },
    { given: 'the same prefixes advertised (restart)', past: [advertised(['20.0.10.1/32'])], now: routes('20.0.10.1/32'), events: [] },
    {
      given: 'one prefix advertised',
      past: [advertised(['20.0.10.1/32'])],
      now: routes('20.0.10.2/32'),
      events: [
        { type: 'bgp.RouteWithdrawn', data: { node: 'node-1', ...peer, afi: 'ipv4', safi: 'unicast', prefixes: ['20.0.10.1/32'] } },
        advertised(['20.0.10.2/32']),
      ],
    },
    {
      given: 'a prefix advertised without communities',
      past: [advertised(['20.0.10.1/32', '20.0.10.2/32'])],
      now: [{ prefix: '20.0.10.1/32', communities: ['65000:100'], localPreference: 200 }, { prefix: '20.0.10.2/32' }],
      events: [
        {
          type: 'bgp.RouteAdvertised',
          data: { node: 'node-1', ...peer, afi: 'ipv4', safi: 'unicast', prefixes: ['20.0.10.1/32'], communities: ['65000:100'], localPreference: 200 },
        },
      ],
    },
  ] as Array<{ given: string; past: BgpNodeEvent[]; now: Array<{ prefix: string }>; events: BgpNodeEvent[] }>)(
    'given $given, when the Adj-RIB-Out is synced, then only the difference is recorded',
    ({ past, now, events }) => {
      expect(then(given(past), { type: 'SyncAdvertisedRoutes', ...peer, afi: 'ipv4', routes: now })).toEqual(events);
    },
  );

  it('given two peers advertised, when only one is retained, then the routes of the other are withdrawn', () => {
    const other = { instance: 'instance-65000', peer: 'tor2', peerAddress: 'fd00:10::2' };
    const s = given([advertised(['20.0.10.1/32']), { type: 'bgp.RouteAdvertised', data: { node: 'node-1', ...other, afi: 'ipv4', safi: 'unicast', prefixes: ['20.0.10.1/32'] } }]);
    expect(then(s, { type: 'RetainAdvertised', keep: ['instance-65000/tor|ipv4'] })).toEqual([
      { type: 'bgp.RouteWithdrawn', data: { node: 'node-1', ...other, afi: 'ipv4', safi: 'unicast', prefixes: ['20.0.10.1/32'] } },
    ]);
    expect(then(s, { type: 'RetainAdvertised', keep: ['instance-65000/tor|ipv4', 'instance-65000/tor2|ipv4'] })).toEqual([]);
  });

  it('given a blocked peer, when the blocked set is synced unchanged, then nothing; when it is empty, then PeerUnblocked', () => {
    const blocked = { ...peer, reason: 'MissingAuthSecret' as const, message: 'Secret kube-system/bgp-auth-secret referenced by authSecretRef does not exist', authSecretRef: 'bgp-auth-secret' };
    const first = then(given([]), { type: 'SyncBlockedPeers', blocked: [blocked] });
    expect(first).toEqual([{ type: 'bgp.PeerBlocked', data: { node: 'node-1', ...blocked } }]);
    const s = given(first);
    expect(then(s, { type: 'SyncBlockedPeers', blocked: [blocked] })).toEqual([]);
    expect(then(s, { type: 'SyncBlockedPeers', blocked: [] })).toEqual([{ type: 'bgp.PeerUnblocked', data: { node: 'node-1', ...peer } }]);
  });

  it('given a reported status, when the same status is reported (key order aside), then nothing; when it changes, then a new report', () => {
    const s = given([{ type: 'bgp.NodeStatusReported', data: status('established') }]);
    const reordered = JSON.parse(JSON.stringify(status('established'), Object.keys(status('established')).reverse())) as NodeStatusData;
    expect(then(s, { type: 'ReportStatus', status: { ...status('established') } })).toEqual([]);
    expect(then(s, { type: 'ReportStatus', status: { ...reordered, ...status('established') } })).toEqual([]);
    expect(then(s, { type: 'ReportStatus', status: status('established', 2) })).toHaveLength(1);
  });

  it('given a reconcile error, when the same error repeats, then it is not recorded again until a clean status', () => {
    const failed: BgpNodeEvent = { type: 'bgp.ReconcileFailed', data: { node: 'node-1', error: 'boom' } };
    expect(then(given([failed]), { type: 'RecordReconcileError', error: 'boom' })).toEqual([]);
    expect(then(given([failed, { type: 'bgp.NodeStatusReported', data: status('idle') }]), { type: 'RecordReconcileError', error: 'boom' })).toEqual([failed]);
  });

  it('given a stream with foreign events, when folded, then they are skipped', () => {
    const s = foldBgpNodeEvents('node-1', [{ type: 'resource.Applied', data: {} }, advertised(['20.0.10.1/32'])]);
    expect([...s.advertised.values()].map((x) => [...x.prefixes.keys()])).toEqual([['20.0.10.1/32']]);
  });

  it('given a session reset, when recorded, then the reasons are in the event (never the password)', () => {
    const events = then(given([]), { type: 'RecordSessionReset', ...peer, reasons: ['password of Secret bgp-auth-secret changed'] });
    expect(events).toEqual([{ type: 'bgp.PeerSessionReset', data: { node: 'node-1', ...peer, reasons: ['password of Secret bgp-auth-secret changed'] } }]);
  });
});

describe('foldAdvertisedRoutes (cilium bgp routes advertised)', () => {
  const at = (type: string, data: unknown, occurredAt: string) => ({ type, data, occurredAt });
  it('given advertisements, a withdrawal and an attribute change, when folded, then the current routes with their age and attributes', () => {
    const rows = foldAdvertisedRoutes([
      at('bgp.PeerStateChanged', { node: 'node-1', instance: 'i', localASN: 65000, peer: 'tor', peerAddress: 'fd00:10::1', peerASN: 65000, from: 'idle', to: 'established' }, 't0'),
      at('bgp.RouteAdvertised', { node: 'node-1', instance: 'i', peer: 'tor', peerAddress: 'fd00:10::1', afi: 'ipv4', safi: 'unicast', prefixes: ['20.0.10.2/32', '20.0.10.1/32', '10.96.0.1/32'], nextHop: '10.99.0.11' }, 't1'),
      at('bgp.RouteWithdrawn', { node: 'node-1', instance: 'i', peer: 'tor', peerAddress: 'fd00:10::1', afi: 'ipv4', safi: 'unicast', prefixes: ['20.0.10.2/32'] }, 't2'),
      at('bgp.RouteAdvertised', { node: 'node-1', instance: 'i', peer: 'tor', peerAddress: 'fd00:10::1', afi: 'ipv4', safi: 'unicast', prefixes: ['20.0.10.1/32'], nextHop: '10.99.0.11', communities: ['65000:100'] }, 't3'),
    ]);
    expect(rows.map((r) => [r.prefix, r.localASN, r.since, r.communities])).toEqual([
      ['10.96.0.1/32', 65000, 't1', []],
      ['20.0.10.1/32', 65000, 't3', ['65000:100']],
    ]);
  });
});
