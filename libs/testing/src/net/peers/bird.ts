import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../exec.js';
import { spawnManaged } from '../process.js';
import { PeerDaemon } from './daemon.js';
import { waitFor } from '../wait.js';
import type { OriginatedRoute, PeerFamily, PeerNeighbor, PeerRoute, PeerSessionState } from './types.js';

export interface BirdOptions {
  /** Network namespace the daemon runs in. */
  readonly namespace: string;
  readonly routerID: string;
  readonly localASN: number;
  readonly neighbors: readonly PeerNeighbor[];
  /** Routes BIRD originates (static protocol), exported to neighbors with `exportRoutes`. */
  readonly routes?: readonly OriginatedRoute[];
  /** Appended verbatim to the generated configuration. */
  readonly extraConfig?: string;
}

/** `show protocols all <name>` of a BGP protocol, parsed. */
export interface BirdProtocol {
  readonly name: string;
  /** `up`, `start`, `down`… (BIRD's protocol state). */
  readonly state: string;
  /** `Established`, `Active`, `Connect`, `OpenSent`, `OpenConfirm`, `Idle` (BIRD's `BGP state`). */
  readonly bgpState: string;
  readonly info: string;
  readonly neighborAddress?: string;
  readonly neighborAS?: number;
  readonly neighborID?: string;
  readonly session?: string;
  /** Negotiated hold time (`Hold timer: 5.1/9` → 9). */
  readonly holdTimeSeconds?: number;
  readonly keepaliveSeconds?: number;
  readonly lastError?: string;
  readonly localCapabilities: readonly string[];
  readonly neighborCapabilities: readonly string[];
  readonly gracefulRestartActive: boolean;
  readonly channels: Readonly<Record<string, BirdChannel>>;
  readonly raw: string;
}

export interface BirdChannel {
  readonly state: string;
  readonly table?: string;
  readonly imported: number;
  readonly filtered: number;
  readonly exported: number;
  readonly preferred: number;
  /** `Route change stats`: UPDATEs / withdrawals received for this channel (first column). */
  readonly importUpdatesReceived: number;
  readonly importWithdrawsReceived: number;
  /** `Neighbor GR:` line (e.g. `Regular`): shown while the neighbor's routes in this channel are held stale. */
  readonly neighborGR?: string;
}

/** One route line of `show route all`, with its attributes. */
export interface BirdRoute extends PeerRoute {
  /** `unicast`, `unreachable`, … */
  readonly type: string;
  readonly primary: boolean;
  readonly attributes: Readonly<Record<string, string>>;
}

const birdName = (n: string): string => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new Error(`BIRD protocol name "${n}" must be letters, digits and underscores`);
  return n;
};

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Renders a BIRD 2 configuration. */
export function renderBirdConfig(options: BirdOptions): string {
  const lines: string[] = [
    'log stderr all;',
    `router id ${options.routerID};`,
    'protocol device { scan time 10; }',
    'protocol direct { ipv4; ipv6; }',
  ];
  const routes = options.routes ?? [];
  for (const [fam, v6] of [
    ['ipv4', false],
    ['ipv6', true],
  ] as const) {
    const own = routes.filter((r) => r.prefix.includes(':') === v6);
    if (own.length === 0) continue;
    lines.push(`protocol static originate_${fam} {`, `  ${fam};`);
    for (const r of own) {
      const actions: string[] = [];
      for (const c of r.communities ?? []) actions.push(`bgp_community.add((${birdCommunity(c)}));`);
      for (const c of r.largeCommunities ?? []) actions.push(`bgp_large_community.add((${c.split(':').join(',')}));`);
      if (r.localPreference !== undefined) actions.push(`bgp_local_pref = ${r.localPreference};`);
      if (r.med !== undefined) actions.push(`bgp_med = ${r.med};`);
      const dest = r.nextHop ? `via ${r.nextHop}` : 'unreachable';
      lines.push(actions.length ? `  route ${r.prefix} ${dest} { ${actions.join(' ')} };` : `  route ${r.prefix} ${dest};`);
    }
    lines.push('}');
  }
  for (const n of options.neighbors) {
    const families = n.families ?? ['ipv4-unicast', 'ipv6-unicast'];
    const local = n.localAddress ? `local ${n.localAddress} ` : 'local ';
    lines.push(`protocol bgp ${birdName(n.name)} {`);
    const localASN = n.localASN ?? options.localASN;
    lines.push(`  ${local}as ${localASN};`);
    lines.push(`  neighbor ${n.peerAddress}${n.peerPort ? ` port ${n.peerPort}` : ''} as ${n.peerASN};`);
    if (n.peerASN !== localASN) {
      if (n.ebgpMultihop && n.ebgpMultihop > 1) lines.push(`  multihop ${n.ebgpMultihop};`);
      else lines.push('  direct;');
    }
    if (n.password !== undefined) lines.push(`  password ${quote(n.password)};`);
    if (n.holdTimeSeconds !== undefined) lines.push(`  hold time ${n.holdTimeSeconds};`);
    if (n.keepAliveTimeSeconds !== undefined) lines.push(`  keepalive time ${n.keepAliveTimeSeconds};`);
    // Short delays: tests restart peers and expect them back within seconds.
    lines.push(`  connect delay time 1;`, `  connect retry time ${n.connectRetryTimeSeconds ?? 2};`, '  error wait time 1, 4;');
    if (n.passive) lines.push('  passive on;');
    if (n.disabled) lines.push('  disabled;');
    if (n.gracefulRestart) {
      lines.push('  graceful restart on;');
      if (n.gracefulRestart.restartTimeSeconds !== undefined) lines.push(`  graceful restart time ${n.gracefulRestart.restartTimeSeconds};`);
    } else {
      lines.push('  graceful restart aware;');
    }
    for (const fam of families) {
      const afi = fam === 'ipv4-unicast' ? 'ipv4' : 'ipv6';
      const opts = ['import all;', n.exportRoutes ? `export where proto = "originate_${afi}";` : 'export none;'];
      if (afi === 'ipv4' && n.extendedNextHop) opts.push('extended next hop on;');
      if (n.exportRoutes) opts.push('next hop self;');
      lines.push(`  ${afi} { ${opts.join(' ')} };`);
    }
    lines.push('}');
  }
  if (options.extraConfig) lines.push(options.extraConfig);
  return lines.join('\n') + '\n';
}

