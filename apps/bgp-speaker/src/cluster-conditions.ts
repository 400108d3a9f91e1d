import {
  bgpClusterConfigStreamId,
  bgpPeerConfigStreamId,
  type EventDataOf,
  type ClusterConfigConditionsReported,
  type PeerConfigConditionsReported,
} from '@bosun/contracts';
import { canonicalJson, clusterConfigConditions, nameOf, peerConfigConditions, type BgpInputs, type NodeInfo } from '@bosun/bgp-control-plane';
import { WrongExpectedVersionError, type EventStore } from '@bosun/event-store';
import type { Logger } from '@bosun/telemetry';

type ClusterData = EventDataOf<typeof ClusterConfigConditionsReported>;
type PeerData = EventDataOf<typeof PeerConfigConditionsReported>;

/**
 * The operator's conditions on CiliumBGPClusterConfigs (NoMatchingNode, MissingPeerConfigs,
 * ConflictingClusterConfig) and CiliumBGPPeerConfigs (MissingAuthSecret), computed from the
 * cluster-wide view every speaker has, and appended to `bgp-cluster-config-<name>` /
 * `bgp-peer-config-<name>` only when they change. Speakers agree, so whichever writes first
 * wins and the others, deciding again on the new stream version, append nothing.
 */
export class ClusterConditionsReporter {
  private readonly last = new Map<string, { version: number; json: string }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastRun = 0;
  private stopped = false;

  constructor(
    private readonly store: EventStore,
    private readonly view: () => { inputs: BgpInputs; nodes: readonly NodeInfo[] } | undefined,
    private readonly log: Logger,
    private readonly intervalMs = 2000,
  ) {}

  /** Reports soon (at most once per interval). */
  schedule(): void {
    if (this.timer || this.stopped) return;
    const wait = Math.max(0, this.lastRun + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastRun = Date.now();
      this.running = this.report()
        .catch((err: unknown) => this.log.warn('cannot report ClusterConfig/PeerConfig conditions; retrying', { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => (this.running = undefined));
    }, wait);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  async report(): Promise<void> {
    const v = this.view();
    if (!v) return;
    const { inputs, nodes } = v;
    const peerConfigNames = new Set(inputs.peerConfigs.map(nameOf));
    for (const cc of inputs.clusterConfigs) {
      const data: ClusterData = {
        clusterConfig: nameOf(cc),
        ...(cc.metadata?.generation ? { observedGeneration: cc.metadata.generation } : {}),
        conditions: clusterConfigConditions(cc, nodes, peerConfigNames, inputs.clusterConfigs),
      };
      await this.write(bgpClusterConfigStreamId(data.clusterConfig), 'bgp.ClusterConfigConditionsReported', data);
    }
    const secretNames = new Set(inputs.secrets.keys());
    for (const pc of inputs.peerConfigs) {
      const data: PeerData = {
        peerConfig: nameOf(pc),
        ...(pc.metadata?.generation ? { observedGeneration: pc.metadata.generation } : {}),
        conditions: peerConfigConditions(pc, secretNames, inputs.secretsNamespace ?? 'kube-system'),
      };
      await this.write(bgpPeerConfigStreamId(data.peerConfig), 'bgp.PeerConfigConditionsReported', data);
    }
  }

  private async load(streamId: string): Promise<{ version: number; json: string }> {
    const version = await this.store.streamVersion(streamId);
    const [last] = version > 0 ? await this.store.readStream(streamId, { fromVersion: version }) : [];
    const entry = { version, json: last ? canonicalJson(last.data) : '' };
    this.last.set(streamId, entry);
    return entry;
  }

  private async write(streamId: string, type: string, data: ClusterData | PeerData): Promise<void> {
    const json = canonicalJson(data);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const cur = this.last.get(streamId) ?? (await this.load(streamId));
      if (cur.json === json) return;
      try {
        const r = await this.store.append(streamId, cur.version, [{ type, data }]);
        this.last.set(streamId, { version: r.nextExpectedVersion, json });
        return;
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError)) throw err;
        await this.load(streamId); // another speaker wrote: decide again against its version
      }
    }
  }
}
