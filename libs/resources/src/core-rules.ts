/**
 * kube-apiserver's hand-written defaulting and validation for the core kinds Bosun serves
 * (pkg/apis/core/v1/defaults.go, pkg/apis/core/validation, pkg/apis/networking/validation,
 * pkg/apis/discovery/validation), limited to the rules users of a networking control plane hit.
 */
import { FieldErrors, child, index, isCIDR, isIP, ipFamily, isObject, key, type Json, type JsonObject } from './structural';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  validateCIDR,
  validateIP,
  validateLabelSelector,
  validateLabels,
  validatePortNumOrName,
  isValidPortNum,
} from './k8s-validation';
import { serviceIPFamilies, type IPFamily } from './service-ip-families';

export interface CoreRuleOptions {
  readonly clusterIPFamilies: readonly IPFamily[];
  readonly old?: JsonObject;
}

const arr = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const objs = (v: Json | undefined): JsonObject[] => arr(v).filter(isObject);
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

// ---------------------------------------------------------------------------------------------
// Service

export const defaultService = (svc: JsonObject, opts: CoreRuleOptions): void => {
  const spec = (isObject(svc.spec) ? svc.spec : (svc.spec = {})) as JsonObject;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = (isObject(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : (spec.sessionAffinityConfig = {})) as JsonObject;
    const clientIP = (isObject(cfg.clientIP) ? cfg.clientIP : (cfg.clientIP = {})) as JsonObject;
    clientIP.timeoutSeconds ??= 10800;
  }
  for (const p of objs(spec.ports)) {
    p.protocol ??= 'TCP';
    // targetPort = port; a port of the wrong type is reported once, on `port`.
    if ((p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') && Number.isInteger(p.port)) p.targetPort = p.port!;
  }
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  const fam = serviceIPFamilies(spec, opts.clusterIPFamilies, isObject(opts.old?.spec) ? opts.old.spec : undefined);
  if (fam.errors.empty && fam.ipFamilyPolicy) {
    spec.ipFamilyPolicy = fam.ipFamilyPolicy;
    spec.ipFamilies = fam.ipFamilies ?? [];
  }
};

export const validateService = (svc: JsonObject, errors: FieldErrors, opts: CoreRuleOptions): void => {
  const spec = isObject(svc.spec) ? svc.spec : {};
  const type = spec.type;
  const headless = spec.clusterIP === 'None';
  const ports = arr(spec.ports);
  if (ports.length === 0 && !headless && type !== 'ExternalName') errors.required('spec.ports');
  if (type === 'ExternalName') {
    if (typeof spec.externalName !== 'string' || spec.externalName === '') errors.required('spec.externalName');
    else for (const m of isDNS1123Subdomain(spec.externalName.replace(/\.$/, ''))) errors.invalid('spec.externalName', spec.externalName, m);
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '') errors.forbidden('spec.clusterIP', 'may not be set for ExternalName services');
    if (arr(spec.clusterIPs).length > 0) errors.forbidden('spec.clusterIPs', 'may not be set for ExternalName services');
    if (spec.ipFamilyPolicy !== undefined) errors.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services');
    if (arr(spec.ipFamilies).length > 0) errors.forbidden('spec.ipFamilies', 'may not be set for ExternalName services');
  }

  const names = new Set<string>();
  const portProto = new Set<string>();
  ports.forEach((p, i) => {
    const pp = index('spec.ports', i);
    if (!isObject(p)) return;
    if (ports.length > 1 && (typeof p.name !== 'string' || p.name === '')) errors.required(child(pp, 'name'));
    else if (typeof p.name === 'string' && p.name !== '') {
      for (const m of isDNS1123Label(p.name)) errors.invalid(child(pp, 'name'), p.name, m);
      if (names.has(p.name)) errors.duplicate(child(pp, 'name'), p.name);
      names.add(p.name);
    }
    if (typeof p.port === 'number') for (const m of isValidPortNum(p.port)) errors.invalid(child(pp, 'port'), p.port, m);
    if (p.port === undefined) errors.required(child(pp, 'port'));
    if (typeof p.protocol === 'string' && !PROTOCOLS.includes(p.protocol)) errors.notSupported(child(pp, 'protocol'), p.protocol, PROTOCOLS);
    validatePortNumOrName(p.targetPort, child(pp, 'targetPort'), errors);
    if (typeof p.appProtocol === 'string') for (const m of isQualifiedName(p.appProtocol)) errors.invalid(child(pp, 'appProtocol'), p.appProtocol, m);
    if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') errors.forbidden(child(pp, 'nodePort'), `may not be used when \`type\` is '${String(type)}'`);
      else for (const m of isValidPortNum(p.nodePort)) errors.invalid(child(pp, 'nodePort'), p.nodePort, m);
    }
    const k = `${String(p.port)}/${String(p.protocol)}`;
    if (portProto.has(k)) errors.duplicate(pp, { port: p.port, protocol: p.protocol });
    portProto.add(k);
  });

  if (spec.sessionAffinity === 'ClientIP') {
    const t = isObject(spec.sessionAffinityConfig) && isObject(spec.sessionAffinityConfig.clientIP) ? spec.sessionAffinityConfig.clientIP.timeoutSeconds : undefined;
    if (typeof t === 'number' && (t <= 0 || t > 86400)) errors.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, 'must be greater than 0 and less than 86400');
  } else if (spec.sessionAffinityConfig !== undefined && spec.sessionAffinity === 'None') {
    errors.invalid('spec.sessionAffinityConfig', spec.sessionAffinityConfig, "must not be set when session affinity is None");
  }

  validateLabels(spec.selector, 'spec.selector', errors);
  arr(spec.externalIPs).forEach((ip, i) => validateIP(ip, index('spec.externalIPs', i), errors));

  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && spec.clusterIP !== 'None' && !isIP(spec.clusterIP))
    errors.invalid('spec.clusterIP', spec.clusterIP, "must be empty, 'None', or a valid IP address");
  const clusterIPs = arr(spec.clusterIPs);
  if (clusterIPs.length > 2) errors.invalid('spec.clusterIPs', clusterIPs, 'may only hold up to 2 values');
  clusterIPs.forEach((ip, i) => {
    if (typeof ip === 'string' && ip !== 'None' && !isIP(ip)) errors.invalid(index('spec.clusterIPs', i), ip, 'must be a valid IP address');
  });
  if (clusterIPs.length > 0 && typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && clusterIPs[0] !== spec.clusterIP)
    errors.invalid('spec.clusterIPs', clusterIPs, 'first value must match `clusterIP`');
  if (clusterIPs.length === 2 && typeof clusterIPs[0] === 'string' && typeof clusterIPs[1] === 'string' && ipFamily(clusterIPs[0]) === ipFamily(clusterIPs[1]))
    errors.invalid('spec.clusterIPs', clusterIPs, 'may specify no more than one IP for each IP family');

  const families = arr(spec.ipFamilies);
  if (families.length > 2) errors.invalid('spec.ipFamilies', families, 'may specify no more than 2 values');
  const seenFam = new Set<Json>();
  families.forEach((f, i) => {
    if (seenFam.has(f)) errors.duplicate(index('spec.ipFamilies', i), f);
    seenFam.add(f);
  });

  if (spec.externalTrafficPolicy !== undefined && type !== 'NodePort' && type !== 'LoadBalancer')
    errors.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'");
  if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
    if (type !== 'LoadBalancer') errors.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'");
    else if (typeof spec.loadBalancerClass === 'string') for (const m of isQualifiedName(spec.loadBalancerClass)) errors.invalid('spec.loadBalancerClass', spec.loadBalancerClass, m);
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && type !== 'LoadBalancer')
    errors.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'");
  if (typeof spec.loadBalancerIP === 'string' && spec.loadBalancerIP !== '') {
    if (type !== 'LoadBalancer') errors.forbidden('spec.loadBalancerIP', "may only be used when `type` is 'LoadBalancer'");
    else validateIP(spec.loadBalancerIP, 'spec.loadBalancerIP', errors);
  }
  const ranges = arr(spec.loadBalancerSourceRanges);
  if (ranges.length > 0 && type !== 'LoadBalancer') errors.forbidden('spec.loadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'");
  ranges.forEach((r, i) => validateCIDR(typeof r === 'string' ? r.trim() : r, index('spec.loadBalancerSourceRanges', i), errors));
  if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort !== 0 && !(type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local'))
    errors.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");

  if (type !== 'ExternalName') {
    const fam = serviceIPFamilies(spec, opts.clusterIPFamilies, isObject(opts.old?.spec) ? opts.old.spec : undefined);
    for (const e of fam.errors.list) errors.add(e.field, e.reason, e.message);
  }
};

// ---------------------------------------------------------------------------------------------
// NetworkPolicy

export const defaultNetworkPolicy = (np: JsonObject): void => {
  const spec = (isObject(np.spec) ? np.spec : (np.spec = {})) as JsonObject;
  spec.podSelector ??= {};
  for (const dir of ['ingress', 'egress'] as const) for (const rule of objs(spec[dir])) for (const p of objs(rule.ports)) p.protocol ??= 'TCP';
  if (arr(spec.policyTypes).length === 0) spec.policyTypes = arr(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
};

const validateNetworkPolicyPort = (p: JsonObject, path: string, errors: FieldErrors): void => {
  if (typeof p.protocol === 'string' && !PROTOCOLS.includes(p.protocol)) errors.notSupported(child(path, 'protocol'), p.protocol, PROTOCOLS);
  validatePortNumOrName(p.port, child(path, 'port'), errors);
  if (p.endPort !== undefined && p.endPort !== null) {
    if (typeof p.port === 'string') errors.invalid(child(path, 'endPort'), p.endPort, 'may not be specified when `port` is non-numeric');
    else if (p.port === undefined || p.port === null) errors.required(child(path, 'port'), 'must be specified when `endPort` is specified');
    else if (typeof p.endPort === 'number' && typeof p.port === 'number') {
      if (p.endPort < p.port) errors.invalid(child(path, 'endPort'), p.endPort, 'must be greater than or equal to `port`');
      for (const m of isValidPortNum(p.endPort)) errors.invalid(child(path, 'endPort'), p.endPort, m);
    }
  }
};

const cidrContains = (outer: string, inner: string): boolean | undefined => {
  const [oip, olen] = outer.split('/') as [string, string];
  const [iip, ilen] = inner.split('/') as [string, string];
  const fo = ipFamily(oip);
  if (fo !== ipFamily(iip)) return false;
  const bits = (ip: string): bigint => {
    if (fo === 4) return ip.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n);
    const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
  };
  if (oip.includes('.') && fo === 6) return undefined; // IPv4-mapped forms: not worth the corner case
  const width = fo === 4 ? 32 : 128;
  const ol = Number(olen);
  const il = Number(ilen);
  if (il <= ol) return false; // a strict subset has a longer prefix
  const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - ol)) - 1n);
  return (bits(oip) & mask) === (bits(iip) & mask);
};

