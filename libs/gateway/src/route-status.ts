import { deepEqual, mergeConditions } from './conditions';
import { ConditionType } from './constants';
import type { RouteParentDecision } from './routes';
import type { HTTPRoute, ParentReference, RouteParentStatus } from './types';

const ROUTE_CONDITION_TYPES: ReadonlySet<string> = new Set([ConditionType.Accepted, ConditionType.ResolvedRefs]);

/**
 * An HTTPRoute's `status.parents` after this controller's decisions: entries of other
 * controllers stay as they are; this controller's entries are one per handled parentRef (those
 * for parentRefs no longer handled are removed), conditions merged so lastTransitionTime holds.
 */
export const routeStatus = (route: HTTPRoute, decisions: readonly RouteParentDecision[], controllerName: string, now: string): NonNullable<HTTPRoute['status']> => {
  const current = route.status ?? {};
  const parents = current.parents ?? [];
  const others = parents.filter((p) => p.controllerName !== controllerName);
  const ours = parents.filter((p) => p.controllerName === controllerName);
  const seen = new Set<string>();
  const next: RouteParentStatus[] = [];
  for (const d of decisions) {
    const id = JSON.stringify(refKey(d.parentRef));
    if (seen.has(id)) continue; // the same parentRef listed twice: one status entry
    seen.add(id);
    const prev = ours.find((p) => deepEqual(refKey(p.parentRef), refKey(d.parentRef)));
    next.push({ parentRef: prev?.parentRef ?? { ...d.parentRef }, controllerName, conditions: mergeConditions(prev?.conditions, d.conditions, now, ROUTE_CONDITION_TYPES) });
  }
  const { parents: _p, ...rest } = current;
  return { ...rest, parents: [...others, ...next] };
};

/** A parentRef with its defaults filled in, for comparing entries. */
const refKey = (p: ParentReference): Record<string, unknown> => ({
  group: p.group ?? 'gateway.networking.k8s.io',
  kind: p.kind ?? 'Gateway',
  namespace: p.namespace,
  name: p.name,
  sectionName: p.sectionName,
  port: p.port,
});
