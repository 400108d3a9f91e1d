/**
 * Given an invalid manifest, when it is admitted, then it is rejected naming every bad field
 * with kube-apiserver's path and reason.
 */
import { describe, expect, it } from 'vitest';
import { admit, type CauseReason } from '../src';
import { SEED, clusterConfig, gateway, httpRoute, listener, netpol, patch, peerConfig, pool, service } from './fixtures';

interface Case {
  readonly name: string;
  readonly manifest: unknown;
  readonly causes: readonly [field: string, reason: CauseReason][];
  readonly fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

const peer = (p: Record<string, any>) => ({ name: 'tor', peerAddress: '10.0.0.1', peerASN: 65001, ...p });
const instance = (i: Record<string, any>) => ({ name: 'i0', localASN: 65000, peers: [peer({})], ...i });
const rule = (r: Record<string, any>) => httpRoute({ parentRefs: [{ name: 'gw' }], rules: [r] });
const advert = (a: Record<string, any>) => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumBGPAdvertisement', metadata: { name: 'adv' }, spec: { advertisements: [a] } });

const CASES: Case[] = [
  // --- envelope and metadata
  { name: 'missing kind', manifest: { apiVersion: 'v1', metadata: { name: 'x' } }, causes: [['kind', 'FieldValueRequired']] },
  { name: 'unknown kind in a served group', manifest: { apiVersion: 'cilium.io/v2', kind: 'CiliumFoo', metadata: { name: 'x' } }, causes: [['kind', 'FieldValueNotSupported']] },
  { name: 'unserved version', manifest: patch(SEED['05-lb-ip-pool.yaml']!, { apiVersion: 'cilium.io/v3' }), causes: [['apiVersion', 'FieldValueNotSupported']] },
  { name: 'missing name', manifest: pool({ blocks: [] }, ''), causes: [['metadata.name', 'FieldValueRequired']] },
  { name: 'uppercase name', manifest: pool({}, 'Pool-A'), causes: [['metadata.name', 'FieldValueInvalid']] },
  { name: 'name longer than 253', manifest: pool({}, 'a'.repeat(254)), causes: [['metadata.name', 'FieldValueInvalid']] },
  { name: 'Service name not a DNS-1035 label', manifest: service({ ports: [{ port: 80 }] }, { name: '1svc' }), causes: [['metadata.name', 'FieldValueInvalid']] },
  { name: 'Namespace name with a dot', manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team.blue' } }, causes: [['metadata.name', 'FieldValueInvalid']] },
  { name: 'namespace on a cluster-scoped kind', manifest: patch(SEED['05-lb-ip-pool.yaml']!, { metadata: { namespace: 'default' } }), causes: [['metadata.namespace', 'FieldValueForbidden']] },
  { name: 'no namespace on a namespaced kind', manifest: patch(SEED['06-service-blue.yaml']!, { metadata: { namespace: undefined } }), causes: [['metadata.namespace', 'FieldValueRequired']] },
  { name: 'invalid namespace name', manifest: service({ ports: [{ port: 80 }] }, { namespace: 'Blue_Team' }), causes: [['metadata.namespace', 'FieldValueInvalid']] },
  { name: 'bad label key', manifest: pool({}, 'p').metadata && { ...pool({}), metadata: { name: 'p', labels: { 'bad key': 'x' } } }, causes: [['metadata.labels', 'FieldValueInvalid']] },
  { name: 'label value too long', manifest: { ...pool({}), metadata: { name: 'p', labels: { app: 'v'.repeat(64) } } }, causes: [['metadata.labels', 'FieldValueInvalid']] },
  { name: 'label value with a space', manifest: { ...pool({}), metadata: { name: 'p', labels: { app: 'my app' } } }, causes: [['metadata.labels', 'FieldValueInvalid']] },
  { name: 'annotation key with two slashes', manifest: { ...pool({}), metadata: { name: 'p', annotations: { 'a/b/c': 'x' } } }, causes: [['metadata.annotations', 'FieldValueInvalid']] },
  { name: 'metadata.name of the wrong type', manifest: { ...pool({}), metadata: { name: 42 } }, causes: [['metadata.name', 'FieldValueRequired']] },
  { name: 'unknown field in Strict mode', manifest: patch(SEED['05-lb-ip-pool.yaml']!, { spec: { colour: 'blue' } }), fieldValidation: 'Strict', causes: [['spec.colour', 'FieldValueUnknown']] },

  // --- CiliumLoadBalancerIPPool
  { name: 'pool: invalid CIDR', manifest: pool({ blocks: [{ cidr: '20.0.10.0/33' }] }), causes: [['spec.blocks[0].cidr', 'FieldValueInvalid']] },
  { name: 'pool: CIDR that is an address', manifest: pool({ blocks: [{ cidr: '20.0.10.1' }] }), causes: [['spec.blocks[0].cidr', 'FieldValueInvalid']] },
  { name: 'pool v2alpha1: invalid CIDR in cidrs', manifest: patch(SEED['05-lb-ip-pool.yaml']!, { spec: { cidrs: [{ cidr: 'not-a-cidr' }] } }), causes: [['spec.cidrs[0].cidr', 'FieldValueInvalid']] },
  { name: 'pool v2alpha1: cidrs entry without cidr', manifest: patch(SEED['05-lb-ip-pool.yaml']!, { spec: { cidrs: [{}] } }), causes: [['spec.cidrs[0].cidr', 'FieldValueRequired']] },
  { name: 'pool: cidr and start together', manifest: pool({ blocks: [{ cidr: '10.0.0.0/24', start: '10.0.0.1' }] }), causes: [['spec.blocks[0].start', 'FieldValueForbidden']] },
  { name: 'pool: empty block', manifest: pool({ blocks: [{}] }), causes: [['spec.blocks[0].cidr', 'FieldValueRequired']] },
  { name: 'pool: stop without start', manifest: pool({ blocks: [{ stop: '10.0.0.9' }] }), causes: [['spec.blocks[0].start', 'FieldValueRequired']] },
  { name: 'pool: start is not an address', manifest: pool({ blocks: [{ start: '10.0.0.300' }] }), causes: [['spec.blocks[0].start', 'FieldValueInvalid']] },
  { name: 'pool: allowFirstLastIPs not Yes/No', manifest: pool({ blocks: [], allowFirstLastIPs: 'Maybe' }), causes: [['spec.allowFirstLastIPs', 'FieldValueNotSupported']] },
  { name: 'pool: disabled is a string', manifest: pool({ disabled: 'yes' }), causes: [['spec.disabled', 'FieldValueTypeInvalid']] },
  { name: 'pool: blocks is an object', manifest: pool({ blocks: { cidr: '10.0.0.0/24' } }), causes: [['spec.blocks', 'FieldValueTypeInvalid']] },
  { name: 'pool: selector operator unknown', manifest: pool({ serviceSelector: { matchExpressions: [{ key: 'color', operator: 'Has' }] } }), causes: [['spec.serviceSelector.matchExpressions[0].operator', 'FieldValueNotSupported']] },
  { name: 'pool: In selector without values', manifest: pool({ serviceSelector: { matchExpressions: [{ key: 'color', operator: 'In' }] } }), causes: [['spec.serviceSelector.matchExpressions[0].values', 'FieldValueRequired']] },
  { name: 'pool: Exists selector with values', manifest: pool({ serviceSelector: { matchExpressions: [{ key: 'color', operator: 'Exists', values: ['x'] }] } }), causes: [['spec.serviceSelector.matchExpressions[0].values', 'FieldValueForbidden']] },
  { name: 'pool: matchLabels value not a label value', manifest: pool({ serviceSelector: { matchLabels: { color: 'blue!' } } }), causes: [['spec.serviceSelector.matchLabels[color]', 'FieldValueInvalid']] },

  // --- BGP
  { name: 'peer config: keepalive > hold', manifest: peerConfig({ timers: { holdTimeSeconds: 9, keepAliveTimeSeconds: 30 } }), causes: [['spec.timers', 'FieldValueInvalid']] },
  { name: 'peer config: hold below 3', manifest: peerConfig({ timers: { holdTimeSeconds: 2, keepAliveTimeSeconds: 1 } }), causes: [['spec.timers.holdTimeSeconds', 'FieldValueInvalid']] },
  { name: 'peer config v2alpha1: keepalive defaulted above a short hold', manifest: patch(SEED['02-bgp-peer-config.yaml']!, { spec: { timers: { keepAliveTimeSeconds: undefined } } }), causes: [['spec.timers', 'FieldValueInvalid']] },
  { name: 'peer config: hold time is a string', manifest: peerConfig({ timers: { holdTimeSeconds: '90' } }), causes: [['spec.timers.holdTimeSeconds', 'FieldValueTypeInvalid']] },
  { name: 'peer config: restart time above 4095', manifest: peerConfig({ gracefulRestart: { enabled: true, restartTimeSeconds: 5000 } }), causes: [['spec.gracefulRestart.restartTimeSeconds', 'FieldValueInvalid']] },
  { name: 'peer config: gracefulRestart without enabled', manifest: peerConfig({ gracefulRestart: { restartTimeSeconds: 60 } }), causes: [['spec.gracefulRestart.enabled', 'FieldValueRequired']] },
  { name: 'peer config: unknown afi', manifest: peerConfig({ families: [{ afi: 'ipv5', safi: 'unicast' }] }), causes: [['spec.families[0].afi', 'FieldValueNotSupported']] },
  { name: 'peer config: family without safi', manifest: peerConfig({ families: [{ afi: 'ipv4' }] }), causes: [['spec.families[0].safi', 'FieldValueRequired']] },
  { name: 'peer config: peerPort 0', manifest: peerConfig({ transport: { peerPort: 0 } }), causes: [['spec.transport.peerPort', 'FieldValueInvalid']] },
  { name: 'peer config: ebgpMultihop 256', manifest: peerConfig({ ebgpMultihop: 256 }), causes: [['spec.ebgpMultihop', 'FieldValueInvalid']] },
  { name: 'cluster config: no bgpInstances', manifest: clusterConfig({}), causes: [['spec.bgpInstances', 'FieldValueRequired']] },
  { name: 'cluster config: bad peer address', manifest: clusterConfig({ bgpInstances: [instance({ peers: [peer({ name: 'a' }), peer({ name: 'b', peerAddress: '10.0.0.256' })] })] }), causes: [['spec.bgpInstances[0].peers[1].peerAddress', 'FieldValueInvalid']] },
  { name: 'cluster config: duplicate peer names in an instance', manifest: clusterConfig({ bgpInstances: [instance({ peers: [peer({}), peer({ peerAddress: '10.0.0.2' })] })] }), causes: [['spec.bgpInstances[0].peers[1]', 'FieldValueDuplicate']] },
  { name: 'cluster config: duplicate instance names', manifest: clusterConfig({ bgpInstances: [instance({}), instance({})] }), causes: [['spec.bgpInstances[1]', 'FieldValueDuplicate']] },
  { name: 'cluster config: localASN 0', manifest: clusterConfig({ bgpInstances: [instance({ localASN: 0 })] }), causes: [['spec.bgpInstances[0].localASN', 'FieldValueInvalid']] },
  { name: 'cluster config: ASN above 32 bits', manifest: clusterConfig({ bgpInstances: [instance({ peers: [peer({ peerASN: 4294967296 })] })] }), causes: [['spec.bgpInstances[0].peers[0].peerASN', 'FieldValueInvalid']] },
  { name: 'cluster config: peer with neither address nor autoDiscovery', manifest: clusterConfig({ bgpInstances: [instance({ peers: [{ name: 'tor' }] })] }), causes: [['spec.bgpInstances[0].peers[0]', 'FieldValueInvalid']] },
  { name: 'cluster config: DefaultGateway mode without defaultGateway', manifest: clusterConfig({ bgpInstances: [instance({ peers: [{ name: 'tor', autoDiscovery: { mode: 'DefaultGateway' } }] })] }), causes: [['spec.bgpInstances[0].peers[0].autoDiscovery', 'FieldValueInvalid']] },
  { name: 'cluster config v2alpha1: peerConfigRef to another kind', manifest: patch(SEED['01-bgp-cluster-config.yaml']!, { spec: { bgpInstances: [instance({ peers: [peer({ peerConfigRef: { name: 'x', kind: 'ConfigMap' } })] })] } }), causes: [['spec.bgpInstances[0].peers[0].peerConfigRef.kind', 'FieldValueNotSupported']] },
  { name: 'advertisement: unknown type', manifest: advert({ advertisementType: 'Routes' }), causes: [['spec.advertisements[0].advertisementType', 'FieldValueNotSupported']] },
  { name: 'advertisement: Service type without service', manifest: advert({ advertisementType: 'Service' }), causes: [['spec.advertisements[0]', 'FieldValueInvalid']] },
  { name: 'advertisement: PodCIDR with a selector', manifest: advert({ advertisementType: 'PodCIDR', selector: { matchLabels: { a: 'b' } } }), causes: [['spec.advertisements[0]', 'FieldValueInvalid']] },
  { name: 'advertisement: bad standard community', manifest: advert({ advertisementType: 'PodCIDR', attributes: { communities: { standard: ['65536:1'] } } }), causes: [['spec.advertisements[0].attributes.communities.standard[0]', 'FieldValueInvalid']] },
  { name: 'advertisement: unknown address kind', manifest: advert({ advertisementType: 'Service', service: { addresses: ['NodeIP'] } }), causes: [['spec.advertisements[0].service.addresses[0]', 'FieldValueNotSupported']] },

  // --- L2 announcements
  { name: 'l2 policy: interface regex does not compile', manifest: patch(SEED['04-l2-announcement-policy.yaml']!, { spec: { interfaces: ['^eth[0-9'] } }), causes: [['spec.interfaces[0]', 'FieldValueInvalid']] },
  { name: 'l2 policy: loadBalancerIPs is a string', manifest: patch(SEED['04-l2-announcement-policy.yaml']!, { spec: { loadBalancerIPs: 'true' } }), causes: [['spec.loadBalancerIPs', 'FieldValueTypeInvalid']] },

  // --- Service
  { name: 'service: no ports', manifest: service({ type: 'ClusterIP' }), causes: [['spec.ports', 'FieldValueRequired']] },
  { name: 'service: unknown type', manifest: service({ type: 'Balanced', ports: [{ port: 80 }] }), causes: [['spec.type', 'FieldValueNotSupported']] },
  { name: 'service: port 0', manifest: service({ ports: [{ port: 0 }] }), causes: [['spec.ports[0].port', 'FieldValueInvalid']] },
  { name: 'service: port 70000', manifest: service({ ports: [{ port: 70000 }] }), causes: [['spec.ports[0].port', 'FieldValueInvalid']] },
  { name: 'service: port is a string', manifest: service({ ports: [{ port: '80' }] }), causes: [['spec.ports[0].port', 'FieldValueTypeInvalid']] },
  { name: 'service: unknown protocol', manifest: service({ ports: [{ port: 80, protocol: 'ICMP' }] }), causes: [['spec.ports[0].protocol', 'FieldValueNotSupported']] },
  { name: 'service: two ports, one unnamed', manifest: service({ ports: [{ port: 80, name: 'http' }, { port: 443 }] }), causes: [['spec.ports[1].name', 'FieldValueRequired']] },
  { name: 'service: duplicate port names', manifest: service({ ports: [{ port: 80, name: 'web' }, { port: 443, name: 'web' }] }), causes: [['spec.ports[1].name', 'FieldValueDuplicate']] },
  { name: 'service: same port and protocol twice', manifest: service({ ports: [{ port: 80, name: 'a' }, { port: 80, name: 'b' }] }), causes: [['spec.ports[1]', 'FieldValueDuplicate']] },
  { name: 'service: bad targetPort name', manifest: service({ ports: [{ port: 80, targetPort: 'Http_Port' }] }), causes: [['spec.ports[0].targetPort', 'FieldValueInvalid']] },
  { name: 'service: loadBalancerClass on ClusterIP', manifest: service({ ports: [{ port: 80 }], loadBalancerClass: 'io.cilium/l2-announcer' }), causes: [['spec.loadBalancerClass', 'FieldValueForbidden']] },
  { name: 'service: bad externalIP', manifest: service({ ports: [{ port: 80 }], externalIPs: ['1.2.3'] }), causes: [['spec.externalIPs[0]', 'FieldValueInvalid']] },
  { name: 'service: unknown ipFamilyPolicy', manifest: service({ ports: [{ port: 80 }], ipFamilyPolicy: 'DualStack' }), causes: [['spec.ipFamilyPolicy', 'FieldValueNotSupported']] },
  { name: 'service: two families with SingleStack', manifest: service({ ports: [{ port: 80 }], ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4', 'IPv6'] }), causes: [['spec.ipFamilyPolicy', 'FieldValueInvalid']] },
  { name: 'service: RequireDualStack on a single-stack cluster', manifest: service({ ports: [{ port: 80 }], ipFamilyPolicy: 'RequireDualStack' }), causes: [['spec.ipFamilyPolicy', 'FieldValueInvalid']] },
  { name: 'service: IPv6 on an IPv4 cluster', manifest: service({ ports: [{ port: 80 }], ipFamilies: ['IPv6'] }), causes: [['spec.ipFamilies[0]', 'FieldValueInvalid']] },
  { name: 'service: externalTrafficPolicy on ClusterIP', manifest: service({ ports: [{ port: 80 }], externalTrafficPolicy: 'Local' }), causes: [['spec.externalTrafficPolicy', 'FieldValueInvalid']] },
  { name: 'service: ExternalName without externalName', manifest: service({ type: 'ExternalName' }), causes: [['spec.externalName', 'FieldValueRequired']] },
  { name: 'service: bad loadBalancerSourceRanges', manifest: service({ type: 'LoadBalancer', ports: [{ port: 80 }], loadBalancerSourceRanges: ['10.0.0.0/40'] }), causes: [['spec.loadBalancerSourceRanges[0]', 'FieldValueInvalid']] },
  { name: 'service: selector label value invalid', manifest: service({ ports: [{ port: 80 }], selector: { app: '-web' } }), causes: [['spec.selector', 'FieldValueInvalid']] },

  // --- NetworkPolicy
  { name: 'netpol: unknown policyType', manifest: netpol({ podSelector: {}, policyTypes: ['Inbound'] }), causes: [['spec.policyTypes[0]', 'FieldValueNotSupported']] },
  { name: 'netpol: bad ipBlock CIDR', manifest: netpol({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/99' } }] }] }), causes: [['spec.ingress[0].from[0].ipBlock.cidr', 'FieldValueInvalid']] },
  { name: 'netpol: except outside cidr', manifest: netpol({ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['192.168.0.0/24'] } }] }] }), causes: [['spec.egress[0].to[0].ipBlock.except[0]', 'FieldValueInvalid']] },
  { name: 'netpol: except equal to cidr', manifest: netpol({ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/16'] } }] }] }), causes: [['spec.egress[0].to[0].ipBlock.except[0]', 'FieldValueInvalid']] },
  { name: 'netpol: ipBlock with a podSelector', manifest: netpol({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }), causes: [['spec.ingress[0].from[0]', 'FieldValueForbidden']] },
  { name: 'netpol: empty peer', manifest: netpol({ podSelector: {}, ingress: [{ from: [{}] }] }), causes: [['spec.ingress[0].from[0]', 'FieldValueRequired']] },
  { name: 'netpol: endPort below port', manifest: netpol({ podSelector: {}, ingress: [{ ports: [{ port: 8100, endPort: 8000 }] }] }), causes: [['spec.ingress[0].ports[0].endPort', 'FieldValueInvalid']] },
  { name: 'netpol: endPort with a named port', manifest: netpol({ podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 8000 }] }] }), causes: [['spec.ingress[0].ports[0].endPort', 'FieldValueInvalid']] },
  { name: 'netpol: port protocol ICMP', manifest: netpol({ podSelector: {}, egress: [{ ports: [{ protocol: 'ICMP', port: 1 }] }] }), causes: [['spec.egress[0].ports[0].protocol', 'FieldValueNotSupported']] },

  // --- EndpointSlice
  { name: 'endpointslice: unknown addressType', manifest: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e', namespace: 'default' }, addressType: 'IPv5', endpoints: [] }, causes: [['addressType', 'FieldValueNotSupported']] },
  { name: 'endpointslice: IPv6 address in an IPv4 slice', manifest: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e', namespace: 'default' }, addressType: 'IPv4', endpoints: [{ addresses: ['fd00::1'] }] }, causes: [['endpoints[0].addresses[0]', 'FieldValueInvalid']] },

  // --- Gateway API
  { name: 'gateway: duplicate listener names', manifest: gateway({ listeners: [listener('web'), listener('web', 8080)] }), causes: [['spec.listeners[1]', 'FieldValueDuplicate'], ['spec.listeners', 'FieldValueInvalid']] },
  { name: 'gateway: same port, protocol and hostname twice', manifest: gateway({ listeners: [listener('a'), listener('b')] }), causes: [['spec.listeners', 'FieldValueInvalid']] },
  { name: 'gateway: tls on an HTTP listener', manifest: gateway({ listeners: [listener('a', 80, 'HTTP', { tls: { mode: 'Terminate', certificateRefs: [{ name: 'c' }] } })] }), causes: [['spec.listeners', 'FieldValueInvalid']] },
  { name: 'gateway: hostname on a TCP listener', manifest: gateway({ listeners: [listener('a', 9000, 'TCP', { hostname: 'a.example.com' })] }), causes: [['spec.listeners', 'FieldValueInvalid']] },
  { name: 'gateway: listener port 0', manifest: gateway({ listeners: [listener('a', 0)] }), causes: [['spec.listeners[0].port', 'FieldValueInvalid']] },
  { name: 'gateway: no gatewayClassName', manifest: { ...gateway({ listeners: [listener('a')] }), spec: { listeners: [listener('a')] } }, causes: [['spec.gatewayClassName', 'FieldValueRequired']] },
  { name: 'gateway: no listeners', manifest: gateway({}), causes: [['spec.listeners', 'FieldValueRequired']] },
  { name: 'gateway: listener hostname with an IP', manifest: gateway({ listeners: [listener('a', 80, 'HTTP', { hostname: '10.0.0.1:80' })] }), causes: [['spec.listeners[0].hostname', 'FieldValueInvalid']] },
  { name: 'gateway: allowedRoutes from unknown', manifest: gateway({ listeners: [listener('a', 80, 'HTTP', { allowedRoutes: { namespaces: { from: 'Everywhere' } } })] }), causes: [['spec.listeners[0].allowedRoutes.namespaces.from', 'FieldValueNotSupported']] },
  { name: 'httproute: path value without a leading slash', manifest: rule({ matches: [{ path: { type: 'PathPrefix', value: 'api' } }] }), causes: [['spec.rules[0].matches[0].path', 'FieldValueInvalid']] },
  { name: 'httproute: unknown path type', manifest: rule({ matches: [{ path: { type: 'Glob', value: '/x' } }] }), causes: [['spec.rules[0].matches[0].path.type', 'FieldValueNotSupported']] },
  { name: 'httproute: two RequestHeaderModifier filters', manifest: rule({ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: '1' }] } }, { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'b', value: '2' }] } }] }), causes: [['spec.rules[0].filters', 'FieldValueInvalid']] },
  { name: 'httproute: redirect and rewrite together', manifest: rule({ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 301 } }, { type: 'URLRewrite', urlRewrite: { hostname: 'x.example.com' } }] }), causes: [['spec.rules[0].filters', 'FieldValueInvalid']] },
  { name: 'httproute: filter type without its config', manifest: rule({ filters: [{ type: 'RequestMirror' }] }), causes: [['spec.rules[0].filters[0]', 'FieldValueInvalid']] },
  { name: 'httproute: Service backend without port', manifest: rule({ backendRefs: [{ name: 'web' }] }), causes: [['spec.rules[0].backendRefs[0]', 'FieldValueInvalid']] },
  { name: 'httproute: redirect with backendRefs', manifest: rule({ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 302 } }], backendRefs: [{ name: 'web', port: 80 }] }), causes: [['spec.rules[0]', 'FieldValueInvalid']] },
  { name: 'httproute: redirect status 305', manifest: rule({ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 305 } }] }), causes: [['spec.rules[0].filters[0].requestRedirect.statusCode', 'FieldValueNotSupported']] },
  { name: 'httproute: backendRequest timeout above request timeout', manifest: rule({ timeouts: { request: '10s', backendRequest: '1m' } }), causes: [['spec.rules[0].timeouts', 'FieldValueInvalid']] },
  { name: 'httproute: two parentRefs to one Gateway without sectionName', manifest: httpRoute({ parentRefs: [{ name: 'gw' }, { name: 'gw', sectionName: 'http' }] }), causes: [['spec.parentRefs', 'FieldValueInvalid']] },
  { name: 'httproute: hostname with uppercase', manifest: httpRoute({ hostnames: ['Example.com'] }), causes: [['spec.hostnames[0]', 'FieldValueInvalid']] },
  { name: 'grpcroute: method with a dot', manifest: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: { name: 'g', namespace: 'default' }, spec: { rules: [{ matches: [{ method: { service: 'foo.Bar', method: 'Get.Thing' } }] }] } }, causes: [['spec.rules[0].matches[0].method', 'FieldValueInvalid']] },
  { name: 'gatewayclass: controllerName without a path', manifest: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'cilium' }, spec: { controllerName: 'cilium' } }, causes: [['spec.controllerName', 'FieldValueInvalid']] },
  { name: 'referencegrant: from without namespace', manifest: { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'r', namespace: 'default' }, spec: { from: [{ group: '', kind: 'HTTPRoute' }], to: [{ group: '', kind: 'Service' }] } }, causes: [['spec.from[0].namespace', 'FieldValueRequired']] },

  // --- Cilium network policy
  { name: 'cnp: fromCIDR not a CIDR', manifest: { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'p', namespace: 'default' }, spec: { endpointSelector: {}, ingress: [{ fromCIDR: ['10.0.0.0/8x'] }] } }, causes: [['spec.ingress[0].fromCIDR[0]', 'FieldValueInvalid']] },
  { name: 'ccnp: namespace set', manifest: { apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: { name: 'p', namespace: 'default' }, spec: { endpointSelector: {} } }, causes: [['metadata.namespace', 'FieldValueForbidden']] },
];

describe('admission rejects invalid manifests with kube field paths', () => {
  it('has at least 60 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(60));

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = admit(c.manifest, { operation: 'create', fieldValidation: c.fieldValidation });
    if (r.ok) throw new Error(`admitted: ${JSON.stringify(r.object)}`);
    for (const [field, reason] of c.causes) {
      expect(r.causes, JSON.stringify(r.causes, null, 1)).toContainEqual(expect.objectContaining({ field, reason }));
    }
    for (const cause of r.causes) expect(cause.message.length).toBeGreaterThan(0);
  });
});
