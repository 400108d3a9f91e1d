/**
 * Cross-field rules for the cilium.io kinds that their CRDs do not express (the CEL rules live in
 * cel-rules.ts), applied in the version the user sent so paths name the user's fields.
 *
 * - Pool blocks: a block is `cidr` or `start`[/`stop`], never both or neither; addresses must parse.
 *   A range that parses but cannot hold an address (`start` > `stop`, or of two families) is
 *   admitted with a warning naming the field: ipam reports it as the pool's `bosun.io/InvalidSpec`
 *   condition and keeps the last valid spec in force. Cilium's operator fails such a pool without
 *   any condition (notes/lbipam-l2.md §1.1).
 * - Label selectors (pool, L2 policy, BGP node selectors and advertisement selectors): the shape
 *   kube's ValidateLabelSelector demands (In/NotIn need values, Exists/DoesNotExist forbid them).
 * - L2 announcement `interfaces[]` must compile as regular expressions (Cilium reports
 *   `io.cilium/bad-interface-regex` at runtime instead).
 */
import { FieldErrors, child, index, ipFamily, isObject, type Json, type JsonObject } from './structural';
import { validateLabelSelector } from './k8s-validation';

const arr = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);

const ipToBigInt = (ip: string): bigint => {
  if (ipFamily(ip) === 4) return ip.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n);
  const [head, tail] = ip.includes('::') ? (ip.split('::') as [string, string]) : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
};

const validateBlock = (block: JsonObject, path: string, errors: FieldErrors, warnings: string[]): void => {
  const { cidr, start, stop } = block;
  const has = (v: Json | undefined) => typeof v === 'string' && v !== '';
  if (has(cidr)) {
    if (has(start)) errors.forbidden(child(path, 'start'), '`cidr` and `start`/`stop` are mutually exclusive');
    if (has(stop)) errors.forbidden(child(path, 'stop'), '`cidr` and `start`/`stop` are mutually exclusive');
    return;
  }
  if (!has(start)) {
    errors.required(child(path, has(stop) ? 'start' : 'cidr'), has(stop) ? '`stop` needs `start`' : 'a block needs `cidr` or `start` (and optionally `stop`)');
    return;
  }
  const fs = ipFamily(start as string);
  if (fs === undefined) errors.invalid(child(path, 'start'), start, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  if (!has(stop)) return;
  const fe = ipFamily(stop as string);
  if (fe === undefined) errors.invalid(child(path, 'stop'), stop, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  if (fs === undefined || fe === undefined) return;
  const consequence = 'the pool gets the condition bosun.io/InvalidSpec and this spec gives no address';
  if (fs !== fe) warnings.push(`${child(path, 'stop')}: '${stop}' is not of the family of start '${start}'; ${consequence}`);
  else if (ipToBigInt(start as string) > ipToBigInt(stop as string)) warnings.push(`${child(path, 'stop')}: '${stop}' is lower than start '${start}'; ${consequence}`);
};

const validatePool = (obj: JsonObject, errors: FieldErrors, warnings: string[]): void => {
  const spec = isObject(obj.spec) ? obj.spec : {};
  for (const list of ['blocks', 'cidrs'] as const) arr(spec[list]).forEach((b, i) => isObject(b) && validateBlock(b, index(child('spec', list), i), errors, warnings));
  validateLabelSelector(spec.serviceSelector, 'spec.serviceSelector', errors);
};

const validateL2Policy = (obj: JsonObject, errors: FieldErrors): void => {
  const spec = isObject(obj.spec) ? obj.spec : {};
  validateLabelSelector(spec.serviceSelector, 'spec.serviceSelector', errors);
  validateLabelSelector(spec.nodeSelector, 'spec.nodeSelector', errors);
  arr(spec.interfaces).forEach((re, i) => {
    if (typeof re !== 'string') return;
    try {
      new RegExp(re);
    } catch (e) {
      errors.invalid(index('spec.interfaces', i), re, `must be a valid regular expression: ${(e as Error).message}`);
    }
  });
};

/** v2alpha1 peerConfigRef carried group/kind; only the one kind v2 can reference is accepted. */
const validatePeerConfigRefs = (obj: JsonObject, errors: FieldErrors): void => {
  const spec = isObject(obj.spec) ? obj.spec : {};
  arr(spec.bgpInstances).forEach((inst, i) => {
    if (!isObject(inst)) return;
    arr(inst.peers).forEach((peer, j) => {
      if (!isObject(peer) || !isObject(peer.peerConfigRef)) return;
      const p = child(index(child(index('spec.bgpInstances', i), 'peers'), j), 'peerConfigRef');
      const { group, kind } = peer.peerConfigRef;
      if (group !== undefined && group !== 'cilium.io') errors.notSupported(child(p, 'group'), group, ['cilium.io']);
      if (kind !== undefined && kind !== 'CiliumBGPPeerConfig') errors.notSupported(child(p, 'kind'), kind, ['CiliumBGPPeerConfig']);
    });
  });
};

const validateClusterConfig = (obj: JsonObject, errors: FieldErrors): void => {
  const spec = isObject(obj.spec) ? obj.spec : {};
  validateLabelSelector(spec.nodeSelector, 'spec.nodeSelector', errors);
  validatePeerConfigRefs(obj, errors);
};

const validatePeerConfig = (obj: JsonObject, errors: FieldErrors): void => {
  const spec = isObject(obj.spec) ? obj.spec : {};
  arr(spec.families).forEach((f, i) => isObject(f) && validateLabelSelector(f.advertisements, child(index('spec.families', i), 'advertisements'), errors));
};

const validateAdvertisement = (obj: JsonObject, errors: FieldErrors): void => {
  const spec = isObject(obj.spec) ? obj.spec : {};
  arr(spec.advertisements).forEach((a, i) => isObject(a) && validateLabelSelector(a.selector, child(index('spec.advertisements', i), 'selector'), errors));
};

/** Adds to `errors` what makes the object invalid (422), to `warnings` what is stored but worth saying (`Warning:` headers). */
export type CrdRule = (obj: JsonObject, errors: FieldErrors, warnings: string[]) => void;

/** Hand rules by `group/Kind`. */
export const CRD_RULES: ReadonlyMap<string, CrdRule> = new Map([
  ['cilium.io/CiliumLoadBalancerIPPool', validatePool],
  ['cilium.io/CiliumL2AnnouncementPolicy', validateL2Policy],
  ['cilium.io/CiliumBGPClusterConfig', validateClusterConfig],
  ['cilium.io/CiliumBGPPeerConfig', validatePeerConfig],
  ['cilium.io/CiliumBGPAdvertisement', validateAdvertisement],
  ['cilium.io/CiliumBGPNodeConfig', validatePeerConfigRefs],
]);
