import type { Checkpoint, Subscription, SubscriptionOptions } from './types';
import { START } from './types';
import { compareCheckpoints } from './rows';
import type { PostgresEventStore } from './postgres-event-store';
import { Doorbell } from './doorbell';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Reads the global log by the read rule and hands batches to the handler, each batch in one
 * transaction. A durable subscription (with `subscriberId`) moves its checkpoint row in that
 * same transaction by compare-and-set on the previous value: the handler's writes and the
 * checkpoint commit together, and two instances of one subscriber never both apply a batch.
 */
export class PgSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  private resolveCaughtUp!: () => void;
  private rejectCaughtUp!: (err: unknown) => void;
  private isCaughtUp = false;
  private cp: Checkpoint = START;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly doorbell = new Doorbell();

  constructor(
    private readonly store: PostgresEventStore,
    private readonly opts: SubscriptionOptions,
    private readonly pollIntervalMs: number,
    private readonly onStopped: () => void,
  ) {
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.resolveCaughtUp = resolve;
      this.rejectCaughtUp = reject;
    });
    // An unobserved caughtUp must not become an unhandled rejection.
    this.caughtUp.catch(() => undefined);
  }

  start(): void {
    this.loop = this.run();
  }

  checkpoint(): Checkpoint {
    return this.cp;
  }

  poke(): void {
    this.doorbell.ring();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.loop?.catch(() => undefined);
    this.onStopped();
  }

  private async waitForWork(ms: number): Promise<void> {
    if (this.stopped) return;
    await this.doorbell.wait(ms);
  }

  private async initialCheckpoint(): Promise<Checkpoint> {
    const from = this.opts.from ?? 'start';
    const initial = from === 'start' ? START : from === 'end' ? await this.store.endCheckpoint() : from;
    if (!this.opts.subscriberId) return initial;
    // The stored checkpoint wins; `from` only seeds a new subscriber.
    await this.store.query(
      `INSERT INTO ${this.store.checkpointsTable} (subscriber_id, last_transaction_id, last_global_position)
       VALUES ($1, $2::xid8, $3) ON CONFLICT (subscriber_id) DO NOTHING`,
      [this.opts.subscriberId, initial.txid, initial.position],
    );
    return this.loadCheckpoint();
  }

  private async loadCheckpoint(): Promise<Checkpoint> {
    const rows = await this.store.query<{ txid: string; pos: string }>(
      `SELECT last_transaction_id::text AS txid, last_global_position AS pos FROM ${this.store.checkpointsTable} WHERE subscriber_id = $1`,
      [this.opts.subscriberId],
    );
    if (!rows[0]) throw new Error(`subscription ${this.opts.subscriberId}: checkpoint row disappeared`);
    return { txid: rows[0].txid, position: Number(rows[0].pos) };
  }

  private async run(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 100;
    let attempt = 0;
    // Caught up = past every event committed before we started (some may still be behind an
    // open transaction; "nothing more to read right now" is not enough).
    let target: Checkpoint = START;
    try {
      this.cp = await this.withRetry(() => this.initialCheckpoint());
      target = await this.withRetry(() => this.store.headCheckpoint());
    } catch (err) {
      this.rejectCaughtUp(err);
      return;
    }
    while (!this.stopped) {
      try {
        const page = await this.store.readPage(this.cp, batchSize, this.opts, this.store.reader);
        const moved = page.checkpoint.txid !== this.cp.txid || page.checkpoint.position !== this.cp.position;
        if (page.events.length > 0 || (moved && this.opts.subscriberId)) {
          const ok = await this.commitBatch(page.events, page.checkpoint);
          if (!ok) {
            // Another instance of this subscriber moved the checkpoint: continue from there.
            this.cp = await this.loadCheckpoint();
            continue;
          }
        }
        this.cp = page.checkpoint;
        attempt = 0;
        if (!page.caughtUp) continue;
        if (!this.isCaughtUp && compareCheckpoints(this.cp, target) >= 0) {
          this.isCaughtUp = true;
          this.resolveCaughtUp();
        }
        // Committed events wait behind an open transaction: look again as soon as it ends (a
        // transaction that wrote no events sends no NOTIFY when it ends; the store watches the
        // horizon), or on the next NOTIFY/poke, or after the poll.
        const cancel = page.pending ? this.store.onHorizonPast(page.horizon, () => this.poke()) : undefined;
        try {
          await this.waitForWork(this.pollIntervalMs);
        } finally {
          cancel?.();
        }
      } catch (err) {
        if (this.stopped) break;
        attempt++;
        try {
          this.opts.onError?.(err, attempt);
        } catch {
          /* the error callback must not stop the subscription */
        }
        await sleep(Math.min(100 * 2 ** Math.min(attempt - 1, 6), 5_000));
        // The failure may come from another instance of this subscriber that committed the
        // batch first (e.g. a unique key its handler wrote): go on from the stored checkpoint.
        if (this.opts.subscriberId && !this.stopped) this.cp = await this.loadCheckpoint().catch(() => this.cp);
      }
    }
  }

  private async withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (this.stopped || attempt >= 5) throw err;
        this.opts.onError?.(err, attempt);
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  /**
   * The handler's transaction: handler, then the checkpoint compare-and-set, commit. The
   * transaction begins with the handler's first statement and the checkpoint is written last,
   * so it holds a transaction id (which holds back every reader, see the read rule) only from
   * its first write to its commit; a batch nobody writes for costs one autocommit statement
   * (durable) or none. False when another instance of this subscriber moved the checkpoint first:
   * nothing of the batch is committed (the handler was told through onError if it ran).
   */
  private async commitBatch(events: Parameters<SubscriptionOptions['handler']>[0], next: Checkpoint): Promise<boolean> {
    const tx = this.store.openTransaction();
    try {
      if (events.length > 0) await this.opts.handler(events, { tx, checkpoint: next });
      if (this.opts.subscriberId) {
        const set = `UPDATE ${this.store.checkpointsTable}
              SET last_transaction_id = $2::xid8, last_global_position = $3, updated_at = now()`;
        const where = `WHERE subscriber_id = $1 AND last_transaction_id = $4::xid8 AND last_global_position = $5 RETURNING 1`;
        const params = [this.opts.subscriberId, next.txid, next.position, this.cp.txid, this.cp.position];
        // A checkpoint that commits nothing else is committed without waiting for the WAL flush
        // (as the relay's): lost in a database crash, it only makes this subscriber read those
        // events again, and a later synchronous commit flushes it anyway. Every fsync saved
        // counts: commits queue behind one another's flushes.
        const moved = tx.began
          ? await tx.query(`${set} ${where}`, params)
          : await this.store.query(`${set} FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit ${where}`, params, `bosun_checkpoint_${this.store.schema}`);
        if (moved.length === 0) {
          await tx.rollback();
          if (events.length > 0) {
            // The handler saw a batch that is not stored: as after a failure, it may have to
            // forget what it kept in memory.
            try {
              this.opts.onError?.(new Error(`subscription ${this.opts.subscriberId}: another instance moved the checkpoint first; the batch was rolled back`), 1);
            } catch {
              /* the error callback must not stop the subscription */
            }
          }
          return false;
        }
      }
    } catch (err) {
      await tx.rollback();
      throw err;
    }
    await tx.commit();
    this.store.committed(tx);
    return true;
  }
}
