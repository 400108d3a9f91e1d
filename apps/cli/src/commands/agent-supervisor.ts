import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Keeps a set of child processes running: restarts one that dies (with backoff, reset after it
 * has run for a while), forwards SIGTERM on stop and SIGKILLs what does not exit in time.
 */

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface SupervisorEvents {
  onStart?(name: string, pid: number, restarts: number): void;
  onExit?(name: string, code: number | null, signal: NodeJS.Signals | null, restartInMs: number | undefined): void;
  onOutput?(name: string, line: string): void;
}

interface Running {
  spec: ChildSpec;
  child?: ChildProcess;
  restarts: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

const BACKOFF_MS = [250, 500, 1000, 2000, 5000];
/** A child that ran this long is considered healthy: its next crash restarts it quickly again. */
const STABLE_AFTER_MS = 10_000;

export class Supervisor {
  private readonly running = new Map<string, Running>();
  private stopping = false;

  constructor(private readonly events: SupervisorEvents = {}) {}

  start(specs: readonly ChildSpec[]): void {
    for (const spec of specs) {
      const r: Running = { spec, restarts: 0, startedAt: 0 };
      this.running.set(spec.name, r);
      this.launch(r);
    }
  }

  pid(name: string): number | undefined {
    return this.running.get(name)?.child?.pid;
  }

  restarts(name: string): number {
    return this.running.get(name)?.restarts ?? 0;
  }

  private launch(r: Running): void {
    if (this.stopping) return;
    r.startedAt = Date.now();
    const child = spawn(r.spec.command, [...r.spec.args], { env: r.spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    r.child = child;
    const pipe = (stream: NodeJS.ReadableStream | null): void => {
      let buf = '';
      stream?.on('data', (b: Buffer) => {
        buf += b.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.events.onOutput?.(r.spec.name, buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    };
    pipe(child.stdout);
    pipe(child.stderr);
    child.on('error', (err) => this.events.onOutput?.(r.spec.name, `cannot start: ${err.message}`));
    if (child.pid !== undefined) this.events.onStart?.(r.spec.name, child.pid, r.restarts);
    child.on('exit', (code, signal) => {
      r.child = undefined;
      if (this.stopping) {
        this.events.onExit?.(r.spec.name, code, signal, undefined);
        return;
      }
      if (Date.now() - r.startedAt > STABLE_AFTER_MS) r.restarts = 0;
      const delay = BACKOFF_MS[Math.min(r.restarts, BACKOFF_MS.length - 1)]!;
      r.restarts++;
      this.events.onExit?.(r.spec.name, code, signal, delay);
      r.timer = setTimeout(() => this.launch(r), delay);
    });
  }

  /** SIGTERM to every child, SIGKILL after `graceMs`; resolves when all have exited. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const r of this.running.values()) {
      if (r.timer) clearTimeout(r.timer);
      const child = r.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(waits);
  }
}
