import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The talk's seed manifests, read from the one copy in the repository (examples/talk). */
const TALK_DIR = join(__dirname, '..', '..', '..', 'examples', 'talk');
export const SEED: Record<string, Record<string, any>> = Object.fromEntries(
  readdirSync(TALK_DIR)
    .filter((f) => /^0[1-7]-.*\.yaml$/.test(f))
    .map((f) => [f, parse(readFileSync(join(TALK_DIR, f), 'utf8')) as Record<string, any>]),
);

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
