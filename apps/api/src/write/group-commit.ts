import type { NewEvent } from '@bosun/contracts';
import type { AppendOptions, EventStore } from '@bosun/event-store';
import { currentTraceContext } from '@bosun/telemetry';

interface Pending {
  readonly streamId: string;
  readonly expected: number;
  readonly events: readonly NewEvent[];
  readonly opts: AppendOptions;
  resolve(position: number): void;
  reject(err: unknown): void;
}

/**
 * Group commit for single-object writes: concurrent appends to different streams share one
 * statement (one round trip, one commit, one fsync), each still with its own expected version. When
 * a grouped transaction fails (e.g. one conflict), its appends are retried one by one, so each
 * caller gets exactly its own outcome. The API's write throughput is then bounded by commits,
 * not by appends.
 */
export class GroupCommitter {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly store: EventStore,
    private readonly maxBatch = 64,
    private readonly maxInFlight = Number(process.env.BOSUN_API_GROUP_COMMITS ?? 2),
  ) {}

  append(streamId: string, expected: number, events: readonly NewEvent[], opts: AppendOptions = {}): Promise<number> {
    // The trace context of the caller (its request), not of whichever caller's turn runs the batch.
    const traced = opts.traceparent === undefined ? { ...opts, ...currentTraceContext() } : opts;
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, expected, events, opts: traced, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async one(p: Pending): Promise<void> {
    try {
      p.resolve((await this.store.append(p.streamId, p.expected, p.events, p.opts)).lastPosition);
    } catch (e) {
      p.reject(e);
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.one(batch[0]!);
    const streams = new Set(batch.map((p) => p.streamId));
    if (streams.size < batch.length) {
      // Two writes to one object: the second must see the first's outcome.
      for (const p of batch) await this.one(p);
      return;
    }
    // One statement for the whole batch (one round trip, no explicit transaction), streams in
    // one order so that two batches in flight never wait for each other crosswise.
    const sorted = [...batch].sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
    let results: Array<{ lastPosition: number }>;
    try {
      results = await this.store.appendMany(
        sorted.map((p) => ({
          streamId: p.streamId,
          expected: p.expected,
          events: p.events,
          metadata: { correlationId: p.opts.correlationId, causationId: p.opts.causationId, traceparent: p.opts.traceparent ?? null, tracestate: p.opts.tracestate ?? null },
        })),
      );
    } catch {
      await Promise.all(batch.map((p) => this.one(p)));
      return;
    }
    sorted.forEach((p, i) => p.resolve(results[i]!.lastPosition));
  }
}
