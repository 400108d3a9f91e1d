import type { Condition, ConditionStatus } from './types';

/** A condition as decided, before it meets the current status (which owns lastTransitionTime). */
export interface DesiredCondition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
}

export const condition = (type: string, status: ConditionStatus, reason: string, message: string, observedGeneration?: number): DesiredCondition => ({
  type,
  status,
  reason,
  message,
  ...(observedGeneration !== undefined ? { observedGeneration } : {}),
});

/** RFC 3339 with seconds, as Kubernetes writes `metav1.Time`. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * Merges decided conditions into a current list, as the Gateway API asks of implementations:
 * a condition keeps its `lastTransitionTime` while its status does not change; conditions of
 * types this controller does not manage (other controllers', `example.io/Foo`) stay where they
 * are; managed types that were not decided this time are removed (e.g. `OverlappingTLSConfig`,
 * which must not be set when false). The result equals `current` (deeply) when nothing changed,
 * so callers can skip the write.
 */
export const mergeConditions = (
  current: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  now: string,
  managed: ReadonlySet<string> = new Set(desired.map((d) => d.type)),
): Condition[] => {
  const byType = new Map(desired.map((d) => [d.type, d]));
  const out: Condition[] = [];
  const placed = new Set<string>();
  const merge = (prev: Condition | undefined, d: DesiredCondition): Condition => ({
    type: d.type,
    status: d.status,
    reason: d.reason,
    message: d.message,
    lastTransitionTime: prev && prev.status === d.status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    ...(d.observedGeneration !== undefined ? { observedGeneration: d.observedGeneration } : {}),
  });
  for (const c of current ?? []) {
    const d = byType.get(c.type);
    if (d) {
      if (placed.has(c.type)) continue; // a duplicate type in a map-list: keep the first
      out.push(merge(c, d));
      placed.add(c.type);
    } else if (!managed.has(c.type)) out.push(c);
  }
  for (const d of desired) if (!placed.has(d.type)) out.push(merge(undefined, d));
  return out;
};

export const findCondition = (conditions: readonly Condition[] | undefined, type: string): Condition | undefined => conditions?.find((c) => c.type === type);

/** Structural equality of JSON values (key order ignored). */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k], bo[k]));
};
