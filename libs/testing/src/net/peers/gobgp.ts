import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../exec.js';
import { spawnManaged } from '../process.js';
import { PeerDaemon } from './daemon.js';
import { waitFor } from '../wait.js';
import { communityToNumeric, type OriginatedRoute, type PeerFamily, type PeerNeighbor, type PeerRoute, type PeerSessionState } from './types.js';

export interface GobgpOptions {
  readonly namespace: string;
  readonly routerID: string;
  readonly localASN: number;
  /** BGP listen port (default 179); -1 = do not listen. */
  readonly listenPort?: number;
  readonly neighbors: readonly PeerNeighbor[];
  /** Routes injected into the global RIB once the daemon is up (`gobgp global rib add`). */
  readonly routes?: readonly OriginatedRoute[];
  /** Start with the R bit set in the graceful-restart capability (`gobgpd -r`). */
  readonly restarting?: boolean;
}

const familyKey = (f: PeerFamily): string => f;

/** Renders a gobgpd TOML configuration. */
export function renderGobgpConfig(options: GobgpOptions): string {
  const l: string[] = ['[global.config]', `  as = ${options.localASN}`, `  router-id = "${options.routerID}"`, `  port = ${options.listenPort ?? 179}`, ''];
  for (const n of options.neighbors) {
    const families = n.families ?? ['ipv4-unicast', 'ipv6-unicast'];
    l.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = "${n.peerAddress}"`, `    peer-as = ${n.peerASN}`, `    description = "${n.name}"`);
    if (n.localASN !== undefined) l.push(`    local-as = ${n.localASN}`);
    if (n.password !== undefined) l.push(`    auth-password = ${JSON.stringify(n.password)}`);
    l.push('  [neighbors.timers.config]', `    connect-retry = ${n.connectRetryTimeSeconds ?? 2}`, `    hold-time = ${n.holdTimeSeconds ?? 90}`, `    keepalive-interval = ${n.keepAliveTimeSeconds ?? Math.max(1, Math.floor((n.holdTimeSeconds ?? 90) / 3))}`, '    idle-hold-time-after-reset = 1');
    l.push('  [neighbors.transport.config]');
    if (n.localAddress) l.push(`    local-address = "${n.localAddress}"`);
    if (n.peerPort) l.push(`    remote-port = ${n.peerPort}`);
    if (n.passive) l.push('    passive-mode = true');
    if (n.ebgpMultihop && n.ebgpMultihop > 1) l.push('  [neighbors.ebgp-multihop.config]', '    enabled = true', `    multihop-ttl = ${n.ebgpMultihop}`);
    if (n.gracefulRestart) l.push('  [neighbors.graceful-restart.config]', '    enabled = true', `    restart-time = ${n.gracefulRestart.restartTimeSeconds ?? 120}`);
    for (const f of families) {
      l.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${familyKey(f)}"`);
      if (n.gracefulRestart) l.push('    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true');
    }
    if (!n.exportRoutes) {
      l.push('  [neighbors.apply-policy.config]', '    default-export-policy = "reject-route"');
    }
    l.push('');
  }
  return l.join('\n');
}

interface GobgpAttr {
  type: number;
  as_paths?: Array<{ segment_type: number; asns: number[] }>;
  nexthop?: string;
  metric?: number;
  communities?: number[];
  value_list?: Array<{ global_admin: number; local_data1: number; local_data2: number }>;
  value?: number | Array<{ ASN: number; LocalData1: number; LocalData2: number }>;
  nlri?: { prefix?: string };
}

interface GobgpPath {
  nlri?: { prefix?: string };
  attrs?: GobgpAttr[];
  stale?: boolean;
  best?: boolean;
  'neighbor-ip'?: string;
  'source-id'?: string;
}

/** gobgpd in a namespace, its gRPC API on a per-instance Unix socket, queried with `gobgp --target`. */
export class GobgpInstance extends PeerDaemon<GobgpOptions> {
  private constructor(options: GobgpOptions, workDir: string) {
    super(options, workDir);
  }

