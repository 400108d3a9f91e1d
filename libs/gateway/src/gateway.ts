import { condition, findCondition, mergeConditions, type DesiredCondition } from './conditions';
import { ConditionType, IPAM_REQUEST_SATISFIED_CONDITION, Reason } from './constants';
import type { GatewayClassDecision } from './gateway-class';
import { decideListeners, LISTENER_CONDITION_TYPES, type ListenerContext, type ListenerDecision } from './listeners';
import { desiredService, requestedAddresses, type GatewayService } from './service';
import type { Gateway, GatewayStatus, ListenerStatus, Service } from './types';

export interface GatewayDecision {
  readonly gateway: Gateway;
  /** `namespace/name` */
  readonly key: string;
  readonly listeners: readonly ListenerDecision[];
  readonly accepted: boolean;
  readonly acceptedCondition: DesiredCondition;
  /** The Service to apply; null while the Gateway is not accepted (an existing Service is left as it is). */
  readonly service: GatewayService | null;
}

export const gatewayKey = (gw: Gateway): string => `${gw.metadata.namespace ?? ''}/${gw.metadata.name}`;

/**
 * Gateway acceptance (its class is ours). Refused as a whole (`Accepted=False`) for a class that
 * is not accepted (`Invalid`), `spec.infrastructure.parametersRef` (`InvalidParameters`: no
 * parameters kind is served), an address of a type other than IPAddress (`UnsupportedAddress`:
 * LB IPAM hands out IPs), or when no listener is valid (`ListenersNotValid`). With some invalid
 * listeners it is accepted with reason `ListenersNotValid` and only the valid ones get ports.
 */
export const decideGateway = (gw: Gateway, cls: GatewayClassDecision, ctx: ListenerContext): GatewayDecision => {
  const generation = gw.metadata.generation;
  const listeners = decideListeners(gw, ctx);
  const key = gatewayKey(gw);
  const refuse = (reason: string, message: string): GatewayDecision => ({
    gateway: gw,
    key,
    listeners,
    accepted: false,
    acceptedCondition: condition(ConditionType.Accepted, 'False', reason, message, generation),
    service: null,
  });
  if (!cls.accepted) {
    const why = cls.conditions.find((c) => c.type === ConditionType.Accepted);
    return refuse(Reason.Invalid, `GatewayClass ${gw.spec.gatewayClassName} is not accepted${why ? `: ${why.message}` : ''}`);
  }
  const p = gw.spec?.infrastructure?.parametersRef;
  if (p) return refuse(Reason.InvalidParameters, `spec.infrastructure.parametersRef: ${p.kind}${p.group ? `.${p.group}` : ''} ${p.name} is not supported (Bosun serves no Gateway parameters yet)`);
  const badAddresses = (gw.spec?.addresses ?? [])
    .map((a, i) => ({ a, i }))
    .filter(({ a }) => (a.type ?? 'IPAddress') !== 'IPAddress')
    .map(({ a, i }) => `spec.addresses[${i}]: type ${a.type} is not supported (LB IPAM assigns IP addresses)`);
  if (badAddresses.length > 0) return refuse(Reason.UnsupportedAddress, badAddresses.join('; '));

  const invalid = listeners.filter((l) => !l.valid);
  const valid = listeners.filter((l) => l.valid);
  if (valid.length === 0) {
    return refuse(Reason.ListenersNotValid, `no listener is valid: ${invalid.map((l) => `"${l.listener.name}": ${l.problem ?? 'invalid'}`).join('; ')}`);
  }
  const acceptedCondition =
    invalid.length > 0
      ? condition(
          ConditionType.Accepted,
          'True',
          Reason.ListenersNotValid,
          `some listeners are not valid: ${invalid.map((l) => `"${l.listener.name}": ${l.problem ?? 'invalid'}`).join('; ')}; accepted: ${valid.map((l) => `"${l.listener.name}"`).join(', ')}`,
          generation,
        )
      : condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Gateway accepted', generation);
  return { gateway: gw, key, listeners, accepted: true, acceptedCondition, service: desiredService(gw, listeners) };
};

export interface ObservedInfrastructure {
  /** The Gateway's Service as the API has it now (undefined: not there yet). */
  readonly service?: Service;
  /** Why applying the Service failed last time (the API's answer), if it did. */
  readonly serviceError?: string;
}

