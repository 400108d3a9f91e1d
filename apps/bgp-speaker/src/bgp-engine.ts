import { BgpSpeaker, type Family, type PeerConfig, type PeerStatus, type RouteAttributes } from '@bosun/bgp';
import type { DesiredInstance, DesiredPeer, NodeDesiredState } from '@bosun/bgp-control-plane';
import type { PeeringState } from '@bosun/contracts';
import type { Logger } from '@bosun/telemetry';
import type { EnginePeerStatus, PeerStateChange, RouterEngine } from './engine';

/**
 * The engine over `@bosun/bgp`: one `BgpSpeaker` per BGP instance (as Cilium runs one GoBGP
 * server per instance). A change of an instance's local ASN, router ID or listen port recreates
 * its speaker (all its sessions drop, as in Cilium); peers and routes are desired sets the
 * speaker diffs itself. Routes are set before peers, so a new session's first UPDATEs carry
 * the whole table and End-of-RIB follows.
 */

const familyOf = (afi: 'ipv4' | 'ipv6'): Family => (afi === 'ipv4' ? 'ipv4-unicast' : 'ipv6-unicast');
const FAMILIES: readonly Family[] = ['ipv4-unicast', 'ipv6-unicast'];

interface InstanceRuntime {
  readonly name: string;
  /** localASN|routerID|localPort: what recreates the speaker when it changes. */
  readonly identity: string;
  readonly speaker: BgpSpeaker;
  readonly localASN: number;
  /** Families each peer had routes for (to empty the ones it no longer has). */
  peerFamilies: Map<string, Set<Family>>;
}

const identityOf = (i: DesiredInstance): string => `${i.localASN}|${i.routerID}|${i.localPort ?? ''}`;

/** The session configuration `@bosun/bgp` takes, from a desired peer (the password stays in memory). */
export const enginePeerConfig = (p: DesiredPeer): PeerConfig => ({
  name: p.name,
  peerAddress: p.peerAddress,
  peerASN: p.peerASN,
  peerPort: p.peerPort,
  ...(p.localAddress ? { localAddress: p.localAddress } : {}),
  ...(p.auth ? { password: p.auth.password } : {}),
  holdTimeSeconds: p.timers.holdTimeSeconds,
  keepAliveTimeSeconds: p.timers.keepAliveTimeSeconds,
  connectRetryTimeSeconds: p.timers.connectRetryTimeSeconds,
  ebgpMultihop: p.ebgpMultihop,
  families: p.families.map((f) => familyOf(f.afi)),
  nextHop: { ...(p.nextHop.ipv4 ? { ipv4: p.nextHop.ipv4 } : {}), ...(p.nextHop.ipv6 ? { ipv6: p.nextHop.ipv6 } : {}) },
  gracefulRestart: { enabled: p.gracefulRestart.enabled, restartTimeSeconds: p.gracefulRestart.restartTimeSeconds },
});

const toRoutes = (routes: DesiredPeer['routes'][number]['routes']): Map<string, RouteAttributes> =>
  new Map(
    routes.map((r) => [
      r.prefix,
      {
        ...(r.communities.length ? { communities: r.communities } : {}),
        ...(r.largeCommunities.length ? { largeCommunities: r.largeCommunities } : {}),
        ...(r.localPreference !== undefined ? { localPreference: r.localPreference } : {}),
      },
    ]),
  );

export class BgpEngine implements RouterEngine {
  private readonly instances = new Map<string, InstanceRuntime>();
  private readonly stateListeners: Array<(c: PeerStateChange) => void> = [];
  private readonly countListeners: Array<() => void> = [];
  /** Instances whose speaker has been started. */
  private readonly started = new Set<string>();
  private restarting = false;
  private stopped = false;

  constructor(private readonly log: Logger) {}

  setRestarting(restarting: boolean): void {
    this.restarting = restarting;
  }

  onPeerState(listener: (change: PeerStateChange) => void): void {
    this.stateListeners.push(listener);
  }

  onCountsChanged(listener: () => void): void {
    this.countListeners.push(listener);
  }

