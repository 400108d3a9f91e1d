import { selectorMatches } from '@bosun/resources';
import { condition, type DesiredCondition } from './conditions';
import { ConditionType, GATEWAY_API_GROUP, NAMESPACE_NAME_LABEL, Reason } from './constants';
import { routeMatchesListenerHostname } from './hostnames';
import type { ListenerDecision } from './listeners';
import { referenceAllowed } from './references';
import type { Gateway, HTTPRoute, ParentReference, ReferenceGrant } from './types';

/** What route attachment needs to know about one of this controller's Gateways. */
export interface ParentGateway {
  readonly gateway: Gateway;
  readonly listeners: readonly ListenerDecision[];
}

export interface RouteContext {
  /** This controller's Gateways by `namespace/name` (others' are not ours to judge). */
  readonly gateways: ReadonlyMap<string, ParentGateway>;
  /** Namespace labels by name (a Namespace not stored has only `kubernetes.io/metadata.name`). */
  readonly namespaceLabels: (namespace: string) => Readonly<Record<string, string>>;
  /** Whether the Service `namespace/name` exists. */
  readonly serviceExists: (namespace: string, name: string) => boolean;
  readonly referenceGrants: readonly ReferenceGrant[];
}

export interface RouteParentDecision {
  readonly parentRef: ParentReference;
  /** `namespace/name` of the Gateway. */
  readonly gateway: string;
  readonly accepted: boolean;
  /** Listeners the route is attached to (counted in their `attachedRoutes` when accepted). */
  readonly listeners: readonly string[];
  /** Accepted, ResolvedRefs. */
  readonly conditions: readonly DesiredCondition[];
}