const GATEWAY_CONDITION_TYPES: ReadonlySet<string> = new Set([ConditionType.Accepted, ConditionType.Programmed]);

/** The Gateway's addresses: its Service's LoadBalancer ingress. */
const addressesOf = (svc: Service | undefined): { type: string; value: string }[] =>
  (svc?.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [{ type: 'IPAddress', value: i.ip }] : i.hostname ? [{ type: 'Hostname', value: i.hostname }] : []));

const programmedCondition = (d: GatewayDecision, infra: ObservedInfrastructure, addresses: readonly { value: string }[]): DesiredCondition => {
  const generation = d.gateway.metadata.generation;
  const svcName = d.service ? `${d.service.metadata.namespace}/${d.service.metadata.name}` : '';
  if (!d.accepted) return condition(ConditionType.Programmed, 'False', Reason.Invalid, `the Gateway is not accepted: ${d.acceptedCondition.message}`, generation);
  if (infra.serviceError) return condition(ConditionType.Programmed, 'False', Reason.Invalid, `the LoadBalancer Service ${svcName} could not be applied: ${infra.serviceError}`, generation);
  const ipam = findCondition(infra.service?.status?.conditions, IPAM_REQUEST_SATISFIED_CONDITION);
  const ipamWhy = ipam && ipam.status === 'False' ? `: LB IPAM says ${ipam.reason}: ${ipam.message}` : '';
  if (addresses.length === 0) {
    return condition(ConditionType.Programmed, 'False', Reason.AddressNotAssigned, `waiting for LB IPAM to assign an address to Service ${svcName}${ipamWhy}`, generation);
  }
  const requested = requestedAddresses(d.gateway);
  const missing = requested.filter((ip) => !addresses.some((a) => a.value === ip));
  if (missing.length > 0) {
    return condition(ConditionType.Programmed, 'False', Reason.AddressNotUsable, `requested address(es) ${missing.join(', ')} not assigned to Service ${svcName}${ipamWhy}`, generation);
  }
  return condition(ConditionType.Programmed, 'True', Reason.Programmed, `address(es) ${addresses.map((a) => a.value).join(', ')} assigned to Service ${svcName}`, generation);
};

/**
 * The Gateway's whole status from the decision, what the infrastructure shows, and the routes'
 * attachment counts, merged into the current status (lastTransitionTime kept while a condition's
 * status holds; other controllers' conditions and fields kept). Deeply equal to the current
 * status when nothing changed.
 */
export const gatewayStatus = (d: GatewayDecision, infra: ObservedInfrastructure, attached: ReadonlyMap<string, number> | undefined, now: string): GatewayStatus => {
  const current = d.gateway.status ?? {};
  const generation = d.gateway.metadata.generation;
  const addresses = addressesOf(infra.service);
  const programmed = programmedCondition(d, infra, addresses);
  const gatewayProgrammed = programmed.status === 'True';
  const listeners: ListenerStatus[] = d.listeners.map((l) => {
    const prev = current.listeners?.find((x) => x.name === l.listener.name);
    const lp = !l.valid || !d.accepted
      ? condition(ConditionType.Programmed, 'False', Reason.Invalid, l.valid ? 'the Gateway is not accepted' : 'Listener is invalid, see its other conditions', generation)
      : gatewayProgrammed
        ? condition(ConditionType.Programmed, 'True', Reason.Programmed, 'Listener programmed', generation)
        : condition(ConditionType.Programmed, 'False', Reason.Pending, "waiting for the Gateway's address", generation);
    const [acc, ...rest] = l.conditions;
    return {
      name: l.listener.name,
      supportedKinds: l.supportedKinds.map((k) => ({ ...k })),
      attachedRoutes: attached?.get(l.listener.name) ?? 0,
      conditions: mergeConditions(prev?.conditions, [acc!, lp, ...rest], now, LISTENER_CONDITION_TYPES),
    };
  });
  const { addresses: _a, conditions: _c, listeners: _l, ...others } = current;
  return {
    ...others,
    ...(addresses.length > 0 ? { addresses } : {}),
    conditions: mergeConditions(current.conditions, [d.acceptedCondition, programmed], now, GATEWAY_CONDITION_TYPES),
    listeners,
  };
};