  async sync(desired: NodeDesiredState): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map(desired.instances.map((i) => [i.name, i]));
    // Instances gone or whose identity changed: their speaker stops (Cease to every peer).
    for (const [name, rt] of [...this.instances]) {
      const want = wanted.get(name);
      if (want && identityOf(want) === rt.identity) continue;
      this.instances.delete(name);
      this.log.info(want ? 'instance identity changed: recreating its BGP speaker' : 'instance removed: stopping its BGP speaker', { instance: name, was: rt.identity, ...(want ? { now: identityOf(want) } : {}) });
      const peers = rt.speaker.peerStatuses();
      await rt.speaker.stop({ reason: want ? 'BGP instance reconfigured' : 'BGP instance removed' });
      for (const p of peers) if (p.peeringState !== 'idle') this.emitState(rt, { ...p, peeringState: 'idle' }, p.peeringState, want ? 'instance reconfigured' : 'instance removed');
    }
    for (const inst of desired.instances) {
      let rt = this.instances.get(inst.name);
      if (!rt) {
        rt = this.createInstance(inst);
        this.instances.set(inst.name, rt);
      }
      // Routes first (also for peers about to be added), then the peer set.
      const nextFamilies = new Map<string, Set<Family>>();
      for (const p of inst.peers) {
        const fams = new Set<Family>();
        for (const fr of p.routes) {
          const f = familyOf(fr.family.afi);
          fams.add(f);
          rt.speaker.setRoutes(p.name, f, toRoutes(fr.routes));
        }
        for (const f of rt.peerFamilies.get(p.name) ?? []) if (!fams.has(f)) rt.speaker.setRoutes(p.name, f, new Map());
        nextFamilies.set(p.name, fams);
      }
      const before = new Map(rt.speaker.peerStatuses().map((s) => [s.name, s]));
      rt.speaker.setPeers(inst.peers.map(enginePeerConfig));
      for (const [name, s] of before) {
        if (!nextFamilies.has(name) && s.peeringState !== 'idle') this.emitState(rt, { ...s, peeringState: 'idle' }, s.peeringState, 'peer removed');
      }
      rt.peerFamilies = nextFamilies;
      if (!this.started.has(rt.name)) {
        this.started.add(rt.name);
        await rt.speaker.start();
      }
    }
  }

  private createInstance(inst: DesiredInstance): InstanceRuntime {
    const log = this.log.child({ instance: inst.name, localASN: inst.localASN });
    const speaker = new BgpSpeaker({
      localASN: inst.localASN,
      routerID: inst.routerID,
      ...(inst.localPort !== undefined ? { listen: { port: inst.localPort } } : {}),
      restarting: this.restarting,
      logger: (level, message, fields) => log[level](message, fields),
    });
    const rt: InstanceRuntime = { name: inst.name, identity: identityOf(inst), speaker, localASN: inst.localASN, peerFamilies: new Map() };
    speaker.on('peerStateChanged', (status, from) => {
      if (this.instances.get(inst.name)?.speaker !== speaker) return;
      const reason = status.lastError ? [status.lastError.reason, status.lastError.shutdownCommunication].filter(Boolean).join(': ') : undefined;
      this.emitState(rt, status, toPeeringState(from), reason);
    });
    speaker.on('routeCountsChanged', () => {
      for (const l of this.countListeners) l();
    });
    this.started.delete(inst.name);
    return rt;
  }

  private emitState(rt: InstanceRuntime, status: PeerStatus, previous: PeeringState, reason?: string): void {
    const change: PeerStateChange = { status: this.toStatus(rt, status), previous, ...(reason ? { reason } : {}) };
    for (const l of this.stateListeners) l(change);
  }

  private toStatus(rt: InstanceRuntime, s: PeerStatus): EnginePeerStatus {
    const established = s.peeringState === 'established';
    return {
      key: `${rt.name}/${s.name}`,
      instance: rt.name,
      peer: s.name,
      peerAddress: s.peerAddress,
      peerPort: s.peerPort,
      localASN: rt.localASN,
      peerASN: s.peerASN,
      state: s.peeringState,
      ...(established && s.establishedTime ? { establishedAt: s.establishedTime.toISOString() } : {}),
      ...(established && s.appliedHoldTimeSeconds !== undefined ? { appliedHoldTimeSeconds: s.appliedHoldTimeSeconds } : {}),
      ...(established && s.appliedKeepaliveSeconds !== undefined ? { appliedKeepaliveSeconds: s.appliedKeepaliveSeconds } : {}),
      routeCount: s.routeCounts.map((rc) => ({ afi: rc.afi, safi: rc.safi, advertised: established ? rc.advertised : 0, received: rc.received })),
    };
  }

  status(): EnginePeerStatus[] {
    return [...this.instances.values()].flatMap((rt) => rt.speaker.peerStatuses().map((s) => this.toStatus(rt, s)));
  }

  async stop(graceful: boolean): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.instances.values()].map((rt) => rt.speaker.stop(graceful ? { graceful: true } : { reason: 'bgp-speaker shutting down' })));
    this.instances.clear();
  }
}

const toPeeringState = (s: string): PeeringState => {
  switch (s) {
    case 'Idle':
      return 'idle';
    case 'Connect':
      return 'connect';
    case 'Active':
      return 'active';
    case 'OpenSent':
      return 'open_sent';
    case 'OpenConfirm':
      return 'open_confirm';
    case 'Established':
      return 'established';
    default:
      return 'unknown';
  }
};

export { FAMILIES as ENGINE_FAMILIES };
