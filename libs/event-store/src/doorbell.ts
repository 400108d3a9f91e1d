/**
 * A polling loop's doorbell: `ring()` ends a `wait(ms)` in progress, or makes the next one return
 * at once, so a ring between two waits (an append while a page was being read) is never lost.
 */
export class Doorbell {
  private rung = false;
  private wake: (() => void) | null = null;

  ring(): void {
    this.rung = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Resolves on a ring (also one that came before the call) or after `ms`. */
  async wait(ms: number): Promise<void> {
    if (!this.rung) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.wake = null;
          resolve();
        }, ms);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    this.rung = false;
  }
}
