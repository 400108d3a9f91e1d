import { describe, expect, it } from 'vitest';
import { defaultGatewayClass, gatewayServiceName, hostnamesIntersect, hostnamesOverlap, mergeConditions, shortName } from '@bosun/gateway';
import { World, admitted, cond, gateway, http, T0, T1 } from './fixtures';

describe('GatewayClass', () => {
  it('given classes of several controllers, when translated, then only ours get a status; a parametersRef is refused with InvalidParameters and its Gateways are not accepted', () => {
    const w = new World().given(
      admitted(defaultGatewayClass('cilium')),
      admitted({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'envoy' }, spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' } }),
      admitted({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: 'tuned' },
        spec: { controllerName: 'io.cilium/gateway-controller', parametersRef: { group: 'cilium.io', kind: 'CiliumGatewayClassConfig', name: 'cfg', namespace: 'kube-system' } },
      }),
      gateway('on-tuned', 'ns', [http('http')], { gatewayClassName: 'tuned' }),
      gateway('on-envoy', 'ns', [http('http')], { gatewayClassName: 'envoy' }),
    );
    const t = w.translate();
    expect(t.classes.map((c) => c.name).sort()).toEqual(['cilium', 'tuned']);
    expect(cond(t.classes.find((c) => c.name === 'tuned')!.status.conditions as never, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'InvalidParameters',
      message: 'spec.parametersRef: CiliumGatewayClassConfig.cilium.io kube-system/cfg is not supported (Bosun serves no GatewayClass parameters yet); remove it to use the defaults',
    });
    expect(t.gateways.map((g) => g.key)).toEqual(['ns/on-tuned']);
    const g = t.gateways[0]!;
    expect(cond(g.status.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'Invalid', message: expect.stringMatching(/^GatewayClass tuned is not accepted: spec.parametersRef/) });
    expect(g.service).toBeNull();
  });
});

