import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../exec.js';
import { spawnManaged } from '../process.js';
import { PeerDaemon } from './daemon.js';
import { waitFor } from '../wait.js';
import { communityToNumeric, type OriginatedRoute, type PeerFamily, type PeerNeighbor, type PeerRoute, type PeerSessionState } from './types.js';

export interface FrrOptions {
  readonly namespace: string;
  readonly routerID: string;
  readonly localASN: number;
  /** BGP listen port (default 179; 0 = do not listen). */
  readonly listenPort?: number;
  readonly neighbors: readonly PeerNeighbor[];
  /** Routes FRR originates (`network` statements with a route-map setting the attributes). */
  readonly routes?: readonly OriginatedRoute[];
  readonly extraConfig?: string;
}

/** Renders an FRR bgpd configuration (no zebra: `-Z`, so next hops are not resolved against a RIB). */
export function renderFrrConfig(options: FrrOptions): string {
  const l: string[] = ['frr defaults datacenter', 'hostname bosun-frr', 'log stdout informational', `router bgp ${options.localASN}`, ` bgp router-id ${options.routerID}`, ' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast', ' bgp graceful-restart'];
  // Without zebra there is no interface information: do not require next hops on connected subnets.
  for (const n of options.neighbors) {
    const a = n.peerAddress;
    l.push(` neighbor ${a} remote-as ${n.peerASN}`, ` neighbor ${a} description ${n.name}`, ` neighbor ${a} disable-connected-check`);
    if (n.localASN !== undefined) l.push(` neighbor ${a} local-as ${n.localASN} no-prepend replace-as`);
    if (n.peerPort) l.push(` neighbor ${a} port ${n.peerPort}`);
    if (n.localAddress) l.push(` neighbor ${a} update-source ${n.localAddress}`);
    if (n.password !== undefined) l.push(` neighbor ${a} password ${n.password}`);
    const hold = n.holdTimeSeconds ?? 9;
    l.push(` neighbor ${a} timers ${n.keepAliveTimeSeconds ?? Math.max(1, Math.floor(hold / 3))} ${hold}`, ` neighbor ${a} timers connect ${n.connectRetryTimeSeconds ?? 2}`);
    if (n.ebgpMultihop && n.ebgpMultihop > 1) l.push(` neighbor ${a} ebgp-multihop ${n.ebgpMultihop}`);
    if (n.passive) l.push(` neighbor ${a} passive`);
    if (n.extendedNextHop) l.push(` neighbor ${a} capability extended-nexthop`);
    if (n.gracefulRestart) l.push(` neighbor ${a} graceful-restart`);
  }
  if (options.neighbors.some((n) => n.gracefulRestart?.restartTimeSeconds !== undefined)) {
    l.push(` bgp graceful-restart restart-time ${options.neighbors.find((n) => n.gracefulRestart?.restartTimeSeconds !== undefined)!.gracefulRestart!.restartTimeSeconds}`);
  }
  const routes = options.routes ?? [];
  for (const [afi, v6] of [
    ['ipv4', false],
    ['ipv6', true],
  ] as const) {
    const fam: PeerFamily = v6 ? 'ipv6-unicast' : 'ipv4-unicast';
    l.push(` address-family ${afi} unicast`);
    routes.forEach((r, i) => {
      if (r.prefix.includes(':') === v6) l.push(`  network ${r.prefix} route-map ORIGINATE_${i}`);
    });
    for (const n of options.neighbors) {
      if (!(n.families ?? ['ipv4-unicast', 'ipv6-unicast']).includes(fam)) continue;
      l.push(`  neighbor ${n.peerAddress} activate`);
      if (!n.exportRoutes) l.push(`  neighbor ${n.peerAddress} route-map DENY_ALL out`);
      if (n.exportRoutes) l.push(`  neighbor ${n.peerAddress} next-hop-self`);
    }
    l.push(' exit-address-family');
  }
  l.push('!', 'route-map DENY_ALL deny 10', '!');
  routes.forEach((r, i) => {
    l.push(`route-map ORIGINATE_${i} permit 10`);
    if (r.communities?.length) l.push(` set community ${r.communities.join(' ')}`);
    if (r.largeCommunities?.length) l.push(` set large-community ${r.largeCommunities.join(' ')}`);
    if (r.localPreference !== undefined) l.push(` set local-preference ${r.localPreference}`);
    if (r.med !== undefined) l.push(` set metric ${r.med}`);
    l.push('!');
  });
  if (options.extraConfig) l.push(options.extraConfig);
  return l.join('\n') + '\n';
}

/** FRR's bgpd running standalone in a namespace (`-Z`, own vty socket directory), queried with `vtysh`. */
export class FrrInstance extends PeerDaemon<FrrOptions> {
  private constructor(options: FrrOptions, workDir: string) {
    super(options, workDir);
  }


  static async start(options: FrrOptions): Promise<FrrInstance> {
    const inst = new FrrInstance(options, mkdtempSync(join(tmpdir(), 'bosun-frr-')));
    await inst.launch();
    return inst;
  }