  get apiTarget(): string {
    return `unix://${join(this.workDir, 'gobgp.sock')}`;
  }

  static async start(options: GobgpOptions): Promise<GobgpInstance> {
    const inst = new GobgpInstance(options, mkdtempSync(join(tmpdir(), 'bosun-gobgp-')));
    await inst.launch();
    return inst;
  }

  protected override async launch(restarting = this.current.restarting ?? false): Promise<void> {
    const config = join(this.workDir, 'gobgpd.toml');
    writeFileSync(config, renderGobgpConfig(this.current));
    rmSync(join(this.workDir, 'gobgp.sock'), { force: true });
    const args = ['-f', config, '-t', 'toml', '--api-hosts', this.apiTarget, '--pprof-disable', '-p', '-l', 'info'];
    if (restarting) args.push('-r');
    const proc = spawnManaged(this.current.namespace, 'gobgpd', args);
    this.proc = proc;
    await waitFor(
      async () => {
        if (proc.hasExited) throw new Error(`gobgpd exited: ${proc.output()}`);
        return (await exec('gobgp', ['--target', this.apiTarget, 'global', '-j'], { allowFailure: true })).code === 0;
      },
      { description: 'gobgpd API', timeoutMs: 15_000 },
    );
    // The config file is loaded asynchronously after the API is up: wait until all neighbors exist.
    await waitFor(async () => (await this.neighborsRaw()).length >= this.current.neighbors.length, { description: 'gobgpd neighbors configured', timeoutMs: 15_000 });
    for (const r of this.current.routes ?? []) await this.addRoute(r);
  }

  /** Runs a `gobgp` CLI command against this instance. */
  async gobgp(...args: string[]): Promise<string> {
    return (await exec('gobgp', ['--target', this.apiTarget, ...args])).stdout;
  }

  /** `gobgp global rib add` with communities / large communities / local preference / MED. */
  async addRoute(r: OriginatedRoute): Promise<void> {
    const v6 = r.prefix.includes(':');
    const args = ['global', 'rib', '-a', v6 ? 'ipv6' : 'ipv4', 'add', r.prefix];
    if (r.nextHop) args.push('nexthop', r.nextHop);
    if (r.communities?.length) args.push('community', r.communities.join(','));
    if (r.largeCommunities?.length) args.push('large-community', r.largeCommunities.join(','));
    if (r.localPreference !== undefined) args.push('local-pref', String(r.localPreference));
    if (r.med !== undefined) args.push('med', String(r.med));
    await this.gobgp(...args);
  }

  async deleteRoute(prefix: string): Promise<void> {
    await this.gobgp('global', 'rib', '-a', prefix.includes(':') ? 'ipv6' : 'ipv4', 'del', prefix);
  }

  private async neighborsRaw(): Promise<Array<Record<string, any>>> {
    const out = await this.gobgp('neighbor', '-j');
    const parsed = JSON.parse(out || '[]') as Array<Record<string, any>> | null;
    return parsed ?? [];
  }

  /** The neighbor's raw `gobgp neighbor <address> -j` state. */
  async neighbor(address: string): Promise<Record<string, any>> {
    return JSON.parse(await this.gobgp('neighbor', address, '-j')) as Record<string, any>;
  }

  /** Normalised session state of the neighbor at `address`. */
  async session(address: string): Promise<PeerSessionState> {
    const n = await this.neighbor(address);
    // gobgp prints the apipb enum as a number (1 idle … 6 established) or, in other versions, a name.
    const raw = n.state?.session_state;
    const byNumber: Array<PeerSessionState['state']> = ['unknown', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];
    const st = typeof raw === 'number' ? (byNumber[raw] ?? 'unknown') : String(raw ?? '').toLowerCase();
    const map: Record<string, PeerSessionState['state']> = { idle: 'idle', connect: 'connect', active: 'active', opensent: 'opensent', openconfirm: 'openconfirm', established: 'established' };
    const received: Partial<Record<PeerFamily, number>> = {};
    for (const a of (n.afi_safis ?? []) as Array<Record<string, any>>) {
      const name = a.config?.family ? familyName(a.config.family) : undefined;
      if (name) received[name] = Number(a.state?.received ?? 0);
    }
    const hold = n.timers?.state?.negotiated_hold_time;
    return {
      name: String(n.conf?.description ?? address),
      state: map[st] ?? 'unknown',
      holdTimeSeconds: hold !== undefined ? Number(hold) : undefined,
      receivedRoutes: received,
      gracefulRestartActive: Boolean(n.graceful_restart?.state?.peer_restarting),
    };
  }

