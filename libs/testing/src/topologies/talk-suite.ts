import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BosunClient } from '@bosun/client';
import { spawnManaged, type ManagedProcess } from '../net/process.js';
import { waitFor } from '../net/wait.js';
import { dropSchema, dropStaleSchemas, testDatabaseUrl, testSchemaName } from '../postgres';
import { createTalkTopology, type TalkTopology, type TalkTopologyOptions } from './talk.js';

/**
 * The talk's suite on one machine, for interop tests, benchmarks and the demo: the talk topology
 * (BIRD router + node namespaces), the API (on a Unix socket, so agents inside the namespaces
 * reach it), LB IPAM, and per node `bosun agent` inside its namespace. One Postgres schema of its
 * own; everything is removed by `destroy()`.
 */

export interface TalkSuiteOptions extends TalkTopologyOptions {
  /** Schema area (`t_<area>_…`), 1-16 lowercase letters/digits. */
  readonly area: string;
  /** Start the ipam service (default true). */
  readonly ipam?: boolean;
  /** Services the agents run (default `bgp-speaker`). */
  readonly agentServices?: readonly string[];
  /** Extra environment for every process (e.g. `LOG_LEVEL`). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface TalkAgent {
  readonly node: string;
  readonly process: ManagedProcess;
  /** Pid of one of the agent's services (from its "started (pid N)" line), once started. */
  servicePid(service: string): number | undefined;
}

export interface TalkSuite {
  readonly topology: TalkTopology;
  readonly schema: string;
  /** `unix:/…/api.sock` */
  readonly server: string;
  readonly client: BosunClient;
  /** Environment of the suite's processes (event store, API). */
  readonly env: Readonly<Record<string, string>>;
  readonly root: string;
  /** Starts `bosun agent --node <name>` inside the node's namespace with its labels. */
  startAgent(node: string, opts?: { labels?: Readonly<Record<string, string>>; services?: readonly string[] }): Promise<TalkAgent>;
  agent(node: string): TalkAgent | undefined;
  stopAgent(node: string): Promise<void>;
  /** Output of every process (for failure messages). */
  logs(): string;
  destroy(): Promise<void>;
}

export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');

/** Postgres through its Unix socket: the same URL works inside a network namespace. */
export const unixSocketDatabaseUrl = (): string => {
  const tcp = new URL(testDatabaseUrl());
  return `postgresql://${tcp.username || 'postgres'}@/${tcp.pathname.replace(/^\//, '') || 'test'}?host=/var/run/postgresql`;
};

export async function startTalkSuite(options: TalkSuiteOptions): Promise<TalkSuite> {
  for (const app of ['api', 'ipam', 'bgp-speaker', 'cli']) {
    if (!existsSync(join(REPO_ROOT, 'apps', app, 'dist', 'main.js'))) throw new Error(`apps/${app}/dist/main.js is missing: build first (npx tsc -b tsconfig.build.json)`);
  }
  await dropStaleSchemas(options.area);
  const schema = testSchemaName(options.area);
  const dir = mkdtempSync(join(tmpdir(), `bosun-${options.area}-`));
  const server = `unix:${join(dir, 'api.sock')}`;
  const env: Record<string, string> = {
    DATABASE_URL: unixSocketDatabaseUrl(),
    BOSUN_EVENTSTORE_SCHEMA: schema,
    BOSUN_API_SCHEMA: `${schema}_api`,
    BOSUN_SERVER: server,
    BOSUN_TOKEN: 'talk-suite',
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const procs: ManagedProcess[] = [];
  const logs: string[] = [];
  const agents = new Map<string, TalkAgent & { stop(): Promise<void> }>();
  let topology: TalkTopology | undefined;
  const client = new BosunClient({ server, token: env['BOSUN_TOKEN'] });
  const destroy = async (): Promise<void> => {
    for (const a of agents.values()) await a.stop().catch(() => undefined);
    for (const p of [...procs].reverse()) await p.stop(5000).catch(() => undefined);
    client.close();
    await topology?.destroy().catch(() => undefined);
    await dropSchema(`${schema}_api`).catch(() => undefined);
    await dropSchema(schema).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    topology = await createTalkTopology(options);
    const rootEnv = { ...process.env, ...env };
    const api = spawnManaged(undefined, process.execPath, [join(REPO_ROOT, 'apps/api/dist/main.js')], {
      cwd: REPO_ROOT,
      env: { ...rootEnv, BOSUN_API_LISTEN: server, BOSUN_SECRET_KEY: randomBytes(32).toString('hex'), BOSUN_HTTP_LISTEN: '127.0.0.1:0' },
      logFile: join(dir, 'api.log'),
    });
    procs.push(api);
    await waitFor(
      async () => {
        if (api.hasExited) throw new Error(`the API exited: ${api.output()}`);
        return (await client.request('GET', '/readyz')).status === 200;
      },
      { description: 'the API ready', timeoutMs: 60_000, intervalMs: 200 },
    );
    if (options.ipam !== false) {
      const ipam = spawnManaged(undefined, process.execPath, [join(REPO_ROOT, 'apps/ipam/dist/main.js')], {
        cwd: REPO_ROOT,
        env: { ...rootEnv, BOSUN_HTTP_LISTEN: '127.0.0.1:0', BOSUN_IPAM_INSTANCE: `${options.area}-ipam` },
        logFile: join(dir, 'ipam.log'),
      });
      procs.push(ipam);
    }
  } catch (e) {
    const out = procs.map((p) => p.output()).join('\n');
    await destroy();
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  const topo = topology;

  const startAgent: TalkSuite['startAgent'] = async (node, opts = {}) => {
    const n = topo.node(node);
    const labels = opts.labels ?? n.labels;
    const services = opts.services ?? options.agentServices ?? ['bgp-speaker'];
    const args = [join(REPO_ROOT, 'apps/cli/bin/bosun.js'), 'agent', '--node', node, '--services', services.join(',')];
    if (Object.keys(labels).length) args.push('--labels', Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','));
    const proc = n.namespace.spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, logFile: join(dir, `agent-${node}.log`), keepOutputChars: 1 << 20 });
    const agent = {
      node,
      process: proc,
      servicePid: (service: string): number | undefined => {
        const matches = [...proc.output().matchAll(new RegExp(`\\[agent\\] ${service} started \\(pid (\\d+)`, 'g'))];
        const last = matches[matches.length - 1];
        return last ? Number(last[1]) : undefined;
      },
      stop: () => proc.stop(10_000),
    };
    agents.set(node, agent);
    await waitFor(
      () => {
        if (proc.hasExited) throw new Error(`bosun agent for ${node} exited: ${proc.output()}`);
        return services.every((s) => agent.servicePid(s) !== undefined);
      },
      { description: `the agent of ${node} running ${services.join(', ')}`, timeoutMs: 60_000 },
    );
    return agent;
  };

  return {
    topology: topo,
    schema,
    server,
    client,
    env,
    root: REPO_ROOT,
    startAgent,
    agent: (node) => agents.get(node),
    stopAgent: async (node) => {
      await agents.get(node)?.stop();
      agents.delete(node);
    },
    logs: () => [...procs.map((p) => `--- ${p.command.join(' ')}\n${p.output()}`), ...[...agents.values()].map((a) => `--- agent ${a.node}\n${a.process.output()}`)].join('\n').concat(logs.join('\n')),
    destroy,
  };
}
