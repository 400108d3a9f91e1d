import { createInterface } from 'node:readline';
import { BgpSpeaker, type RouteAttributes } from '@bosun/bgp';
import { CHURN_COUNT, IPV4_COUNT, IPV6_COUNT, ipv4Host, ipv6Host } from './workload';

/**
 * Our speaker for the benchmark, run as its own process inside a network namespace (so its peak
 * RSS is its own). Routes are set before the peers, as a service would. Commands on stdin:
 * `withdraw` (the first 10,000 IPv4 prefixes), `announce` (them again), `stop`.
 */

interface ChildConfig {
  readonly localASN: number;
  readonly routerID: string;
  readonly peerASN: number;
  readonly peerIPv4: string;
  readonly peerIPv6: string;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const out = (o: object): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);

async function main(): Promise<void> {
  const speaker = new BgpSpeaker({ localASN: cfg.localASN, routerID: cfg.routerID, listen: { address: '::', port: 179 }, idleHoldTimeSeconds: 1 });
  await speaker.start();
  const attrs: RouteAttributes = {};
  const v4 = new Map<string, RouteAttributes>();
  for (let i = 0; i < IPV4_COUNT; i++) v4.set(`${ipv4Host(i)}/32`, attrs);
  const v6 = new Map<string, RouteAttributes>();
  for (let i = 0; i < IPV6_COUNT; i++) v6.set(`${ipv6Host(i)}/128`, attrs);
  const t = performance.now();
  speaker.setRoutes('bird4', 'ipv4-unicast', v4);
  speaker.setRoutes('bird6', 'ipv6-unicast', v6);
  const loadMs = performance.now() - t;
  const common = { peerASN: cfg.peerASN, connectRetryTimeSeconds: 1 };
  speaker.setPeers([
    { name: 'bird4', peerAddress: cfg.peerIPv4, families: ['ipv4-unicast'], ...common },
    { name: 'bird6', peerAddress: cfg.peerIPv6, families: ['ipv6-unicast'], ...common },
  ]);
  out({ ready: true, loadMs });
  const churned = new Map([...v4].slice(CHURN_COUNT));
  // Timing of our side (stderr): when the advertised count reflects a command.
  let cmdAt = 0;
  speaker.on('routeCountsChanged', (st) => {
    if (cmdAt && st.name === 'bird4') process.stderr.write(`advertised ${st.routeCounts[0]?.advertised} at +${(performance.now() - cmdAt).toFixed(1)} ms\n`);
  });
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = line.trim();
    cmdAt = performance.now();
    if (cmd === 'withdraw') speaker.setRoutes('bird4', 'ipv4-unicast', churned);
    else if (cmd === 'announce') speaker.setRoutes('bird4', 'ipv4-unicast', v4);
    else if (cmd === 'stop') break;
    process.stderr.write(`${cmd}: setRoutes took ${(performance.now() - cmdAt).toFixed(1)} ms\n`);
    out({ done: cmd });
  }
  await speaker.stop();
  out({ stopped: true, maxRssKb: process.resourceUsage().maxRSS });
}

main().catch((e: unknown) => {
  process.stderr.write(`speaker-child: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
