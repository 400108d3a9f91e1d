/**
 * Hand implementations of the CRDs' `x-kubernetes-validations` (CEL) rules, keyed by the exact
 * rule text, so the generated schemas carry the rules and this file carries their meaning. A
 * unit test fails when a CRD gains a rule that is neither implemented here nor listed in
 * `SKIPPED_RULES` with a reason. Each function returns false when the object violates the rule;
 * the error then carries the CRD's own message at the rule's path, as kube-apiserver reports it.
 */
import type { CelCheck } from './structural';

const has = (o: any, k: string): boolean => o !== null && typeof o === 'object' && o[k] !== undefined && o[k] !== null;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const emptyStr = (v: unknown): boolean => v === undefined || v === null || v === '';
const count = (filters: unknown, type: string): number => arr(filters).filter((f) => f?.type === type).length;

/** Two parentRefs name the same parent (group, kind, name, and namespace both unset or equal). */
const sameParent = (p1: any, p2: any): boolean =>
  p1?.group === p2?.group &&
  p1?.kind === p2?.kind &&
  p1?.name === p2?.name &&
  ((emptyStr(p1?.namespace) && emptyStr(p2?.namespace)) || (has(p1, 'namespace') && has(p2, 'namespace') && p1.namespace === p2.namespace));

const uniqueAddresses = (self: unknown, type: string): boolean =>
  arr(self).every((a1) => (a1?.type === type && has(a1, 'value') ? arr(self).filter((a2) => a2?.type === a1.type && has(a2, 'value') && a2.value === a1.value).length === 1 : true));

const prefixReplace = (f: any): boolean => has(f, 'path') && f.path.type === 'ReplacePrefixMatch' && has(f.path, 'replacePrefixMatch');
const onePathPrefixMatch = (rule: any): boolean => arr(rule?.matches).length === 1 && has(rule.matches[0], 'path') && rule.matches[0].path.type === 'PathPrefix';
const exactOrPrefix = (m: any): boolean => m?.type === 'Exact' || m?.type === 'PathPrefix';

const HOSTNAME_ADDRESS = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 };
/** A Go duration (`1h30m`, `500ms`, `0s`) in milliseconds; undefined when absent or unparsable. */
export const goDuration = (v: unknown): number | undefined => {
  if (typeof v !== 'string' || v === '') return undefined;
  if (v === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = re.lastIndex;
  }
  return at === v.length ? total : undefined;
};

const deepEqualJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Rules not enforced at admission, with the reason. */
export const SKIPPED_RULES: ReadonlyMap<string, string> = new Map<string, string>([]);

