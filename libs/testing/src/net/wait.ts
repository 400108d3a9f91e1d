export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Poll interval (default 100 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout error message. */
  readonly description?: string;
}

export class WaitTimeoutError extends Error {
  constructor(description: string, timeoutMs: number, readonly lastError?: unknown) {
    const last = lastError instanceof Error ? `; last error: ${lastError.message}` : lastError !== undefined ? `; last value: ${String(lastError)}` : '';
    super(`timed out after ${timeoutMs} ms waiting for ${description}${last}`);
    this.name = 'WaitTimeoutError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns a value other than `undefined`, `false` or `null`, and resolves
 * with that value. A probe that throws counts as "not yet" (its last error is reported on timeout).
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<Exclude<T, undefined | null | false>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(options.description ?? 'condition', timeoutMs, lastError);
    await sleep(intervalMs);
  }
}

/** Resolves with the first emission of `event` on `emitter` (optionally matching `filter`), or rejects on timeout. */
export function waitForEvent<A extends unknown[]>(
  emitter: { on(event: string, listener: (...args: A) => void): unknown; off(event: string, listener: (...args: A) => void): unknown },
  event: string,
  filter: (...args: A) => boolean = () => true,
  options: WaitOptions = {},
): Promise<A> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolvePromise, reject) => {
    const listener = (...args: A): void => {
      if (!filter(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolvePromise(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new WaitTimeoutError(options.description ?? `event ${event}`, timeoutMs));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}
