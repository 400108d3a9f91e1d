import type { EventEnvelope } from '@bosun/contracts';
import type { StatusChange, StatusProjector } from './status-projector';

/**
 * The bgp-speaker's events as `CiliumBGPNodeConfig.status` (one NodeConfig per node, named after
 * it, created by that node's speaker as Cilium's operator does): `bgp.NodeStatusReported` sets
 * `bgpInstances[].peers[]` and `conditions`; `bgp.PeerStateChanged` updates one peer's
 * `peeringState` (and `establishedTime`) between reports, so `kubectl get` follows sessions live.
 */

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

interface PeerStatus {
  name: string;
  peerAddress: string;
  peerASN?: number;
  peeringState?: string;
  establishedTime?: string;
  timers?: { appliedHoldTimeSeconds: number; appliedKeepaliveSeconds: number };
  routeCount?: Array<{ afi: string; safi: string; advertised: number; received: number }>;
}

interface InstanceStatus {
  name: string;
  localASN?: number;
  peers: PeerStatus[];
}

const rfc3339 = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z');

const nodeConfigKey = (node: string) => ({ group: 'cilium.io', kind: 'CiliumBGPNodeConfig', namespace: '', name: node });

/** Keeps a condition's lastTransitionTime while its status does not change (Kubernetes semantics). */
const withTransitionTimes = (previous: unknown, next: readonly Condition[], now: string): Condition[] => {
  const prev = Array.isArray(previous) ? (previous as Condition[]) : [];
  return next.map((c) => {
    const p = prev.find((x) => x.type === c.type);
    return { ...c, lastTransitionTime: p && p.status === c.status && p.lastTransitionTime ? p.lastTransitionTime : now };
  });
};

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

const statusReported = (event: EventEnvelope): StatusChange[] => {
  const d = event.data as { node: string; bgpInstances: InstanceStatus[]; conditions: Condition[] };
  return [
    {
      key: nodeConfigKey(d.node),
      update: (status) => {
        const next: Record<string, unknown> = {
          ...(status ?? {}),
          bgpInstances: d.bgpInstances,
          conditions: withTransitionTimes(status?.conditions, d.conditions, rfc3339(event.occurredAt)),
        };
        return status && sameJson(status, next) ? status : next;
      },
    },
  ];
};

const peerStateChanged = (event: EventEnvelope): StatusChange[] => {
  const d = event.data as { node: string; instance: string; localASN: number; peer: string; peerAddress: string; peerASN: number; to: string };
  return [
    {
      key: nodeConfigKey(d.node),
      update: (status) => {
        const instances = Array.isArray(status?.bgpInstances) ? (status!.bgpInstances as InstanceStatus[]) : [];
        const inst = instances.find((i) => i.name === d.instance) ?? { name: d.instance, localASN: d.localASN, peers: [] };
        const old = inst.peers.find((p) => p.name === d.peer);
        const peer: PeerStatus = {
          ...(old ?? { name: d.peer, peerAddress: d.peerAddress, ...(d.peerASN ? { peerASN: d.peerASN } : {}) }),
          peeringState: d.to,
        };
        if (d.to === 'established') peer.establishedTime = rfc3339(event.occurredAt);
        else delete peer.establishedTime;
        if (d.to !== 'established') delete peer.timers;
        const peers = old ? inst.peers.map((p) => (p === old ? peer : p)) : [...inst.peers, peer];
        const nextInst = { ...inst, peers };
        const bgpInstances = instances.includes(inst) ? instances.map((i) => (i === inst ? nextInst : i)) : [...instances, nextInst];
        return { ...(status ?? {}), bgpInstances };
      },
    },
  ];
};

/** ClusterConfig / PeerConfig conditions (the operator's part), with Kubernetes transition times. */
const objectConditions = (event: EventEnvelope, kind: 'CiliumBGPClusterConfig' | 'CiliumBGPPeerConfig', name: string): StatusChange[] => {
  const d = event.data as { observedGeneration?: number; conditions: Condition[] };
  return [
    {
      key: { group: 'cilium.io', kind, namespace: '', name },
      update: (status) => {
        const conditions = withTransitionTimes(status?.conditions, d.conditions, rfc3339(event.occurredAt)).map((c) =>
          d.observedGeneration !== undefined ? { ...c, observedGeneration: d.observedGeneration } : c,
        );
        const next = { ...(status ?? {}), conditions };
        return status && sameJson(status, next) ? status : next;
      },
    },
  ];
};

export const bgpStatusProjector: StatusProjector = {
  eventTypes: ['bgp.NodeStatusReported', 'bgp.PeerStateChanged', 'bgp.ClusterConfigConditionsReported', 'bgp.PeerConfigConditionsReported'],
  project(event: EventEnvelope): StatusChange[] {
    switch (event.type) {
      case 'bgp.NodeStatusReported':
        return statusReported(event);
      case 'bgp.PeerStateChanged':
        return peerStateChanged(event);
      case 'bgp.ClusterConfigConditionsReported':
        return objectConditions(event, 'CiliumBGPClusterConfig', (event.data as { clusterConfig: string }).clusterConfig);
      case 'bgp.PeerConfigConditionsReported':
        return objectConditions(event, 'CiliumBGPPeerConfig', (event.data as { peerConfig: string }).peerConfig);
      default:
        return [];
    }
  },
};
