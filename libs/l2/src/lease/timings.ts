/**
 * Lease timings, as in client-go leader election and Cilium's `l2announcements.*` settings:
 * a holder renews every `retryPeriodMs`, stops answering by itself when no renewal succeeded for
 * `renewDeadlineMs`, and others may take the lease once it is `leaseDurationMs` old (or at once,
 * when the holder's database session is gone: see docs/l2.md).
 */
export interface LeaseTimings {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** Bosun's defaults (Cilium's are 15 s / 5 s / 2 s; kube-vip's 15 s / 10 s / 2 s). */
export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

export class LeaseTimingsError extends Error {
  override readonly name = 'LeaseTimingsError';
  constructor(
    readonly field: keyof LeaseTimings,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/**
 * Rejects timings that cannot be safe, naming the field: the renew deadline must be shorter than
 * the lease (the gap is the safety margin for clock-rate drift and delays), and a holder must get
 * at least one retry in before its deadline (Cilium's rule: renew > 1.2 × retry). Cilium silently
 * rewrites bad values instead; an explicit error is easier to debug.
 */
export const validateLeaseTimings = (t: LeaseTimings): LeaseTimings => {
  for (const f of ['leaseDurationMs', 'renewDeadlineMs', 'retryPeriodMs'] as const) {
    if (!Number.isFinite(t[f]) || t[f] <= 0) throw new LeaseTimingsError(f, `must be a positive number of milliseconds, got ${t[f]}`);
  }
  if (t.renewDeadlineMs >= t.leaseDurationMs) {
    throw new LeaseTimingsError('renewDeadlineMs', `must be shorter than leaseDurationMs (${t.renewDeadlineMs} >= ${t.leaseDurationMs})`);
  }
  if (t.renewDeadlineMs <= 1.2 * t.retryPeriodMs) {
    throw new LeaseTimingsError('retryPeriodMs', `must be less than renewDeadlineMs / 1.2 (${t.retryPeriodMs} vs ${t.renewDeadlineMs})`);
  }
  return t;
};
