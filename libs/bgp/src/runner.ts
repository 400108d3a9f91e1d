import { FAMILIES } from './negotiation.js';
import type { Logger, PeerStatus } from './session.js';
import { routesByPeer, type SpeakerFileConfig } from './speaker-config.js';
import { BgpSpeaker, type StopOptions } from './speaker.js';

/**
 * The standalone speaker behind `bosun bgp speak`: applies a configuration, and applies a new
 * one (SIGHUP) as a diff — peers added/removed/reset only as needed, routes diffed. Changing the
 * local AS, router ID or listener recreates the speaker (every session restarts), as in Cilium.
 */
export class StandaloneSpeaker {
  private speaker: BgpSpeaker | undefined;
  private current: SpeakerFileConfig | undefined;

  constructor(
    private readonly log: Logger,
    private readonly options: { restarting?: boolean; idleHoldTimeSeconds?: number } = {},
  ) {}

  get bgp(): BgpSpeaker | undefined {
    return this.speaker;
  }

  async apply(config: SpeakerFileConfig): Promise<void> {
    const prev = this.current;
    const identityChanged = !prev || prev.localASN !== config.localASN || prev.routerID !== config.routerID || JSON.stringify(prev.listen) !== JSON.stringify(config.listen);
    if (identityChanged) {
      if (this.speaker) {
        this.log('info', 'local ASN, router ID or listener changed: restarting every session');
        await this.speaker.stop({ reason: 'configuration change' });
      }
      const speaker = new BgpSpeaker({
        localASN: config.localASN,
        routerID: config.routerID,
        ...(config.listen ? { listen: config.listen } : {}),
        restarting: this.options.restarting ?? false,
        ...(this.options.idleHoldTimeSeconds !== undefined ? { idleHoldTimeSeconds: this.options.idleHoldTimeSeconds } : {}),
        logger: this.log,
      });
      speaker.on('routeCountsChanged', (s) => this.log('info', `route counts of ${s.name}: ${formatCounts(s)}`, { peer: s.name }));
      await speaker.start();
      this.speaker = speaker;
    }
    const speaker = this.speaker!;
    // Routes first, then peers: a new peer's first UPDATEs are complete and End-of-RIB follows.
    const routes = routesByPeer(config);
    for (const [peer, byFamily] of routes) {
      for (const family of FAMILIES) speaker.setRoutes(peer, family, byFamily.get(family) ?? new Map());
    }
    speaker.setPeers(config.peers);
    this.current = config;
    this.log('info', `configuration applied: ${config.peers.length} peer(s), ${config.prefixes.length} prefix(es)`);
  }

  peers(): PeerStatus[] {
    return this.speaker?.peerStatuses() ?? [];
  }

  async stop(options: StopOptions = {}): Promise<void> {
    await this.speaker?.stop(options);
    this.speaker = undefined;
  }
}

function formatCounts(s: PeerStatus): string {
  return s.routeCounts.map((c) => `${c.afi}/${c.safi} received=${c.received} advertised=${c.advertised}`).join(', ');
}
