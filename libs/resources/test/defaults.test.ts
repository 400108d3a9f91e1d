/** Given a manifest with fields left out, when admitted, then Kubernetes' and the CRDs' defaults are filled in. */
import { describe, expect, it } from 'vitest';
import { admit, serviceIPFamilies } from '../src';
import { gateway, httpRoute, listener, netpol, peerConfig, service } from './fixtures';

const ok = (m: unknown, opts: Parameters<typeof admit>[1] = { operation: 'create' }) => {
  const r = admit(m, opts);
  if (!r.ok) throw new Error(JSON.stringify(r.causes, null, 1));
  return r.object as any;
};

describe('CRD defaults', () => {
  it('BGP peer timers, graceful restart time and transport', () => {
    const o = ok(peerConfig({ timers: {}, gracefulRestart: { enabled: true }, transport: {} }));
    expect(o.spec.timers).toEqual({ connectRetryTimeSeconds: 120, holdTimeSeconds: 90, keepAliveTimeSeconds: 30 });
    expect(o.spec.gracefulRestart).toEqual({ enabled: true, restartTimeSeconds: 120 });
    expect(o.spec.transport.peerPort).toBe(179);
    expect(o.spec.ebgpMultihop).toBe(1);
  });

  it('BGP peer ASN defaults to 0 (learn from OPEN)', () => {
    const o = ok({ apiVersion: 'cilium.io/v2', kind: 'CiliumBGPClusterConfig', metadata: { name: 'b' }, spec: { bgpInstances: [{ name: 'i', localASN: 65000, peers: [{ name: 'p', peerAddress: '10.0.0.1' }] }] } });
    expect(o.spec.bgpInstances[0].peers[0].peerASN).toBe(0);
  });

  it('HTTPRoute: a rule without matches matches PathPrefix /, backendRef weight 1, parentRef group/kind', () => {
    const o = ok(httpRoute({ parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }));
    expect(o.spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    expect(o.spec.rules[0].backendRefs[0]).toEqual({ name: 'web', port: 80, weight: 1, group: '', kind: 'Service' });
    expect(o.spec.parentRefs[0]).toEqual({ name: 'gw', group: 'gateway.networking.k8s.io', kind: 'Gateway' });
  });

  it('HTTPRoute without rules gets one default rule', () => {
    const o = ok(httpRoute({ parentRefs: [{ name: 'gw' }] }));
    expect(o.spec.rules).toEqual([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]);
  });

  it('Gateway listener allowedRoutes defaults to namespaces from Same; status starts Pending', () => {
    const o = ok(gateway({ listeners: [listener('web')] }));
    expect(o.spec.listeners[0].allowedRoutes).toEqual({ namespaces: { from: 'Same' } });
    expect(o.status.conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'Unknown', 'Pending'],
      ['Programmed', 'Unknown', 'Pending'],
    ]);
  });
});

