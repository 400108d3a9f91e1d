import { ApiStatusError, type BosunClient, type KindRef, type KubeObject, type WatchHandle } from './client';

export interface InformerOptions<T> {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly onAdd?: (obj: T) => void;
  readonly onUpdate?: (obj: T, old: T) => void;
  readonly onDelete?: (obj: T) => void;
  /** Called on transport errors before a retry (the informer keeps going). */
  readonly onError?: (err: unknown) => void;
  /** Backoff bounds for reconnects (default 200 ms … 10 s). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/**
 * List + watch of one kind into an in-memory store, like client-go's informers: lists, then
 * watches from the list's resourceVersion, resumes a broken watch from the last resourceVersion
 * seen (bookmarks included), relists on 410 Gone, reconnects with backoff. `synced` resolves after
 * the first list; callbacks fire in event order.
 */
export class Informer<T extends KubeObject = KubeObject> {
  private readonly store = new Map<string, T>();
  private resourceVersion: string | undefined;
  private watchHandle: WatchHandle | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private resolveSynced!: () => void;
  readonly synced: Promise<void>;
  private hasSynced = false;

  constructor(
    private readonly client: BosunClient,
    private readonly kind: KindRef,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.synced = new Promise((r) => (this.resolveSynced = r));
  }

  /** Starts the loop (idempotent). */
  start(): this {
    this.running ??= this.loop();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watchHandle?.stop();
    await this.running?.catch(() => undefined);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get(name: string, namespace = ''): T | undefined {
    return this.store.get(`${namespace}/${name}`);
  }

  get isSynced(): boolean {
    return this.hasSynced;
  }

  /** The resourceVersion the informer is at (resume point). */
  get lastResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  private emit(fn: (() => void) | undefined): void {
    try {
      fn?.();
    } catch (e) {
      this.opts.onError?.(e);
    }
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list<T>(this.kind, {
        ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}),
        ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
        ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
        limit: 5000,
        ...(cont ? { continue: cont } : {}),
      });
      items.push(...page.items);
      rv = page.metadata.resourceVersion;
      cont = page.metadata.continue;
    } while (cont);
    const seen = new Set<string>();
    for (const o of items) {
      const k = keyOf(o);
      seen.add(k);
      const old = this.store.get(k);
      this.store.set(k, o);
      if (!old) this.emit(this.opts.onAdd && (() => this.opts.onAdd!(o)));
      else if (old.metadata?.resourceVersion !== o.metadata?.resourceVersion) this.emit(this.opts.onUpdate && (() => this.opts.onUpdate!(o, old)));
    }
    for (const [k, old] of [...this.store]) {
      if (seen.has(k)) continue;
      this.store.delete(k);
      this.emit(this.opts.onDelete && (() => this.opts.onDelete!(old)));
    }
    this.resourceVersion = rv;
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.resolveSynced();
    }
  }

  private async loop(): Promise<void> {
    const min = this.opts.minBackoffMs ?? 200;
    const max = this.opts.maxBackoffMs ?? 10_000;
    let backoff = min;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        const handle = this.client.watch<T>(
          this.kind,
          {
            ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}),
            ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
            ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
            ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
            allowWatchBookmarks: true,
            timeoutSeconds: 300 + Math.floor(Math.random() * 300),
          },
          (e) => {
            backoff = min;
            const o = e.object;
            if (o?.metadata?.resourceVersion) this.resourceVersion = o.metadata.resourceVersion;
            if (e.type === 'BOOKMARK') return;
            if (e.type === 'ERROR') {
              const code = (o as unknown as { code?: number }).code;
              if (code === 410) needList = true;
              handle.stop();
              return;
            }
            const k = keyOf(o);
            const old = this.store.get(k);
            if (e.type === 'DELETED') {
              this.store.delete(k);
              this.emit(this.opts.onDelete && (() => this.opts.onDelete!(o)));
            } else {
              this.store.set(k, o);
              if (old) this.emit(this.opts.onUpdate && (() => this.opts.onUpdate!(o, old)));
              else this.emit(this.opts.onAdd && (() => this.opts.onAdd!(o)));
            }
          },
        );
        this.watchHandle = handle;
        if (this.stopped) handle.stop();
        await handle.done;
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof ApiStatusError && e.code === 410) {
          needList = true;
          continue;
        }
        this.opts.onError?.(e);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(max, backoff * 2);
      }
    }
  }
}
