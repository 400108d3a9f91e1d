import { Client } from 'pg';
import { lockClassFor, releaseChannel } from './pg-lease-store';

export interface HolderWatchOptions {
  readonly connectionString: string;
  readonly schema: string;
  /** At most this many holders are watched at once (each costs one idle connection). */
  readonly maxWatched?: number;
  /** A watched holder's process is gone, or someone released leases: run a round now. */
  readonly wake: (why: string) => void;
  readonly log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Turns "the holder died" and "leases were released" into immediate wake-ups instead of the next
 * poll. For each holder this node would take over from first, one connection waits on the
 * holder's membership lock in share mode (`pg_advisory_lock_shared`): Postgres grants it the
 * moment the holder's session ends, i.e. when its process dies. One more connection LISTENs for
 * releases. Purely an accelerator: the rounds decide, from the database, what may be taken —
 * liveness checks count only the holder's own exclusive lock, never these share-mode waiters.
 */
export class HolderWatch {
  private readonly watched = new Map<number, Client>();
  private listener: Client | null = null;
  private closed = false;
  private readonly lockClass: number;

  constructor(private readonly opts: HolderWatchOptions) {
    this.lockClass = lockClassFor(opts.schema);
  }

  private client(purpose: string): Client {
    return new Client({ connectionString: this.opts.connectionString, application_name: `bosun-l2-watch:${purpose}`.slice(0, 63) });
  }

  /** Starts listening for releases (best effort: without it, rounds still poll). */
  async start(): Promise<void> {
    const c = this.client('releases');
    c.on('error', () => undefined);
    c.on('notification', () => this.opts.wake('leases released'));
    c.on('end', () => {
      if (this.listener === c) this.listener = null;
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${releaseChannel(this.opts.schema)}"`);
      this.listener = c;
    } catch (e) {
      this.opts.log?.('cannot listen for lease releases (rounds still poll)', { error: e });
      await c.end().catch(() => undefined);
    }
  }

  /** Watches exactly these holder memberships (the first `maxWatched` of them). */
  set(memberIds: Iterable<number>): void {
    if (this.closed) return;
    const want = new Set([...memberIds].slice(0, this.opts.maxWatched ?? 4));
    for (const [id, c] of this.watched) {
      if (want.has(id)) continue;
      this.watched.delete(id);
      void c.end().catch(() => undefined);
    }
    for (const id of want) if (!this.watched.has(id)) this.watch(id);
  }

  private watch(memberId: number): void {
    const c = this.client(`member-${memberId}`);
    this.watched.set(memberId, c);
    c.on('error', () => undefined);
    void (async () => {
      try {
        await c.connect();
        await c.query('SELECT pg_advisory_lock_shared($1, $2)', [this.lockClass, memberId]);
        // Granted: the holder's session is gone. Let go at once, then wake the rounds.
        await c.query('SELECT pg_advisory_unlock_shared($1, $2)', [this.lockClass, memberId]).catch(() => undefined);
        if (this.watched.get(memberId) === c) {
          this.watched.delete(memberId);
          this.opts.wake(`holder member ${memberId} is gone`);
        }
      } catch {
        // Ended by set()/close(), or the connection failed: polling covers it.
        if (this.watched.get(memberId) === c) this.watched.delete(memberId);
      } finally {
        await c.end().catch(() => undefined);
      }
    })();
  }

  get watching(): number[] {
    return [...this.watched.keys()];
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.watched.values()];
    this.watched.clear();
    await Promise.all(all.map((c) => c.end().catch(() => undefined)));
    await this.listener?.end().catch(() => undefined);
    this.listener = null;
  }
}
