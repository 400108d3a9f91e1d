import type { Change } from './projection';

export interface WatchListener {
  /** Called synchronously, in log order, for every change after the listener's start. */
  onChange(change: Change, seq: number): void;
}

interface Entry {
  readonly seq: number;
  readonly position: number;
  readonly changes: readonly Change[];
}

/**
 * The recent past of the object view, for watches: every event the projection handled (in the
 * store's order) with the object changes it caused. A watch resumes from a resourceVersion
 * (an event position) by finding that event here; older positions are replayed from the store.
 */
export class WatchHub {
  private readonly entries: Entry[] = [];
  private head = 0;
  private readonly seqByPosition = new Map<number, number>();
  private readonly listeners = new Set<WatchListener>();
  private seq = 0;
  lastPosition = 0;

  constructor(private readonly capacity = 100_000) {}

  record(position: number, changes: readonly Change[]): void {
    const seq = ++this.seq;
    this.entries.push({ seq, position, changes });
    this.seqByPosition.set(position, seq);
    this.lastPosition = position;
    while (this.entries.length - this.head > this.capacity) {
      const old = this.entries[this.head++]!;
      this.seqByPosition.delete(old.position);
    }
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    if (changes.length === 0) return;
    for (const l of this.listeners) {
      for (const c of changes) {
        try {
          l.onChange(c, seq);
        } catch {
          // a broken watcher must not stop the projection
        }
      }
    }
  }

  currentSeq(): number {
    return this.seq;
  }

  /** Local sequence number of the event at `position`, if it is inside the window. */
  seqOf(position: number): number | undefined {
    return this.seqByPosition.get(position);
  }

  has(position: number): boolean {
    return this.seqByPosition.has(position);
  }

  /** Changes recorded after `seq`, oldest first. */
  *changesAfter(seq: number): Generator<{ change: Change; seq: number }> {
    // entries are in seq order; find the first with seq > given by offset arithmetic
    const first = this.entries[this.head];
    if (!first) return;
    let i = Math.max(this.head, this.head + (seq - first.seq) + 1);
    for (; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      for (const c of e.changes) yield { change: c, seq: e.seq };
    }
  }

  subscribe(l: WatchListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  watcherCount(): number {
    return this.listeners.size;
  }
}
