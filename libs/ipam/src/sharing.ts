import type { ServiceSpec } from './spec';

/**
 * Can two Services share one address? Cilium's rules (operator/pkg/lbipam, "IsCompatible"),
 * checked for every pair of a sharing cluster. Returns null when they can, else Cilium's reason.
 */
export const sharingIncompatibility = (a: ServiceSpec, b: ServiceSpec, protocolDifferentiation = true): string | null => {
  if (a.sharingKey !== b.sharingKey) return 'different sharing key';
  if (a.namespace !== b.namespace) {
    const allows = (s: ServiceSpec, ns: string): boolean => s.sharingCrossNamespace.includes('*') || s.sharingCrossNamespace.includes(ns);
    if (!allows(a, b.namespace) || !allows(b, a.namespace)) return 'different and not permitted namespace';
  }
  for (const pa of a.ports) {
    for (const pb of b.ports) {
      if (pa.port !== pb.port) continue;
      if (!protocolDifferentiation) return 'same port';
      if (pa.protocol === pb.protocol) return 'same port and protocol';
    }
  }
  if (a.externalTrafficPolicy !== b.externalTrafficPolicy) return 'different ExternalTrafficPolicy';
  if (a.externalTrafficPolicy === 'Local') {
    // Local traffic must reach a node that has pods of every Service on the address.
    if (a.selector === null || b.selector === null) return 'ExternalTrafficPolicy local but a service has no selector';
    if (!sameSelector(a.selector, b.selector) && !(a.sharingPermitDifferentPods && b.sharingPermitDifferentPods)) {
      return 'ExternalTrafficPolicy local but selecting different set of pods without lbipam.cilium.io/sharing-permit-different-pods on both services';
    }
  }
  return null;
};

const sameSelector = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] === a[k]);
};
