/**
 * Liveness and readiness, in the style of Kubernetes' own `/healthz` and `/readyz`: named checks
 * that services register ("eventstore", "nats", "bgp-sessions"…), a plain-text verbose body
 * (`[+]name ok` / `[-]name failed: reason`) and 200 or 503.
 */
export type HealthCheck = () => Promise<void | boolean | string> | void | boolean | string;

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly message?: string;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly checks: CheckResult[];
}

const runCheck = async (name: string, check: HealthCheck, timeoutMs: number): Promise<CheckResult> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    const r = await Promise.race([
      Promise.resolve().then(check),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (r === false) return { name, ok: false, message: 'not ready' };
    return { name, ok: true, ...(typeof r === 'string' ? { message: r } : {}) };
  } catch (err) {
    return { name, ok: false, message: err instanceof Error ? err.message : String(err) };
  } finally {
    if (timer) clearTimeout(timer);
  }
};

export class HealthRegistry {
  private readonly liveness = new Map<string, HealthCheck>();
  private readonly readiness = new Map<string, HealthCheck>();
  private shuttingDown = false;

  constructor(readonly timeoutMs = 2_000) {}

  /** A readiness check: the service should get traffic/work only when all pass. */
  addReadinessCheck(name: string, check: HealthCheck): this {
    this.readiness.set(name, check);
    return this;
  }

  /** A liveness check: failing means "restart me" (keep these few and cheap). */
  addLivenessCheck(name: string, check: HealthCheck): this {
    this.liveness.set(name, check);
    return this;
  }

  removeCheck(name: string): void {
    this.readiness.delete(name);
    this.liveness.delete(name);
  }

  /** Readiness fails from now on (graceful shutdown drains traffic first). */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async live(): Promise<HealthReport> {
    return this.run(this.liveness, false);
  }

  async ready(): Promise<HealthReport> {
    return this.run(this.readiness, this.shuttingDown);
  }

  private async run(checks: Map<string, HealthCheck>, shuttingDown: boolean): Promise<HealthReport> {
    const results = await Promise.all([...checks].map(([n, c]) => runCheck(n, c, this.timeoutMs)));
    if (shuttingDown) results.push({ name: 'shutdown', ok: false, message: 'shutting down' });
    return { ok: results.every((r) => r.ok), checks: results };
  }
}

/** `[+]eventstore ok` lines, then `readyz check passed` / `… failed`. */
export const formatHealthReport = (kind: 'healthz' | 'readyz', report: HealthReport): string =>
  [
    ...report.checks.map((c) => (c.ok ? `[+]${c.name} ok${c.message ? ` (${c.message})` : ''}` : `[-]${c.name} failed: ${c.message ?? 'not ready'}`)),
    `${kind} check ${report.ok ? 'passed' : 'failed'}`,
  ].join('\n') + '\n';

/** The registry a process's apps share (the default for the HTTP endpoints and the Nest module). */
export const health = new HealthRegistry();
