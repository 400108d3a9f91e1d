import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ApiStatusError, BosunClient, type KubeObject } from '@bosun/client';
import { interfaceAddresses, nodeObject, parseLabels } from './agent-node';
import { Supervisor } from './agent-supervisor';

/**
 * `bosun agent --node NAME [--labels k=v,…] [--services bgp-speaker,l2-announcer]`: the per-node
 * agents of one node, in the current network namespace (a real host, a container, or a namespace
 * standing in for a node). It registers Node NAME through the API with those labels and the
 * namespace's interface addresses, then runs each service as a child process with
 * `BOSUN_NODE_NAME=NAME`, restarting one that dies, and stops them on SIGTERM/SIGINT.
 */

export const AGENT_SERVICES = ['bgp-speaker', 'l2-announcer'] as const;
const repoRoot = (): string => resolve(__dirname, '..', '..', '..', '..');

export interface AgentOptions {
  readonly node: string;
  readonly labels?: string;
  readonly services?: string;
  readonly podCidrs?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Applies the Node (metadata and spec) and its status (addresses), retrying until the API answers. */
export const registerNode = async (client: BosunClient, node: Record<string, unknown>, log: (line: string) => void, timeoutMs = 120_000): Promise<void> => {
  const { status, ...rest } = node as { status: Record<string, unknown> } & KubeObject;
  const name = (rest.metadata as { name: string }).name;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.apply(rest as KubeObject & { apiVersion: string; kind: string }, { fieldManager: 'bosun-agent', force: true });
      await client.patch('nodes', name, { status }, { subresource: 'status', type: 'merge', fieldManager: 'bosun-agent' });
      return;
    } catch (err) {
      // Bad input (4xx other than throttling) will not get better by waiting.
      if (err instanceof ApiStatusError && err.code >= 400 && err.code < 500 && err.code !== 429) throw new Error(`registering Node ${name}: ${err.message}`);
      if (Date.now() > deadline) throw new Error(`registering Node ${name}: the API at ${client.config.server} did not answer: ${err instanceof Error ? err.message : String(err)}`);
      if (attempt === 1 || attempt % 10 === 0) log(`waiting for the API at ${client.config.server}: ${err instanceof Error ? err.message : String(err)}`);
      await sleep(Math.min(2000, 100 * attempt));
    }
  }
};

export const runAgent = async (o: AgentOptions): Promise<void> => {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.node)) throw new Error(`--node: "${o.node}" is not a valid node name (lowercase RFC 1123 subdomain)`);
  const labels = parseLabels(o.labels);
  const services = (o.services ?? AGENT_SERVICES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of services) {
    if (!(AGENT_SERVICES as readonly string[]).includes(s)) throw new Error(`--services: unknown service "${s}" (one of ${AGENT_SERVICES.join(', ')})`);
    if (!existsSync(join(repoRoot(), 'apps', s, 'dist', 'main.js'))) throw new Error(`--services: apps/${s}/dist/main.js is missing: run \`npm run build\` first`);
  }
  const podCIDRs = (o.podCidrs ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const client = new BosunClient();
  const addresses = interfaceAddresses();
  await registerNode(client, nodeObject(o.node, labels, addresses, podCIDRs), (l) => out(`[agent] ${l}`));
  client.close();
  out(`[agent] node/${o.node} registered (labels ${JSON.stringify(labels)}, addresses ${addresses.map((a) => a.address).join(', ') || 'none'})`);

  // Each child gets the node name; connections (DATABASE_URL, NATS_URL, BOSUN_SERVER, BOSUN_TOKEN…)
  // pass through. BOSUN_HTTP_LISTEN does not: each service has its own default port.
  const { BOSUN_HTTP_LISTEN: _drop, ...env } = process.env;
  const supervisor = new Supervisor({
    onStart: (name, pid, restarts) => out(`[agent] ${name} started (pid ${pid}${restarts ? `, restart ${restarts}` : ''})`),
    onExit: (name, code, signal, restartIn) =>
      out(`[agent] ${name} exited (${signal ?? `code ${code}`})${restartIn !== undefined ? `; restarting in ${restartIn} ms` : ''}`),
    onOutput: (name, line) => out(`[${name}] ${line}`),
  });
  supervisor.start(services.map((s) => ({ name: s, command: process.execPath, args: [join(repoRoot(), 'apps', s, 'dist', 'main.js')], env: { ...env, BOSUN_NODE_NAME: o.node } })));
  await new Promise<void>((resolveStop) => {
    const stop = (sig: string): void => {
      out(`[agent] ${sig}: stopping ${services.join(', ')}`);
      void supervisor.stop().then(resolveStop);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
};

export const register = (program: Command): void => {
  program
    .command('agent')
    .description('run the per-node agents (bgp-speaker, l2-announcer) of one node in the current network namespace')
    .requiredOption('--node <name>', 'the node to run as (registered through the API)')
    .option('--labels <k=v,...>', 'labels of the Node (e.g. rack=rack0)')
    .option('--services <list>', `services to run (default ${AGENT_SERVICES.join(',')})`)
    .option('--pod-cidrs <cidrs>', 'spec.podCIDRs of the Node (comma-separated)')
    .action(async (opts: AgentOptions) => {
      await runAgent(opts);
    });
};