const validatePeer = (peer: JsonObject, path: string, errors: FieldErrors): void => {
  let n = 0;
  if (peer.podSelector !== undefined && peer.podSelector !== null) {
    n++;
    validateLabelSelector(peer.podSelector, child(path, 'podSelector'), errors);
  }
  if (peer.namespaceSelector !== undefined && peer.namespaceSelector !== null) {
    n++;
    validateLabelSelector(peer.namespaceSelector, child(path, 'namespaceSelector'), errors);
  }
  const ipBlock = peer.ipBlock;
  if (ipBlock !== undefined && ipBlock !== null) {
    n++;
    if (isObject(ipBlock)) {
      const bp = child(path, 'ipBlock');
      if (typeof ipBlock.cidr !== 'string' || ipBlock.cidr === '') errors.required(child(bp, 'cidr'));
      else if (!isCIDR(ipBlock.cidr)) errors.invalid(child(bp, 'cidr'), ipBlock.cidr, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
      arr(ipBlock.except).forEach((ex, i) => {
        const ep = index(child(bp, 'except'), i);
        if (typeof ex !== 'string') return;
        if (!isCIDR(ex)) errors.invalid(ep, ex, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
        else if (typeof ipBlock.cidr === 'string' && isCIDR(ipBlock.cidr) && cidrContains(ipBlock.cidr, ex) === false) errors.invalid(ep, ex, 'must be a strict subset of `cidr`');
      });
    }
  }
  if (n === 0) errors.required(path, 'must specify a peer');
  else if (n > 1 && ipBlock !== undefined && ipBlock !== null) errors.forbidden(path, 'may not specify both ipBlock and another peer');
};

export const validateNetworkPolicy = (np: JsonObject, errors: FieldErrors): void => {
  const spec = isObject(np.spec) ? np.spec : {};
  validateLabelSelector(spec.podSelector, 'spec.podSelector', errors);
  for (const [dir, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    arr(spec[dir]).forEach((rule, i) => {
      if (!isObject(rule)) return;
      const rp = index(child('spec', dir), i);
      arr(rule.ports).forEach((p, j) => isObject(p) && validateNetworkPolicyPort(p, index(child(rp, 'ports'), j), errors));
      arr(rule[peers]).forEach((peer, j) => isObject(peer) && validatePeer(peer, index(child(rp, peers), j), errors));
    });
  }
  const types = arr(spec.policyTypes);
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errors.notSupported(index('spec.policyTypes', i), t, ['Ingress', 'Egress']);
  });
  if (types.length > 2) errors.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes');
};

// ---------------------------------------------------------------------------------------------
// EndpointSlice

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'];

export const defaultEndpointSlice = (es: JsonObject): void => {
  for (const p of objs(es.ports)) {
    p.name ??= '';
    p.protocol ??= 'TCP';
  }
};

export const validateEndpointSlice = (es: JsonObject, errors: FieldErrors): void => {
  const t = es.addressType;
  if (t === undefined || t === '') errors.required('addressType');
  else if (typeof t === 'string' && !ADDRESS_TYPES.includes(t)) errors.notSupported('addressType', t, ADDRESS_TYPES);
  const endpoints = arr(es.endpoints);
  if (endpoints.length > 1000) errors.tooMany('endpoints', endpoints.length, 1000);
  endpoints.forEach((ep, i) => {
    if (!isObject(ep)) return;
    const p = index('endpoints', i);
    const addrs = arr(ep.addresses);
    if (addrs.length === 0) errors.required(child(p, 'addresses'), 'must contain at least 1 address');
    if (addrs.length > 100) errors.tooMany(child(p, 'addresses'), addrs.length, 100);
    addrs.forEach((a, j) => {
      if (typeof a !== 'string') return;
      const ap = index(child(p, 'addresses'), j);
      if (t === 'IPv4' && ipFamily(a) !== 4) errors.invalid(ap, a, 'must be a valid IPv4 address');
      if (t === 'IPv6' && ipFamily(a) !== 6) errors.invalid(ap, a, 'must be a valid IPv6 address');
      if (t === 'FQDN') for (const m of isDNS1123Subdomain(a)) errors.invalid(ap, a, m);
    });
    if (typeof ep.nodeName === 'string') for (const m of isDNS1123Subdomain(ep.nodeName)) errors.invalid(child(p, 'nodeName'), ep.nodeName, m);
    if (typeof ep.hostname === 'string') for (const m of isDNS1123Label(ep.hostname)) errors.invalid(child(p, 'hostname'), ep.hostname, m);
  });
  const ports = arr(es.ports);
  if (ports.length > 20000) errors.tooMany('ports', ports.length, 20000);
  const names = new Set<string>();
  ports.forEach((port, i) => {
    if (!isObject(port)) return;
    const p = index('ports', i);
    if (typeof port.name === 'string' && port.name !== '') {
      for (const m of isDNS1123Label(port.name)) errors.invalid(child(p, 'name'), port.name, m);
    }
    if (typeof port.name === 'string') {
      if (names.has(port.name)) errors.duplicate(child(p, 'name'), port.name);
      names.add(port.name);
    }
    if (typeof port.protocol === 'string' && !PROTOCOLS.includes(port.protocol)) errors.notSupported(child(p, 'protocol'), port.protocol, PROTOCOLS);
    if (typeof port.port === 'number') for (const m of isValidPortNum(port.port)) errors.invalid(child(p, 'port'), port.port, m);
  });
};

// ---------------------------------------------------------------------------------------------
// Namespace, Secret, Node, Pod

export const defaultNamespace = (ns: JsonObject): void => {
  const meta = (isObject(ns.metadata) ? ns.metadata : (ns.metadata = {})) as JsonObject;
  // Every namespace carries its name as an immutable label (NamespaceDefaultLabelName).
  if (typeof meta.name === 'string') {
    const labels = (isObject(meta.labels) ? meta.labels : (meta.labels = {})) as JsonObject;
    labels['kubernetes.io/metadata.name'] = meta.name;
  }
  const spec = (isObject(ns.spec) ? ns.spec : (ns.spec = {})) as JsonObject;
  spec.finalizers ??= ['kubernetes'];
};

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_SECRET_SIZE = 1024 * 1024;

/** stringData is write-only convenience: merged into data (base64), as kube's conversion does. */
export const defaultSecret = (secret: JsonObject): void => {
  secret.type ??= 'Opaque';
  if (isObject(secret.stringData)) {
    const data = (isObject(secret.data) ? secret.data : (secret.data = {})) as JsonObject;
    for (const [k, v] of Object.entries(secret.stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    delete secret.stringData;
  }
};

export const validateSecret = (secret: JsonObject, errors: FieldErrors): void => {
  let size = 0;
  const data = isObject(secret.data) ? secret.data : {};
  for (const [k, v] of Object.entries(data)) {
    if (!SECRET_KEY.test(k)) errors.invalid(key('data', k), k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    if (typeof v === 'string') size += Math.floor((v.length * 3) / 4);
  }
  if (size > MAX_SECRET_SIZE) errors.add('data', 'FieldValueTooLong', `Too long: may not be more than ${MAX_SECRET_SIZE} bytes`);
  const need: Record<string, string[]> = {
    'kubernetes.io/tls': ['tls.crt', 'tls.key'],
    'kubernetes.io/basic-auth': [],
    'kubernetes.io/ssh-auth': ['ssh-privatekey'],
    'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  };
  for (const k of need[String(secret.type)] ?? []) if (data[k] === undefined) errors.required(key('data', k));
};

export const validateNode = (node: JsonObject, errors: FieldErrors): void => {
  const spec = isObject(node.spec) ? node.spec : {};
  if (typeof spec.podCIDR === 'string' && spec.podCIDR !== '') validateCIDR(spec.podCIDR, 'spec.podCIDR', errors);
  arr(spec.podCIDRs).forEach((c, i) => validateCIDR(c, index('spec.podCIDRs', i), errors));
  const status = isObject(node.status) ? node.status : {};
  arr(status.addresses).forEach((a, i) => {
    if (isObject(a) && (a.type === 'InternalIP' || a.type === 'ExternalIP')) validateIP(a.address, child(index('status.addresses', i), 'address'), errors);
  });
};

export const defaultPod = (pod: JsonObject): void => {
  const spec = (isObject(pod.spec) ? pod.spec : (pod.spec = {})) as JsonObject;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const list of ['initContainers', 'containers'] as const) {
    for (const c of objs(spec[list])) {
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
        const tag = c.image.includes('@') ? 'digest' : (c.image.split('/').pop() ?? '').split(':')[1];
        c.imagePullPolicy = tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
      }
      for (const p of objs(c.ports)) p.protocol ??= 'TCP';
    }
  }
};

export const validatePod = (pod: JsonObject, errors: FieldErrors): void => {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const containers = arr(spec.containers);
  if (containers.length === 0) errors.required('spec.containers');
  const names = new Set<string>();
  for (const list of ['initContainers', 'containers'] as const) {
    arr(spec[list]).forEach((c, i) => {
      if (!isObject(c)) return;
      const p = index(child('spec', list), i);
      if (typeof c.name !== 'string' || c.name === '') errors.required(child(p, 'name'));
      else {
        for (const m of isDNS1123Label(c.name)) errors.invalid(child(p, 'name'), c.name, m);
        if (names.has(c.name)) errors.duplicate(child(p, 'name'), c.name);
        names.add(c.name);
      }
      if (typeof c.image !== 'string' || c.image.trim() === '') errors.required(child(p, 'image'));
      arr(c.ports).forEach((port, j) => {
        if (!isObject(port)) return;
        const pp = index(child(p, 'ports'), j);
        if (typeof port.containerPort === 'number') for (const m of isValidPortNum(port.containerPort)) errors.invalid(child(pp, 'containerPort'), port.containerPort, m);
        else errors.required(child(pp, 'containerPort'));
        if (typeof port.protocol === 'string' && !PROTOCOLS.includes(port.protocol)) errors.notSupported(child(pp, 'protocol'), port.protocol, PROTOCOLS);
        if (typeof port.name === 'string' && port.name !== '') validatePortNumOrName(port.name, child(pp, 'name'), errors);
      });
    });
  }
  if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(String(spec.restartPolicy)))
    errors.notSupported('spec.restartPolicy', spec.restartPolicy, ['Always', 'OnFailure', 'Never']);
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') for (const m of isDNS1123Subdomain(spec.nodeName)) errors.invalid('spec.nodeName', spec.nodeName, m);
  const status = isObject(pod.status) ? pod.status : {};
  if (typeof status.podIP === 'string' && status.podIP !== '') validateIP(status.podIP, 'status.podIP', errors);
  arr(status.podIPs).forEach((x, i) => isObject(x) && validateIP(x.ip, child(index('status.podIPs', i), 'ip'), errors));
};
