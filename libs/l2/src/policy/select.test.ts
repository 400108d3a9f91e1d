import { describe, expect, it } from 'vitest';
import { compileInterfaceMatcher, selectAnnouncements, type EndpointSlice, type L2AnnouncementPolicy, type Node, type NodeInterface, type SelectionInput, type Service } from './index';

// given/when/then over the pure selection: the seed talk's policy and Services around it.
const seedPolicy: L2AnnouncementPolicy = {
  metadata: { name: 'policy1' },
  spec: {
    serviceSelector: { matchLabels: { color: 'blue' } },
    nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] },
    interfaces: ['^eth[0-9]+'],
    externalIPs: true,
    loadBalancerIPs: true,
  },
};
const node = (name: string, labels: Record<string, string> = {}): Node => ({ metadata: { name, labels } });
const iface = (name: string, extra: Partial<NodeInterface> = {}): NodeInterface => ({ name, mac: '02:00:00:00:00:01', up: true, ...extra });
const lbService = (name: string, ip: string | string[], extra: Partial<Service> & { labels?: Record<string, string>; spec?: Service['spec'] } = {}): Service => ({
  metadata: { name, namespace: 'tenant-blue', labels: extra.labels ?? { color: 'blue' } },
  spec: { type: 'LoadBalancer', ...extra.spec },
  status: { loadBalancer: { ingress: (Array.isArray(ip) ? ip : [ip]).map((i) => ({ ip: i })) } },
});

const given = (over: Partial<SelectionInput> = {}): SelectionInput => ({
  nodeName: 'worker-1',
  nodes: [node('worker-1'), node('cp-1', { 'node-role.kubernetes.io/control-plane': '' })],
  interfaces: [iface('lo', { loopback: true }), iface('eth0'), iface('eth1'), iface('wlan0')],
  policies: [seedPolicy],
  services: [lbService('cilium-gateway-gateway-blue', '20.0.10.1')],
  endpointSlices: [],
  ...over,
});
const addresses = (input: SelectionInput) => selectAnnouncements(input).announcements.map((a) => a.address);

