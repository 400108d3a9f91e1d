import { familyKey, type DesiredInstance, type DesiredPeer, type DesiredRoute, type NodeDesiredState } from './model';

/**
 * What a change of desired state does to the wire: which sessions must be reset (their OPEN
 * would differ: ASN, addresses, ports, timers, password, families, GR, multihop) and
 * which only need UPDATEs. A change of an instance's local ASN, router ID or listen port
 * recreates the instance, as in Cilium.
 */

/** The fields an established session depends on. Passwords compare by value, in memory only. */
export const sessionFingerprint = (inst: DesiredInstance, peer: DesiredPeer): string =>
  JSON.stringify([
    inst.localASN,
    inst.routerID,
    inst.localPort ?? null,
    peer.peerAddress,
    peer.peerPort,
    peer.peerASN,
    peer.localAddress ?? null,
    peer.localPort ?? null,
    peer.timers.holdTimeSeconds,
    peer.timers.keepAliveTimeSeconds,
    // The engine restarts a session on a new connect-retry time too (its FSM timers are per session).
    peer.timers.connectRetryTimeSeconds,
    peer.gracefulRestart.enabled,
    peer.gracefulRestart.enabled ? peer.gracefulRestart.restartTimeSeconds : null,
    peer.ibgp === true ? null : peer.ebgpMultihop,
    peer.families.map(familyKey).sort(),
    peer.auth?.password ?? null,
  ]);

/** Why a session would be reset, in words for events and logs (never includes the password). */
export const sessionChanges = (instA: DesiredInstance, a: DesiredPeer, instB: DesiredInstance, b: DesiredPeer): string[] => {
  const out: string[] = [];
  if (instA.localASN !== instB.localASN) out.push(`localASN ${instA.localASN} → ${instB.localASN}`);
  if (instA.routerID !== instB.routerID) out.push(`routerID ${instA.routerID} → ${instB.routerID}`);
  if ((instA.localPort ?? 0) !== (instB.localPort ?? 0)) out.push(`localPort ${instA.localPort ?? 'none'} → ${instB.localPort ?? 'none'}`);
  if (a.peerAddress !== b.peerAddress) out.push(`peerAddress ${a.peerAddress} → ${b.peerAddress}`);
  if (a.peerPort !== b.peerPort) out.push(`peerPort ${a.peerPort} → ${b.peerPort}`);
  if (a.peerASN !== b.peerASN) out.push(`peerASN ${a.peerASN} → ${b.peerASN}`);
  if ((a.localAddress ?? '') !== (b.localAddress ?? '')) out.push(`localAddress ${a.localAddress ?? 'auto'} → ${b.localAddress ?? 'auto'}`);
  if ((a.localPort ?? 0) !== (b.localPort ?? 0)) out.push(`source port ${a.localPort ?? 'ephemeral'} → ${b.localPort ?? 'ephemeral'}`);
  if (a.timers.holdTimeSeconds !== b.timers.holdTimeSeconds) out.push(`holdTimeSeconds ${a.timers.holdTimeSeconds} → ${b.timers.holdTimeSeconds}`);
  if (a.timers.keepAliveTimeSeconds !== b.timers.keepAliveTimeSeconds)
    out.push(`keepAliveTimeSeconds ${a.timers.keepAliveTimeSeconds} → ${b.timers.keepAliveTimeSeconds}`);
  if (a.timers.connectRetryTimeSeconds !== b.timers.connectRetryTimeSeconds)
    out.push(`connectRetryTimeSeconds ${a.timers.connectRetryTimeSeconds} → ${b.timers.connectRetryTimeSeconds}`);
  if (a.gracefulRestart.enabled !== b.gracefulRestart.enabled) out.push(`gracefulRestart.enabled ${a.gracefulRestart.enabled} → ${b.gracefulRestart.enabled}`);
  else if (a.gracefulRestart.enabled && a.gracefulRestart.restartTimeSeconds !== b.gracefulRestart.restartTimeSeconds)
    out.push(`gracefulRestart.restartTimeSeconds ${a.gracefulRestart.restartTimeSeconds} → ${b.gracefulRestart.restartTimeSeconds}`);
  if (a.ibgp !== true && a.ebgpMultihop !== b.ebgpMultihop) out.push(`ebgpMultihop ${a.ebgpMultihop} → ${b.ebgpMultihop}`);
  const fa = a.families.map(familyKey).sort().join(',');
  const fb = b.families.map(familyKey).sort().join(',');
  if (fa !== fb) out.push(`families [${fa}] → [${fb}]`);
  if ((a.auth?.secretRef ?? '') !== (b.auth?.secretRef ?? '')) out.push(`authSecretRef ${a.auth?.secretRef ?? 'none'} → ${b.auth?.secretRef ?? 'none'}`);
  else if ((a.auth?.password ?? '') !== (b.auth?.password ?? '')) out.push(`password of Secret ${b.auth?.secretRef} changed`);
  return out;
};

