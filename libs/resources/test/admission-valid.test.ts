/** Given realistic manifests from each kind's documentation, when admitted (Strict), then they are accepted. */
import { describe, expect, it } from 'vitest';
import { admit } from '../src';

const VALID: Record<string, any>[] = [
  {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name: 'l7-rule', namespace: 'default' },
    spec: {
      endpointSelector: { matchLabels: { app: 'myService' } },
      ingress: [
        { fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'default', app: 'client' } }], toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }], rules: { http: [{ method: 'GET', path: '/path1$' }, { method: 'PUT', path: '/path2$', headers: ['X-My-Header: true'] }] } }] },
        { fromCIDRSet: [{ cidr: '10.0.0.0/8', except: ['10.96.0.0/12'] }] },
        { fromEntities: ['host', 'remote-node'] },
      ],
      egress: [{ toFQDNs: [{ matchName: 'api.example.com' }], toPorts: [{ ports: [{ port: '443' }] }] }, { toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }], toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }] }],
    },
  },
  {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumClusterwideNetworkPolicy',
    metadata: { name: 'deny-world' },
    specs: [{ endpointSelector: {}, egressDeny: [{ toEntities: ['world'] }] }, { nodeSelector: { matchLabels: { role: 'worker' } }, ingress: [{ fromEntities: ['cluster'] }] }],
  },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'cilium' }, spec: { controllerName: 'io.cilium/gateway-controller' } },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'tls-gw', namespace: 'default' },
    spec: {
      gatewayClassName: 'cilium',
      listeners: [
        { name: 'https-1', protocol: 'HTTPS', port: 443, hostname: 'bookinfo.cilium.rocks', tls: { certificateRefs: [{ kind: 'Secret', name: 'demo-cert' }] } },
        { name: 'https-2', protocol: 'HTTPS', port: 443, hostname: '*.cilium.rocks', tls: { mode: 'Terminate', certificateRefs: [{ name: 'wild' }] }, allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } } } },
        { name: 'tls', protocol: 'TLS', port: 8443, tls: { mode: 'Passthrough' } },
        { name: 'tcp', protocol: 'TCP', port: 9000 },
      ],
      addresses: [{ type: 'IPAddress', value: '20.0.10.5' }],
    },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'http-app-1', namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'my-gateway', namespace: 'infra', sectionName: 'http' }, { name: 'my-gateway', namespace: 'infra', sectionName: 'https' }],
      hostnames: ['example.com', '*.example.org'],
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/details' } }], backendRefs: [{ name: 'details', port: 9080 }] },
        { matches: [{ headers: [{ type: 'Exact', name: 'magic', value: 'foo' }], queryParams: [{ type: 'Exact', name: 'great', value: 'example' }], path: { type: 'Exact', value: '/' }, method: 'GET' }], backendRefs: [{ name: 'productpage', port: 9080, weight: 90 }, { name: 'productpage-v2', port: 9080, weight: 10 }] },
        { matches: [{ path: { type: 'PathPrefix', value: '/old' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } } }, { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-a', value: '1' }], remove: ['x-b'] } }], backendRefs: [{ name: 'svc', port: 80 }] },
        { matches: [{ path: { type: 'PathPrefix', value: '/moved' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] },
        { matches: [{ path: { type: 'RegularExpression', value: '/v[0-9]+/.*' } }], backendRefs: [{ name: 'svc', port: 80 }], timeouts: { request: '10s', backendRequest: '2s' } },
      ],
    },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name: 'grpc', namespace: 'default' },
    spec: { parentRefs: [{ name: 'gw' }], hostnames: ['grpc.example.com'], rules: [{ matches: [{ method: { service: 'helloworld.Greeter', method: 'SayHello' } }], backendRefs: [{ name: 'greeter', port: 50051 }] }] },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'allow-infra-routes', namespace: 'web-backend' },
    spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'infra' }], to: [{ group: '', kind: 'Service', name: 'web-backend' }] },
  },
  {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumBGPNodeConfigOverride',
    metadata: { name: 'worker-1' },
    spec: { bgpInstances: [{ name: 'instance-65000', routerID: '192.168.10.1', localPort: 1790, peers: [{ name: 'peer-65000-tor1', localAddress: 'fd00:10::2' }] }] },
  },
  {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumBGPNodeConfig',
    metadata: { name: 'worker-1' },
    spec: { bgpInstances: [{ name: 'instance-65000', localASN: 65000, routerID: '10.0.0.2', peers: [{ name: 'tor', peerAddress: 'fd00:10::1', peerASN: 65000, peerConfigRef: { name: 'cilium-peer' } }] }] },
    status: { bgpInstances: [{ name: 'instance-65000', localASN: 65000, peers: [{ name: 'tor', peerAddress: 'fd00:10::1', peerASN: 65000, peeringState: 'established', establishedTime: '2025-01-01T00:00:00Z', timers: { appliedHoldTimeSeconds: 9, appliedKeepaliveSeconds: 3 }, routeCount: [{ afi: 'ipv4', safi: 'unicast', advertised: 3, received: 0 }] }] }] },
  },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-blue', labels: { team: 'blue' } } },
  {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'worker-1', labels: { rack: 'rack0', 'kubernetes.io/hostname': 'worker-1' } },
    spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'] },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'worker-1' }], conditions: [{ type: 'Ready', status: 'True' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'default', labels: { app: 'web' } },
    spec: { nodeName: 'worker-1', containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }], resources: { limits: { cpu: '500m', memory: '128Mi' } } }] },
    status: { phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'dns', namespace: 'kube-system', annotations: { 'lbipam.cilium.io/ips': '20.0.10.53', 'lbipam.cilium.io/sharing-key': 'dns' } },
    spec: { type: 'LoadBalancer', loadBalancerClass: 'io.cilium/bgp-control-plane', externalTrafficPolicy: 'Local', selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }], externalIPs: ['192.0.2.10'] },
  },
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'worker-1', targetRef: { kind: 'Pod', name: 'web-0', namespace: 'default' } }],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'test-network-policy', namespace: 'default' },
    spec: {
      podSelector: { matchLabels: { role: 'db' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }, { namespaceSelector: { matchLabels: { project: 'myproject' } }, podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ protocol: 'TCP', port: 6379 }] }],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
    },
  },
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bgp-auth-secret', namespace: 'kube-system' }, type: 'Opaque', data: { password: 'czNjcmV0' } },
];

