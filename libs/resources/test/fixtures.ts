/** The talk's seed manifests (examples/seed in the shared reference), copied as fixtures. */
export const SEED: Record<string, Record<string, any>> = {
  '01-bgp-cluster-config.yaml': {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumBGPClusterConfig',
    metadata: { name: 'cilium-bgp' },
    spec: {
      nodeSelector: { matchLabels: { rack: 'rack0' } },
      bgpInstances: [
        { name: 'instance-65000', localASN: 65000, peers: [{ name: 'peer-65000-tor1', peerASN: 65000, peerAddress: 'fd00:10:0:0::1', peerConfigRef: { name: 'cilium-peer' } }] },
      ],
    },
  },
  '02-bgp-peer-config.yaml': {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumBGPPeerConfig',
    metadata: { name: 'cilium-peer' },
    spec: {
      timers: { connectRetryTimeSeconds: 12, holdTimeSeconds: 9, keepAliveTimeSeconds: 3 },
      authSecretRef: 'bgp-auth-secret',
      gracefulRestart: { enabled: true, restartTimeSeconds: 15 },
      families: [{ afi: 'ipv4', safi: 'unicast', advertisements: { matchLabels: { advertise: 'bgp' } } }],
    },
  },
  '03-bgp-advertisement.yaml': {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumBGPAdvertisement',
    metadata: { name: 'bgp-advertisements', labels: { advertise: 'bgp' } },
    spec: {
      advertisements: [
        {
          advertisementType: 'Service',
          service: { addresses: ['ClusterIP', 'ExternalIP', 'LoadBalancerIP'] },
          selector: { matchExpressions: [{ key: 'bgp', operator: 'In', values: ['blue'] }] },
        },
      ],
    },
  },
  '04-l2-announcement-policy.yaml': {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumL2AnnouncementPolicy',
    metadata: { name: 'policy1' },
    spec: {
      serviceSelector: { matchLabels: { color: 'blue' } },
      nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] },
      interfaces: ['^eth[0-9]+'],
      externalIPs: true,
      loadBalancerIPs: true,
    },
  },
  '05-lb-ip-pool.yaml': {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumLoadBalancerIPPool',
    metadata: { name: 'ip-pool-blue' },
    spec: { cidrs: [{ cidr: '20.0.10.0/24' }], serviceSelector: { matchExpressions: [{ key: 'color', operator: 'In', values: ['blue'] }] } },
  },
  '06-service-blue.yaml': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'service-blue', namespace: 'blue', labels: { name: 'blue' } },
    spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
  },
  '07-gateway-blue.yaml': {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gateway-blue', namespace: 'tenant-blue' },
    spec: {
      infrastructure: { labels: { color: 'blue' } },
      gatewayClassName: 'cilium',
      listeners: [{ protocol: 'HTTP', port: 80, name: 'gateway-blue-http', allowedRoutes: { namespaces: { from: 'Same' } } }],
    },
  },
};

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Deep-merges `patch` into a copy of `base` (arrays and scalars replace; `undefined` deletes). */
export const patch = (base: Record<string, any>, p: Record<string, any>): Record<string, any> => {
  const out = clone(base);
  const apply = (target: Record<string, any>, src: Record<string, any>) => {
    for (const [k, v] of Object.entries(src)) {
      if (v === undefined) delete target[k];
      else if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object' && !Array.isArray(target[k])) apply(target[k], v);
      else target[k] = clone(v);
    }
  };
  apply(out, p);
  return out;
};

export const pool = (spec: Record<string, any>, name = 'pool-a') => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumLoadBalancerIPPool', metadata: { name }, spec });
export const peerConfig = (spec: Record<string, any>) => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumBGPPeerConfig', metadata: { name: 'peer' }, spec });
export const clusterConfig = (spec: Record<string, any>) => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumBGPClusterConfig', metadata: { name: 'bgp' }, spec });
export const service = (spec: Record<string, any>, meta: Record<string, any> = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'default', ...meta }, spec });
export const netpol = (spec: Record<string, any>) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'default' }, spec });
export const gateway = (spec: Record<string, any>) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'default' }, spec: { gatewayClassName: 'cilium', ...spec } });
export const httpRoute = (spec: Record<string, any>) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'route', namespace: 'default' }, spec });
export const listener = (name: string, port = 80, protocol = 'HTTP', extra: Record<string, any> = {}) => ({ name, port, protocol, ...extra });