/** `<instance>/<peer>`: a peer's identity on the node. */
export const peerKey = (instance: string, peer: string): string => `${instance}/${peer}`;

export interface PeerPlan {
  readonly key: string;
  readonly instance: DesiredInstance;
  readonly peer: DesiredPeer;
}

export interface SessionPlan {
  readonly add: readonly PeerPlan[];
  readonly remove: ReadonlyArray<{ readonly key: string; readonly instance: string; readonly peer: string }>;
  /** Sessions whose OPEN would change: torn down and re-established. */
  readonly reset: ReadonlyArray<PeerPlan & { readonly reasons: readonly string[] }>;
  /** Sessions that stay; only their routes (or next hops) may change. */
  readonly keep: readonly PeerPlan[];
}

const index = (s: NodeDesiredState | undefined): Map<string, PeerPlan> => {
  const m = new Map<string, PeerPlan>();
  for (const instance of s?.instances ?? []) for (const peer of instance.peers) m.set(peerKey(instance.name, peer.name), { key: peerKey(instance.name, peer.name), instance, peer });
  return m;
};

/** Compares two desired states session by session. */
export const planSessions = (before: NodeDesiredState | undefined, after: NodeDesiredState): SessionPlan => {
  const a = index(before);
  const b = index(after);
  const add: PeerPlan[] = [];
  const reset: (PeerPlan & { reasons: string[] })[] = [];
  const keep: PeerPlan[] = [];
  const remove: { key: string; instance: string; peer: string }[] = [];
  for (const [key, pb] of b) {
    const pa = a.get(key);
    if (!pa) add.push(pb);
    else if (sessionFingerprint(pa.instance, pa.peer) !== sessionFingerprint(pb.instance, pb.peer))
      reset.push({ ...pb, reasons: sessionChanges(pa.instance, pa.peer, pb.instance, pb.peer) });
    else keep.push(pb);
  }
  for (const [key, pa] of a) if (!b.has(key)) remove.push({ key, instance: pa.instance.name, peer: pa.peer.name });
  return { add, remove, reset, keep };
};

/** Route-level difference of one peer family: withdraw first, then announce (new or changed attributes). */
export const diffRoutes = (
  before: readonly DesiredRoute[],
  after: readonly DesiredRoute[],
): { withdraw: string[]; announce: DesiredRoute[] } => {
  const old = new Map(before.map((r) => [r.prefix, r]));
  const now = new Map(after.map((r) => [r.prefix, r]));
  const withdraw = [...old.keys()].filter((p) => !now.has(p));
  const announce = after.filter((r) => {
    const o = old.get(r.prefix);
    return !o || !sameAttributes(o, r);
  });
  return { withdraw, announce };
};

export const sameAttributes = (a: DesiredRoute, b: DesiredRoute): boolean =>
  a.localPreference === b.localPreference &&
  a.communities.length === b.communities.length &&
  a.communities.every((c, i) => c === b.communities[i]) &&
  a.largeCommunities.length === b.largeCommunities.length &&
  a.largeCommunities.every((c, i) => c === b.largeCommunities[i]);