const isGatewayRef = (p: ParentReference): boolean => (p.group ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP && (p.kind ?? 'Gateway') === 'Gateway';

export const gatewayKeyOf = (route: HTTPRoute, p: ParentReference): string => `${p.namespace ?? route.metadata.namespace ?? ''}/${p.name}`;

const allowsNamespace = (l: ListenerDecision, gw: Gateway, routeNs: string, ctx: RouteContext): boolean => {
  const ns = l.listener.allowedRoutes?.namespaces;
  const from = ns?.from ?? 'Same';
  switch (from) {
    case 'All':
      return true;
    case 'Same':
      return routeNs === gw.metadata.namespace;
    case 'Selector':
      return selectorMatches(ns?.selector, ctx.namespaceLabels(routeNs)); // no selector selects nothing
    default:
      return false; // `None` (ListenerSets) or an unknown value: nothing may attach
  }
};

const allowsHTTPRoute = (l: ListenerDecision): boolean => l.supportedKinds.some((k) => (k.group ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP && k.kind === 'HTTPRoute');

/** Rule problems that make the route unacceptable (no traffic can be configured from it). */
const ruleProblems = (route: HTTPRoute): { reason: string; message: string } | undefined => {
  const rules = route.spec?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const types = new Set((rules[i]!.filters ?? []).map((f) => f.type));
    if (types.has('RequestRedirect') && types.has('URLRewrite')) {
      return { reason: Reason.IncompatibleFilters, message: `spec.rules[${i}].filters: RequestRedirect and URLRewrite cannot be used together` };
    }
  }
  return undefined;
};

/** ResolvedRefs of the route's backendRefs (the first problem's reason, every problem in the message). */
const backendProblems = (route: HTTPRoute, ctx: RouteContext): { reason: string; message: string } | undefined => {
  const ns = route.metadata.namespace ?? '';
  const problems: { reason: string; message: string }[] = [];
  (route.spec?.rules ?? []).forEach((rule, i) => {
    (rule.backendRefs ?? []).forEach((b, j) => {
      const where = `spec.rules[${i}].backendRefs[${j}]`;
      const group = b.group ?? '';
      const kind = b.kind ?? 'Service';
      const bns = b.namespace ?? ns;
      if (group !== '' || kind !== 'Service') {
        problems.push({ reason: Reason.InvalidKind, message: `${where}: ${group ? `${kind}.${group}` : kind} is not a supported backend (Service only)` });
        return;
      }
      if (!referenceAllowed(ctx.referenceGrants, { group: GATEWAY_API_GROUP, kind: 'HTTPRoute', namespace: ns }, { group: '', kind: 'Service', namespace: bns, name: b.name })) {
        problems.push({ reason: Reason.RefNotPermitted, message: `${where}: Service ${bns}/${b.name} is in another namespace and no ReferenceGrant there allows HTTPRoutes from ${ns}` });
        return;
      }
      if (!ctx.serviceExists(bns, b.name)) problems.push({ reason: Reason.BackendNotFound, message: `${where}: Service ${bns}/${b.name} not found` });
    });
  });
  if (problems.length === 0) return undefined;
  return { reason: problems[0]!.reason, message: problems.map((p) => p.message).join('; ') };
};

/**
 * An HTTPRoute's status for each parentRef naming one of this controller's Gateways (§ parentRefs
 * and allowedRoutes): the listeners it may attach to are those selected by `sectionName`/`port`
 * (none → `NoMatchingParent`), then those whose allowedRoutes admit HTTPRoutes from the route's
 * namespace (none → `NotAllowedByListeners`), then those whose hostname intersects the route's
 * (none → `NoMatchingListenerHostname`). ResolvedRefs covers the backendRefs (a route with a bad
 * backend stays accepted; its traffic to that backend gets 500).
 */
export const decideRoute = (route: HTTPRoute, ctx: RouteContext): RouteParentDecision[] => {
  const generation = route.metadata.generation;
  const routeNs = route.metadata.namespace ?? '';
  const rules = ruleProblems(route);
  const backends = backendProblems(route, ctx);
  const resolved = backends
    ? condition(ConditionType.ResolvedRefs, 'False', backends.reason, backends.message, generation)
    : condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All references resolved', generation);
  const out: RouteParentDecision[] = [];
  for (const p of route.spec?.parentRefs ?? []) {
    if (!isGatewayRef(p)) continue;
    const key = gatewayKeyOf(route, p);
    const parent = ctx.gateways.get(key);
    if (!parent) continue;
    const gw = parent.gateway;
    const decide = (accepted: boolean, reason: string, message: string, listeners: string[] = []): RouteParentDecision => ({
      parentRef: p,
      gateway: key,
      accepted,
      listeners,
      conditions: [condition(ConditionType.Accepted, accepted ? 'True' : 'False', reason, message, generation), resolved],
    });
    const selected = parent.listeners.filter((l) => (p.sectionName === undefined || l.listener.name === p.sectionName) && (p.port === undefined || l.listener.port === p.port));
    if (selected.length === 0) {
      const what = [p.sectionName !== undefined ? `sectionName "${p.sectionName}"` : '', p.port !== undefined ? `port ${p.port}` : ''].filter(Boolean).join(' and ');
      out.push(decide(false, Reason.NoMatchingParent, `Gateway ${key} has no listener with ${what || 'any name'}`));
      continue;
    }
    const allowed = selected.filter((l) => allowsHTTPRoute(l) && allowsNamespace(l, gw, routeNs, ctx));
    if (allowed.length === 0) {
      out.push(decide(false, Reason.NotAllowedByListeners, `no listener of Gateway ${key} (${selected.map((l) => `"${l.listener.name}"`).join(', ')}) allows HTTPRoutes from namespace ${routeNs}`));
      continue;
    }
    const matching = allowed.filter((l) => routeMatchesListenerHostname(route.spec?.hostnames, l.listener.hostname));
    if (matching.length === 0) {
      out.push(decide(false, Reason.NoMatchingListenerHostname, `no hostname of the route (${(route.spec?.hostnames ?? []).join(', ')}) matches a listener of Gateway ${key}`));
      continue;
    }
    const attached = matching.map((l) => l.listener.name);
    if (rules) out.push(decide(false, rules.reason, rules.message));
    else out.push(decide(true, Reason.Accepted, `Accepted HTTPRoute`, attached));
  }
  return out;
};

/** Per listener of each Gateway (`namespace/name` → listener → count): distinct accepted routes attached. */
export const attachedRouteCounts = (decisions: ReadonlyMap<string, readonly RouteParentDecision[]>): Map<string, Map<string, number>> => {
  const sets = new Map<string, Map<string, Set<string>>>();
  for (const [routeKey, parents] of decisions) {
    for (const d of parents) {
      if (!d.accepted) continue;
      let byListener = sets.get(d.gateway);
      if (!byListener) sets.set(d.gateway, (byListener = new Map()));
      for (const l of d.listeners) {
        let s = byListener.get(l);
        if (!s) byListener.set(l, (s = new Set()));
        s.add(routeKey);
      }
    }
  }
  const out = new Map<string, Map<string, number>>();
  for (const [gw, byListener] of sets) out.set(gw, new Map([...byListener].map(([l, s]) => [l, s.size])));
  return out;
};

/** Namespace labels as selectors see them: every Namespace carries `kubernetes.io/metadata.name`. */
export const namespaceLabelsOf = (name: string, labels: Readonly<Record<string, string>> | undefined): Record<string, string> => ({
  ...(labels ?? {}),
  [NAMESPACE_NAME_LABEL]: name,
});
