import type { EventEnvelope } from '@bosun/contracts';
import type { EventStore, Subscription } from '@bosun/event-store';
import { ObjectProjection, type Change } from './projection';
import { WatchHub } from './watch-hub';
import type { StatusProjector } from '../status/status-projector';

/**
 * The API's object view, kept live by one event-store subscription from the start of the log
 * (so it is rebuilt on every start). Writers wait for their own events here (read-your-writes).
 */
export class LiveObjectView {
  readonly projection: ObjectProjection;
  readonly hub: WatchHub;
  private subscription: Subscription | undefined;
  private readonly waiters = new Map<number, Array<() => void>>();
  private readonly afterApply: Array<(e: EventEnvelope, changes: readonly Change[]) => void> = [];
  private caught = false;
  /** Events the projection could not apply (malformed data). */
  skipped = 0;
  onSkip: ((e: EventEnvelope, err: unknown) => void) | undefined;

  constructor(
    private readonly store: EventStore,
    readonly projectors: readonly StatusProjector[],
    windowSize = 100_000,
  ) {
    this.projection = new ObjectProjection(projectors);
    this.hub = new WatchHub(windowSize);
  }

  /** Starts the subscription; resolves when everything committed before the start is projected. */
  async start(): Promise<void> {
    this.subscription = this.store.subscribe({
      from: 'start',
      batchSize: 2000,
      handler: async (events) => {
        for (const e of events) this.handle(e);
      },
    });
    await this.subscription.caughtUp;
    this.caught = true;
  }

  get caughtUp(): boolean {
    return this.caught;
  }

  /** Observes every projected event (after the projection applied it). */
  onApplied(fn: (e: EventEnvelope, changes: readonly Change[]) => void): void {
    this.afterApply.push(fn);
  }

  private handle(e: EventEnvelope): void {
    if (this.hub.has(e.position)) return; // a batch retried after a failure: already applied
    let changes: Change[];
    try {
      changes = this.projection.apply(e);
    } catch (err) {
      // A malformed event must not wedge the view: it is skipped (and reported), never retried forever.
      this.skipped++;
      this.onSkip?.(e, err);
      changes = [];
    }
    this.hub.record(e.position, changes);
    for (const fn of this.afterApply) {
      try {
        fn(e, changes);
      } catch {
        // observers never stop the projection
      }
    }
    const w = this.waiters.get(e.position);
    if (w) {
      this.waiters.delete(e.position);
      for (const r of w) r();
    }
  }

  /** Resolves once the event at `position` is in the view. */
  waitFor(position: number, timeoutMs = 30_000): Promise<void> {
    if (this.hub.has(position)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(position);
        if (list) {
          const i = list.indexOf(done);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) this.waiters.delete(position);
        }
        reject(new Error(`timed out waiting for the object view to reach position ${position}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const list = this.waiters.get(position) ?? [];
      list.push(done);
      this.waiters.set(position, list);
      this.subscription?.poke();
    });
  }

  poke(): void {
    this.subscription?.poke();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }
}
