import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiStatusError, type KubeObject } from '@bosun/client';
import {
  bgpAuthSecret,
  birdRouteLogConfig,
  enableBirdRouteDebug,
  namespaceObject,
  parseBirdRouteLog,
  retry504,
  seedFile,
  startTalkSuite,
  waitFor,
  type TalkSuite,
} from '@bosun/testing';

/**
 * npm run bench:bgp-e2e — the whole chain of the talk, end to end: the API, LB IPAM, two nodes
 * running `bosun agent` (bgp-speaker) in their namespaces, and the BIRD router owning fd00:10::1.
 * 1000 Services labelled bgp=blue are applied (50/s); for each, the time from sending the apply
 * to its LoadBalancer prefix being in the router's table from every rack0 node (BIRD's own
 * millisecond timestamps from its route log). Then all are deleted (50/s): the time from sending
 * the delete to the prefix leaving the router's table from every node. Last stdout line: JSON.
 */

const SERVICES = Number(process.env.BOSUN_BENCH_SERVICES ?? 1000);
const RATE = Number(process.env.BOSUN_BENCH_RATE ?? 50);
const PASSWORD = 'bench-md5-secret';
const NS = 'tenant-bench';
const progress = (m: string): boolean => process.stderr.write(`[bench:bgp-e2e] ${m}\n`);

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number): number => Math.round(x * 10) / 10;

/** Starts `fn(i)` at `rate` per second (at most 64 in flight); resolves with each start time. */
const paced = async (n: number, rate: number, fn: (i: number) => Promise<unknown>): Promise<number[]> => {
  const starts: number[] = [];
  const begin = Date.now();
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const wait = begin + (i * 1000) / rate - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inflight.size >= 64) await Promise.race(inflight);
    starts[i] = Date.now();
    const p = fn(i).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  return starts;
};

/** Where the time goes (stderr): apply → Service stored → ipam allocated → speaker advertised → in BIRD. */
const breakdown = async (
  s: TalkSuite,
  ips: Map<string, string>,
  applyStarts: readonly number[],
  log: Map<string, Array<{ t: number; proto: string; op: string }>>,
  protos: readonly string[],
): Promise<void> => {
  const { createEventStore, START } = await import('@bosun/event-store');
  const store = await createEventStore({ url: s.env['DATABASE_URL'], schema: s.schema, migrate: false, poolSize: 1 });
  const at = new Map<string, number>();
  let after = START;
  for (;;) {
    const page = await store.readAll({ after, limit: 5000 });
    for (const e of page.events) {
      const d = e.data as any;
      const t = Date.parse(e.occurredAt);
      if (e.type === 'resource.Applied' && d.ref?.kind === 'Service' && !at.has(`applied|${d.ref.name}`)) at.set(`applied|${d.ref.name}`, t);
      if (e.type === 'ipam.LoadBalancerIPAllocated') at.set(`allocated|${d.service?.name}`, t);
      if (e.type === 'bgp.RouteAdvertised') for (const p of d.prefixes as string[]) if (!at.has(`advertised|${d.node}|${p}`)) at.set(`advertised|${d.node}|${p}`, t);
    }
    after = page.checkpoint;
    if (page.caughtUp || page.events.length === 0) break;
  }
  await store.close();
  const cols: Record<string, number[]> = { stored: [], allocated: [], advertised: [], bird: [] };
  for (let i = 0; i < applyStarts.length; i++) {
    const name = service(i).metadata!.name!;
    const prefix = `${ips.get(name)}/32`;
    const t0 = applyStarts[i]!;
    const adv = Math.max(...s.topology.nodes.map((n) => at.get(`advertised|${n.name}|${prefix}`) ?? NaN));
    const bird = Math.max(...protos.map((p) => log.get(prefix)?.find((e) => e.proto === p && e.op === 'added')?.t ?? NaN));
    cols.stored!.push((at.get(`applied|${name}`) ?? NaN) - t0);
    cols.allocated!.push((at.get(`allocated|${name}`) ?? NaN) - t0);
    cols.advertised!.push(adv - t0);
    cols.bird!.push(bird - t0);
  }
  for (const [k, xs] of Object.entries(cols)) progress(`breakdown: apply → ${k}: p50 ${pct(xs, 50)} ms, p99 ${pct(xs, 99)} ms`);
};

