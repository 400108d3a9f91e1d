import { networkInterfaces } from 'node:os';

/**
 * The Node object an agent registers for the network namespace it runs in: the given labels,
 * and the namespace's interface addresses as `InternalIP`s (IPv4 first, so the router ID is
 * an IPv4 address), like a kubelet would report them.
 */

export interface NodeAddress {
  readonly type: 'InternalIP' | 'Hostname';
  readonly address: string;
}

/** `k=v,k2=v2` → labels; a clear error names the bad entry. */
export const parseLabels = (spec: string | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  if (!spec) return out;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    const key = i < 0 ? part : part.slice(0, i);
    const value = i < 0 ? '' : part.slice(i + 1);
    if (i < 0) throw new Error(`--labels: "${part}" is not key=value`);
    if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(key)) throw new Error(`--labels: "${key}" is not a valid label key`);
    if (value && !/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(value)) throw new Error(`--labels: value "${value}" of ${key} is not a valid label value`);
    out[key] = value;
  }
  return out;
};

/** Non-loopback, non-link-local addresses of this namespace's interfaces. */
export const interfaceAddresses = (ifaces = networkInterfaces()): NodeAddress[] => {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const [, addrs] of Object.entries(ifaces).sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!a.address.toLowerCase().startsWith('fe80:')) v6.push(a.address);
    }
  }
  return [...v4, ...v6].map((address) => ({ type: 'InternalIP' as const, address }));
};

/** The Node to apply: name, labels, addresses, optional pod CIDRs. */
export const nodeObject = (name: string, labels: Record<string, string>, addresses: readonly NodeAddress[], podCIDRs: readonly string[] = []): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: podCIDRs.length ? { podCIDR: podCIDRs[0], podCIDRs: [...podCIDRs] } : {},
  status: { addresses: [...addresses, { type: 'Hostname', address: name }] },
});
