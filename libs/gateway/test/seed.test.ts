import { describe, expect, it } from 'vitest';
import { World, cond, seed, T0, T1 } from './fixtures';

/**
 * The talk: `07-gateway-blue.yaml` (class `cilium`, infrastructure label color=blue, one HTTP
 * listener on port 80) must give the LoadBalancer Service `cilium-gateway-gateway-blue` that
 * ip-pool-blue selects, and the Gateway must report its address once LB IPAM gave one.
 */
describe('the talk: gateway-blue', () => {
  const world = () => World.withDefaultClass().given(...['01-bgp-cluster-config.yaml', '02-bgp-peer-config.yaml', '03-bgp-advertisement.yaml', '04-l2-announcement-policy.yaml', '05-lb-ip-pool.yaml', '06-service-blue.yaml', '07-gateway-blue.yaml'].map(seed));

  it('given the seed and the default class, when translated, then the class is accepted and the Gateway gets its LoadBalancer Service', () => {
    const t = world().translate();
    expect(t.classes).toHaveLength(1);
    expect(t.classes[0]!.status.conditions).toEqual([
      { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Valid GatewayClass', lastTransitionTime: T0, observedGeneration: 1 },
    ]);
    expect(t.gateways).toHaveLength(1);
    const g = t.gateways[0]!;
    expect(g.key).toBe('tenant-blue/gateway-blue');
    expect(g.service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'cilium-gateway-gateway-blue',
        namespace: 'tenant-blue',
        labels: { color: 'blue', 'io.cilium.gateway/owning-gateway': 'gateway-blue', 'gateway.networking.k8s.io/gateway-name': 'gateway-blue' },
        ownerReferences: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'gateway-blue', uid: g.decision.gateway.metadata.uid, controller: true }],
      },
      spec: { type: 'LoadBalancer', ports: [{ name: 'port-80', port: 80, protocol: 'TCP' }] },
    });
    // No Service yet: accepted, not programmed; the CRD's Pending defaults are replaced.
    expect(g.status.conditions).toEqual([
      { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Gateway accepted', lastTransitionTime: T0, observedGeneration: 1 },
      {
        type: 'Programmed',
        status: 'False',
        reason: 'AddressNotAssigned',
        message: 'waiting for LB IPAM to assign an address to Service tenant-blue/cilium-gateway-gateway-blue',
        lastTransitionTime: T0,
        observedGeneration: 1,
      },
    ]);
    expect(g.status.listeners).toEqual([
      {
        name: 'gateway-blue-http',
        supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
        attachedRoutes: 0,
        conditions: [
          { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Listener accepted', lastTransitionTime: T0, observedGeneration: 1 },
          { type: 'Programmed', status: 'False', reason: 'Pending', message: "waiting for the Gateway's address", lastTransitionTime: T0, observedGeneration: 1 },
          { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'All references resolved', lastTransitionTime: T0, observedGeneration: 1 },
          { type: 'Conflicted', status: 'False', reason: 'NoConflicts', message: 'No conflicts', lastTransitionTime: T0, observedGeneration: 1 },
        ],
      },
    ]);
    expect(g.status.addresses).toBeUndefined();
    // service-blue is not the translator's business.
    expect(t.orphanServices).toEqual([]);
  });

  it('given the Service exists, when ipam has not decided yet and then says no_pool, then Programmed says why', () => {
    const w = world();
    w.settle(w.translate());
    w.assignAddress('tenant-blue', 'cilium-gateway-gateway-blue', null);
    const g = w.translate(T1).gateways[0]!;
    expect(cond(g.status.conditions, 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'AddressNotAssigned',
      message: 'waiting for LB IPAM to assign an address to Service tenant-blue/cilium-gateway-gateway-blue: LB IPAM says no_pool: There are no enabled CiliumLoadBalancerIPPools that match this service',
      lastTransitionTime: T0,
    });
  });

  it('given the Service got 20.0.10.1, when translated, then the Gateway and its listener are Programmed with that address; the Service needs no new write', () => {
    const w = world();
    w.settle(w.translate());
    w.assignAddress('tenant-blue', 'cilium-gateway-gateway-blue', '20.0.10.1');
    const t = w.translate(T1);
    const g = t.gateways[0]!;
    expect(g.statusChanged).toBe(true);
    expect(g.status.addresses).toEqual([{ type: 'IPAddress', value: '20.0.10.1' }]);
    expect(cond(g.status.conditions, 'Accepted')).toMatchObject({ status: 'True', lastTransitionTime: T0 });
    expect(cond(g.status.conditions, 'Programmed')).toEqual({
      type: 'Programmed',
      status: 'True',
      reason: 'Programmed',
      message: 'address(es) 20.0.10.1 assigned to Service tenant-blue/cilium-gateway-gateway-blue',
      lastTransitionTime: T1,
      observedGeneration: 1,
    });
    expect(cond(g.status.listeners![0]!.conditions, 'Programmed')).toMatchObject({ status: 'True', reason: 'Programmed', lastTransitionTime: T1 });
    expect(g.currentService?.metadata.name).toBe('cilium-gateway-gateway-blue');

    // when nothing else changes, then a second run changes nothing (no write)
    w.settle(t);
    const again = w.translate('2026-01-01T00:02:00Z');
    expect(again.gateways[0]!.statusChanged).toBe(false);
    expect(again.classes[0]!.statusChanged).toBe(false);
  });

  it('given the Gateway is deleted, when translated, then the Service it owned is an orphan to remove', () => {
    const w = world();
    w.settle(w.translate());
    w.remove('Gateway', 'tenant-blue', 'gateway-blue');
    const t = w.translate(T1);
    expect(t.gateways).toEqual([]);
    expect(t.orphanServices.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toEqual(['tenant-blue/cilium-gateway-gateway-blue']);
  });

  it('given no GatewayClass cilium, when translated, then the Gateway is not ours: no Service, status untouched', () => {
    const w = new World().given(seed('07-gateway-blue.yaml'));
    const t = w.translate();
    expect(t.gateways).toEqual([]);
    expect(t.classes).toEqual([]);
  });
});
