import type { NewEvent } from '@bosun/contracts';
import type { AppendOptions, EventStore } from '@bosun/event-store';

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
 * Postgres transaction (one commit, one fsync), each still with its own expected version. When
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
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, expected, events, opts, resolve, reject });
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
    let positions: number[];
    try {
      positions = await this.store.transaction(async (tx) => {
        const out: number[] = [];
        for (const p of batch) out.push((await this.store.append(p.streamId, p.expected, p.events, { ...p.opts, tx })).lastPosition);
        return out;
      });
    } catch {
      await Promise.all(batch.map((p) => this.one(p)));
      return;
    }
    batch.forEach((p, i) => p.resolve(positions[i]!));
  }
}
