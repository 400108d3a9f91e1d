import { describe, expect, it } from 'vitest';
import { World, admitted, cond, gateway, grant, http, namespace, route, service, T0, T1 } from './fixtures';

const CONTROLLER = 'io.cilium/gateway-controller';
const backend = (name: string, extra: Record<string, unknown> = {}) => ({ rules: [{ backendRefs: [{ name, port: 8080, ...extra }] }] });

/** The parent status entry of a route for its n-th parentRef, and a Gateway listener's attachedRoutes. */
const look = (w: World, now = T0) => {
  const t = w.translate(now);
  return {
    t,
    parent: (ns: string, name: string, i = 0) => t.routes.find((r) => r.key === `${ns}/${name}`)?.status.parents?.filter((p) => p.controllerName === CONTROLLER)[i],
    attached: (gw: string, listener: string) => t.gateways.find((g) => g.key === gw)!.status.listeners!.find((l) => l.name === listener)!.attachedRoutes,
  };
};

describe('HTTPRoute attachment and status', () => {
  const infra = () =>
    World.withDefaultClass().given(
      namespace('infra'),
      namespace('backend-a', { 'gateway-conformance': 'backend' }),
      namespace('web'),
      gateway('same', 'infra', [http('http')]),
      gateway('all', 'infra', [http('http', 80, { allowedRoutes: { namespaces: { from: 'All' } } })]),
      gateway('selected', 'infra', [http('http', 80, { allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'gateway-conformance': 'backend' } } } } })]),
      service('infra-backend-v1', 'infra'),
      service('app', 'backend-a'),
      service('site', 'web'),
    );

  it('given a route in the Gateway namespace (from: Same), then it is Accepted with ResolvedRefs and counted on the listener', () => {
    const w = infra().given(route('r', 'infra', { parentRefs: [{ name: 'same' }], ...backend('infra-backend-v1') }));
    const { parent, attached } = look(w);
    expect(parent('infra', 'r')).toEqual({
      parentRef: { name: 'same', group: 'gateway.networking.k8s.io', kind: 'Gateway' },
      controllerName: CONTROLLER,
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Accepted HTTPRoute', lastTransitionTime: T0, observedGeneration: 1 },
        { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'All references resolved', lastTransitionTime: T0, observedGeneration: 1 },
      ],
    });
    expect(attached('infra/same', 'http')).toBe(1);
  });

  it('given a route from another namespace, then Same refuses it (NotAllowedByListeners, not counted), All takes it, Selector takes it only from labelled namespaces', () => {
    const w = infra().given(
      route('to-same', 'web', { parentRefs: [{ name: 'same', namespace: 'infra' }], ...backend('site') }),
      route('to-all', 'web', { parentRefs: [{ name: 'all', namespace: 'infra' }], ...backend('site') }),
      route('to-selected', 'backend-a', { parentRefs: [{ name: 'selected', namespace: 'infra' }], ...backend('app') }),
      route('to-selected', 'web', { parentRefs: [{ name: 'selected', namespace: 'infra' }], ...backend('site') }),
    );
    const { parent, attached } = look(w);
    expect(cond(parent('web', 'to-same')!.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
      message: 'no listener of Gateway infra/same ("http") allows HTTPRoutes from namespace web',
    });
    expect(attached('infra/same', 'http')).toBe(0);
    expect(cond(parent('web', 'to-all')!.conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(attached('infra/all', 'http')).toBe(1);
    expect(cond(parent('backend-a', 'to-selected')!.conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(cond(parent('web', 'to-selected')!.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'NotAllowedByListeners' });
    expect(attached('infra/selected', 'http')).toBe(1);
  });

  it('given a namespace gets the selected label later, when translated again, then its route attaches (Namespaces are watched)', () => {
    const w = infra().given(route('late', 'web', { parentRefs: [{ name: 'selected', namespace: 'infra' }], ...backend('site') }));
    w.settle(w.translate());
    w.given(namespace('web', { 'gateway-conformance': 'backend' }));
    const { parent, attached } = look(w, T1);
    expect(cond(parent('web', 'late')!.conditions, 'Accepted')).toMatchObject({ status: 'True', lastTransitionTime: T1 });
    expect(attached('infra/selected', 'http')).toBe(1);
  });

  it('given a Selector on kubernetes.io/metadata.name, then it matches a namespace that has no stored object', () => {
    const w = World.withDefaultClass().given(
      gateway('gw', 'infra', [http('http', 80, { allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } } } } })]),
      route('r', 'apps', { parentRefs: [{ name: 'gw', namespace: 'infra' }] }),
    );
    expect(cond(look(w).parent('apps', 'r')!.conditions, 'Accepted')).toMatchObject({ status: 'True' });
  });

  it('given parentRefs by sectionName and port, then they select listeners; a missing one gives NoMatchingParent', () => {
    const w = World.withDefaultClass().given(
      gateway('gw', 'ns', [http('http', 80), http('alt', 8080)]),
      route('by-section', 'ns', { parentRefs: [{ name: 'gw', sectionName: 'alt' }] }),
      route('by-port', 'ns', { parentRefs: [{ name: 'gw', port: 80 }] }),
      route('both-mismatch', 'ns', { parentRefs: [{ name: 'gw', sectionName: 'alt', port: 80 }] }),
      route('no-section', 'ns', { parentRefs: [{ name: 'gw', sectionName: 'nope' }] }),
      route('whole', 'ns', { parentRefs: [{ name: 'gw' }] }),
    );
    const { parent, attached } = look(w);
    expect(cond(parent('ns', 'by-section')!.conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(cond(parent('ns', 'by-port')!.conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(cond(parent('ns', 'both-mismatch')!.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'NoMatchingParent', message: 'Gateway ns/gw has no listener with sectionName "alt" and port 80' });
    expect(cond(parent('ns', 'no-section')!.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'NoMatchingParent' });
    expect(attached('ns/gw', 'http')).toBe(2); // by-port, whole
    expect(attached('ns/gw', 'alt')).toBe(2); // by-section, whole
  });

  it('given listener and route hostnames, then only intersecting ones attach; none intersecting gives NoMatchingListenerHostname', () => {
    const w = World.withDefaultClass().given(
      gateway('gw', 'ns', [http('foo', 80, { hostname: 'foo.example.com' }), http('wild', 8080, { hostname: '*.example.org' })]),
      route('wild-route', 'ns', { parentRefs: [{ name: 'gw' }], hostnames: ['*.example.com'] }),
      route('other', 'ns', { parentRefs: [{ name: 'gw' }], hostnames: ['example.org', 'bar.example.net'] }),
      route('deep', 'ns', { parentRefs: [{ name: 'gw' }], hostnames: ['a.b.example.org'] }),
    );
    const { parent, attached } = look(w);
    expect(cond(parent('ns', 'wild-route')!.conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(cond(parent('ns', 'other')!.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingListenerHostname',
      message: 'no hostname of the route (example.org, bar.example.net) matches a listener of Gateway ns/gw',
    });
    expect(cond(parent('ns', 'deep')!.conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(attached('ns/gw', 'foo')).toBe(1);
    expect(attached('ns/gw', 'wild')).toBe(1);
  });

  describe('backendRefs (ResolvedRefs; the route stays accepted)', () => {
    it('given a missing Service, then BackendNotFound', () => {
      const w = infra().given(route('r', 'infra', { parentRefs: [{ name: 'same' }], ...backend('nope') }));
      const p = look(w).parent('infra', 'r')!;
      expect(cond(p.conditions, 'Accepted')).toMatchObject({ status: 'True' });
      expect(cond(p.conditions, 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'BackendNotFound', message: 'spec.rules[0].backendRefs[0]: Service infra/nope not found' });
    });

    it('given an unknown backend kind, then InvalidKind', () => {
      const w = infra().given(route('r', 'infra', { parentRefs: [{ name: 'same' }], ...backend('x', { group: 'unknown.example.com', kind: 'Unknown' }) }));
      expect(cond(look(w).parent('infra', 'r')!.conditions, 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'InvalidKind' });
    });

    it('given a Service in another namespace, then RefNotPermitted until a ReferenceGrant allows HTTPRoutes from the route namespace', () => {
      const w = infra().given(route('r', 'infra', { parentRefs: [{ name: 'same' }], ...backend('site', { namespace: 'web' }) }));
      expect(cond(look(w).parent('infra', 'r')!.conditions, 'ResolvedRefs')).toMatchObject({
        status: 'False',
        reason: 'RefNotPermitted',
        message: 'spec.rules[0].backendRefs[0]: Service web/site is in another namespace and no ReferenceGrant there allows HTTPRoutes from infra',
      });
      w.given(grant('allow-infra', 'web', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'infra' }], [{ group: '', kind: 'Service', name: 'site' }]));
      expect(cond(look(w).parent('infra', 'r')!.conditions, 'ResolvedRefs')).toMatchObject({ status: 'True' });
    });
  });

  it('given a rule with both RequestRedirect and URLRewrite, then Accepted=False/IncompatibleFilters and it is not counted', () => {
    const r = admitted({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: 'ns' },
      spec: { parentRefs: [{ name: 'gw' }], rules: [{}] },
    });
    // CEL refuses the combination at admission; an object written around it still gets a clear status.
    r.spec.rules[0].filters = [{ type: 'RequestRedirect', requestRedirect: { statusCode: 301 } }, { type: 'URLRewrite', urlRewrite: { hostname: 'x' } }];
    const w = World.withDefaultClass().given(gateway('gw', 'ns', [http('http')]), r);
    const { parent, attached } = look(w);
    expect(cond(parent('ns', 'r')!.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'IncompatibleFilters', message: 'spec.rules[0].filters: RequestRedirect and URLRewrite cannot be used together' });
    expect(attached('ns/gw', 'http')).toBe(0);
  });

  it('given parents of other controllers, then their entries are kept and only ours are written; a removed parentRef drops our entry', () => {
    const foreign = { parentRef: { name: 'theirs', group: 'gateway.networking.k8s.io', kind: 'Gateway' }, controllerName: 'example.com/other', conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }] };
    const r = route('r', 'ns', { parentRefs: [{ name: 'gw' }, { name: 'theirs' }] });
    const w = World.withDefaultClass().given(gateway('gw', 'ns', [http('http')]), admitted({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'theirs', namespace: 'ns' }, spec: { gatewayClassName: 'other', listeners: [http('http')] } }), { ...r, status: { parents: [foreign] } });
    const t = w.translate();
    expect(t.routes[0]!.status.parents).toEqual([foreign, expect.objectContaining({ controllerName: CONTROLLER, parentRef: expect.objectContaining({ name: 'gw' }) })]);
    w.settle(t);
    expect(w.translate(T1).routes[0]!.statusChanged).toBe(false);
    const stored = w.get('HTTPRoute', 'ns', 'r')!;
    w.given({ ...stored, metadata: { ...stored.metadata, generation: 2 }, spec: { ...stored.spec, parentRefs: [stored.spec.parentRefs[1]] } });
    const t2 = w.translate(T1);
    expect(t2.routes[0]!.status.parents).toEqual([foreign]);
    expect(t2.routes[0]!.statusChanged).toBe(true);
  });

  it('given a route whose parents are all another controller’s, then it is not written at all', () => {
    const w = World.withDefaultClass().given(route('r', 'ns', { parentRefs: [{ name: 'nobody' }] }));
    expect(w.translate().routes).toEqual([]);
  });

  it('given one route listing two listeners of a Gateway and two routes on a listener, then attachedRoutes counts distinct routes per listener', () => {
    const w = World.withDefaultClass().given(
      gateway('gw', 'ns', [http('http'), http('alt', 8080)]),
      route('twice', 'ns', { parentRefs: [{ name: 'gw', sectionName: 'http' }, { name: 'gw', sectionName: 'alt' }] }),
      route('once', 'ns', { parentRefs: [{ name: 'gw', sectionName: 'http' }] }),
    );
    const { t, attached } = look(w);
    expect(attached('ns/gw', 'http')).toBe(2);
    expect(attached('ns/gw', 'alt')).toBe(1);
    expect(t.routes.find((r) => r.key === 'ns/twice')!.status.parents!.map((p) => p.parentRef.sectionName)).toEqual(['http', 'alt']);
  });
});
