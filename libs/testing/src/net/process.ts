import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Also append the process's stdout/stderr to this file. */
  readonly logFile?: string;
  /** Keep at most this many characters of recent output in memory (default 64 KiB). */
  readonly keepOutputChars?: number;
  /** Give the process a stdin pipe (see `ManagedProcess.write`); default: /dev/null. */
  readonly stdin?: 'pipe' | 'ignore';
}

/** A long-running process that is killed when stopped, when its namespace is deleted, or when this process exits. */
export interface ManagedProcess {
  readonly pid: number;
  readonly command: readonly string[];
  /** Resolves with the exit code (or 128 + signal number) once the process has exited. */
  readonly exited: Promise<number>;
  /** True once the process has exited. */
  readonly hasExited: boolean;
  /** Recent combined stdout/stderr. */
  output(): string;
  /** Recent stdout only. */
  stdout(): string;
  /** Writes to the process's stdin (needs `stdin: 'pipe'`). */
  write(text: string): void;
  /** Sends a signal without waiting. */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs` (default 3 s); resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort; children also get SIGKILL from the kernel via PR_SET_PDEATHSIG.
  process.on('exit', () => {
    for (const child of live) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

const signalNumbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGSTOP: 19, SIGCONT: 18, SIGUSR1: 10, SIGUSR2: 12 };

/**
 * Spawns a long-running command, inside `namespace` when given (`ip netns exec`), in its own
 * process group and with a parent-death signal, so it never outlives the test process.
 */
export function spawnManaged(namespace: string | undefined, file: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
  installExitHook();
  // setpriv --pdeathsig: the kernel kills the child if we die without running exit hooks (SIGKILL).
  const wrapped = ['setpriv', '--pdeathsig', 'KILL', '--', file, ...args];
  const full = namespace ? ['ip', 'netns', 'exec', namespace, ...wrapped] : wrapped;
  const child = spawn(full[0]!, full.slice(1), {
    stdio: [options.stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  if (child.pid === undefined) throw new Error(`cannot spawn \`${full.join(' ')}\``);
  live.add(child);
  const keep = options.keepOutputChars ?? 65536;
  let buffer = '';
  let outOnly = '';
  let log: WriteStream | undefined;
  if (options.logFile) log = createWriteStream(options.logFile, { flags: 'a' });
  const onData = (b: Buffer): void => {
    buffer += b.toString('utf8');
    if (buffer.length > keep) buffer = buffer.slice(buffer.length - keep);
    log?.write(b);
  };
  child.stdout!.on('data', (b: Buffer) => {
    outOnly += b.toString('utf8');
    if (outOnly.length > keep) outOnly = outOnly.slice(outOnly.length - keep);
    onData(b);
  });
  child.stdin?.on('error', () => undefined);
  child.stderr!.on('data', onData);
  let hasExited = false;
  const exited = new Promise<number>((resolvePromise) => {
    child.on('exit', (code, sig) => {
      hasExited = true;
      live.delete(child);
      log?.end();
      resolvePromise(code ?? 128 + (sig ? (signalNumbers[sig] ?? 0) : 0));
    });
  });
  const pid = child.pid;
  const sendGroup = (sig: NodeJS.Signals): void => {
    if (hasExited) return;
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };
  return {
    pid,
    command: [file, ...args],
    exited,
    get hasExited() {
      return hasExited;
    },
    output: () => buffer,
    stdout: () => outOnly,
    write(text: string) {
      if (!child.stdin) throw new Error('spawned without stdin: pipe');
      child.stdin.write(text);
    },
    signal: sendGroup,
    async stop(graceMs = 3000) {
      if (hasExited) return;
      sendGroup('SIGCONT');
      sendGroup('SIGTERM');
      const timer = setTimeout(() => sendGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
