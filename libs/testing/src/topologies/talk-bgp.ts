import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ApiStatusError, type KubeObject } from '@bosun/client';
import { waitFor } from '../net/wait.js';
import { REPO_ROOT, type TalkSuite } from './talk-suite.js';

/**
 * The talk's BGP setup on a running suite (tests, benchmarks, the demo): the seed's BGP
 * manifests, the `bgp-auth-secret`, `ip-pool-blue`, namespaces; LoadBalancer Services; BIRD's
 * route log (millisecond timestamps) to see exactly when routes come and go.
 */

type Obj = KubeObject & { apiVersion: string; kind: string };

/** The talk's manifests (examples/talk). */
export const SEED_DIR = join(REPO_ROOT, 'examples', 'talk');

export const seedFile = (name: string): Obj[] =>
  parseAllDocuments(readFileSync(join(SEED_DIR, name), 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter((o) => o && o.kind);

export const TALK_PASSWORD = 'talk-md5-secret';

export const namespaceObject = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** Secret `kube-system/<name>` with key `password` (Cilium's BGP secrets namespace). */
export const bgpAuthSecret = (name = 'bgp-auth-secret', password = TALK_PASSWORD): Obj => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'kube-system' },
  type: 'Opaque',
  data: { password: Buffer.from(password).toString('base64') },
});

export const loadBalancerService = (name: string, labels: Record<string, string>, ns = 'tenant-blue'): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns, labels },
  spec: { type: 'LoadBalancer', ports: [{ name: 'port-80', port: 80, protocol: 'TCP' }] },
});

/**
 * Retries a write the API answered with 504 "stored, but the object view did not catch up in
 * time" (a busy machine). Only for idempotent writes (server-side apply, merge patch, delete
 * treating 404 as done).
 */
export const retry504 = async <T>(write: () => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof ApiStatusError && e.code === 504) || attempt >= 5) throw e;
    }
  }
};

export const applyAll = async (suite: TalkSuite, objs: readonly Obj[]): Promise<void> => {
  await retry504(() => suite.client.applyAll(objs));
};

/** The seed's BGP manifests (ClusterConfig, PeerConfig, Advertisement), `bgp-auth-secret`, `ip-pool-blue`, namespaces. */
export const applyTalkBgpSetup = async (suite: TalkSuite, password = TALK_PASSWORD): Promise<void> => {
  await applyAll(suite, [
    namespaceObject('kube-system'),
    namespaceObject('tenant-blue'),
    bgpAuthSecret('bgp-auth-secret', password),
    ...seedFile('01-bgp-cluster-config.yaml'),
    ...seedFile('02-bgp-peer-config.yaml'),
    ...seedFile('03-bgp-advertisement.yaml'),
    ...seedFile('05-lb-ip-pool.yaml'),
  ]);
};

/** The Service's first LoadBalancer address, once LB IPAM has allocated it. */
export const waitForLbIp = async (suite: TalkSuite, ns: string, name: string, timeoutMs = 30_000): Promise<string> =>
  waitFor(
    async () => {
      const svc = (await suite.client.tryGet('services', name, ns).catch(() => undefined)) as { status?: { loadBalancer?: { ingress?: Array<{ ip?: string }> } } } | undefined;
      return svc?.status?.loadBalancer?.ingress?.[0]?.ip;
    },
    { description: `an LB IP for Service ${ns}/${name}`, timeoutMs, intervalMs: 100 },
  );

/**
 * When BIRD's protocol entered its current state (the `Since` column of `show protocols`): an
 * unchanged value across a change proves the session was not reset.
 */
export const birdSince = (p: { readonly raw: string; readonly name: string }): string => {
  const line = p.raw.split('\n').find((l) => l.startsWith(`${p.name} `)) ?? '';
  return line.trim().split(/\s+/)[4] ?? '';
};

/**
 * Whether two `since` readings of one session name the same establishment. BIRD keeps the time
 * on a monotonic clock and converts it to wall time when it prints, so one session can read a
 * millisecond apart; a reset re-establishes well after that (open, capabilities, keepalive).
 */
export const sameEstablishment = (before: string, after: string, toleranceMs = 20): boolean => {
  const ms = (t: string): number => {
    const m = /(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(t);
    if (!m) return Number.NaN;
    return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number((m[4] ?? '0').padEnd(3, '0'));
  };
  const a = ms(before);
  const b = ms(after);
  return Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= toleranceMs;
};

/** BIRD's view of one node's session (`show protocols all`). */
export const birdSession = (suite: TalkSuite, node: string) => suite.topology.router.bird.protocol(suite.topology.node(node).birdProtocol);

/** BIRD configuration for a route log with millisecond timestamps (pass as `birdExtraConfig`). */
export const birdRouteLogConfig = (file: string): string => `log "${file}" all;\ntimeformat log "%F %T.%3f";\n`;

/** Logs every route BIRD imports or removes from the nodes (`debug { routes }`), into the route log. */
export const enableBirdRouteDebug = async (suite: TalkSuite): Promise<void> => {
  for (const n of suite.topology.nodes) await suite.topology.router.bird.birdc('debug', n.birdProtocol, '{', 'routes', '}');
};

export interface BirdRouteLogEntry {
  /** ms since the epoch (BIRD's local-time stamp). */
  readonly t: number;
  /** BIRD protocol, e.g. `node_node_1`. */
  readonly proto: string;
  readonly op: 'added' | 'removed';
}

/** `2026-11-26 23:00:50.588 <TRACE> node_node_1.ipv4 > added [best] 20.1.0.5/32 …` → entries per prefix. */
export const parseBirdRouteLog = (text: string): Map<string, BirdRouteLogEntry[]> => {
  const out = new Map<string, BirdRouteLogEntry[]>();
  for (const line of text.split('\n')) {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) <TRACE> (\S+)\.ipv[46] > (added|removed)(?: \[[^\]]*\])? (\S+)/.exec(line);
    if (!m) continue;
    const list = out.get(m[5]!) ?? [];
    list.push({ t: new Date(`${m[1]}T${m[2]}`).getTime(), proto: m[3]!, op: m[4] as 'added' | 'removed' });
    out.set(m[5]!, list);
  }
  return out;
};

export const readFileOrEmpty = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};
