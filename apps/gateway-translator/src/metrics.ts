import { counter, gauge, histogram, LATENCY_BUCKETS } from '@bosun/telemetry';

export const reconcileDuration = histogram<'outcome'>({
  name: 'bosun_gateway_reconcile_duration_seconds',
  help: 'Time of one gateway-translator run: snapshot, translation and the writes it needed',
  labelNames: ['outcome'],
  buckets: LATENCY_BUCKETS,
});

export const writes = counter<'object' | 'outcome'>({
  name: 'bosun_gateway_writes_total',
  help: 'Writes to the API by the gateway-translator (object: Service, ServiceDelete, GatewayClass, GatewayClassStatus, GatewayStatus, HTTPRouteStatus; outcome: ok, conflict, invalid, error)',
  labelNames: ['object', 'outcome'],
});

export const gateways = gauge<'accepted' | 'programmed'>({
  name: 'bosun_gateway_gateways',
  help: 'Gateways of this controller by their Accepted and Programmed condition status',
  labelNames: ['accepted', 'programmed'],
});

export const routes = gauge<'accepted'>({
  name: 'bosun_gateway_httproute_parents',
  help: "HTTPRoute parentRefs to this controller's Gateways by their Accepted condition status",
  labelNames: ['accepted'],
});
