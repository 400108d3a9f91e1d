import { canonicalAddress, parseIPv4, parsePrefix, PrefixError } from './address.js';
import { parseCommunity, parseLargeCommunity, RouteAttributesError, type RouteAttributes } from './attributes.js';
import type { Family } from './negotiation.js';
import { ConfigError, resolvePeerConfig, type PeerConfig } from './peer-config.js';

/**
 * The standalone speaker's configuration file (`bosun bgp speak --config speaker.yaml`), field
 * names as in Cilium's CRDs. Parsing is strict: unknown fields and bad values are errors naming
 * the field path.
 */
export interface SpeakerFileConfig {
  readonly localASN: number;
  readonly routerID: string;
  readonly listen?: { readonly address?: string; readonly port?: number };
  readonly peers: readonly PeerConfig[];
  readonly prefixes: readonly PrefixConfig[];
}

export interface PrefixConfig {
  readonly prefix: string;
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  /** iBGP only (not sent to eBGP peers). */
  readonly localPreference?: number;
  readonly med?: number;
  readonly origin?: 'igp' | 'egp' | 'incomplete';
  /** Only to these peers (by name); default every peer with the prefix's family. */
  readonly peers?: readonly string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fields(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (!isObj(v)) throw new ConfigError(path || '(root)', 'must be a mapping');
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new ConfigError(path ? `${path}.${k}` : k, `unknown field (known: ${allowed.join(', ')})`);
  return v;
}

function num(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(path, `must be an integer in ${min}..${max} (got ${JSON.stringify(v)})`);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(path, `must be a non-empty string (got ${JSON.stringify(v)})`);
  return v;
}

function list(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new ConfigError(path, 'must be a list');
  return v;
}

const PEER_FIELDS = ['name', 'peerAddress', 'peerASN', 'peerPort', 'localAddress', 'password', 'holdTimeSeconds', 'keepAliveTimeSeconds', 'connectRetryTimeSeconds', 'ebgpMultihop', 'families', 'nextHop', 'gracefulRestart', 'passive'] as const;

/** Validates a parsed YAML/JSON document into a speaker configuration. */
export function parseSpeakerConfig(doc: unknown): SpeakerFileConfig {
  const root = fields(doc, '', ['localASN', 'routerID', 'listen', 'peers', 'prefixes']);
  const localASN = num(root.localASN, 'localASN', 1, 4294967295);
  const routerID = str(root.routerID, 'routerID');
  if (!parseIPv4(routerID) || routerID === '0.0.0.0') throw new ConfigError('routerID', `"${routerID}" is not a non-zero IPv4 address`);
  let listen: SpeakerFileConfig['listen'];
  if (root.listen !== undefined) {
    const l = fields(root.listen, 'listen', ['address', 'port']);
    const address = l.address === undefined ? undefined : str(l.address, 'listen.address');
    if (address !== undefined && !canonicalAddress(address)) throw new ConfigError('listen.address', `"${address}" is not an IP address`);
    listen = { ...(address !== undefined ? { address } : {}), ...(l.port !== undefined ? { port: num(l.port, 'listen.port', 1, 65535) } : {}) };
  }
  const peers = list(root.peers ?? [], 'peers').map((p, i): PeerConfig => {
    const path = `peers[${i}]`;
    const o = fields(p, path, PEER_FIELDS);
    let nextHop: PeerConfig['nextHop'];
    if (o.nextHop !== undefined) {
      const nh = fields(o.nextHop, `${path}.nextHop`, ['ipv4', 'ipv6']);
      nextHop = { ...(nh.ipv4 !== undefined ? { ipv4: str(nh.ipv4, `${path}.nextHop.ipv4`) } : {}), ...(nh.ipv6 !== undefined ? { ipv6: str(nh.ipv6, `${path}.nextHop.ipv6`) } : {}) };
    }
    let gracefulRestart: PeerConfig['gracefulRestart'];
    if (o.gracefulRestart !== undefined) {
      const gr = fields(o.gracefulRestart, `${path}.gracefulRestart`, ['enabled', 'restartTimeSeconds']);
      if (typeof gr.enabled !== 'boolean') throw new ConfigError(`${path}.gracefulRestart.enabled`, 'must be true or false');
      gracefulRestart = { enabled: gr.enabled, ...(gr.restartTimeSeconds !== undefined ? { restartTimeSeconds: num(gr.restartTimeSeconds, `${path}.gracefulRestart.restartTimeSeconds`, 1, 4095) } : {}) };
    }
    if (o.passive !== undefined && typeof o.passive !== 'boolean') throw new ConfigError(`${path}.passive`, 'must be true or false');
    if (o.password !== undefined && typeof o.password !== 'string') throw new ConfigError(`${path}.password`, 'must be a string');
    const cfg: PeerConfig = {
      name: str(o.name, `${path}.name`),
      peerAddress: str(o.peerAddress, `${path}.peerAddress`),
      ...(o.peerASN !== undefined ? { peerASN: o.peerASN as number } : {}),
      ...(o.peerPort !== undefined ? { peerPort: o.peerPort as number } : {}),
      ...(o.localAddress !== undefined ? { localAddress: str(o.localAddress, `${path}.localAddress`) } : {}),
      ...(o.password !== undefined ? { password: o.password as string } : {}),
      ...(o.holdTimeSeconds !== undefined ? { holdTimeSeconds: o.holdTimeSeconds as number } : {}),
      ...(o.keepAliveTimeSeconds !== undefined ? { keepAliveTimeSeconds: o.keepAliveTimeSeconds as number } : {}),
      ...(o.connectRetryTimeSeconds !== undefined ? { connectRetryTimeSeconds: o.connectRetryTimeSeconds as number } : {}),
      ...(o.ebgpMultihop !== undefined ? { ebgpMultihop: o.ebgpMultihop as number } : {}),
      ...(o.families !== undefined ? { families: list(o.families, `${path}.families`) as Family[] } : {}),
      ...(nextHop ? { nextHop } : {}),
      ...(gracefulRestart ? { gracefulRestart } : {}),
      ...(o.passive !== undefined ? { passive: o.passive as boolean } : {}),
    };
    resolvePeerConfig(cfg, path); // value checks with the same messages the speaker gives
    if (cfg.passive && !listen) throw new ConfigError(`${path}.passive`, 'a passive peer needs `listen`');
    return cfg;
  });
  const names = new Set<string>();
  peers.forEach((p, i) => {
    if (names.has(p.name)) throw new ConfigError(`peers[${i}].name`, `"${p.name}" is used by another peer`);
    names.add(p.name);
  });
  const seen = new Set<string>();
  const prefixes = list(root.prefixes ?? [], 'prefixes').map((p, i): PrefixConfig => {
    const path = `prefixes[${i}]`;
    const o = fields(p, path, ['prefix', 'communities', 'largeCommunities', 'localPreference', 'med', 'origin', 'peers']);
    const prefix = str(o.prefix, `${path}.prefix`);
    try {
      parsePrefix(prefix);
    } catch (e) {
      throw new ConfigError(`${path}.prefix`, e instanceof PrefixError ? e.message : String(e));
    }
    if (seen.has(prefix)) throw new ConfigError(`${path}.prefix`, `${prefix} is listed twice`);
    seen.add(prefix);
    const communities = o.communities === undefined ? undefined : list(o.communities, `${path}.communities`).map((c) => String(c));
    const largeCommunities = o.largeCommunities === undefined ? undefined : list(o.largeCommunities, `${path}.largeCommunities`).map((c) => String(c));
    try {
      communities?.forEach((c, j) => parseCommunity(c, `${path}.communities[${j}]`));
      largeCommunities?.forEach((c, j) => parseLargeCommunity(c, `${path}.largeCommunities[${j}]`));
    } catch (e) {
      if (e instanceof RouteAttributesError) throw new ConfigError(e.field, e.message.slice(e.field.length + 2));
      throw e;
    }
    const origin = o.origin;
    if (origin !== undefined && origin !== 'igp' && origin !== 'egp' && origin !== 'incomplete') throw new ConfigError(`${path}.origin`, 'must be igp, egp or incomplete');
    const only = o.peers === undefined ? undefined : list(o.peers, `${path}.peers`).map((n, j) => str(n, `${path}.peers[${j}]`));
    only?.forEach((n, j) => {
      if (!names.has(n)) throw new ConfigError(`${path}.peers[${j}]`, `no peer named "${n}"`);
    });
    return {
      prefix,
      ...(communities ? { communities } : {}),
      ...(largeCommunities ? { largeCommunities } : {}),
      ...(o.localPreference !== undefined ? { localPreference: num(o.localPreference, `${path}.localPreference`, 0, 4294967295) } : {}),
      ...(o.med !== undefined ? { med: num(o.med, `${path}.med`, 0, 4294967295) } : {}),
      ...(origin !== undefined ? { origin: origin as PrefixConfig['origin'] & string } : {}),
      ...(only ? { peers: only } : {}),
    };
  });
  return { localASN, routerID, ...(listen ? { listen } : {}), peers, prefixes };
}

/** The routes each peer gets from the configuration: every prefix of a family the peer carries. */
export function routesByPeer(config: SpeakerFileConfig): Map<string, Map<Family, Map<string, RouteAttributes>>> {
  const out = new Map<string, Map<Family, Map<string, RouteAttributes>>>();
  for (const peer of config.peers) {
    const families = peer.families ?? ['ipv4-unicast', 'ipv6-unicast'];
    const byFamily = new Map<Family, Map<string, RouteAttributes>>(families.map((f) => [f, new Map()]));
    for (const p of config.prefixes) {
      if (p.peers && !p.peers.includes(peer.name)) continue;
      const family: Family = parsePrefix(p.prefix).family === 'ipv4' ? 'ipv4-unicast' : 'ipv6-unicast';
      byFamily.get(family)?.set(p.prefix, {
        ...(p.communities ? { communities: p.communities } : {}),
        ...(p.largeCommunities ? { largeCommunities: p.largeCommunities } : {}),
        ...(p.localPreference !== undefined ? { localPreference: p.localPreference } : {}),
        ...(p.med !== undefined ? { med: p.med } : {}),
        ...(p.origin ? { origin: p.origin } : {}),
      });
    }
    out.set(peer.name, byFamily);
  }
  return out;
}
