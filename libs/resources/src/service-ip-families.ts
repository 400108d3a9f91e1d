/**
 * Service `ipFamilyPolicy` / `ipFamilies` defaulting as kube-apiserver does it while allocating
 * cluster IPs (pkg/registry/core/service/storage/alloc.go, initIPFamilyFields). Admission runs it
 * with the cluster's families before any IP is assigned; the API runs it again after it assigned
 * `clusterIPs` (families are then inferred from the IPs). Pure.
 */
import { FieldErrors, index, ipFamily, isObject, type JsonObject } from './structural';

export type IPFamily = 'IPv4' | 'IPv6';
export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface ServiceIPFamiliesResult {
  readonly ipFamilyPolicy?: IPFamilyPolicy;
  readonly ipFamilies?: IPFamily[];
  readonly errors: FieldErrors;
}

const familyOfIP = (ip: string): IPFamily | undefined => {
  const f = ipFamily(ip);
  return f === 4 ? 'IPv4' : f === 6 ? 'IPv6' : undefined;
};

const other = (f: IPFamily): IPFamily => (f === 'IPv4' ? 'IPv6' : 'IPv4');

/**
 * Computes `ipFamilyPolicy` and `ipFamilies` for a Service spec. `clusterFamilies` are the
 * families the cluster serves, primary first (e.g. `['IPv4']` or `['IPv4', 'IPv6']`);
 * `oldSpec` is the stored spec on update. Does not modify `spec`.
 */
export const serviceIPFamilies = (spec: JsonObject, clusterFamilies: readonly IPFamily[], oldSpec?: JsonObject): ServiceIPFamiliesResult => {
  const errors = new FieldErrors();
  if (spec.type === 'ExternalName') return { errors };
  const selector = isObject(spec.selector) ? spec.selector : {};
  const clusterIPs = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.filter((x): x is string => typeof x === 'string') : typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? [spec.clusterIP] : [];
  const headlessSelectorless = (spec.clusterIP === 'None' || clusterIPs[0] === 'None') && Object.keys(selector).length === 0;

  let policy = spec.ipFamilyPolicy as IPFamilyPolicy | undefined;
  if (policy === undefined) {
    if (oldSpec && typeof oldSpec.ipFamilyPolicy === 'string') policy = oldSpec.ipFamilyPolicy as IPFamilyPolicy;
    else if (headlessSelectorless) policy = 'RequireDualStack';
    else policy = 'SingleStack';
  }
  let families = (Array.isArray(spec.ipFamilies) ? spec.ipFamilies : []).filter((f): f is IPFamily => f === 'IPv4' || f === 'IPv6');

  if (policy === 'SingleStack') {
    if (clusterIPs.length === 2) errors.invalid('spec.ipFamilyPolicy', policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified");
    if (families.length === 2) errors.invalid('spec.ipFamilyPolicy', policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified");
  }
  clusterIPs.some((ip, i) => {
    if (ip === 'None') return true;
    const fam = familyOfIP(ip);
    if (!fam) return false; // reported by Service validation
    if (i < families.length) {
      if (families[i] !== fam) errors.invalid(index('spec.ipFamilies', i), families[i], `must match the IP family of spec.clusterIPs[${i}] (${fam})`);
    } else if (!clusterFamilies.includes(fam)) {
      errors.invalid(index('spec.clusterIPs', i), clusterIPs, `${fam} is not configured on this cluster`);
    } else {
      families = [...families, fam];
    }
    return false;
  });
  if (!errors.empty) return { errors };

  if (headlessSelectorless) {
    if (families.length === 0) families = [clusterFamilies[0] ?? 'IPv4'];
    if (families.length < 2 && policy !== 'SingleStack') families = [...families, other(families[0]!)];
    return { ipFamilyPolicy: policy, ipFamilies: families, errors };
  }
  if (policy === 'RequireDualStack' && clusterFamilies.length < 2) errors.invalid('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services');
  families.forEach((f, i) => {
    if (!clusterFamilies.includes(f)) errors.invalid(index('spec.ipFamilies', i), f, 'not configured on this cluster');
  });
  if (!errors.empty) return { errors };
  if (families.length === 0) families = [clusterFamilies[0] ?? 'IPv4'];
  if (policy !== 'SingleStack' && families.length === 1 && clusterFamilies.length === 2) families = [...families, other(families[0]!)];
  return { ipFamilyPolicy: policy, ipFamilies: families, errors };
};
