import { rmSync } from 'node:fs';
import type { ManagedProcess } from '../process.js';

/**
 * A routing daemon a test runs in a namespace (BIRD, FRR's bgpd, gobgpd): its configuration,
 * working directory and process, and the lifecycle every peer shares — freeze, kill, restart.
 */
export abstract class PeerDaemon<Options> {
  protected proc: ManagedProcess | undefined;
  protected current: Options;

  protected constructor(
    options: Options,
    readonly workDir: string,
  ) {
    this.current = options;
  }

  get process(): ManagedProcess | undefined {
    return this.proc;
  }
  get options(): Options {
    return this.current;
  }

  /** Writes the configuration and starts the daemon; resolves once it answers. */
  protected abstract launch(): Promise<void>;

  /** SIGSTOP: the daemon keeps its sockets but stops answering (hold timers then expire at the neighbor). */
  freeze(): void {
    this.proc?.signal('SIGSTOP');
  }
  thaw(): void {
    this.proc?.signal('SIGCONT');
  }

  /** Stops the daemon (SIGTERM; it closes its sessions with a Cease). */
  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  /** SIGKILL: sessions drop without any NOTIFICATION. */
  async kill(): Promise<void> {
    if (!this.proc) return;
    this.proc.signal('SIGKILL');
    await this.proc.exited;
  }

  /** Starts the daemon again with the current configuration (after `stop`/`kill`, or running). */
  async restart(): Promise<void> {
    if (this.proc && !this.proc.hasExited) await this.proc.stop();
    await this.launch();
  }

  /** Stops the daemon and removes its working directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
