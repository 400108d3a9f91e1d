import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, StandaloneSpeaker, parseSpeakerConfig, type LogLevel, type PeerStatus, type SpeakerFileConfig } from '@bosun/bgp';
import { registerBgpPeersCommand, registerBgpRoutesCommand } from './bgp-status-commands';

/**
 * `bosun bgp speak --config speaker.yaml`: a standalone BGP speaker anyone can point at a router.
 * Logs session state changes and route counts (logfmt on stderr), re-reads the file on SIGHUP,
 * prints a `cilium bgp peers`-style table on SIGUSR1, stops on SIGTERM/SIGINT.
 */

const levels: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function logfmtValue(v: unknown): string {
  const s = v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : JSON.stringify(v);
  return /^[\w.:/@+-]+$/.test(s) ? s : JSON.stringify(s);
}

function makeLogger(minLevel: LogLevel): (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void {
  return (level, msg, fields = {}) => {
    if (levels[level] < levels[minLevel]) return;
    const parts = [`time=${new Date().toISOString()}`, `level=${level}`, 'subsys=bgp', `msg=${logfmtValue(msg)}`];
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${logfmtValue(v)}`);
    process.stderr.write(`${parts.join(' ')}\n`);
  };
}

function loadConfig(path: string): SpeakerFileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error(`${path} is not valid YAML: ${(e as Error).message}`);
  }
  try {
    return parseSpeakerConfig(doc);
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`${path}: ${e.message}`);
    throw e;
  }
}

function uptime(since: Date | undefined): string {
  if (!since) return '0s';
  let s = Math.floor((Date.now() - since.getTime()) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** Rows like `cilium bgp peers`: one per family, peer cells blank on continuation rows. */
export function peersTable(peers: readonly PeerStatus[]): string {
  const header = ['Local AS', 'Peer AS', 'Peer Address', 'Session State', 'Uptime', 'Family', 'Received', 'Advertised'];
  const rows: string[][] = [];
  for (const p of peers) {
    p.routeCounts.forEach((c, i) => {
      const first = i === 0;
      rows.push([
        first ? String(p.localASN) : '',
        first ? String(p.peerASN) : '',
        first ? `${p.peerAddress}:${p.peerPort}` : '',
        first ? p.peeringState : '',
        first ? uptime(p.establishedTime) : '',
        `${c.afi}/${c.safi}`,
        String(c.received),
        String(c.advertised),
      ]);
    });
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function register(program: Command): void {
  const bgp = program.command('bgp').description('BGP: a standalone speaker, and the routes the node speakers advertise');
  bgp
    .command('speak')
    .description('run a BGP speaker from a YAML file (localASN, routerID, listen, peers, prefixes); SIGHUP re-reads it')
    .requiredOption('-c, --config <file>', 'speaker configuration (YAML)')
    .option('--restarting', 'we restarted within the peers\u2019 graceful-restart time: set the R bit (RFC 4724)', false)
    .option('--graceful-stop', 'on SIGTERM/SIGINT close sessions without NOTIFICATION (graceful-restart peers keep our routes)', false)
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (opts: { config: string; restarting: boolean; gracefulStop: boolean; logLevel: string }) => {
      if (!(opts.logLevel in levels)) throw new Error(`--log-level: expected debug, info, warn or error, got "${opts.logLevel}"`);
      const log = makeLogger(opts.logLevel as LogLevel);
      const runner = new StandaloneSpeaker(log, { restarting: opts.restarting });
      await runner.apply(loadConfig(opts.config));
      let applying = Promise.resolve();
      process.on('SIGHUP', () => {
        applying = applying.then(async () => {
          log('info', `SIGHUP: re-reading ${opts.config}`);
          try {
            await runner.apply(loadConfig(opts.config));
          } catch (e) {
            // A bad file changes nothing: the running configuration stays.
            log('error', `configuration not applied: ${(e as Error).message}`);
          }
        });
      });
      process.on('SIGUSR1', () => process.stdout.write(peersTable(runner.peers())));
      await new Promise<void>((resolve) => {
        const stop = (sig: string): void => {
          log('info', `${sig}: stopping${opts.gracefulStop ? ' gracefully (no NOTIFICATION)' : ''}`);
          void runner.stop(opts.gracefulStop ? { graceful: true } : { reason: 'bosun bgp speak stopped' }).then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
  registerBgpPeersCommand(bgp);
  registerBgpRoutesCommand(bgp);
}
