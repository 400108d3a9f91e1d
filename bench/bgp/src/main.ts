import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  BirdInstance,
  GobgpInstance,
  cleanupStaleNamespaces,
  connectNamespaces,
  createNamespace,
  randomPointToPointAddresses,
  spawnManaged,
  waitFor,
  type ManagedProcess,
  type NetNamespace,
} from '@bosun/testing';
import { GobgpApi } from './gobgp-api';
import { CHURN_COUNT, IPV4_COUNT, IPV6_COUNT, ipv4Host, ipv6Host } from './workload';

/**
 * npm run bench:bgp — 100,000 IPv4 /32 and 10,000 IPv6 /128 advertised to BIRD 2 in a namespace,
 * by our speaker and then by gobgpd, on the same BIRD in the same run. Each speaker has its routes
 * loaded before BIRD's sessions are enabled; the time is from Established (BIRD's own timestamp of
 * the first of the two sessions coming up) until BIRD holds every route (its import counters).
 * Churn: 10,000 IPv4 prefixes withdrawn, then announced again, until BIRD shows each step.
 * BIRD gets one untimed warm-up session first (its first import is slow for whoever comes first).
 * The median of RUNS sessions per speaker is reported, and the first of each (cold process) apart. Last stdout line: the JSON figures.
 */

const RUNS = Number(process.env.BOSUN_BENCH_RUNS ?? 3);
const PREFIX = 'bgpbench';
const progress = (m: string): boolean => process.stderr.write(`[bench:bgp] ${m}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Speaker {
  readonly name: string;
  readonly protocols: readonly [string, string];
  withdraw(): Promise<void>;
  announce(): Promise<void>;
}

/** BIRD's import counters and the `Since` time of the protocols given (one birdc call). */
async function birdState(bird: BirdInstance, protocols: readonly [string, string]): Promise<{ v4: number; v6: number; up: boolean; since: number }> {
  // Both protocols share a name prefix: one birdc call with a pattern.
  const common = protocols[0].slice(0, -1);
  const out = await bird.birdc('show', 'protocols', 'all', `"${common}*"`);
  const blocks = out.split(/\n(?=\S)/).filter((b) => b.startsWith(protocols[0]) || b.startsWith(protocols[1]));
  let v4 = 0;
  let v6 = 0;
  let up = blocks.length === 2;
  let since = 0;
  for (const b of blocks) {
    const m = /^(\S+)\s+BGP\s+\S+\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\s+(\S+)/.exec(b);
    if (!m || m[2] !== 'up' || m[4] !== 'Established') up = false;
    else since = since === 0 ? Date.parse(m[3]!.replace(' ', 'T')) : Math.min(since, Date.parse(m[3]!.replace(' ', 'T')));
    const routes = /Routes:\s+(\d+) imported/.exec(b);
    const n = routes ? Number(routes[1]) : 0;
    if (b.startsWith(protocols[0])) v4 = n;
    else v6 = n;
  }
  return { v4, v6, up, since };
}

async function pollUntil(bird: BirdInstance, protocols: readonly [string, string], done: (s: Awaited<ReturnType<typeof birdState>>) => boolean, what: string): Promise<{ at: number; state: Awaited<ReturnType<typeof birdState>> }> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const state = await birdState(bird, protocols);
    const at = Date.now();
    if (done(state)) return { at, state };
    if (at > deadline) throw new Error(`timed out waiting for ${what} (${JSON.stringify(state)})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Enables the speaker's two BIRD sessions; seconds from Established to all 110,000 routes at BIRD. */
async function measureConvergence(bird: BirdInstance, s: Speaker): Promise<number> {
  await bird.birdc('enable', s.protocols[0]);
  await bird.birdc('enable', s.protocols[1]);
  const { at, state } = await pollUntil(bird, s.protocols, (st) => st.up && st.v4 === IPV4_COUNT && st.v6 === IPV6_COUNT, `${s.name}: all routes at BIRD`);
  return (at - state.since) / 1000;
}

async function disable(bird: BirdInstance, s: Speaker): Promise<void> {
  await bird.birdc('disable', s.protocols[0]);
  await bird.birdc('disable', s.protocols[1]);
  await pollUntil(bird, s.protocols, (st) => st.v4 === 0 && st.v6 === 0, `${s.name}: routes flushed`);
}

async function measureChurn(bird: BirdInstance, s: Speaker): Promise<number> {
  const t0 = Date.now();
  await s.withdraw();
  await pollUntil(bird, s.protocols, (st) => st.v4 === IPV4_COUNT - CHURN_COUNT, `${s.name}: churn withdrawn`);
  await s.announce();
  const { at } = await pollUntil(bird, s.protocols, (st) => st.v4 === IPV4_COUNT, `${s.name}: churn re-announced`);
  return (at - t0) / 1000;
}

interface SpeakerResult {
  /** Median over RUNS sessions. */
  readonly convergence: number;
  /** The first timed session: the speaker's process still cold (BIRD warmed up). */
  readonly first: number;
  readonly churn: number;
}

/** One untimed session: BIRD's first import of 110k routes is slow (its tables grow) for whoever comes first. */
let birdWarm = false;

async function runSpeaker(bird: BirdInstance, s: Speaker): Promise<SpeakerResult> {
  if (!birdWarm) {
    const t = await measureConvergence(bird, s);
    progress(`${s.name}: warm-up session (BIRD's tables, not counted): ${t.toFixed(3)} s`);
    await disable(bird, s);
    birdWarm = true;
  }
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = await measureConvergence(bird, s);
    times.push(t);
    progress(`${s.name}: run ${i + 1}/${RUNS}: ${t.toFixed(3)} s from Established to ${IPV4_COUNT + IPV6_COUNT} routes at BIRD`);
    if (i < RUNS - 1) await disable(bird, s);
  }
  const churns: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c = await measureChurn(bird, s);
    churns.push(c);
    progress(`${s.name}: churn ${i + 1}/${RUNS}: ${c.toFixed(3)} s to withdraw and re-announce ${CHURN_COUNT}`);
  }
  await disable(bird, s);
  return { convergence: median(times), first: times[0]!, churn: median(churns) };
}

function vmHwmMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:bgp needs root (network namespaces)');
  await cleanupStaleNamespaces(PREFIX);
  const namespaces: NetNamespace[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const birdNs = await createNamespace(PREFIX);
    const oursNs = await createNamespace(PREFIX);
    const gobNs = await createNamespace(PREFIX);
    namespaces.push(birdNs, oursNs, gobNs);
    const a = randomPointToPointAddresses();
    const b = randomPointToPointAddresses();
    await connectNamespaces({ namespace: oursNs.name, name: 'eth0', addresses: [a.ipv4Cidr[0], a.ipv6Cidr[0]] }, { namespace: birdNs.name, name: 'eth1', addresses: [a.ipv4Cidr[1], a.ipv6Cidr[1]] });
    await connectNamespaces({ namespace: gobNs.name, name: 'eth0', addresses: [b.ipv4Cidr[0], b.ipv6Cidr[0]] }, { namespace: birdNs.name, name: 'eth2', addresses: [b.ipv4Cidr[1], b.ipv6Cidr[1]] });
    progress('starting BIRD');
    const neighbor = (name: string, local: string, peer: string, asn: number, family: 'ipv4-unicast' | 'ipv6-unicast') => ({ name, localAddress: local, peerAddress: peer, peerASN: asn, families: [family], disabled: true, connectRetryTimeSeconds: 1 });
    const bird = await BirdInstance.start({
      namespace: birdNs.name,
      routerID: '10.255.0.1',
      localASN: 65010,
      neighbors: [neighbor('ours4', a.ipv4[1], a.ipv4[0], 65000, 'ipv4-unicast'), neighbor('ours6', a.ipv6[1], a.ipv6[0], 65000, 'ipv6-unicast'), neighbor('gob4', b.ipv4[1], b.ipv4[0], 65001, 'ipv4-unicast'), neighbor('gob6', b.ipv6[1], b.ipv6[0], 65001, 'ipv6-unicast')],
      extraConfig: 'timeformat protocol iso long ms;',
    });
    cleanups.push(() => bird.dispose());

    // Our speaker first by default; BOSUN_BENCH_BGP_ORDER=gobgp-first swaps them (to see that
    // BIRD's warm tables do not favour the second).
    const oursRun = async (): Promise<SpeakerResult & { peakRssMb: number }> => {
      progress('starting our speaker (own process in its namespace)');
      const child: ManagedProcess = spawnManaged(oursNs.name, process.execPath, [resolve(__dirname, 'speaker-child.js'), JSON.stringify({ localASN: 65000, routerID: '10.0.0.1', peerASN: 65010, peerIPv4: a.ipv4[1], peerIPv6: a.ipv6[1] })], { stdin: 'pipe' });
      cleanups.push(() => child.stop());
      let seen = 0;
      const stdoutLines = (): string[] => child.stdout().split('\n').filter((l) => l.startsWith('{'));
      const waitLine = async (pred: (o: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> =>
        waitFor(
          () => {
            const all = stdoutLines();
            for (; seen < all.length; seen++) {
              const o = JSON.parse(all[seen]!) as Record<string, unknown>;
              if (pred(o)) {
                seen++;
                return o;
              }
            }
            if (child.hasExited) throw new Error(`speaker-child exited: ${child.output()}`);
            return undefined;
          },
          { timeoutMs: 120_000, intervalMs: 2, description: 'our speaker' },
        );
      const ready = await waitLine((o) => o.ready === true);
      progress(`our speaker loaded ${IPV4_COUNT + IPV6_COUNT} routes in ${Number(ready.loadMs).toFixed(0)} ms`);
      const send = async (cmd: string): Promise<void> => {
        child.write(`${cmd}\n`);
        await waitLine((o) => o.done === cmd);
      };
      const result = await runSpeaker(bird, { name: 'ours', protocols: ['ours4', 'ours6'], withdraw: () => send('withdraw'), announce: () => send('announce') });
      const oursRss = vmHwmMb(child.pid);
      if (process.env.BOSUN_BENCH_VERBOSE) progress(`our speaker's stderr:\n${child.output().split('\n').filter((l) => !l.startsWith('{')).join('\n')}`);
      progress(`ours: peak RSS ${oursRss.toFixed(1)} MB`);
      await child.stop();
      return { ...result, peakRssMb: oursRss };

    };
    const gobgpRun = async (): Promise<SpeakerResult> => {
      progress('starting gobgpd');
      const gobgp = await GobgpInstance.start({
        namespace: gobNs.name,
        routerID: '10.0.0.2',
        localASN: 65001,
        neighbors: [
          { name: 'bird4', peerAddress: b.ipv4[1], peerASN: 65010, families: ['ipv4-unicast'], exportRoutes: true, connectRetryTimeSeconds: 1 },
          { name: 'bird6', peerAddress: b.ipv6[1], peerASN: 65010, families: ['ipv6-unicast'], exportRoutes: true, connectRetryTimeSeconds: 1 },
        ],
      });
      cleanups.push(() => gobgp.dispose());
      const api = new GobgpApi(gobgp.apiTarget);
      cleanups.push(async () => api.close());
      const v4 = Array.from({ length: IPV4_COUNT }, (_, i) => ipv4Host(i));
      const v6 = Array.from({ length: IPV6_COUNT }, (_, i) => ipv6Host(i));
      const t = Date.now();
      await api.addHostRoutes(v4, b.ipv4[0]);
      await api.addHostRoutes(v6, b.ipv6[0]);
      await waitFor(async () => (await gobgp.gobgp('global', 'rib', 'summary', '-a', 'ipv4')).includes(`Destination: ${IPV4_COUNT},`), { description: 'gobgpd RIB loaded', timeoutMs: 120_000 });
      progress(`gobgpd loaded ${IPV4_COUNT + IPV6_COUNT} routes through gRPC AddPathStream in ${Date.now() - t} ms`);
      // Churn messages are encoded up front: only the API call and gobgpd's work are timed.
      const churnSet = v4.slice(0, CHURN_COUNT);
      const withdrawMsgs = api.prepare(churnSet, b.ipv4[0], true);
      const announceMsgs = api.prepare(churnSet, b.ipv4[0]);
      const result = await runSpeaker(bird, {
        name: 'gobgp',
        protocols: ['gob4', 'gob6'],
        withdraw: () => api.send(withdrawMsgs),
        announce: () => api.send(announceMsgs),
      });
      progress(`gobgpd: peak RSS ${vmHwmMb(gobgp.process!.pid).toFixed(1)} MB (for reference)`);
      return result;

    };
    let ours: SpeakerResult & { peakRssMb: number };
    let gob: SpeakerResult;
    if (process.env.BOSUN_BENCH_BGP_ORDER === 'gobgp-first') {
      gob = await gobgpRun();
      ours = await oursRun();
    } else {
      ours = await oursRun();
      gob = await gobgpRun();
    }

    const result = {
      prefixes: IPV4_COUNT + IPV6_COUNT,
      ours_s: round(ours.convergence),
      gobgp_s: round(gob.convergence),
      ratio_vs_gobgp: round(ours.convergence / gob.convergence),
      churn_ours_s: round(ours.churn),
      churn_gobgp_s: round(gob.churn),
      ours_peak_rss_mb: round(ours.peakRssMb, 1),
      ours_first_session_s: round(ours.first),
      gobgp_first_session_s: round(gob.first),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    for (const ns of namespaces) await ns.delete().catch(() => undefined);
  }
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;


main().catch((e: unknown) => {
  progress(`failed: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