function birdCommunity(c: string): string {
  const named: Record<string, string> = { 'no-export': '65535,65281', 'no-advertise': '65535,65282', 'no-export-subconfed': '65535,65283', 'no-peer': '65535,65284', 'blackhole': '65535,666' };
  const n = named[c];
  if (n) return n;
  if (/^\d+$/.test(c)) return `${Number(c) >>> 16},${Number(c) & 0xffff}`;
  return c.split(':').join(',');
}

/** A BIRD 2 daemon running in a namespace, with its own control socket. */
export class BirdInstance extends PeerDaemon<BirdOptions> {
  private constructor(options: BirdOptions, workDir: string) {
    super(options, workDir);
  }

  get controlSocket(): string {
    return join(this.workDir, 'bird.ctl');
  }
  get configFile(): string {
    return join(this.workDir, 'bird.conf');
  }

  /** Writes the configuration and starts `bird -f` in the namespace; resolves once the control socket answers. */
  static async start(options: BirdOptions): Promise<BirdInstance> {
    const inst = new BirdInstance(options, mkdtempSync(join(tmpdir(), 'bosun-bird-')));
    await inst.launch();
    return inst;
  }

  protected override async launch(): Promise<void> {
    writeFileSync(this.configFile, renderBirdConfig(this.current));
    const proc = spawnManaged(this.current.namespace, 'bird', ['-f', '-c', this.configFile, '-s', this.controlSocket, '-P', join(this.workDir, 'bird.pid')]);
    this.proc = proc;
    await waitFor(
      async () => {
        if (proc.hasExited) throw new Error(`bird exited: ${proc.output()}`);
        return (await exec('birdc', ['-s', this.controlSocket, 'show', 'status'], { allowFailure: true })).stdout.includes('Daemon is up');
      },
      { description: 'BIRD control socket', timeoutMs: 15_000 },
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${proc.output()}`);
    });
  }

  /** Runs a `birdc` command and returns its output without the greeting line. */
  async birdc(...command: string[]): Promise<string> {
    const { stdout } = await exec('birdc', ['-s', this.controlSocket, ...command]);
    return stdout.replace(/^BIRD [^\n]* ready\.\n/, '');
  }

  /** Replaces the configuration and applies it (`birdc configure`). */
  async reconfigure(options: BirdOptions): Promise<void> {
    this.current = options;
    writeFileSync(this.configFile, renderBirdConfig(options));
    const out = await this.birdc('configure');
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw new Error(`birdc configure failed: ${out}`);
  }

  async protocol(name: string): Promise<BirdProtocol> {
    return parseBirdProtocol(await this.birdc('show', 'protocols', 'all', birdName(name)));
  }

  /** Normalised session state of a BGP protocol. */
  async session(name: string): Promise<PeerSessionState> {
    const p = await this.protocol(name);
    const received: Partial<Record<PeerFamily, number>> = {};
    if (p.channels.ipv4) received['ipv4-unicast'] = p.channels.ipv4.imported;
    if (p.channels.ipv6) received['ipv6-unicast'] = p.channels.ipv6.imported;
    return {
      name,
      state: normaliseState(p.bgpState),
      holdTimeSeconds: p.holdTimeSeconds,
      lastError: p.lastError,
      receivedRoutes: received,
      gracefulRestartActive: p.gracefulRestartActive,
    };
  }

  /** `show route all` (optionally of one table / protocol / prefix), parsed. */
  async routes(filter: { table?: 'master4' | 'master6'; protocol?: string; prefix?: string } = {}): Promise<BirdRoute[]> {
    const args = ['show', 'route'];
    if (filter.prefix) args.push('for', filter.prefix);
    args.push('all');
    if (filter.table) args.push('table', filter.table);
    if (filter.protocol) args.push('protocol', birdName(filter.protocol));
    const out = await this.birdc(...args);
    let routes = parseBirdRoutes(out);
    if (filter.prefix) routes = routes.filter((r) => r.prefix === filter.prefix);
    // BIRD keeps a restarting neighbor's routes as stale until its End-of-RIB, but `show route`
    // does not flag them: the protocol says "Neighbor graceful restart active" until then.
    const restarting = new Set<string>();
    for (const proto of new Set(routes.map((r) => r.from))) {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(proto) && /Neighbor graceful restart active/.test(await this.birdc('show', 'protocols', 'all', proto))) restarting.add(proto);
    }
    return routes.map((r) => (restarting.has(r.from) ? { ...r, stale: true } : r));
  }

  /** Number of routes in a table (from one protocol), cheaper than listing them (`show route count`). */
  async routeCount(filter: { table?: 'master4' | 'master6'; protocol?: string } = {}): Promise<number> {
    const args = ['show', 'route'];
    if (filter.table) args.push('table', filter.table);
    if (filter.protocol) args.push('protocol', birdName(filter.protocol));
    args.push('count');
    const out = await this.birdc(...args);
    let total = 0;
    for (const m of out.matchAll(/(\d+) of \d+ routes? for \d+ networks?/g)) total += Number(m[1]);
    return total;
  }
}

function normaliseState(s: string): PeerSessionState['state'] {
  const v = s.toLowerCase().replace(/[^a-z]/g, '');
  switch (v) {
    case 'idle':
    case 'connect':
    case 'active':
    case 'opensent':
    case 'openconfirm':
    case 'established':
      return v;
    case 'down':
      return 'idle';
    default:
      return 'unknown';
  }
}

/** Parses `show protocols all <name>` output. */
export function parseBirdProtocol(out: string): BirdProtocol {
  const lines = out.split('\n');
  const headerIdx = lines.findIndex((l) => /^Name\s+Proto/.test(l));
  const head = (lines[headerIdx + 1] ?? '').trim().split(/\s+/);
  // Name Proto Table State Since(date? time) Info…
  const name = head[0] ?? '';
  const state = head[3] ?? '';
  const info = (lines[headerIdx + 1] ?? '').replace(/^(\S+\s+){5}/, '').trim();
  const field = (label: string): string | undefined => {
    const re = new RegExp(`^\\s+${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\s*(.*)$`);
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return m[1]!.trim();
    }
    return undefined;
  };
  const block = (label: string): string[] => {
    const i = lines.findIndex((l) => new RegExp(`^\\s+${label}$`).test(l));
    if (i < 0) return [];
    const indent = (lines[i]!.match(/^\s*/)?.[0].length ?? 0) + 1;
    const out2: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j]!;
      if ((l.match(/^\s*/)?.[0].length ?? 0) < indent || l.trim() === '') break;
      out2.push(l.trim());
    }
    return out2;
  };
  const timer = (s: string | undefined): number | undefined => {
    const m = s ? /\/(\d+)/.exec(s) : null;
    return m ? Number(m[1]) : undefined;
  };
  const channels: Record<string, BirdChannel> = {};
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s+Channel (\S+)/.exec(lines[i]!);
    if (!m) continue;
    const ch: Record<string, string> = {};
    for (let j = i + 1; j < lines.length && !/^\s+Channel /.test(lines[j]!); j++) {
      const kv = /^\s+([A-Za-z][A-Za-z /-]*):\s*(.*)$/.exec(lines[j]!);
      if (kv && ch[kv[1]!] === undefined) ch[kv[1]!] = kv[2]!.trim();
    }
    const routes = ch['Routes'] ?? '';
    const num = (re: RegExp): number => Number(re.exec(routes)?.[1] ?? 0);
    channels[m[1]!] = {
      state: ch['State'] ?? '',
      table: ch['Table'],
      imported: num(/(\d+) imported/),
      filtered: num(/(\d+) filtered/),
      exported: num(/(\d+) exported/),
      preferred: num(/(\d+) preferred/),
      importUpdatesReceived: Number(/^\s*(\d+)/.exec(ch['Import updates'] ?? '')?.[1] ?? 0),
      importWithdrawsReceived: Number(/^\s*(\d+)/.exec(ch['Import withdraws'] ?? '')?.[1] ?? 0),
      neighborGR: ch['Neighbor GR'],
    };
  }
  const asField = field('Neighbor AS');
  return {
    name,
    state,
    bgpState: field('BGP state') ?? '',
    info,
    neighborAddress: field('Neighbor address'),
    neighborAS: asField !== undefined ? Number(asField) : undefined,
    neighborID: field('Neighbor ID'),
    session: field('Session'),
    holdTimeSeconds: timer(field('Hold timer')),
    keepaliveSeconds: timer(field('Keepalive timer')),
    lastError: field('Last error'),
    localCapabilities: block('Local capabilities'),
    neighborCapabilities: block('Neighbor capabilities'),
    gracefulRestartActive: /Neighbor graceful restart active/.test(out),
    channels,
    raw: out,
  };
}

/** Parses `show route all` output into routes with their BGP attributes. */
export function parseBirdRoutes(out: string): BirdRoute[] {
  const routes: BirdRoute[] = [];
  let prefix = '';
  let cur: { head: string; prefix: string; nextHops: string[]; attrs: Record<string, string> } | undefined;
  const flush = (): void => {
    if (!cur) return;
    const m = /^(\S+)\s+\[(\S+)\s+([^\]]*?)(?:\s+from\s+(\S+))?\]\s*(\*|!)?\s*(.*)$/.exec(cur.head);
    const type = m?.[1] ?? '';
    const a = cur.attrs;
    const asPath = (a['BGP.as_path'] ?? '')
      .split(/\s+/)
      .filter((x) => /^\d+$/.test(x))
      .map(Number);
    const nh = a['BGP.next_hop'] ? a['BGP.next_hop'].split(/\s+/) : cur.nextHops;
    const origin = a['BGP.origin']?.toLowerCase();
    const communities = [...(a['BGP.community'] ?? '').matchAll(/\((\d+),\s*(\d+)\)/g)].map((x) => `${x[1]}:${x[2]}`).sort();
    const large = [...(a['BGP.large_community'] ?? '').matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map((x) => `${x[1]}:${x[2]}:${x[3]}`).sort();
    routes.push({
      prefix: cur.prefix,
      type,
      from: m?.[2] ?? '',
      primary: m?.[5] === '*',
      origin: origin === 'igp' || origin === 'egp' || origin === 'incomplete' ? origin : undefined,
      asPath,
      nextHop: nh,
      med: a['BGP.med'] !== undefined ? Number(a['BGP.med']) : undefined,
      localPreference: a['BGP.local_pref'] !== undefined ? Number(a['BGP.local_pref']) : undefined,
      communities,
      largeCommunities: large,
      // BIRD shows no per-route GR stale flag; `routes()` marks routes of neighbors in graceful restart.
      stale: /\(\d+s/.test(m?.[6] ?? ''),
      attributes: a,
    });
    cur = undefined;
  };
  for (const line of out.split('\n')) {
    if (line.startsWith('Table ') || line.trim() === '') {
      flush();
      continue;
    }
    const first = /^(\S+)\s+(\S+\s+\[.*)$/.exec(line);
    if (first && !line.startsWith('\t')) {
      flush();
      prefix = first[1]!;
      cur = { head: first[2]!, prefix, nextHops: [], attrs: {} };
      continue;
    }
    const alt = /^\s{10,}(\S+\s+\[.*)$/.exec(line);
    if (alt && !line.startsWith('\t')) {
      flush();
      cur = { head: alt[1]!, prefix, nextHops: [], attrs: {} };
      continue;
    }
    if (!cur) continue;
    const via = /^\tvia (\S+)/.exec(line);
    if (via) {
      cur.nextHops.push(via[1]!);
      continue;
    }
    const kv = /^\t(\S+):\s*(.*)$/.exec(line);
    if (kv) cur.attrs[kv[1]!] = kv[2]!.trim();
  }
  flush();
  return routes;
}
