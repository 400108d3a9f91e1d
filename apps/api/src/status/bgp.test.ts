import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@bosun/contracts';
import { bgpStatusProjector } from './bgp';

let position = 0;
const event = (type: string, data: unknown, occurredAt = '2025-01-01T00:00:00.123Z'): EventEnvelope => ({
  id: `e${++position}`,
  type,
  version: 1,
  streamId: 'bgp-node-node-1',
  streamVersion: position,
  position,
  occurredAt,
  correlationId: 'c',
  causationId: null,
  traceparent: null,
  data,
});

/** Applies events in order to a NodeConfig status, as the API's projection does. */
const project = (events: EventEnvelope[], initial?: Record<string, unknown>): Record<string, unknown> | undefined =>
  events.reduce<Record<string, unknown> | undefined>((status, e) => {
    const changes = bgpStatusProjector.project(e);
    expect(changes.map((c) => c.key)).toEqual([{ group: 'cilium.io', kind: 'CiliumBGPNodeConfig', namespace: '', name: 'node-1' }]);
    return changes[0]!.update(status);
  }, initial);

const report = (peeringState: string, conditions = [{ type: 'cilium.io/MissingAuthSecret', status: 'False', reason: 'MissingAuthSecret', message: '' }]) => ({
  node: 'node-1',
  clusterConfig: 'cilium-bgp',
  bgpInstances: [
    {
      name: 'instance-65000',
      localASN: 65000,
      peers: [
        {
          name: 'tor',
          peerAddress: 'fd00:10::1',
          peerASN: 65000,
          peeringState,
          establishedTime: '2025-01-01T00:00:00Z',
          timers: { appliedHoldTimeSeconds: 9, appliedKeepaliveSeconds: 3 },
          routeCount: [{ afi: 'ipv4', safi: 'unicast', advertised: 2, received: 0 }],
        },
      ],
    },
  ],
  conditions,
});

describe('bgp status projector', () => {
  it('given no status, when a node status is reported, then status.bgpInstances and conditions (with transition time) are set', () => {
    expect(project([event('bgp.NodeStatusReported', report('established'))])).toEqual({
      bgpInstances: report('established').bgpInstances,
      conditions: [{ type: 'cilium.io/MissingAuthSecret', status: 'False', reason: 'MissingAuthSecret', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }],
    });
  });

  it('given a condition, when reported again unchanged later, then its lastTransitionTime stays; when it flips, then it moves', () => {
    const t1 = event('bgp.NodeStatusReported', report('established'), '2025-01-01T00:00:00Z');
    const t2 = event('bgp.NodeStatusReported', report('established'), '2025-01-01T00:05:00Z');
    const missing = [{ type: 'cilium.io/MissingAuthSecret', status: 'True', reason: 'MissingAuthSecret', message: 'Secret kube-system/x missing' }];
    const t3 = event('bgp.NodeStatusReported', report('idle', missing), '2025-01-01T00:09:00Z');
    expect((project([t1, t2])!.conditions as Array<{ lastTransitionTime: string }>)[0]!.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
    expect((project([t1, t2, t3])!.conditions as Array<{ lastTransitionTime: string }>)[0]!.lastTransitionTime).toBe('2025-01-01T00:09:00Z');
  });

  it('given an established peer, when its session goes to active, then peeringState changes and establishedTime/timers go', () => {
    const s = project([
      event('bgp.NodeStatusReported', report('established')),
      event('bgp.PeerStateChanged', { node: 'node-1', instance: 'instance-65000', localASN: 65000, peer: 'tor', peerAddress: 'fd00:10::1', peerASN: 65000, from: 'established', to: 'active' }),
    ]);
    const peer = (s!.bgpInstances as Array<{ peers: Array<Record<string, unknown>> }>)[0]!.peers[0]!;
    expect(peer).toEqual({ name: 'tor', peerAddress: 'fd00:10::1', peerASN: 65000, peeringState: 'active', routeCount: [{ afi: 'ipv4', safi: 'unicast', advertised: 2, received: 0 }] });
  });

  it('given no status, when a peer becomes established, then the peer appears with its established time', () => {
    const s = project([
      event('bgp.PeerStateChanged', { node: 'node-1', instance: 'i', localASN: 65000, peer: 'tor', peerAddress: '10.0.0.1', peerASN: 65001, from: 'open_confirm', to: 'established' }, '2025-02-03T04:05:06.789Z'),
    ]);
    expect(s).toEqual({ bgpInstances: [{ name: 'i', localASN: 65000, peers: [{ name: 'tor', peerAddress: '10.0.0.1', peerASN: 65001, peeringState: 'established', establishedTime: '2025-02-03T04:05:06Z' }] }] });
  });

  it('given a ClusterConfig, when its conditions are reported, then status.conditions carry them with the observed generation', () => {
    const e = event('bgp.ClusterConfigConditionsReported', {
      clusterConfig: 'cilium-bgp',
      observedGeneration: 2,
      conditions: [{ type: 'cilium.io/NoMatchingNode', status: 'True', reason: 'NoMatchingNode', message: 'No node matches spec.nodeSelector' }],
    });
    const [change] = bgpStatusProjector.project(e);
    expect(change!.key).toEqual({ group: 'cilium.io', kind: 'CiliumBGPClusterConfig', namespace: '', name: 'cilium-bgp' });
    expect(change!.update(undefined)).toEqual({
      conditions: [
        { type: 'cilium.io/NoMatchingNode', status: 'True', reason: 'NoMatchingNode', message: 'No node matches spec.nodeSelector', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 2 },
      ],
    });
    const pc = bgpStatusProjector.project(event('bgp.PeerConfigConditionsReported', { peerConfig: 'cilium-peer', conditions: [] }))[0]!;
    expect(pc.key.kind).toBe('CiliumBGPPeerConfig');
  });

  it('given a status, when the identical report is projected, then the same object is returned (no change, no resourceVersion bump)', () => {
    const s = project([event('bgp.NodeStatusReported', report('established'))]);
    const again = bgpStatusProjector.project(event('bgp.NodeStatusReported', report('established')))[0]!.update(s);
    expect(again).toBe(s);
  });
});
