import type { KubeObject, NodeInfo, NodeInterface } from './model';
import { isRecord, labelsOf, nameOf } from './read';

/** Reads a core/v1 Node into what BGP needs: labels, addresses, pod CIDRs. */
export const nodeInfoFromObject = (node: KubeObject, interfaces?: readonly NodeInterface[]): NodeInfo => {
  const addresses = (Array.isArray(node.status?.addresses) ? (node.status.addresses as unknown[]) : [])
    .filter(isRecord)
    .filter((a) => typeof a.address === 'string' && typeof a.type === 'string')
    .map((a) => ({ type: a.type as string, address: a.address as string }));
  const podCIDRs = Array.isArray(node.spec?.podCIDRs)
    ? (node.spec.podCIDRs as unknown[]).filter((c): c is string => typeof c === 'string')
    : typeof node.spec?.podCIDR === 'string'
      ? [node.spec.podCIDR as string]
      : [];
  return { name: nameOf(node), labels: labelsOf(node), addresses, podCIDRs, ...(interfaces ? { interfaces } : {}) };
};