const service = (i: number): KubeObject & { apiVersion: string; kind: string } => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `bench-${String(i).padStart(4, '0')}`, namespace: NS, labels: { bgp: 'blue', bench: 'yes' } },
  spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
});

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-bench-bgp-e2e-'));
  const logFile = join(dir, 'bird-routes.log');
  progress('starting the talk suite (BIRD router, API, ipam, two nodes)…');
  let suite: TalkSuite | undefined;
  try {
    suite = await startTalkSuite({ area: 'bgpe2e', prefix: 'bgpe2e', password: PASSWORD, birdExtraConfig: birdRouteLogConfig(logFile) });
    const s = suite;
    await enableBirdRouteDebug(s);
    await retry504(() =>
      s.client.applyAll([
        namespaceObject('kube-system'),
        namespaceObject(NS),
        bgpAuthSecret('bgp-auth-secret', PASSWORD),
        ...seedFile('01-bgp-cluster-config.yaml'),
        ...seedFile('02-bgp-peer-config.yaml'),
        ...seedFile('03-bgp-advertisement.yaml'),
        { apiVersion: 'cilium.io/v2', kind: 'CiliumLoadBalancerIPPool', metadata: { name: 'bench' }, spec: { blocks: [{ cidr: '20.2.0.0/20' }], serviceSelector: { matchLabels: { bench: 'yes' } } } },
      ]),
    );
    for (const n of s.topology.nodes) await s.startAgent(n.name);
    for (const n of s.topology.nodes) {
      await waitFor(async () => (await s.topology.router.bird.protocol(n.birdProtocol)).bgpState === 'Established', { description: `${n.name} established`, timeoutMs: 60_000 });
    }
    const protos = s.topology.nodes.map((n) => `${n.birdProtocol}`);
    progress(`sessions up; applying ${SERVICES} Services at ${RATE}/s…`);

    const applyStarts = await paced(SERVICES, RATE, (i) => retry504(() => s.client.apply(service(i), { fieldManager: 'bench' })));
    const ips = await waitFor(
      async () => {
        const list = await s.client.list<any>('services', { namespace: NS, labelSelector: 'bench=yes' });
        const m = new Map<string, string>(list.items.map((o) => [o.metadata.name as string, o.status?.loadBalancer?.ingress?.[0]?.ip as string]));
        return [...m.values()].filter(Boolean).length === SERVICES ? m : undefined;
      },
      { description: 'every Service has its LB IP', timeoutMs: 120_000, intervalMs: 500 },
    );
    const present = async (): Promise<number> => Math.min(...(await Promise.all(s.topology.nodes.map(async (n) => (await s.topology.routesFrom(n.name)).filter((p) => p.startsWith('20.2.')).length))));
    await waitFor(async () => (await present()) === SERVICES, { description: `${SERVICES} LB prefixes from every node`, timeoutMs: 120_000, intervalMs: 500 });
    progress(`all ${SERVICES} prefixes are in the router's table; deleting at ${RATE}/s…`);

    const deleteStarts = await paced(SERVICES, RATE, (i) =>
      retry504(() =>
        s.client.delete('services', service(i).metadata!.name!, NS).catch((e: unknown) => {
          if (e instanceof ApiStatusError && e.code === 404) return undefined;
          throw e;
        }),
      ),
    );
    await waitFor(async () => (await present()) === 0, { description: 'every LB prefix withdrawn', timeoutMs: 120_000, intervalMs: 500 });
    await new Promise((r) => setTimeout(r, 500)); // the log is written as BIRD goes

    const log = parseBirdRouteLog(readFileSync(logFile, 'utf8'));
    const apply: number[] = [];
    const applyFirst: number[] = [];
    const withdraw: number[] = [];
    for (let i = 0; i < SERVICES; i++) {
      const prefix = `${ips.get(service(i).metadata!.name!)}/32`;
      const events = log.get(prefix) ?? [];
      const added = protos.map((p) => events.find((e) => e.proto === p && e.op === 'added' && e.t >= applyStarts[i]! - 5)?.t);
      const removed = protos.map((p) => events.find((e) => e.proto === p && e.op === 'removed' && e.t >= deleteStarts[i]! - 5)?.t);
      if (added.some((t) => t === undefined) || removed.some((t) => t === undefined)) throw new Error(`no complete route log for ${prefix}: ${JSON.stringify(events)}`);
      apply.push(Math.max(...(added as number[])) - applyStarts[i]!);
      applyFirst.push(Math.min(...(added as number[])) - applyStarts[i]!);
      withdraw.push(Math.max(...(removed as number[])) - deleteStarts[i]!);
    }
    if (process.env.BOSUN_BENCH_BREAKDOWN) await breakdown(s, ips, applyStarts, log, protos);
    progress(`apply → route (first node): p50 ${pct(applyFirst, 50)} ms, p99 ${pct(applyFirst, 99)} ms; (every node): p50 ${pct(apply, 50)} ms, p99 ${pct(apply, 99)} ms, max ${Math.max(...apply)} ms`);
    progress(`delete → withdrawn (every node): p50 ${pct(withdraw, 50)} ms, p99 ${pct(withdraw, 99)} ms, max ${Math.max(...withdraw)} ms`);
    process.stdout.write(
      `${JSON.stringify({ services: SERVICES, apply_to_route_p50_ms: round(pct(apply, 50)), apply_to_route_p99_ms: round(pct(apply, 99)), withdraw_p99_ms: round(pct(withdraw, 99)) })}\n`,
    );
  } finally {
    await suite?.destroy();
    if (process.env.BOSUN_BENCH_KEEP) progress(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
};

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench:bgp-e2e] failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
