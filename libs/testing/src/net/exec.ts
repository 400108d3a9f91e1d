import { spawn } from 'node:child_process';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface ExecOptions {
  /** Data written to the command's stdin. */
  readonly input?: string;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  readonly allowFailure?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** An external command failed; the message carries the command line and its stderr. */
export class ExecError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly result: ExecResult,
  ) {
    super(`\`${command.join(' ')}\` exited with ${result.code}: ${(result.stderr || result.stdout).trim()}`);
    this.name = 'ExecError';
  }
}

/** Runs a command to completion (no shell), collecting its output. */
export function exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const command = [file, ...args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    }
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot run \`${command.join(' ')}\`: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result: ExecResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n(killed by ${signal})` : ''),
        code: code ?? 128,
      };
      if (result.code !== 0 && !options.allowFailure) reject(new ExecError(command, result));
      else resolvePromise(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a command inside a network namespace (`ip netns exec`). */
export function execIn(namespace: string, file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return exec('ip', ['netns', 'exec', namespace, file, ...args], options);
}
