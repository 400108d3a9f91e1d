import { describe, expect, it } from 'vitest';
import { World, admitted, cond, gateway, grant, http, https, T0 } from './fixtures';

const listenerConds = (w: World, name: string) => {
  const g = w.translate().gateways[0]!;
  const l = g.status.listeners!.find((x) => x.name === name)!;
  return { g, l, c: (type: string) => cond(l.conditions, type) };
};

describe('listeners (distinctness, protocols, kinds, certificates)', () => {
  it('given two HTTP listeners on port 80 with the same hostname, when translated, then both are Conflicted=HostnameConflict, neither is accepted, and the Gateway is accepted with the rest', () => {
    // The CRD's CEL rule refuses identical port/protocol/hostname at admission; objects stored
    // before that rule (or written around it) still reach the translator.
    const gw = gateway('gw', 'ns', [http('a', 80, { hostname: 'foo.example.com' }), http('b', 80, { hostname: 'bar.example.com' }), http('c', 8080)]);
    gw.spec.listeners[1].hostname = 'foo.example.com';
    const w = World.withDefaultClass().given(gw);
    const { g, c } = listenerConds(w, 'a');
    expect(c('Conflicted')).toMatchObject({ status: 'True', reason: 'HostnameConflict', message: 'listeners "a", "b" all use port 80, protocol HTTP and hostname foo.example.com' });
    expect(c('Accepted')).toMatchObject({ status: 'False', reason: 'HostnameConflict' });
    expect(c('Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(cond(g.status.listeners!.find((x) => x.name === 'b')!.conditions, 'Conflicted')).toMatchObject({ status: 'True', reason: 'HostnameConflict' });
    expect(cond(g.status.listeners!.find((x) => x.name === 'c')!.conditions, 'Conflicted')).toMatchObject({ status: 'False', reason: 'NoConflicts' });
    expect(cond(g.status.conditions, 'Accepted')).toMatchObject({ status: 'True', reason: 'ListenersNotValid' });
    expect(cond(g.status.conditions, 'Accepted')!.message).toMatch(/^some listeners are not valid: "a": conflicted: .*; "b": conflicted: .*; accepted: "c"$/);
    // Only the distinct listener gets a port.
    expect(g.service!.spec.ports).toEqual([{ name: 'port-8080', port: 8080, protocol: 'TCP' }]);
  });

  it('given HTTP and HTTPS on the same port, when translated, then both are ProtocolConflict; with no listener left the Gateway is refused and gets no Service', () => {
    const w = World.withDefaultClass().given(gateway('gw', 'ns', [http('plain', 8443), https('tls', 8443)]));
    w.secrets = [{ namespace: 'ns', name: 'cert', validTLS: true }];
    const { g, c } = listenerConds(w, 'plain');
    expect(c('Conflicted')).toMatchObject({ status: 'True', reason: 'ProtocolConflict', message: 'port 8443 is used with protocols HTTP and HTTPS by listeners "plain", "tls"' });
    expect(cond(g.status.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'ListenersNotValid' });
    expect(cond(g.status.conditions, 'Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(g.service).toBeNull();
  });

  it('given TCP, UDP and TLS listeners, when translated, then each is Accepted=False/UnsupportedProtocol with no supported kinds, and an HTTP listener on a TCP port is not made indistinct', () => {
    const w = World.withDefaultClass().given(
      gateway('gw', 'ns', [
        { name: 'tcp', port: 80, protocol: 'TCP' },
        { name: 'udp', port: 53, protocol: 'UDP' },
        { name: 'tls', port: 443, protocol: 'TLS', tls: { mode: 'Passthrough' } },
        http('web', 80),
      ]),
    );
    const g = w.translate().gateways[0]!;
    for (const n of ['tcp', 'udp', 'tls']) {
      const l = g.status.listeners!.find((x) => x.name === n)!;
      expect(l.supportedKinds).toEqual([]);
      expect(cond(l.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'UnsupportedProtocol' });
      expect(cond(l.conditions, 'Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
    }
    expect(cond(g.status.listeners!.find((x) => x.name === 'web')!.conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(g.service!.spec.ports).toEqual([{ name: 'port-80', port: 80, protocol: 'TCP' }]);
  });

  it('given allowedRoutes.kinds with a supported and an unsupported kind, then ResolvedRefs=False/InvalidRouteKinds and supportedKinds lists the valid one; with only unsupported kinds the listener is invalid', () => {
    const w = World.withDefaultClass().given(
      gateway('gw', 'ns', [
        http('mixed', 80, { allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }, { kind: 'TCPRoute' }] } }),
        http('bad', 81, { allowedRoutes: { kinds: [{ group: 'example.com', kind: 'FooRoute' }] } }),
      ]),
    );
    const g = w.translate().gateways[0]!;
    const mixed = g.status.listeners!.find((x) => x.name === 'mixed')!;
    expect(mixed.supportedKinds).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]);
    expect(cond(mixed.conditions, 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'InvalidRouteKinds', message: 'route kinds TCPRoute.gateway.networking.k8s.io are not supported on a HTTP listener' });
    expect(cond(mixed.conditions, 'Accepted')).toMatchObject({ status: 'True' });
    const bad = g.status.listeners!.find((x) => x.name === 'bad')!;
    expect(bad.supportedKinds).toEqual([]);
    expect(cond(bad.conditions, 'Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(cond(g.status.conditions, 'Accepted')).toMatchObject({ status: 'True', reason: 'ListenersNotValid' });
    expect(g.service!.spec.ports).toEqual([{ name: 'port-80', port: 80, protocol: 'TCP' }]);
  });

  describe('HTTPS certificate references', () => {
    it('given a Secret in the same namespace with a valid key pair, then ResolvedRefs=True', () => {
      const w = World.withDefaultClass().given(gateway('gw', 'ns', [https('secure')]));
      w.secrets = [{ namespace: 'ns', name: 'cert', type: 'kubernetes.io/tls', validTLS: true }];
      expect(listenerConds(w, 'secure').c('ResolvedRefs')).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
    });

    it('given a missing Secret, a malformed one, or a non-Secret kind, then ResolvedRefs=False/InvalidCertificateRef naming each', () => {
      const w = World.withDefaultClass().given(
        gateway('gw', 'ns', [https('missing', 443, [{ name: 'nope' }]), https('broken', 444, [{ name: 'bad' }]), https('kind', 445, [{ group: 'example.com', kind: 'Cert', name: 'x' }])]),
      );
      w.secrets = [{ namespace: 'ns', name: 'bad', validTLS: false, problem: 'tls.key is not a PEM private key' }];
      const g = w.translate().gateways[0]!;
      const rr = (n: string) => cond(g.status.listeners!.find((x) => x.name === n)!.conditions, 'ResolvedRefs');
      expect(rr('missing')).toMatchObject({ status: 'False', reason: 'InvalidCertificateRef', message: 'tls.certificateRefs[0]: Secret ns/nope does not exist' });
      expect(rr('broken')).toMatchObject({ status: 'False', reason: 'InvalidCertificateRef', message: 'tls.certificateRefs[0]: Secret ns/bad: tls.key is not a PEM private key' });
      expect(rr('kind')).toMatchObject({ status: 'False', reason: 'InvalidCertificateRef', message: 'tls.certificateRefs[0]: Cert.example.com x is not a Secret' });
      expect(cond(g.status.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'ListenersNotValid' });
    });

    it('given a Secret in another namespace, then RefNotPermitted until a ReferenceGrant there allows Gateways from ours; deleting the grant revokes it', () => {
      const w = World.withDefaultClass().given(gateway('gw', 'ns', [https('secure', 443, [{ name: 'wild', namespace: 'certs' }])]));
      w.secrets = [{ namespace: 'certs', name: 'wild', validTLS: true }];
      expect(listenerConds(w, 'secure').c('ResolvedRefs')).toMatchObject({
        status: 'False',
        reason: 'RefNotPermitted',
        message: 'tls.certificateRefs[0]: Secret certs/wild is in another namespace and no ReferenceGrant there allows Gateways from ns',
      });
      // a grant in the wrong namespace, or for another Secret, does not help
      w.given(grant('elsewhere', 'ns', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'ns' }], [{ group: '', kind: 'Secret' }]));
      w.given(grant('other-secret', 'certs', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'ns' }], [{ group: '', kind: 'Secret', name: 'other' }]));
      expect(listenerConds(w, 'secure').c('ResolvedRefs')).toMatchObject({ reason: 'RefNotPermitted' });
      w.given(grant('allow', 'certs', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'ns' }], [{ group: '', kind: 'Secret', name: 'wild' }]));
      expect(listenerConds(w, 'secure').c('ResolvedRefs')).toMatchObject({ status: 'True' });
      w.remove('ReferenceGrant', 'certs', 'allow');
      expect(listenerConds(w, 'secure').c('ResolvedRefs')).toMatchObject({ status: 'False', reason: 'RefNotPermitted' });
    });
  });

  it('given HTTPS listeners foo.example.com, foo.example.org and *.example.com on one port, then OverlappingTLSConfig is set on the first and the last only (the spec example)', () => {
    const w = World.withDefaultClass().given(
      gateway('gw', 'ns', [https('a', 443, undefined, { hostname: 'foo.example.com' }), https('b', 443, undefined, { hostname: 'foo.example.org' }), https('c', 443, undefined, { hostname: '*.example.com' })]),
    );
    w.secrets = [{ namespace: 'ns', name: 'cert', validTLS: true }];
    const g = w.translate().gateways[0]!;
    const o = (n: string) => cond(g.status.listeners!.find((x) => x.name === n)!.conditions, 'OverlappingTLSConfig');
    expect(o('a')).toMatchObject({ status: 'True', reason: 'OverlappingHostnames', message: 'hostname foo.example.com overlaps with listener(s) "c" (*.example.com) on port 443' });
    expect(o('b')).toBeUndefined();
    expect(o('c')).toMatchObject({ status: 'True', reason: 'OverlappingHostnames' });
    // overlapping is a warning: all three are valid and share one port
    expect(cond(g.status.conditions, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(g.service!.spec.ports).toEqual([{ name: 'port-443', port: 443, protocol: 'TCP' }]);
  });

  it('given a listener condition of another controller, when translated, then it is kept and lastTransitionTime holds while status holds', () => {
    const gw = gateway('gw', 'ns', [http('web')]);
    const foreign = { type: 'example.io/Audited', status: 'True', reason: 'Seen', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' };
    const w = World.withDefaultClass().given({ ...gw, status: { listeners: [{ name: 'web', supportedKinds: [], attachedRoutes: 0, conditions: [foreign] }] } });
    const t = w.translate();
    const l = t.gateways[0]!.status.listeners![0]!;
    expect(l.conditions[0]).toEqual(foreign);
    expect(cond(l.conditions, 'Accepted')).toMatchObject({ lastTransitionTime: T0 });
    w.settle(t);
    expect(w.translate('2026-02-01T00:00:00Z').gateways[0]!.statusChanged).toBe(false);
  });

  it('given a listener is removed from the spec (generation 2), then its status entry goes and the others carry observedGeneration 2', () => {
    const w = World.withDefaultClass().given(gateway('gw', 'ns', [http('a', 80), http('b', 81)]));
    w.settle(w.translate());
    const g1 = w.get('Gateway', 'ns', 'gw')!;
    w.given({ ...g1, metadata: { ...g1.metadata, generation: 2 }, spec: { ...g1.spec, listeners: [g1.spec.listeners[0]] } });
    const g = w.translate().gateways[0]!;
    expect(g.status.listeners!.map((l) => l.name)).toEqual(['a']);
    expect(g.status.listeners![0]!.conditions.every((c) => c.observedGeneration === 2)).toBe(true);
    expect(g.status.conditions!.every((c) => c.observedGeneration === 2)).toBe(true);
    expect(g.service!.spec.ports).toEqual([{ name: 'port-80', port: 80, protocol: 'TCP' }]);
  });

  it('admits only what the CRD allows (identical listeners are refused before the translator sees them)', () => {
    expect(() => gateway('gw', 'ns', [http('a', 80), http('b', 80)])).toThrow(/Combination of port, protocol and hostname must be unique/);
    expect(() => admitted({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'g', namespace: 'n' }, spec: { gatewayClassName: 'cilium', listeners: [] } })).toThrow();
  });
});