describe('valid manifests admit under Strict field validation', () => {
  it.each(VALID.map((m) => [`${m.kind}/${m.metadata.name}`, m] as const))('%s', (_n, m) => {
    const r = admit(m, { operation: 'create', fieldValidation: 'Strict', clusterIPFamilies: ['IPv4', 'IPv6'] });
    if (!r.ok) throw new Error(JSON.stringify(r.causes, null, 1));
    expect(r.warnings).toEqual([]);
  });
});

describe('a pool range that parses but holds no address', () => {
  const pool = (block: Record<string, string>) => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumLoadBalancerIPPool', metadata: { name: 'bad-range' }, spec: { blocks: [{ cidr: '20.0.10.0/24' }, block] } });
  it.each([
    ['start after stop', { start: '10.0.0.20', stop: '10.0.0.10' }, "spec.blocks[1].stop: '10.0.0.10' is lower than start '10.0.0.20'"],
    ['start and stop of two families', { start: '10.0.0.1', stop: 'fd00::1' }, "spec.blocks[1].stop: 'fd00::1' is not of the family of start '10.0.0.1'"],
  ])('given %s, when admitted, then it is stored with a warning naming the field (ipam reports it as a condition)', (_n, block, warning) => {
    const r = admit(pool(block), { operation: 'create', fieldValidation: 'Strict' });
    if (!r.ok) throw new Error(JSON.stringify(r.causes));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain(warning);
    expect(r.warnings[0]).toContain('bosun.io/InvalidSpec');
  });
});
