import { bgpNodeStreamId, type EventEnvelope, type EventMetadata } from '@bosun/contracts';
import {
  decide,
  evolve,
  foldBgpNodeEvents,
  initialBgpNodeState,
  type BgpNodeCommand,
  type BgpNodeEvent,
  type BgpNodeState,
} from '@bosun/bgp-control-plane';
import { WrongExpectedVersionError, type EventStore } from '@bosun/event-store';
import type { Logger } from '@bosun/telemetry';

/**
 * Appends the node's events to `bgp-node-<node>`: commands are decided against the state folded
 * from the stream, and the resulting events are appended with the stream's expected version (a
 * second writer — say, a speaker started twice for one node — makes us reload and decide again).
 * Commands are serialised; a batch of commands becomes one append.
 */
export class NodeEventRecorder {
  private state: BgpNodeState;
  private version = 0;
  private queue: Array<{ commands: readonly BgpNodeCommand[]; meta: EventMetadata; resolve: (e: EventEnvelope[]) => void; reject: (err: unknown) => void }> = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly store: EventStore,
    readonly node: string,
    private readonly log: Logger,
  ) {
    this.state = initialBgpNodeState(node);
  }

  get streamId(): string {
    return bgpNodeStreamId(this.node);
  }

  /** The state as of the last append (or load). */
  get current(): BgpNodeState {
    return this.state;
  }

  /** Folds the stream: what was advertised, which peers were blocked, the last status. */
  async load(): Promise<void> {
    const events = await this.store.readStream(this.streamId);
    this.state = foldBgpNodeEvents(this.node, events);
    this.version = events.length > 0 ? events[events.length - 1]!.streamVersion : 0;
  }

  /**
   * Decides the commands in order and appends what they yield; resolves with the appended
   * events. Commands queued while an append is in flight are decided and appended together
   * (one transaction), so a burst costs a few appends, not one per change.
   */
  dispatch(commands: readonly BgpNodeCommand[], meta: EventMetadata = {}): Promise<EventEnvelope[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ commands, meta, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves once everything dispatched so far is appended (or failed). */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        // Metadata (correlation, trace) of the first command of the batch.
        try {
          const events = await this.decideAndAppend(batch.flatMap((b) => b.commands), batch[0]!.meta);
          for (const b of batch) b.resolve(events);
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async decideAndAppend(commands: readonly BgpNodeCommand[], meta: EventMetadata): Promise<EventEnvelope[]> {
    for (let attempt = 1; ; attempt++) {
      let working = this.state;
      const events: BgpNodeEvent[] = [];
      for (const c of commands) {
        for (const e of decide(c, working)) {
          events.push(e);
          working = evolve(working, e);
        }
      }
      if (events.length === 0) return [];
      try {
        const r = await this.store.append(this.streamId, this.version, events.map((e) => ({ type: e.type, data: e.data })), meta);
        this.state = working;
        this.version = r.nextExpectedVersion;
        return r.events;
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError) || attempt >= 5) throw err;
        this.log.warn('bgp-node stream moved under us: reloading and deciding again', { stream: this.streamId, attempt });
        await this.load();
      }
    }
  }
}

export { initialBgpNodeState };