describe('Gateway acceptance and its Service', () => {
  it('given spec.infrastructure annotations and spec.addresses, then the Service carries the annotations and lbipam.cilium.io/ips (unless set), and Programmed waits for that address', () => {
    const w = World.withDefaultClass().given(
      gateway('gw', 'ns', [http('http')], { infrastructure: { labels: { 'bgp-advertise': 'true' }, annotations: { 'example.com/pool': 'public' } }, addresses: [{ type: 'IPAddress', value: '192.0.2.10' }] }),
      gateway('own-annotation', 'ns', [http('http')], { infrastructure: { annotations: { 'lbipam.cilium.io/ips': '192.0.2.99' } }, addresses: [{ value: '192.0.2.11' }] }),
      gateway('any-address', 'ns', [http('http')], { addresses: [{ type: 'IPAddress' }] }),
    );
    const t = w.translate();
    const svc = (k: string) => t.gateways.find((g) => g.key === k)!.service!;
    expect(svc('ns/gw').metadata.labels).toEqual({ 'bgp-advertise': 'true', 'io.cilium.gateway/owning-gateway': 'gw', 'gateway.networking.k8s.io/gateway-name': 'gw' });
    expect(svc('ns/gw').metadata.annotations).toEqual({ 'example.com/pool': 'public', 'lbipam.cilium.io/ips': '192.0.2.10' });
    expect(svc('ns/own-annotation').metadata.annotations).toEqual({ 'lbipam.cilium.io/ips': '192.0.2.99' });
    expect(svc('ns/any-address').metadata.annotations).toBeUndefined();

    w.settle(t);
    w.assignAddress('ns', 'cilium-gateway-gw', '192.0.2.77');
    const g = w.translate(T1).gateways.find((x) => x.key === 'ns/gw')!;
    expect(cond(g.status.conditions, 'Programmed')).toMatchObject({ status: 'False', reason: 'AddressNotUsable', message: 'requested address(es) 192.0.2.10 not assigned to Service ns/cilium-gateway-gw' });
    w.assignAddress('ns', 'cilium-gateway-gw', '192.0.2.10');
    expect(cond(w.translate(T1).gateways.find((x) => x.key === 'ns/gw')!.status.conditions, 'Programmed')).toMatchObject({ status: 'True' });
  });

  it('given a Hostname address or an infrastructure parametersRef, then the Gateway is refused (UnsupportedAddress, InvalidParameters) and no Service is made', () => {
    const w = World.withDefaultClass().given(
      gateway('host', 'ns', [http('http')], { addresses: [{ type: 'Hostname', value: 'lb.example.com' }] }),
      gateway('params', 'ns', [http('http')], { infrastructure: { parametersRef: { group: 'example.com', kind: 'Params', name: 'p' } } }),
    );
    const t = w.translate();
    const g = (k: string) => t.gateways.find((x) => x.key === k)!;
    expect(cond(g('ns/host').status.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'UnsupportedAddress', message: 'spec.addresses[0]: type Hostname is not supported (LB IPAM assigns IP addresses)' });
    expect(cond(g('ns/params').status.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'InvalidParameters' });
    expect(g('ns/host').service).toBeNull();
    expect(g('ns/params').service).toBeNull();
    for (const k of ['ns/host', 'ns/params']) expect(g(k).status.listeners![0]!.conditions.find((c) => c.type === 'Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
  });

  it('given a Gateway named at the maximum length, then its Service name and label values are valid and distinct from a near twin', () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}`;
    const w = World.withDefaultClass().given(gateway(long, 'ns', [http('http')]), gateway(`${long}x`, 'ns', [http('http')]));
    const [a, b] = w.translate().gateways.map((g) => g.service!);
    for (const s of [a!, b!]) {
      expect(s.metadata.name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
      expect(s.metadata.name.length).toBeLessThanOrEqual(63);
      expect(s.metadata.labels['io.cilium.gateway/owning-gateway']!.length).toBeLessThanOrEqual(63);
    }
    expect(a!.metadata.name).not.toBe(b!.metadata.name);
    expect(gatewayServiceName('gateway-blue')).toBe('cilium-gateway-gateway-blue');
    expect(shortName('ok-name')).toBe('ok-name');
    // the Service it names is admitted by the API's own rules
    expect(() => admitted({ ...a!, metadata: { ...a!.metadata, ownerReferences: [] } })).not.toThrow();
  });

  it('given a failed Service apply, then Programmed=False/Invalid carries the API answer', () => {
    const w = World.withDefaultClass().given(gateway('gw', 'ns', [http('http')]));
    w.serviceErrors.set('ns/gw', 'Service "cilium-gateway-gw" is invalid: metadata.labels: too many');
    expect(cond(w.translate().gateways[0]!.status.conditions, 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: 'the LoadBalancer Service ns/cilium-gateway-gw could not be applied: Service "cilium-gateway-gw" is invalid: metadata.labels: too many',
    });
  });

  it('given a Gateway field of another controller in status (attachedListenerSets), then it is kept', () => {
    const gw = gateway('gw', 'ns', [http('http')]);
    const w = World.withDefaultClass().given({ ...gw, status: { ...gw.status, attachedListenerSets: 0 } });
    expect(w.translate().gateways[0]!.status.attachedListenerSets).toBe(0);
  });
});

describe('hostnames and conditions (building blocks)', () => {
  it('intersects hostnames per the spec: * is one or more whole labels, never the apex', () => {
    expect(hostnamesIntersect('test.example.com', undefined)).toBe(true);
    expect(hostnamesIntersect('test.example.com', '*.example.com')).toBe(true);
    expect(hostnamesIntersect('*.example.com', 'foo.test.example.com')).toBe(true);
    expect(hostnamesIntersect('*.example.com', 'example.com')).toBe(false);
    expect(hostnamesIntersect('*.example.com', '*.foo.example.com')).toBe(true);
    expect(hostnamesIntersect('foo.example.com', 'bar.example.com')).toBe(false);
    expect(hostnamesIntersect('Foo.Example.com', 'foo.example.com')).toBe(true);
    expect(hostnamesOverlap('foo.example.com', '*.example.com')).toBe(true);
    expect(hostnamesOverlap('foo.example.com', 'foo.example.com')).toBe(false);
    expect(hostnamesOverlap('foo.example.org', '*.example.com')).toBe(false);
  });

  it('keeps lastTransitionTime while the status holds, replaces it when the status flips, keeps foreign conditions, drops managed ones no longer decided', () => {
    const cur = [
      { type: 'Accepted', status: 'True' as const, reason: 'Accepted', message: 'a', lastTransitionTime: T0 },
      { type: 'x.io/Foo', status: 'True' as const, reason: 'Bar', message: '', lastTransitionTime: T0 },
      { type: 'OverlappingTLSConfig', status: 'True' as const, reason: 'OverlappingHostnames', message: '', lastTransitionTime: T0 },
    ];
    const next = mergeConditions(cur, [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'b' }, { type: 'Programmed', status: 'False', reason: 'Pending', message: '' }], T1, new Set(['Accepted', 'Programmed', 'OverlappingTLSConfig']));
    expect(next).toEqual([
      { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'b', lastTransitionTime: T0 },
      cur[1],
      { type: 'Programmed', status: 'False', reason: 'Pending', message: '', lastTransitionTime: T1 },
    ]);
    expect(mergeConditions(next, [{ type: 'Accepted', status: 'False', reason: 'Invalid', message: '' }], '2026-03-01T00:00:00Z', new Set(['Accepted']))[0]).toMatchObject({ lastTransitionTime: '2026-03-01T00:00:00Z' });
  });
});

describe('Service drift (when to apply again)', () => {
  it('given the applied Service, then no drift; a changed owned field is drift; fields of others are not', async () => {
    const { serviceDrifted } = await import('@bosun/gateway');
    const w = World.withDefaultClass().given(gateway('gw', 'ns', [http('http')], { infrastructure: { labels: { color: 'blue' } } }));
    const t = w.translate();
    const desired = t.gateways[0]!.service!;
    expect(serviceDrifted(desired, undefined)).toBe(true);
    w.settle(t);
    const stored = w.get('Service', 'ns', 'cilium-gateway-gw')!;
    expect(serviceDrifted(desired, stored as never)).toBe(false);
    const withOthers = { ...stored, metadata: { ...stored.metadata, labels: { ...stored.metadata.labels, team: 'x' }, annotations: { 'other.io/a': 'b' } }, spec: { ...stored.spec, externalTrafficPolicy: 'Local' } };
    expect(serviceDrifted(desired, withOthers as never)).toBe(false);
    expect(serviceDrifted(desired, { ...stored, metadata: { ...stored.metadata, labels: { ...stored.metadata.labels, color: 'green' } } } as never)).toBe(true);
    expect(serviceDrifted(desired, { ...stored, spec: { ...stored.spec, ports: [{ name: 'port-81', port: 81, protocol: 'TCP' }] } } as never)).toBe(true);
    expect(serviceDrifted(desired, { ...stored, metadata: { ...stored.metadata, ownerReferences: [] } } as never)).toBe(true);
  });
});
