import { deepEqual, mergeConditions } from './conditions';
import { CONTROLLER_NAME, ConditionType, GATEWAY_API_GROUP, OWNING_GATEWAY_LABEL } from './constants';
import { decideGatewayClass, type GatewayClassDecision } from './gateway-class';
import { decideGateway, gatewayKey, gatewayStatus, type GatewayDecision } from './gateway';
import { attachedRouteCounts, decideRoute, namespaceLabelsOf, type ParentGateway, type RouteParentDecision } from './routes';
import { routeStatus } from './route-status';
import type { GatewayService } from './service';
import type { Gateway, GatewayClass, GatewayStatus, HTTPRoute, Namespace, ReferenceGrant, SecretSummary, Service } from './types';

/** Everything the translator reads, as the API serves it. */
export interface ClusterState {
  readonly gatewayClasses: readonly GatewayClass[];
  readonly gateways: readonly Gateway[];
  readonly httpRoutes: readonly HTTPRoute[];
  readonly services: readonly Service[];
  readonly namespaces: readonly Namespace[];
  readonly referenceGrants: readonly ReferenceGrant[];
  readonly secrets: readonly SecretSummary[];
  /** Why applying a Gateway's Service failed last time, by Gateway `namespace/name`. */
  readonly serviceErrors?: ReadonlyMap<string, string>;
}

export interface TranslateOptions {
  readonly controllerName?: string;
  /** RFC 3339 time for new condition transitions. */
  readonly now: string;
  /** The field manager the translator applies with (to find Services it made and must remove). */
  readonly fieldManager?: string;
}

export interface ClassOutcome {
  readonly name: string;
  readonly decision: GatewayClassDecision;
  /** The class's new status (conditions merged). */
  readonly status: Record<string, unknown>;
  readonly statusChanged: boolean;
}

export interface GatewayOutcome {
  readonly key: string;
  readonly decision: GatewayDecision;
  readonly status: GatewayStatus;
  readonly statusChanged: boolean;
  /** The Service to apply (null: leave it as it is). */
  readonly service: GatewayService | null;
  /** The Service as it is now. */
  readonly currentService?: Service;
}

export interface RouteOutcome {
  readonly key: string;
  readonly route: HTTPRoute;
  readonly parents: readonly RouteParentDecision[];
  readonly status: NonNullable<HTTPRoute['status']>;
  readonly statusChanged: boolean;
}

export interface Translation {
  readonly classes: readonly ClassOutcome[];
  readonly gateways: readonly GatewayOutcome[];
  readonly routes: readonly RouteOutcome[];
  /** Services this translator made for Gateways that are gone (the API's garbage collector normally removes them first). */
  readonly orphanServices: readonly Service[];
}

const keyOf = (o: { metadata: { namespace?: string; name: string } }): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * The translator's pure core: the cluster's Gateway API objects in, every status and the
 * infrastructure (LoadBalancer Services) this controller wants out. Full recompute: callers
 * write only what changed (`statusChanged`, Service drift), so a repeated run is a no-op.
 */
export const translate = (state: ClusterState, opts: TranslateOptions): Translation => {
  const controllerName = opts.controllerName ?? CONTROLLER_NAME;
  const now = opts.now;

  const classes: ClassOutcome[] = [];
  const classByName = new Map<string, GatewayClassDecision>();
  for (const gc of state.gatewayClasses) {
    const decision = decideGatewayClass(gc, controllerName);
    if (!decision.ours) continue;
    classByName.set(gc.metadata.name, decision);
    const current = (gc.status ?? {}) as Record<string, unknown>;
    const status = { ...current, conditions: mergeConditions(gc.status?.conditions, decision.conditions, now, new Set([ConditionType.Accepted])) };
    classes.push({ name: gc.metadata.name, decision, status, statusChanged: !deepEqual(status, current) });
  }

  const secrets = new Map(state.secrets.map((s) => [`${s.namespace}/${s.name}`, s]));
  const services = new Map(state.services.map((s) => [keyOf(s), s]));
  const decisions = new Map<string, GatewayDecision>();
  for (const gw of state.gateways) {
    const cls = classByName.get(gw.spec?.gatewayClassName);
    if (!cls) continue; // another controller's Gateway (or no such class yet): not ours to touch
    try {
      decisions.set(gatewayKey(gw), decideGateway(gw, cls, { secrets, referenceGrants: state.referenceGrants }));
    } catch {
      // A malformed object the API let through must not stop the others; it keeps its status.
    }
  }

  const nsLabels = new Map(state.namespaces.map((n) => [n.metadata.name, n.metadata.labels]));
  const parents = new Map<string, ParentGateway>([...decisions].map(([k, d]) => [k, { gateway: d.gateway, listeners: d.listeners }]));
  const routeDecisions = new Map<string, RouteParentDecision[]>();
  const routes: RouteOutcome[] = [];
  for (const route of state.httpRoutes) {
    const key = keyOf(route);
    let ps: RouteParentDecision[];
    try {
      ps = decideRoute(route, {
        gateways: parents,
        namespaceLabels: (ns) => namespaceLabelsOf(ns, nsLabels.get(ns)),
        serviceExists: (ns, name) => services.has(`${ns}/${name}`),
        referenceGrants: state.referenceGrants,
      });
    } catch {
      continue;
    }
    routeDecisions.set(key, ps);
    const hadOurs = (route.status?.parents ?? []).some((p) => p.controllerName === controllerName);
    if (ps.length === 0 && !hadOurs) continue;
    const current = route.status ?? {};
    const status = routeStatus(route, ps, controllerName, now);
    routes.push({ key, route, parents: ps, status, statusChanged: !deepEqual(status, current) });
  }

  const counts = attachedRouteCounts(routeDecisions);
  const gateways: GatewayOutcome[] = [];
  for (const [key, d] of decisions) {
    const current = d.gateway.status ?? {};
    const svcKey = d.service ? keyOf(d.service) : `${d.gateway.metadata.namespace ?? ''}/${serviceNameFromLabels(d.gateway, state.services)}`;
    const currentService = services.get(svcKey);
    const serviceError = state.serviceErrors?.get(key);
    const status = gatewayStatus(d, { ...(currentService ? { service: currentService } : {}), ...(serviceError ? { serviceError } : {}) }, counts.get(key), now);
    gateways.push({ key, decision: d, status, statusChanged: !deepEqual(status, current), service: d.service, ...(currentService ? { currentService } : {}) });
  }

  // Only Services whose Gateway is gone: a Gateway that merely is no longer ours (its class
  // changed or was deleted) keeps its Service and address, as with Cilium.
  const gatewayUids = new Set(state.gateways.map((g) => g.metadata.uid).filter((u): u is string => !!u));
  const manager = opts.fieldManager;
  const orphanServices = manager
    ? state.services.filter((s) => {
        const owner = s.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Gateway' && r.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`));
        if (!owner || gatewayUids.has(owner.uid) || s.metadata.labels?.[OWNING_GATEWAY_LABEL] === undefined) return false;
        const managers = ((s.metadata as { managedFields?: { manager?: string }[] }).managedFields ?? []).map((m) => m.manager);
        return managers.includes(manager);
      })
    : [];

  return { classes, gateways, routes, orphanServices };
};

/** The Service of a Gateway that is not accepted (no desired Service): the one labelled as owned by it. */
const serviceNameFromLabels = (gw: Gateway, services: readonly Service[]): string =>
  services.find((s) => s.metadata.namespace === gw.metadata.namespace && s.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'Gateway' && r.uid === gw.metadata.uid))?.metadata.name ?? '';
