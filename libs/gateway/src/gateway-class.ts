import { condition, type DesiredCondition } from './conditions';
import { CONTROLLER_NAME, ConditionType, GATEWAY_API_VERSION, Reason } from './constants';
import type { GatewayClass } from './types';

export interface GatewayClassDecision {
  /** Whether this controller serves the class (its `spec.controllerName` is ours). */
  readonly ours: boolean;
  /** Whether Gateways of the class are served. */
  readonly accepted: boolean;
  readonly conditions: readonly DesiredCondition[];
}

/**
 * GatewayClass acceptance. A class is ours when its controllerName is ours; it is accepted
 * unless it asks for parameters: Cilium reads a `CiliumGatewayClassConfig` there (Service type,
 * externalTrafficPolicy, …), which Bosun does not serve yet, so a parametersRef is refused with
 * `InvalidParameters` rather than silently ignored.
 */
export const decideGatewayClass = (gc: GatewayClass, controllerName: string = CONTROLLER_NAME): GatewayClassDecision => {
  if (gc.spec?.controllerName !== controllerName) return { ours: false, accepted: false, conditions: [] };
  const generation = gc.metadata.generation;
  const p = gc.spec.parametersRef;
  if (p) {
    const what = `${p.kind}${p.group ? `.${p.group}` : ''} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
    return {
      ours: true,
      accepted: false,
      conditions: [condition(ConditionType.Accepted, 'False', Reason.InvalidParameters, `spec.parametersRef: ${what} is not supported (Bosun serves no GatewayClass parameters yet); remove it to use the defaults`, generation)],
    };
  }
  return { ours: true, accepted: true, conditions: [condition(ConditionType.Accepted, 'True', Reason.Accepted, `Valid GatewayClass`, generation)] };
};

/**
 * The GatewayClass the translator installs when it is absent (as Cilium's Helm chart does with
 * `gatewayAPI.gatewayClass.create`), so that Gateways written for Cilium (`gatewayClassName: cilium`)
 * work without a separate manifest.
 */
export const defaultGatewayClass = (name: string, controllerName: string = CONTROLLER_NAME): GatewayClass & { apiVersion: string; kind: 'GatewayClass' } => ({
  apiVersion: GATEWAY_API_VERSION,
  kind: 'GatewayClass',
  metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'bosun-gateway-translator' } },
  spec: { controllerName, description: 'Bosun default class (installed by the gateway-translator)' },
});
