import type { EventEnvelope } from '@bosun/contracts';

/**
 * Status is a projection of the owning services' events (ipam, bgp-speaker, l2-announcer…):
 * each context contributes one StatusProjector, in a file of its own in this folder, that turns
 * its events into changes of the `status` of API objects. The API applies them to its object
 * view and bumps the object's resourceVersion to the event's position.
 */
export interface ObjectKey {
  /** API group, '' for the core group. */
  readonly group: string;
  readonly kind: string;
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

export interface StatusChange {
  readonly key: ObjectKey;
  /**
   * Computes the new status from the current one (undefined when the object has none yet).
   * Must be pure. Return the same object to signal "no change".
   */
  readonly update: (status: Record<string, unknown> | undefined) => Record<string, unknown> | undefined;
}

export interface StatusProjector {
  /** The event types this projector reads. */
  readonly eventTypes: readonly string[];
  project(event: EventEnvelope): StatusChange[];
  /** Optional one-line summary of the event for `describe`'s Events (e.g. `20.0.10.1 from ip-pool-blue`). */
  summarize?(event: EventEnvelope): string | undefined;
}

/** Replaces (or adds) the condition of the same `type` in a Kubernetes conditions list. */
export const upsertCondition = <C extends { type: string }>(conditions: readonly C[] | undefined, c: C): C[] => {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  if (i >= 0) list[i] = c;
  else list.push(c);
  return list;
};