  protected override async launch(): Promise<void> {
    const conf = join(this.workDir, 'bgpd.conf');
    writeFileSync(conf, renderFrrConfig(this.current));
    rmSync(join(this.workDir, 'bgpd.vty'), { force: true });
    const args = ['-f', conf, '-i', join(this.workDir, 'bgpd.pid'), '--vty_socket', this.workDir, '-Z', '-S', '-P', '0', '-p', String(this.current.listenPort ?? 179), '--log', 'stdout'];
    const proc = spawnManaged(this.current.namespace, '/usr/lib/frr/bgpd', args);
    this.proc = proc;
    await waitFor(
      async () => {
        if (proc.hasExited) throw new Error(`bgpd exited: ${proc.output()}`);
        return (await exec('vtysh', ['--vty_socket', this.workDir, '-d', 'bgpd', '-c', 'show bgp summary json'], { allowFailure: true })).code === 0;
      },
      { description: 'FRR bgpd vty', timeoutMs: 15_000 },
    );
  }

  /** Runs a vtysh command against this bgpd. */
  async vtysh(command: string): Promise<string> {
    return (await exec('vtysh', ['--vty_socket', this.workDir, '-d', 'bgpd', '-c', command])).stdout;
  }

  async session(address: string): Promise<PeerSessionState> {
    const all = JSON.parse(await this.vtysh(`show bgp neighbors ${address} json`)) as Record<string, any>;
    const n = all[address] ?? {};
    const st = String(n.bgpState ?? '').toLowerCase();
    const map: Record<string, PeerSessionState['state']> = { idle: 'idle', connect: 'connect', active: 'active', opensent: 'opensent', openconfirm: 'openconfirm', established: 'established' };
    const received: Partial<Record<PeerFamily, number>> = {};
    const af = (n.addressFamilyInfo ?? {}) as Record<string, any>;
    if (af.ipv4Unicast) received['ipv4-unicast'] = Number(af.ipv4Unicast.acceptedPrefixCounter ?? 0);
    if (af.ipv6Unicast) received['ipv6-unicast'] = Number(af.ipv6Unicast.acceptedPrefixCounter ?? 0);
    return {
      name: String(n.nbrDesc ?? address),
      state: map[st] ?? 'unknown',
      holdTimeSeconds: n.bgpTimerHoldTimeMsecs !== undefined ? Number(n.bgpTimerHoldTimeMsecs) / 1000 : undefined,
      lastError: n.lastErrorCodeSubcode !== undefined ? String(n.lastNotificationReason ?? n.lastErrorCodeSubcode) : undefined,
      receivedRoutes: received,
      gracefulRestartActive: Boolean(n.gracefulRestartInfo?.remoteGrMode === 'Restart' && n.gracefulRestartInfo?.timers?.restartTimerRemaining !== undefined),
    };
  }

  /**
   * Routes in FRR's BGP table of one family, normalised: the prefixes from `show bgp <afi> unicast
   * json`, then each prefix's paths with attributes (FRR 8.4 has no `detail json` for a table).
   */
  async routes(family: PeerFamily): Promise<PeerRoute[]> {
    const afi = family === 'ipv4-unicast' ? 'ipv4' : 'ipv6';
    const table = JSON.parse(await this.vtysh(`show bgp ${afi} unicast json`)) as { routes?: Record<string, unknown> };
    const out: PeerRoute[] = [];
    for (const prefix of Object.keys(table.routes ?? {})) {
      const entry = JSON.parse(await this.vtysh(`show bgp ${afi} unicast ${prefix} json`)) as { paths?: Array<Record<string, any>> };
      const paths = entry.paths ?? [];
      for (const p of paths) {
        const asPath = String(p.aspath?.string ?? '')
          .split(/\s+/)
          .filter((x) => /^\d+$/.test(x))
          .map(Number);
        const comms = String(p.community?.string ?? '')
          .split(/\s+/)
          .filter((x) => x.length > 0)
          .map((c) => communityToNumeric(c.replace(/^noExport$/, 'no-export').replace(/^noAdvertise$/, 'no-advertise').replace(/^noPeer$/, 'no-peer').replace(/^blackhole$/, 'blackhole')))
          .sort();
        const large = String(p.largeCommunity?.string ?? '')
          .split(/\s+/)
          .filter((x) => x.length > 0)
          .sort();
        const origin = String(p.origin ?? '').toLowerCase();
        out.push({
          prefix,
          from: String(p.peer?.peerId ?? ''),
          origin: origin === 'igp' || origin === 'egp' || origin === 'incomplete' ? origin : undefined,
          asPath,
          nextHop: ((p.nexthops ?? []) as Array<{ ip: string }>).map((h) => h.ip),
          med: p.metric !== undefined ? Number(p.metric) : undefined,
          localPreference: p.locPrf !== undefined ? Number(p.locPrf) : p.localpref !== undefined ? Number(p.localpref) : undefined,
          communities: comms,
          largeCommunities: large,
          stale: Boolean(p.stale),
        });
      }
    }
    return out;
  }
}