describe('selectAnnouncements (CiliumL2AnnouncementPolicy semantics)', () => {
  it('selects the seed gateway address on a worker, on the interfaces matching ^eth[0-9]+', () => {
    const sel = selectAnnouncements(given());
    expect(sel.announcements).toEqual([
      {
        address: '20.0.10.1',
        family: 4,
        services: [{ namespace: 'tenant-blue', name: 'cilium-gateway-gateway-blue' }],
        interfaces: ['eth0', 'eth1'],
        policies: ['policy1'],
        origins: ['loadBalancerIP'],
      },
    ]);
    expect(sel.problems).toEqual([]);
  });

  it('never selects anything on a node labelled node-role.kubernetes.io/control-plane', () => {
    expect(addresses(given({ nodeName: 'cp-1' }))).toEqual([]);
  });

  it('selects nothing until the node itself is known', () => {
    const sel = selectAnnouncements(given({ nodeName: 'worker-9' }));
    expect(sel).toMatchObject({ announcements: [], nodeKnown: false });
  });

  it('skips a Service the serviceSelector does not match (the talk\'s service-blue is labelled name=blue)', () => {
    expect(addresses(given({ services: [lbService('service-blue', '20.0.10.7', { labels: { name: 'blue' } })] }))).toEqual([]);
  });

  it('matches the injected namespace/name labels and does not let a user label spoof them', () => {
    const policy: L2AnnouncementPolicy = { metadata: { name: 'by-ns' }, spec: { serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': 'tenant-blue' } }, loadBalancerIPs: true } };
    const spoof = { ...lbService('spoof', '20.0.10.9', { labels: { 'io.kubernetes.service.namespace': 'tenant-blue' } }), metadata: { name: 'spoof', namespace: 'other', labels: { 'io.kubernetes.service.namespace': 'tenant-blue' } } };
    expect(addresses(given({ policies: [policy], services: [lbService('a', '20.0.10.1'), spoof] }))).toEqual(['20.0.10.1']);
  });

  it('announces nothing when both loadBalancerIPs and externalIPs are off (the default)', () => {
    const policy: L2AnnouncementPolicy = { metadata: { name: 'none' }, spec: { serviceSelector: { matchLabels: { color: 'blue' } } } };
    expect(addresses(given({ policies: [policy] }))).toEqual([]);
  });

  it('announces externalIPs only with externalIPs: true, LB IPs only with loadBalancerIPs: true', () => {
    const svc = lbService('both', '20.0.10.1', { spec: { type: 'LoadBalancer', externalIPs: ['192.0.2.50'] } });
    const only = (flags: { externalIPs?: boolean; loadBalancerIPs?: boolean }) =>
      addresses(given({ services: [svc], policies: [{ metadata: { name: 'p' }, spec: { ...flags } }] }));
    expect(only({ externalIPs: true })).toEqual(['192.0.2.50']);
    expect(only({ loadBalancerIPs: true })).toEqual(['20.0.10.1']);
    expect(only({ externalIPs: true, loadBalancerIPs: true })).toEqual(['20.0.10.1', '192.0.2.50']);
  });

  it('only takes ipam-allocated addresses from status, not the requested spec.loadBalancerIP', () => {
    const svc: Service = { metadata: { name: 'req', namespace: 'tenant-blue', labels: { color: 'blue' } }, spec: { type: 'LoadBalancer', loadBalancerIP: '20.0.10.77' } as Service['spec'] };
    expect(addresses(given({ services: [svc] }))).toEqual([]);
  });

  it('ignores status ingress of a Service that is no longer type LoadBalancer', () => {
    expect(addresses(given({ services: [lbService('np', '20.0.10.1', { spec: { type: 'NodePort' } })] }))).toEqual([]);
  });

  it('applies the loadBalancerClass rule: unset or io.cilium/l2-announcer only', () => {
    const withClass = (cls: string) => lbService(`svc-${cls.length}`, '20.0.10.2', { spec: { type: 'LoadBalancer', loadBalancerClass: cls } });
    expect(addresses(given({ services: [withClass('io.cilium/l2-announcer')] }))).toEqual(['20.0.10.2']);
    expect(addresses(given({ services: [withClass('io.cilium/bgp-control-plane')] }))).toEqual([]);
    expect(addresses(given({ services: [withClass('example.com/other')] }))).toEqual([]);
  });

  it('with externalTrafficPolicy: Local, competes only with a ready local endpoint', () => {
    const svc = lbService('local', '20.0.10.3', { spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local' } });
    const slice = (nodeName: string, ready: boolean | undefined): EndpointSlice => ({
      metadata: { name: `local-${nodeName}`, namespace: 'tenant-blue', labels: { 'kubernetes.io/service-name': 'local' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.1.0.5'], nodeName, conditions: ready === undefined ? {} : { ready } }],
    });
    expect(addresses(given({ services: [svc] }))).toEqual([]);
    expect(addresses(given({ services: [svc], endpointSlices: [slice('worker-2', true)] }))).toEqual([]);
    expect(addresses(given({ services: [svc], endpointSlices: [slice('worker-1', false)] }))).toEqual([]);
    expect(addresses(given({ services: [svc], endpointSlices: [slice('worker-1', true)] }))).toEqual(['20.0.10.3']);
    expect(addresses(given({ services: [svc], endpointSlices: [slice('worker-1', undefined)] }))).toEqual(['20.0.10.3']);
  });

  it('never answers on an interface the regexes do not match; matching is unanchored like upstream', () => {
    const only = (patterns: string[], ifaces: NodeInterface[]) =>
      selectAnnouncements(given({ interfaces: ifaces, policies: [{ ...seedPolicy, spec: { ...seedPolicy.spec, interfaces: patterns } }] })).announcements[0]?.interfaces ?? [];
    expect(only(['^eth[0-9]+'], [iface('wlan0')])).toEqual([]);
    expect(only(['eth0'], [iface('eth0'), iface('veth0'), iface('eth01')])).toEqual(['eth0', 'eth01', 'veth0']);
    expect(only(['^eth0$'], [iface('eth0'), iface('veth0'), iface('eth01')])).toEqual(['eth0']);
    expect(only([], [iface('eth0'), iface('ens3')])).toEqual(['ens3', 'eth0']);
    expect(compileInterfaceMatcher(['^bond', '^eth1$'])('bond0')).toBe(true);
  });

  it('skips loopback, NOARP (our dummy) and bridge/bond ports', () => {
    const sel = selectAnnouncements(given({ policies: [{ ...seedPolicy, spec: { ...seedPolicy.spec, interfaces: null } }], interfaces: [iface('lo', { loopback: true }), iface('bosun-l2', { noArp: true }), iface('eth0', { hasMaster: true }), iface('br0')] }));
    expect(sel.announcements[0]!.interfaces).toEqual(['br0']);
  });

  it('gives an address up when every matching interface is down, and keeps it while one is up', () => {
    const down = selectAnnouncements(given({ interfaces: [iface('eth0', { up: false }), iface('eth1', { up: false })] }));
    expect(down.announcements).toEqual([]);
    expect(down.linkDown).toEqual([{ address: '20.0.10.1', interfaces: ['eth0', 'eth1'] }]);
    const half = selectAnnouncements(given({ interfaces: [iface('eth0', { up: false }), iface('eth1')] }));
    expect(half.announcements[0]!.interfaces).toEqual(['eth1']);
  });

  it('merges policies: union of interfaces, one entry per address even when the address is shared', () => {
    const p2: L2AnnouncementPolicy = { metadata: { name: 'policy2' }, spec: { interfaces: ['^wlan'], loadBalancerIPs: true } };
    const shared = [lbService('a', '20.0.10.1'), lbService('b', ['20.0.10.1', 'fd00:20::1'])];
    const sel = selectAnnouncements(given({ policies: [seedPolicy, p2], services: shared }));
    expect(sel.announcements.map((a) => [a.address, a.interfaces, a.policies, a.services.map((s) => s.name)])).toEqual([
      ['20.0.10.1', ['eth0', 'eth1', 'wlan0'], ['policy1', 'policy2'], ['a', 'b']],
      ['fd00:20::1', ['eth0', 'eth1', 'wlan0'], ['policy1', 'policy2'], ['b']],
    ]);
    expect(sel.announcements[1]!.family).toBe(6);
  });

  it('canonicalises IPv6 addresses so equal addresses are one entry', () => {
    const sel = selectAnnouncements(given({ services: [lbService('v6', ['FD00:20:0::0:1', 'fd00:20::1'])] }));
    expect(sel.announcements.map((a) => a.address)).toEqual(['fd00:20::1']);
  });

  it('reports a bad interface regex or selector as the Cilium condition, and that policy selects nothing', () => {
    const bad: L2AnnouncementPolicy = { metadata: { name: 'bad' }, spec: { interfaces: ['eth[0-'], loadBalancerIPs: true } };
    const badSel: L2AnnouncementPolicy = { metadata: { name: 'bad-sel' }, spec: { serviceSelector: { matchExpressions: [{ key: 'x', operator: 'Near' as never }] }, loadBalancerIPs: true } };
    const sel = selectAnnouncements(given({ policies: [bad, badSel] }));
    expect(sel.announcements).toEqual([]);
    expect(sel.problems).toEqual([
      { policy: 'bad', conditionType: 'io.cilium/bad-interface-regex', message: expect.stringContaining('spec.interfaces[0]: invalid regular expression "eth[0-"') },
      { policy: 'bad-sel', conditionType: 'io.cilium/bad-service-selector', message: expect.stringContaining('spec.serviceSelector') },
    ]);
  });

  it('skips Services and policies being deleted', () => {
    const deleting = { ...lbService('gone', '20.0.10.5'), metadata: { name: 'gone', namespace: 'tenant-blue', labels: { color: 'blue' }, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(addresses(given({ services: [deleting] }))).toEqual([]);
    expect(addresses(given({ policies: [{ ...seedPolicy, metadata: { name: 'policy1', deletionTimestamp: '2026-01-01T00:00:00Z' } }] }))).toEqual([]);
  });
});