const entries: [string, CelCheck][] = [
  [
    "!has(self.peerInterface) || !has(self.peerAddress) || self.peerAddress.startsWith('fe80:') || self.peerAddress.startsWith('FE80:')",
    (self) => !has(self, 'peerInterface') || !has(self, 'peerAddress') || str(self.peerAddress).startsWith('fe80:') || str(self.peerAddress).startsWith('FE80:'),
  ],
  [
    "!has(self.peerInterface) || !has(self.localAddress)",
    (self) => !has(self, 'peerInterface') || !has(self, 'localAddress'),
  ],
  [
    "has(self.peerAddress) || has(self.autoDiscovery)",
    (self) => has(self, 'peerAddress') || has(self, 'autoDiscovery'),
  ],
  [
    "self.mode != 'DefaultGateway' || has(self.defaultGateway)",
    (self) => self.mode !== 'DefaultGateway' || has(self, 'defaultGateway'),
  ],
  [
    "self.mode != 'Unnumbered' || (has(self.unnumbered) != has(self.defaultGateway))",
    (self) => self.mode !== 'Unnumbered' || has(self, 'unnumbered') !== has(self, 'defaultGateway'),
  ],
  [
    "self.advertisementType != 'Service' || has(self.service)",
    (self) => self.advertisementType !== 'Service' || has(self, 'service'),
  ],
  [
    "self.advertisementType == 'Service' || !has(self.service)",
    (self) => self.advertisementType === 'Service' || !has(self, 'service'),
  ],
  [
    "self.advertisementType != 'Interface' || has(self.interface)",
    (self) => self.advertisementType !== 'Interface' || has(self, 'interface'),
  ],
  [
    "self.advertisementType == 'Interface' || !has(self.interface)",
    (self) => self.advertisementType === 'Interface' || !has(self, 'interface'),
  ],
  [
    "self.advertisementType != 'PodCIDR' || !has(self.selector)",
    (self) => self.advertisementType !== 'PodCIDR' || !has(self, 'selector'),
  ],
  [
    "self.keepAliveTimeSeconds <= self.holdTimeSeconds",
    (self) => !(typeof self.keepAliveTimeSeconds === 'number' && typeof self.holdTimeSeconds === 'number') || self.keepAliveTimeSeconds <= self.holdTimeSeconds,
  ],
  [
    "self.all(p1, self.all(p2, p1.group == p2.group && p1.kind == p2.kind && p1.name == p2.name && (((!has(p1.__namespace__) || p1.__namespace__ == '') && (!has(p2.__namespace__) || p2.__namespace__ == '')) || (has(p1.__namespace__) && has(p2.__namespace__) && p1.__namespace__ == p2.__namespace__ )) ? ((!has(p1.sectionName) || p1.sectionName == '') == (!has(p2.sectionName) || p2.sectionName == '')) : true))",
    (self) => arr(self).every((p1) => arr(self).every((p2) => (sameParent(p1, p2) ? emptyStr(p1.sectionName) === emptyStr(p2.sectionName) : true))),
  ],
  [
    "self.all(p1, self.exists_one(p2, p1.group == p2.group && p1.kind == p2.kind && p1.name == p2.name && (((!has(p1.__namespace__) || p1.__namespace__ == '') && (!has(p2.__namespace__) || p2.__namespace__ == '')) || (has(p1.__namespace__) && has(p2.__namespace__) && p1.__namespace__ == p2.__namespace__ )) && (((!has(p1.sectionName) || p1.sectionName == '') && (!has(p2.sectionName) || p2.sectionName == '')) || (has(p1.sectionName) && has(p2.sectionName) && p1.sectionName == p2.sectionName))))",
    (self) => arr(self).every((p1) => arr(self).filter((p2) => sameParent(p1, p2) && ((emptyStr(p1.sectionName) && emptyStr(p2.sectionName)) || (has(p1, 'sectionName') && has(p2, 'sectionName') && p1.sectionName === p2.sectionName))).length === 1),
  ],
  [
    "(self.size() > 0 ? (has(self[0].matches) ? self[0].matches.size() : 0) : 0) + (self.size() > 1 ? (has(self[1].matches) ? self[1].matches.size() : 0) : 0) + (self.size() > 2 ? (has(self[2].matches) ? self[2].matches.size() : 0) : 0) + (self.size() > 3 ? (has(self[3].matches) ? self[3].matches.size() : 0) : 0) + (self.size() > 4 ? (has(self[4].matches) ? self[4].matches.size() : 0) : 0) + (self.size() > 5 ? (has(self[5].matches) ? self[5].matches.size() : 0) : 0) + (self.size() > 6 ? (has(self[6].matches) ? self[6].matches.size() : 0) : 0) + (self.size() > 7 ? (has(self[7].matches) ? self[7].matches.size() : 0) : 0) + (self.size() > 8 ? (has(self[8].matches) ? self[8].matches.size() : 0) : 0) + (self.size() > 9 ? (has(self[9].matches) ? self[9].matches.size() : 0) : 0) + (self.size() > 10 ? (has(self[10].matches) ? self[10].matches.size() : 0) : 0) + (self.size() > 11 ? (has(self[11].matches) ? self[11].matches.size() : 0) : 0) + (self.size() > 12 ? (has(self[12].matches) ? self[12].matches.size() : 0) : 0) + (self.size() > 13 ? (has(self[13].matches) ? self[13].matches.size() : 0) : 0) + (self.size() > 14 ? (has(self[14].matches) ? self[14].matches.size() : 0) : 0) + (self.size() > 15 ? (has(self[15].matches) ? self[15].matches.size() : 0) : 0) <= 128",
    (self) => arr(self).slice(0, 16).reduce((n: number, r: any) => n + arr(r?.matches).length, 0) < 128,
  ],
  [
    "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true",
    (self) => (str(self.group).length === 0 && self.kind === 'Service' ? has(self, 'port') : true),
  ],
  [
    "self.filter(f, f.type == 'RequestHeaderModifier').size() <= 1",
    (self) => count(self, 'RequestHeaderModifier') <= 1,
  ],
  [
    "self.filter(f, f.type == 'ResponseHeaderModifier').size() <= 1",
    (self) => count(self, 'ResponseHeaderModifier') <= 1,
  ],
  [
    "!(has(self.requestHeaderModifier) && self.type != 'RequestHeaderModifier')",
    (self) => !(has(self, 'requestHeaderModifier') && self.type !== 'RequestHeaderModifier'),
  ],
  [
    "!(!has(self.requestHeaderModifier) && self.type == 'RequestHeaderModifier')",
    (self) => !(!has(self, 'requestHeaderModifier') && self.type === 'RequestHeaderModifier'),
  ],
  [
    "!(has(self.responseHeaderModifier) && self.type != 'ResponseHeaderModifier')",
    (self) => !(has(self, 'responseHeaderModifier') && self.type !== 'ResponseHeaderModifier'),
  ],
  [
    "!(!has(self.responseHeaderModifier) && self.type == 'ResponseHeaderModifier')",
    (self) => !(!has(self, 'responseHeaderModifier') && self.type === 'ResponseHeaderModifier'),
  ],
  [
    "!(has(self.requestMirror) && self.type != 'RequestMirror')",
    (self) => !(has(self, 'requestMirror') && self.type !== 'RequestMirror'),
  ],
  [
    "!(!has(self.requestMirror) && self.type == 'RequestMirror')",
    (self) => !(!has(self, 'requestMirror') && self.type === 'RequestMirror'),
  ],
  [
    "!(has(self.extensionRef) && self.type != 'ExtensionRef')",
    (self) => !(has(self, 'extensionRef') && self.type !== 'ExtensionRef'),
  ],
  [
    "!(!has(self.extensionRef) && self.type == 'ExtensionRef')",
    (self) => !(!has(self, 'extensionRef') && self.type === 'ExtensionRef'),
  ],
  [
    "!(has(self.percent) && has(self.fraction))",
    (self) => !(has(self, 'percent') && has(self, 'fraction')),
  ],
  [
    "self.numerator <= self.denominator",
    (self) => !(typeof self.numerator === 'number' && typeof self.denominator === 'number') || self.numerator <= self.denominator,
  ],
  [
    "has(self.type) ? has(self.service) || has(self.method) : true",
    (self) => (has(self, 'type') ? has(self, 'service') || has(self, 'method') : true),
  ],
  [
    "(!has(self.type) || self.type == 'Exact') && has(self.service) ? self.service.matches(r\"\"\"^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$\"\"\"): true",
    (self) => ((!has(self, 'type') || self.type === 'Exact') && has(self, 'service') ? /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i.test(str(self.service)) : true),
  ],
  [
    "(!has(self.type) || self.type == 'Exact') && has(self.method) ? self.method.matches(r\"\"\"^[A-Za-z_][A-Za-z_0-9]*$\"\"\"): true",
    (self) => ((!has(self, 'type') || self.type === 'Exact') && has(self, 'method') ? /^[A-Za-z_][A-Za-z_0-9]*$/.test(str(self.method)) : true),
  ],
  [
    "self.all(a1, a1.type == 'IPAddress' && has(a1.value) ? self.exists_one(a2, a2.type == a1.type && has(a2.value) && a2.value == a1.value) : true )",
    (self) => uniqueAddresses(self, 'IPAddress'),
  ],
  [
    "self.all(a1, a1.type == 'Hostname'  && has(a1.value) ? self.exists_one(a2, a2.type == a1.type && has(a2.value) && a2.value == a1.value) : true )",
    (self) => uniqueAddresses(self, 'Hostname'),
  ],
  [
    "self.type == 'Hostname' ? (!has(self.value) || self.value.matches(r\"\"\"^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$\"\"\")): true",
    (self) => (self.type === 'Hostname' ? !has(self, 'value') || HOSTNAME_ADDRESS.test(str(self.value)) : true),
  ],
  [
    "self.all(key, key.matches(r\"\"\"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$\"\"\"))",
    (self) => Object.keys(obj(self)).every((k) => LABEL_KEY.test(k)),
  ],
  [
    "self.all(key, key.split(\"/\")[0].size() < 253)",
    (self) => Object.keys(obj(self)).every((k) => k.split('/')[0]!.length < 253),
  ],
  [
    "self.all(l, l.protocol in ['HTTP', 'TCP', 'UDP'] ? !has(l.tls) : true)",
    (self) => arr(self).every((l: any) => (['HTTP', 'TCP', 'UDP'].includes(l?.protocol) ? !has(l, 'tls') : true)),
  ],
  [
    "self.all(l, (l.protocol == 'HTTPS' && has(l.tls)) ? (l.tls.mode == '' || l.tls.mode == 'Terminate') : true)",
    (self) => arr(self).every((l: any) => (l?.protocol === 'HTTPS' && has(l, 'tls') ? l.tls?.mode === '' || l.tls?.mode === 'Terminate' : true)),
  ],
  [
    "self.all(l, (l.protocol == 'TLS' ? has(l.tls) && has(l.tls.mode) && l.tls.mode != '' : true))",
    (self) => arr(self).every((l: any) => (l?.protocol === 'TLS' ? has(l, 'tls') && has(l.tls, 'mode') && l.tls.mode !== '' : true)),
  ],
  [
    "self.all(l, l.protocol in ['TCP', 'UDP']  ? (!has(l.hostname) || l.hostname == '') : true)",
    (self) => arr(self).every((l: any) => (['TCP', 'UDP'].includes(l?.protocol) ? !has(l, 'hostname') || l.hostname === '' : true)),
  ],
  [
    "self.all(l1, self.exists_one(l2, l1.name == l2.name))",
    (self) => arr(self).every((l1: any) => arr(self).filter((l2: any) => l1?.name === l2?.name).length === 1),
  ],
  [
    "self.all(l1, self.exists_one(l2, l1.port == l2.port && l1.protocol == l2.protocol && (has(l1.hostname) && has(l2.hostname) ? l1.hostname == l2.hostname : !has(l1.hostname) && !has(l2.hostname))))",
    (self) => arr(self).every((l1: any) => arr(self).filter((l2: any) => l1?.port === l2?.port && l1?.protocol === l2?.protocol && (has(l1, 'hostname') && has(l2, 'hostname') ? l1.hostname === l2.hostname : !has(l1, 'hostname') && !has(l2, 'hostname'))).length === 1),
  ],
  [
    "self.mode == 'Terminate' ? size(self.certificateRefs) > 0 || size(self.options) > 0 : true",
    (self) => (self.mode === 'Terminate' ? arr(self.certificateRefs).length > 0 || Object.keys(obj(self.options)).length > 0 : true),
  ],
  [
    "self.all(t1, self.exists_one(t2, t1.port == t2.port))",
    (self) => arr(self).every((t1: any) => arr(self).filter((t2: any) => t1?.port === t2?.port).length === 1),
  ],
  [
    "self.type == 'Hostname' ? self.value.matches(r\"\"\"^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$\"\"\"): true",
    (self) => (self.type === 'Hostname' ? HOSTNAME_ADDRESS.test(str(self.value)) : true),
  ],
  [
    "(self.size() > 0 ? self[0].matches.size() : 0) + (self.size() > 1 ? self[1].matches.size() : 0) + (self.size() > 2 ? self[2].matches.size() : 0) + (self.size() > 3 ? self[3].matches.size() : 0) + (self.size() > 4 ? self[4].matches.size() : 0) + (self.size() > 5 ? self[5].matches.size() : 0) + (self.size() > 6 ? self[6].matches.size() : 0) + (self.size() > 7 ? self[7].matches.size() : 0) + (self.size() > 8 ? self[8].matches.size() : 0) + (self.size() > 9 ? self[9].matches.size() : 0) + (self.size() > 10 ? self[10].matches.size() : 0) + (self.size() > 11 ? self[11].matches.size() : 0) + (self.size() > 12 ? self[12].matches.size() : 0) + (self.size() > 13 ? self[13].matches.size() : 0) + (self.size() > 14 ? self[14].matches.size() : 0) + (self.size() > 15 ? self[15].matches.size() : 0) <= 128",
    (self) => arr(self).slice(0, 16).reduce((n: number, r: any) => n + arr(r?.matches).length, 0) < 128,
  ],
  [
    "(has(self.backendRefs) && size(self.backendRefs) > 0) ? (!has(self.filters) || self.filters.all(f, !has(f.requestRedirect))): true",
    (self) => (arr(self.backendRefs).length > 0 ? arr(self.filters).every((f: any) => !has(f, 'requestRedirect')) : true),
  ],
  [
    "(has(self.filters) && self.filters.exists_one(f, has(f.requestRedirect) && has(f.requestRedirect.path) && f.requestRedirect.path.type == 'ReplacePrefixMatch' && has(f.requestRedirect.path.replacePrefixMatch))) ? ((size(self.matches) != 1 || !has(self.matches[0].path) || self.matches[0].path.type != 'PathPrefix') ? false : true) : true",
    (self) => (arr(self.filters).filter((f: any) => prefixReplace(f?.requestRedirect)).length === 1 ? onePathPrefixMatch(self) : true),
  ],
  [
    "(has(self.filters) && self.filters.exists_one(f, has(f.urlRewrite) && has(f.urlRewrite.path) && f.urlRewrite.path.type == 'ReplacePrefixMatch' && has(f.urlRewrite.path.replacePrefixMatch))) ? ((size(self.matches) != 1 || !has(self.matches[0].path) || self.matches[0].path.type != 'PathPrefix') ? false : true) : true",
    (self) => (arr(self.filters).filter((f: any) => prefixReplace(f?.urlRewrite)).length === 1 ? onePathPrefixMatch(self) : true),
  ],
  [
    "(has(self.backendRefs) && self.backendRefs.exists_one(b, (has(b.filters) && b.filters.exists_one(f, has(f.requestRedirect) && has(f.requestRedirect.path) && f.requestRedirect.path.type == 'ReplacePrefixMatch' && has(f.requestRedirect.path.replacePrefixMatch))) )) ? ((size(self.matches) != 1 || !has(self.matches[0].path) || self.matches[0].path.type != 'PathPrefix') ? false : true) : true",
    (self) => (arr(self.backendRefs).filter((b: any) => arr(b?.filters).filter((f: any) => prefixReplace(f?.requestRedirect)).length === 1).length === 1 ? onePathPrefixMatch(self) : true),
  ],
  [
    "(has(self.backendRefs) && self.backendRefs.exists_one(b, (has(b.filters) && b.filters.exists_one(f, has(f.urlRewrite) && has(f.urlRewrite.path) && f.urlRewrite.path.type == 'ReplacePrefixMatch' && has(f.urlRewrite.path.replacePrefixMatch))) )) ? ((size(self.matches) != 1 || !has(self.matches[0].path) || self.matches[0].path.type != 'PathPrefix') ? false : true) : true",
    (self) => (arr(self.backendRefs).filter((b: any) => arr(b?.filters).filter((f: any) => prefixReplace(f?.urlRewrite)).length === 1).length === 1 ? onePathPrefixMatch(self) : true),
  ],
  [
    "!(self.exists(f, f.type == 'RequestRedirect') && self.exists(f, f.type == 'URLRewrite'))",
    (self) => !(arr(self).some((f: any) => f?.type === 'RequestRedirect') && arr(self).some((f: any) => f?.type === 'URLRewrite')),
  ],
  [
    "self.filter(f, f.type == 'CORS').size() <= 1",
    (self) => count(self, 'CORS') <= 1,
  ],
  [
    "self.filter(f, f.type == 'RequestRedirect').size() <= 1",
    (self) => count(self, 'RequestRedirect') <= 1,
  ],
  [
    "self.filter(f, f.type == 'URLRewrite').size() <= 1",
    (self) => count(self, 'URLRewrite') <= 1,
  ],
  [
    "!(has(self.cors) && self.type != 'CORS')",
    (self) => !(has(self, 'cors') && self.type !== 'CORS'),
  ],
  [
    "!(!has(self.cors) && self.type == 'CORS')",
    (self) => !(!has(self, 'cors') && self.type === 'CORS'),
  ],
  [
    "!(has(self.requestRedirect) && self.type != 'RequestRedirect')",
    (self) => !(has(self, 'requestRedirect') && self.type !== 'RequestRedirect'),
  ],
  [
    "!(!has(self.requestRedirect) && self.type == 'RequestRedirect')",
    (self) => !(!has(self, 'requestRedirect') && self.type === 'RequestRedirect'),
  ],
  [
    "!(has(self.urlRewrite) && self.type != 'URLRewrite')",
    (self) => !(has(self, 'urlRewrite') && self.type !== 'URLRewrite'),
  ],
  [
    "!(!has(self.urlRewrite) && self.type == 'URLRewrite')",
    (self) => !(!has(self, 'urlRewrite') && self.type === 'URLRewrite'),
  ],
  [
    "!('*' in self && self.size() > 1)",
    (self) => !(arr(self).includes('*') && arr(self).length > 1),
  ],
  [
    "self.type == 'ReplaceFullPath' ? has(self.replaceFullPath) : true",
    (self) => (self.type === 'ReplaceFullPath' ? has(self, 'replaceFullPath') : true),
  ],
  [
    "has(self.replaceFullPath) ? self.type == 'ReplaceFullPath' : true",
    (self) => (has(self, 'replaceFullPath') ? self.type === 'ReplaceFullPath' : true),
  ],
  [
    "self.type == 'ReplacePrefixMatch' ? has(self.replacePrefixMatch) : true",
    (self) => (self.type === 'ReplacePrefixMatch' ? has(self, 'replacePrefixMatch') : true),
  ],
  [
    "has(self.replacePrefixMatch) ? self.type == 'ReplacePrefixMatch' : true",
    (self) => (has(self, 'replacePrefixMatch') ? self.type === 'ReplacePrefixMatch' : true),
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? self.value.startsWith('/') : true",
    (self) => (exactOrPrefix(self) ? str(self.value).startsWith('/') : true),
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? !self.value.contains('//') : true",
    (self) => (exactOrPrefix(self) ? !str(self.value).includes('//') : true),
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? !self.value.contains('/./') : true",
    (self) => (exactOrPrefix(self) ? !str(self.value).includes('/./') : true),
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? !self.value.contains('/../') : true",
    (self) => (exactOrPrefix(self) ? !str(self.value).includes('/../') : true),
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? !self.value.contains('%2f') : true",
    (self) => (exactOrPrefix(self) ? !str(self.value).includes('%2f') : true),
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? !self.value.contains('%2F') : true",
    (self) => (exactOrPrefix(self) ? !str(self.value).includes('%2F') : true),
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? !self.value.contains('#') : true",
    (self) => (exactOrPrefix(self) ? !str(self.value).includes('#') : true),
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? !self.value.endsWith('/..') : true",
    (self) => (exactOrPrefix(self) ? !str(self.value).endsWith('/..') : true),
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? !self.value.endsWith('/.') : true",
    (self) => (exactOrPrefix(self) ? !str(self.value).endsWith('/.') : true),
  ],
  [
    "self.type in ['Exact','PathPrefix'] || self.type == 'RegularExpression'",
    (self) => exactOrPrefix(self) || self.type === 'RegularExpression',
  ],
  [
    "(self.type in ['Exact','PathPrefix']) ? self.value.matches(r\"\"\"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$\"\"\") : true",
    (self) => (exactOrPrefix(self) ? /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/.test(str(self.value)) : true),
  ],
  [
    "!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && duration(self.backendRequest) > duration(self.request))",
    (self) => { const req = goDuration(self.request); const back = goDuration(self.backendRequest); return !(req !== undefined && back !== undefined && req !== 0 && back > req); },
  ],
  [
    "self == oldSelf",
    (self, oldSelf) => deepEqualJson(self, oldSelf),
  ],
];

export const CEL_RULES: ReadonlyMap<string, CelCheck> = new Map(entries);