describe('Service defaults', () => {
  it('ClusterIP, None affinity, TCP, targetPort = port, SingleStack IPv4', () => {
    const o = ok(service({ ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https', targetPort: 8443 }] }));
    expect(o.spec).toEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ports: [
        { port: 80, name: 'http', protocol: 'TCP', targetPort: 80 },
        { port: 443, name: 'https', protocol: 'TCP', targetPort: 8443 },
      ],
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
  });

  it('LoadBalancer gets externalTrafficPolicy Cluster and allocateLoadBalancerNodePorts', () => {
    const o = ok(service({ type: 'LoadBalancer', ports: [{ port: 80 }] }));
    expect(o.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true, internalTrafficPolicy: 'Cluster' });
  });

  it('PreferDualStack on a dual-stack cluster gets both families, primary first', () => {
    const o = ok(service({ ports: [{ port: 80 }], ipFamilyPolicy: 'PreferDualStack' }), { operation: 'create', clusterIPFamilies: ['IPv6', 'IPv4'] });
    expect(o.spec.ipFamilies).toEqual(['IPv6', 'IPv4']);
  });

  it('PreferDualStack on a single-stack cluster stays single', () => {
    const o = ok(service({ ports: [{ port: 80 }], ipFamilyPolicy: 'PreferDualStack' }));
    expect(o.spec.ipFamilies).toEqual(['IPv4']);
  });

  it('headless selectorless services default to RequireDualStack', () => {
    const o = ok(service({ clusterIP: 'None' }), { operation: 'create', clusterIPFamilies: ['IPv4', 'IPv6'] });
    expect(o.spec).toMatchObject({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
  });

  it('ClientIP affinity gets the 3h timeout', () => {
    const o = ok(service({ ports: [{ port: 80 }], sessionAffinity: 'ClientIP' }));
    expect(o.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });

  it('ExternalName gets no families', () => {
    const o = ok(service({ type: 'ExternalName', externalName: 'db.example.com' }));
    expect(o.spec.ipFamilies).toBeUndefined();
    expect(o.spec.ipFamilyPolicy).toBeUndefined();
  });

  it('serviceIPFamilies infers families from assigned cluster IPs', () => {
    const r = serviceIPFamilies({ type: 'ClusterIP', ipFamilyPolicy: 'PreferDualStack', clusterIPs: ['fd00::10', '10.96.0.10'] }, ['IPv4', 'IPv6']);
    expect(r.errors.empty).toBe(true);
    expect(r.ipFamilies).toEqual(['IPv6', 'IPv4']);
  });

  it('serviceIPFamilies rejects an IP of a family the cluster lacks', () => {
    const r = serviceIPFamilies({ type: 'ClusterIP', clusterIPs: ['fd00::10'] }, ['IPv4']);
    expect(r.errors.list).toContainEqual(expect.objectContaining({ field: 'spec.clusterIPs[0]', reason: 'FieldValueInvalid' }));
  });

  it('on update without a policy, the stored policy is kept', () => {
    const stored = ok(service({ ports: [{ port: 80 }], ipFamilyPolicy: 'PreferDualStack' }), { operation: 'create', clusterIPFamilies: ['IPv4', 'IPv6'] });
    const o = ok(service({ ports: [{ port: 81 }] }), { operation: 'update', old: stored, clusterIPFamilies: ['IPv4', 'IPv6'] });
    expect(o.spec.ipFamilyPolicy).toBe('PreferDualStack');
  });
});

describe('NetworkPolicy defaults', () => {
  it('policyTypes is Ingress without egress rules', () => {
    expect(ok(netpol({ podSelector: {} })).spec.policyTypes).toEqual(['Ingress']);
    expect(ok(netpol({ podSelector: {}, egress: [] })).spec.policyTypes).toEqual(['Ingress']);
  });
  it('policyTypes gains Egress when egress rules exist; port protocol TCP', () => {
    const o = ok(netpol({ podSelector: {}, egress: [{ ports: [{ port: 53 }] }] }));
    expect(o.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(o.spec.egress[0].ports[0]).toEqual({ port: 53, protocol: 'TCP' });
  });
  it('explicit policyTypes are kept', () => {
    expect(ok(netpol({ podSelector: {}, policyTypes: ['Egress'] })).spec.policyTypes).toEqual(['Egress']);
  });
  it('a missing podSelector selects every pod', () => {
    expect(ok(netpol({})).spec.podSelector).toEqual({});
  });
});

describe('other core defaults', () => {
  it('Namespace gets its metadata.name label and the kubernetes finalizer', () => {
    const o = ok({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'blue' } });
    expect(o.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'blue' });
    expect(o.spec.finalizers).toEqual(['kubernetes']);
  });
  it('Secret stringData is folded into base64 data; type Opaque', () => {
    const o = ok({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bgp-auth-secret', namespace: 'kube-system' }, stringData: { password: 's3cret' } });
    expect(o).toMatchObject({ type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64') } });
    expect(o.stringData).toBeUndefined();
  });
  it('EndpointSlice ports get protocol TCP and an empty name', () => {
    const o = ok({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e', namespace: 'default' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.5'] }], ports: [{ port: 8080 }] });
    expect(o.ports).toEqual([{ port: 8080, name: '', protocol: 'TCP' }]);
  });
});

describe('unknown fields', () => {
  const m = service({ ports: [{ port: 80, colour: 'red' }], flavour: 'x' });
  it('Warn (default) drops them and warns', () => {
    const r = admit(m, { operation: 'create' });
    expect(r.ok && r.warnings).toEqual(['unknown field "spec.flavour"', 'unknown field "spec.ports[0].colour"']);
    expect(r.ok && (r.object.spec as any).flavour).toBeUndefined();
  });
  it('Ignore drops them silently', () => {
    const r = admit(m, { operation: 'create', fieldValidation: 'Ignore' });
    expect(r.ok && r.warnings).toEqual([]);
  });
  it('Strict rejects them', () => {
    const r = admit(m, { operation: 'create', fieldValidation: 'Strict' });
    expect(!r.ok && r.causes.map((c) => c.field)).toEqual(['spec.flavour', 'spec.ports[0].colour']);
  });
});

describe('updates', () => {
  it('GatewayClass controllerName is immutable (CEL transition rule)', () => {
    const gc = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'cilium' }, spec: { controllerName: 'io.cilium/gateway-controller' } };
    const stored = ok(gc);
    expect(admit(gc, { operation: 'update', old: stored }).ok).toBe(true);
    const r = admit({ ...gc, spec: { controllerName: 'example.com/other' } }, { operation: 'update', old: stored });
    expect(!r.ok && r.causes).toContainEqual({ field: 'spec.controllerName', reason: 'FieldValueInvalid', message: 'Invalid value: "string": Value is immutable' });
  });

  it('metadata.name cannot change', () => {
    const stored = ok(service({ ports: [{ port: 80 }] }));
    const r = admit(service({ ports: [{ port: 80 }] }, { name: 'other' }), { operation: 'update', old: stored });
    expect(!r.ok && r.causes).toContainEqual(expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' }));
  });

  it('a v2 stored object can be updated through v2alpha1 (transition rules see the old object in the request version)', () => {
    const stored = ok({ apiVersion: 'cilium.io/v2', kind: 'CiliumBGPPeerConfig', metadata: { name: 'p' }, spec: { timers: { holdTimeSeconds: 9, keepAliveTimeSeconds: 3 } } });
    const r = admit({ apiVersion: 'cilium.io/v2alpha1', kind: 'CiliumBGPPeerConfig', metadata: { name: 'p' }, spec: { timers: { holdTimeSeconds: 30, keepAliveTimeSeconds: 10 } } }, { operation: 'update', old: stored });
    expect(r.ok && r.object).toMatchObject({ apiVersion: 'cilium.io/v2', spec: { timers: { holdTimeSeconds: 30, keepAliveTimeSeconds: 10, connectRetryTimeSeconds: 120 } } });
  });
});
