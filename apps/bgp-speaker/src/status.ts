import { ConditionType, type Condition, type NodeDesiredState, type NodeStatusData } from '@bosun/bgp-control-plane';
import type { EnginePeerStatus } from './engine';

/**
 * The node's status report, shaped like `CiliumBGPNodeConfig.status`: every configured peer with
 * its session state, applied timers, established time and route counts, blocked peers as `idle`,
 * and the node conditions (a runtime reconcile error folded into `cilium.io/BGPReconcileError`).
 */
export const buildNodeStatus = (
  desired: NodeDesiredState,
  engine: readonly EnginePeerStatus[],
  runtimeError: string | undefined,
): NodeStatusData => {
  const byKey = new Map(engine.map((p) => [p.key, p]));
  const bgpInstances = desired.instances.map((inst) => ({
    name: inst.name,
    localASN: inst.localASN,
    peers: [
      ...inst.peers.map((p) => {
        const s = byKey.get(`${inst.name}/${p.name}`);
        const established = s?.state === 'established';
        const peerASN = s?.peerASN || p.peerASN;
        return {
          name: p.name,
          peerAddress: p.peerAddress,
          ...(peerASN ? { peerASN } : {}),
          peeringState: s?.state ?? 'idle',
          ...(established && s?.establishedAt ? { establishedTime: s.establishedAt.replace(/\.\d+Z$/, 'Z') } : {}),
          ...(established && s?.appliedHoldTimeSeconds !== undefined
            ? { timers: { appliedHoldTimeSeconds: s.appliedHoldTimeSeconds, appliedKeepaliveSeconds: s.appliedKeepaliveSeconds ?? 0 } }
            : {}),
          routeCount: p.families.map((f) => {
            const rc = s?.routeCount.find((r) => r.afi === f.afi && r.safi === f.safi);
            return { afi: f.afi, safi: f.safi, advertised: established ? (rc?.advertised ?? 0) : 0, received: rc?.received ?? 0 };
          }),
        };
      }),
      ...inst.blockedPeers.map((b) => ({
        name: b.name,
        peerAddress: b.peerAddress ?? '',
        ...(b.peerASN ? { peerASN: b.peerASN } : {}),
        peeringState: 'idle' as const,
      })),
    ],
  }));
  const conditions: Condition[] = desired.conditions.map((c) =>
    c.type === ConditionType.BGPReconcileError && runtimeError
      ? { ...c, status: 'True' as const, message: [c.status === 'True' ? c.message : '', runtimeError].filter(Boolean).join('; ').slice(0, 2000) }
      : c,
  );
  if (runtimeError && !conditions.some((c) => c.type === ConditionType.BGPReconcileError)) {
    conditions.push({ type: ConditionType.BGPReconcileError, status: 'True', reason: 'BGPReconcileError', message: runtimeError });
  }
  return {
    node: desired.node,
    ...(desired.nodeConfig ? { clusterConfig: desired.nodeConfig.owner.name } : {}),
    bgpInstances,
    conditions: conditions.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
  };
};
