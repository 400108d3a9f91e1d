import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { canonicalIp } from '../codec/addresses';
import type { PortCommand, PortReport, PortStats } from './protocol';

/** Where the compiled capture process lives (tests run from sources, the process always runs compiled). */
export const portProcessEntry = (): string => {
  const here = __dirname;
  const compiled = join(here, 'port-process.js');
  if (existsSync(compiled)) return compiled;
  const fromSources = resolve(here, '../../dist/io/port-process.js');
  if (existsSync(fromSources)) return fromSources;
  throw new Error(`the L2 capture process is not built (looked for ${compiled} and ${fromSources}): run \`npx tsc -b libs/l2\``);
};

export interface InterfacePortOptions {
  readonly ifname: string;
  /** Gratuitous repeat schedule (ms after takeover); default DEFAULT_GRATUITOUS_SCHEDULE_MS. */
  readonly gratuitousScheduleMs?: readonly number[];
}

export interface InterfacePortEvents {
  ready: [mac: string];
  announced: [address: string, atEpochMs: number, frames: number];
  stats: [stats: PortStats];
  conflict: [address: string, mac: string, kind: string];
  /** The capture process ended (link down, interface gone, crash); `reason` says which. */
  exit: [reason: string];
}

const ZERO_STATS: PortStats = { repliesSent: 0, gratuitousSent: 0, fencedDrops: 0, conflictsSeen: 0, framesSeen: 0, decodeErrors: 0 };

/**
 * One interface's ARP/NDP responder, run as a capture process (see port-process.ts). Keeps the
 * set of addresses and the fence, so a restarted process is given the same state. Counters
 * accumulate over restarts.
 */
export class InterfacePort extends EventEmitter<InterfacePortEvents> {
  readonly ifname: string;
  mac: string | undefined;
  private child: ChildProcess | undefined;
  private readonly addresses = new Set<string>();
  private fenceUntil = 0;
  private base: PortStats = ZERO_STATS;
  private current: PortStats = ZERO_STATS;
  private closed = false;
  private readyPromise: Promise<string>;
  lastError: string | undefined;

  constructor(private readonly options: InterfacePortOptions) {
    super();
    this.ifname = options.ifname;
    this.readyPromise = this.start();
    this.readyPromise.catch(() => undefined); // reported through the 'exit' event too
  }

  /** Resolves with the interface MAC once the capture is open; rejects if the process dies first. */
  ready(): Promise<string> {
    return this.readyPromise;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private start(): Promise<string> {
    const env = { ...process.env };
    if (this.options.gratuitousScheduleMs) env.BOSUN_L2_GRATUITOUS_SCHEDULE_MS = this.options.gratuitousScheduleMs.join(',');
    // setpriv --pdeathsig: the kernel kills the capture process when the announcer dies, even by SIGKILL.
    const args = [...(existsSync('/usr/bin/setpriv') ? ['--pdeathsig', 'KILL', '--', process.execPath] : []), portProcessEntry(), this.ifname];
    const file = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : process.execPath;
    const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], env, serialization: 'advanced' });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-2000);
    });
    return new Promise<string>((resolvePromise, reject) => {
      let ready = false;
      child.on('message', (raw: unknown) => {
        const r = raw as PortReport;
        switch (r.t) {
          case 'ready':
            ready = true;
            this.mac = r.mac;
            // Bring a fresh process up to date: fence first, then addresses (no new burst).
            this.post({ t: 'fence', until: this.fenceUntil });
            if (this.addresses.size > 0) this.post({ t: 'add', addresses: [...this.addresses], announce: false });
            this.emit('ready', r.mac);
            resolvePromise(r.mac);
            return;
          case 'announced':
            this.emit('announced', r.address, r.at, r.frames);
            return;
          case 'stats': {
            const { t: _t, ...s } = r;
            this.current = s;
            this.emit('stats', this.stats());
            return;
          }
          case 'conflict':
            this.emit('conflict', r.address, r.mac, r.kind);
            return;
          case 'error':
            this.lastError = r.message;
            return;
          default: {
            const never: never = r;
            this.lastError = `unknown report ${JSON.stringify(never)}`;
          }
        }
      });
      child.on('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        this.base = this.stats();
        this.current = ZERO_STATS;
        const tail = (this.lastError ?? stderr.trim().split('\n').slice(-1)[0] ?? '').trim();
        const reason = this.closed ? 'closed' : `capture on ${this.ifname} ended (${signal ?? `exit ${code}`})${tail ? `: ${tail}` : ''}`;
        if (!ready) reject(new Error(reason));
        this.emit('exit', reason);
      });
      child.on('error', (e) => {
        if (!ready) reject(e);
      });
    });
  }

  /** Starts a new capture process (after the link came back); state is carried over. */
  restart(): Promise<string> {
    if (this.closed) return Promise.reject(new Error('port closed'));
    if (this.child) return this.readyPromise;
    this.readyPromise = this.start();
    this.readyPromise.catch(() => undefined);
    return this.readyPromise;
  }

  private post(cmd: PortCommand): void {
    const c = this.child;
    if (!c || !c.connected) return;
    try {
      c.send(cmd);
    } catch {
      /* the exit handler reports it */
    }
  }

  /** The self-fence: answer only until this CLOCK_MONOTONIC time (ms). */
  fence(until: number): void {
    this.fenceUntil = until;
    this.post({ t: 'fence', until });
  }

  /** Start answering for addresses; `announce` sends the gratuitous burst at once. */
  add(addresses: readonly string[], announce: boolean): void {
    const list = addresses.map(canonicalIp);
    for (const a of list) this.addresses.add(a);
    this.post({ t: 'add', addresses: list, announce });
  }

  remove(addresses: readonly string[]): void {
    const list = addresses.map(canonicalIp).filter((a) => this.addresses.delete(a));
    if (list.length > 0) this.post({ t: 'remove', addresses: list });
  }

  has(address: string): boolean {
    return this.addresses.has(canonicalIp(address));
  }

  held(): string[] {
    return [...this.addresses];
  }

  stats(): PortStats {
    const b = this.base;
    const c = this.current;
    return {
      repliesSent: b.repliesSent + c.repliesSent,
      gratuitousSent: b.gratuitousSent + c.gratuitousSent,
      fencedDrops: b.fencedDrops + c.fencedDrops,
      conflictsSeen: b.conflictsSeen + c.conflictsSeen,
      framesSeen: b.framesSeen + c.framesSeen,
      decodeErrors: b.decodeErrors + c.decodeErrors,
    };
  }

  /** Asks for fresh counters (they also arrive every second while they change). */
  requestStats(): void {
    this.post({ t: 'stats' });
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.child;
    if (!c) return;
    // Stop answering first, then end the process.
    this.post({ t: 'fence', until: 0 });
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  }
}