  /** Routes in the global RIB (or the neighbor's Adj-RIB-In) of one family, normalised. */
  async routes(family: PeerFamily, options: { adjInOf?: string } = {}): Promise<PeerRoute[]> {
    const afi = family === 'ipv4-unicast' ? 'ipv4' : 'ipv6';
    const args = options.adjInOf ? ['neighbor', options.adjInOf, 'adj-in', '-a', afi, '-j'] : ['global', 'rib', '-a', afi, '-j'];
    const out = await this.gobgp(...args);
    const parsed = JSON.parse(out || '{}') as Record<string, GobgpPath[]> | null;
    const routes: PeerRoute[] = [];
    for (const [prefix, paths] of Object.entries(parsed ?? {})) {
      for (const p of paths) routes.push(normalisePath(prefix, p));
    }
    return routes;
  }

  /** Replaces the configuration and restarts gobgpd with it. */
  async reconfigure(options: GobgpOptions): Promise<void> {
    this.current = options;
    await this.restart();
  }

  /** Starts gobgpd again with the same configuration (optionally as a restarting GR speaker). */
  override async restart(options: { restarting?: boolean } = {}): Promise<void> {
    if (this.proc && !this.proc.hasExited) await this.proc.stop();
    await this.launch(options.restarting ?? false);
  }
}

function familyName(f: { afi?: string | number; safi?: string | number }): PeerFamily | undefined {
  if (f.safi === 1 && f.afi === 1) return 'ipv4-unicast';
  if (f.safi === 1 && f.afi === 2) return 'ipv6-unicast';
  const afi = String(f.afi ?? '').toLowerCase();
  const safi = String(f.safi ?? '').toLowerCase();
  if (!safi.includes('unicast')) return undefined;
  if (afi.includes('ip6') || afi.includes('ipv6')) return 'ipv6-unicast';
  if (afi.includes('ip') || afi.includes('ipv4')) return 'ipv4-unicast';
  return undefined;
}

function normalisePath(prefix: string, p: GobgpPath): PeerRoute {
  let origin: PeerRoute['origin'];
  const asPath: number[] = [];
  const nextHop: string[] = [];
  let med: number | undefined;
  let localPreference: number | undefined;
  let communities: string[] = [];
  let large: string[] = [];
  for (const a of p.attrs ?? []) {
    switch (a.type) {
      case 1:
        origin = (['igp', 'egp', 'incomplete'] as const)[typeof a.value === 'number' ? a.value : 0];
        break;
      case 2:
        for (const seg of a.as_paths ?? []) asPath.push(...seg.asns);
        break;
      case 3:
        if (a.nexthop) nextHop.push(a.nexthop);
        break;
      case 4:
        med = a.metric;
        break;
      case 5:
        localPreference = typeof a.value === 'number' ? a.value : undefined;
        break;
      case 8:
        communities = (a.communities ?? []).map((c) => communityToNumeric(String(c))).sort();
        break;
      case 14:
        if (a.nexthop) nextHop.push(a.nexthop);
        break;
      case 32:
        large = Array.isArray(a.value)
          ? a.value.map((v) => `${v.ASN}:${v.LocalData1}:${v.LocalData2}`).sort()
          : (a.value_list ?? []).map((v) => `${v.global_admin}:${v.local_data1}:${v.local_data2}`).sort();
        break;
      default:
        break;
    }
  }
  return { prefix, from: p['neighbor-ip'] ?? '', origin, asPath, nextHop, med, localPreference, communities, largeCommunities: large, stale: Boolean(p.stale) };
}
