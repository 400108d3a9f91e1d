import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ApiStatusError, type KubeObject } from '@bosun/client';
import { REPO_ROOT, waitFor, type TalkSuite } from '@bosun/testing';

/** The talk's manifests (a copy of shared/examples/seed kept with the BGP control-plane tests). */
export const SEED_DIR = join(REPO_ROOT, 'libs/bgp-control-plane/test/seed');

export const seedFile = (name: string): KubeObject[] =>
  parseAllDocuments(readFileSync(join(SEED_DIR, name), 'utf8'))
    .map((d) => d.toJS() as KubeObject)
    .filter((o) => o && o.kind);

export const PASSWORD = 'talk-md5-secret';

export const namespace = (name: string): KubeObject & { apiVersion: string; kind: string } => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export const authSecret = (name = 'bgp-auth-secret', password = PASSWORD): KubeObject & { apiVersion: string; kind: string } => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'kube-system' },
  type: 'Opaque',
  data: { password: Buffer.from(password).toString('base64') },
});

export const lbService = (name: string, labels: Record<string, string>, ns = 'tenant-blue'): KubeObject & { apiVersion: string; kind: string } => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns, labels },
  spec: { type: 'LoadBalancer', ports: [{ name: 'port-80', port: 80, protocol: 'TCP' }] },
});

/** The Service's first LoadBalancer address, once ipam has allocated it. */
export const waitForLbIp = async (suite: TalkSuite, ns: string, name: string): Promise<string> =>
  waitFor(
    async () => {
      const svc = (await suite.client.tryGet('services', name, ns).catch(() => undefined)) as any;
      return svc?.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined;
    },
    { description: `an LB IP for Service ${ns}/${name}`, timeoutMs: 30_000, intervalMs: 100 },
  );

/**
 * All-or-nothing apply, retried when the API answers 504 "stored, but the object view did not
 * catch up in time" (a busy machine): the write is idempotent (server-side apply).
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

export const applyAll = async (suite: TalkSuite, objs: ReadonlyArray<KubeObject & { apiVersion?: string; kind?: string }>): Promise<void> => {
  await retry504(() => suite.client.applyAll(objs as KubeObject[]));
};

/** Applies the seed's BGP manifests, the auth Secret, the blue pool and the namespaces. */
export const applyTalkBgpSetup = async (suite: TalkSuite): Promise<void> => {
  await applyAll(suite, [
    namespace('kube-system'),
    namespace('tenant-blue'),
    authSecret(),
    ...seedFile('01-bgp-cluster-config.yaml'),
    ...seedFile('02-bgp-peer-config.yaml'),
    ...seedFile('03-bgp-advertisement.yaml'),
    ...seedFile('05-lb-ip-pool.yaml'),
  ]);
};

/** BIRD's view of one node's session. */
export const birdSession = (suite: TalkSuite, node: string) => suite.topology.router.bird.protocol(suite.topology.node(node).birdProtocol);

/** Lines of BIRD's route debug log (`log` file + `debug { routes }`), e.g. `node_node_1.ipv4 > removed …`. */
export const BIRD_LOG = (dir: string): string => join(dir, 'bird-routes.log');
export const birdLogConfig = (file: string): string => `log "${file}" all;\ntimeformat log "%F %T.%3f";\n`;

export const enableRouteDebug = async (suite: TalkSuite): Promise<void> => {
  for (const n of suite.topology.nodes) await suite.topology.router.bird.birdc('debug', n.birdProtocol, '{', 'routes', '}');
};

export const readLog = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};
