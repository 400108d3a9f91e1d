import { canonicalAddress, parseIPv4, parseIPv6 } from './address.js';
import { FAMILIES, type Family } from './negotiation.js';

/**
 * One BGP neighbor, in the words of Cilium's CRDs (CiliumBGPNodeConfig peers + CiliumBGPPeerConfig):
 * defaults are Cilium's.
 */
export interface PeerConfig {
  /** Unique among the speaker's peers. */
  readonly name: string;
  readonly peerAddress: string;
  /** 0 = accept whatever AS the peer announces (as Cilium's default). */
  readonly peerASN?: number;
  /** Default 179. */
  readonly peerPort?: number;
  /** Source address of outbound connections (default: chosen by the kernel). */
  readonly localAddress?: string;
  /** TCP MD5 key (RFC 2385). Never logged nor reported. */
  readonly password?: string;
  /** Default 90; 0 or 3..65535. */
  readonly holdTimeSeconds?: number;
  /** Default 30; 1..65535 and ≤ hold time. */
  readonly keepAliveTimeSeconds?: number;
  /** Default 120. */
  readonly connectRetryTimeSeconds?: number;
  /** eBGP TTL, default 1 (directly connected); ignored for iBGP. */
  readonly ebgpMultihop?: number;
  /** Default both unicast families. */
  readonly families?: readonly Family[];
  /** Next hops to advertise (default: the session's local address; IPv6 routes over IPv4 use ::ffff:a.b.c.d). */
  readonly nextHop?: { readonly ipv4?: string; readonly ipv6?: string };
  /** Advertise graceful restart (RFC 4724) as a restarting speaker. */
  readonly gracefulRestart?: { readonly enabled: boolean; readonly restartTimeSeconds?: number };
  /** Only accept connections from the peer, never connect to it (needs a listener). */
  readonly passive?: boolean;
  /** Advertise RFC 8950 extended next hop (default: on for IPv6 sessions carrying IPv4 unicast). */
  readonly extendedNextHop?: boolean;
}

/** A validated PeerConfig with every default filled in. */
export interface ResolvedPeerConfig {
  readonly name: string;
  readonly peerAddress: string;
  readonly peerASN: number;
  readonly peerPort: number;
  readonly localAddress?: string;
  readonly password?: string;
  readonly holdTimeSeconds: number;
  readonly keepAliveTimeSeconds: number;
  readonly connectRetryTimeSeconds: number;
  readonly ebgpMultihop: number;
  readonly families: readonly Family[];
  readonly nextHop: { readonly ipv4?: string; readonly ipv6?: string };
  readonly gracefulRestart?: { readonly restartTimeSeconds: number };
  readonly passive: boolean;
  readonly extendedNextHop: boolean;
}

/** A configuration error naming the field path and the reason. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ConfigError';
  }
}

const int = (v: unknown, field: string, min: number, max: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(field, `must be an integer in ${min}..${max} (got ${JSON.stringify(v)})`);
  return v;
};

export function resolvePeerConfig(p: PeerConfig, field = 'peer'): ResolvedPeerConfig {
  if (typeof p.name !== 'string' || p.name.length === 0 || p.name.length > 255) throw new ConfigError(`${field}.name`, 'must be 1..255 characters');
  const peerAddress = typeof p.peerAddress === 'string' ? canonicalAddress(p.peerAddress) : undefined;
  if (!peerAddress) throw new ConfigError(`${field}.peerAddress`, `"${String(p.peerAddress)}" is not an IP address`);
  const localAddress = p.localAddress === undefined ? undefined : canonicalAddress(p.localAddress);
  if (p.localAddress !== undefined && !localAddress) throw new ConfigError(`${field}.localAddress`, `"${p.localAddress}" is not an IP address`);
  if (localAddress && parseIPv4(localAddress) === undefined !== (parseIPv4(peerAddress) === undefined)) throw new ConfigError(`${field}.localAddress`, 'must be of the same family as peerAddress');
  const holdTimeSeconds = p.holdTimeSeconds === undefined ? 90 : int(p.holdTimeSeconds, `${field}.holdTimeSeconds`, 0, 65535);
  if (holdTimeSeconds === 1 || holdTimeSeconds === 2) throw new ConfigError(`${field}.holdTimeSeconds`, 'must be 0 or at least 3 (RFC 4271)');
  const keepAliveTimeSeconds = p.keepAliveTimeSeconds === undefined ? Math.min(30, Math.max(1, Math.floor(holdTimeSeconds / 3))) : int(p.keepAliveTimeSeconds, `${field}.keepAliveTimeSeconds`, 1, 65535);
  if (holdTimeSeconds > 0 && keepAliveTimeSeconds > holdTimeSeconds) throw new ConfigError(`${field}.keepAliveTimeSeconds`, `must not exceed holdTimeSeconds (${holdTimeSeconds})`);
  const families = p.families === undefined ? FAMILIES : p.families;
  if (!Array.isArray(families) || families.length === 0) throw new ConfigError(`${field}.families`, 'must list at least one of ipv4-unicast, ipv6-unicast');
  families.forEach((f, i) => {
    if (!FAMILIES.includes(f)) throw new ConfigError(`${field}.families[${i}]`, `"${String(f)}" is not ipv4-unicast or ipv6-unicast`);
  });
  if (new Set(families).size !== families.length) throw new ConfigError(`${field}.families`, 'lists a family twice');
  const nh = p.nextHop ?? {};
  if (nh.ipv4 !== undefined && !parseIPv4(nh.ipv4)) throw new ConfigError(`${field}.nextHop.ipv4`, `"${nh.ipv4}" is not an IPv4 address`);
  if (nh.ipv6 !== undefined && !parseIPv6(nh.ipv6)) throw new ConfigError(`${field}.nextHop.ipv6`, `"${nh.ipv6}" is not an IPv6 address`);
  if (p.password !== undefined && (typeof p.password !== 'string' || Buffer.byteLength(p.password) > 80)) throw new ConfigError(`${field}.password`, 'must be a string of at most 80 octets');
  let gracefulRestart: ResolvedPeerConfig['gracefulRestart'];
  if (p.gracefulRestart?.enabled) gracefulRestart = { restartTimeSeconds: p.gracefulRestart.restartTimeSeconds === undefined ? 120 : int(p.gracefulRestart.restartTimeSeconds, `${field}.gracefulRestart.restartTimeSeconds`, 1, 4095) };
  const v6Session = parseIPv6(peerAddress) !== undefined;
  return {
    name: p.name,
    peerAddress,
    peerASN: p.peerASN === undefined ? 0 : int(p.peerASN, `${field}.peerASN`, 0, 4294967295),
    peerPort: p.peerPort === undefined ? 179 : int(p.peerPort, `${field}.peerPort`, 1, 65535),
    ...(localAddress ? { localAddress } : {}),
    ...(p.password !== undefined && p.password !== '' ? { password: p.password } : {}),
    holdTimeSeconds,
    keepAliveTimeSeconds,
    connectRetryTimeSeconds: p.connectRetryTimeSeconds === undefined ? 120 : int(p.connectRetryTimeSeconds, `${field}.connectRetryTimeSeconds`, 1, 2147483647),
    ebgpMultihop: p.ebgpMultihop === undefined ? 1 : int(p.ebgpMultihop, `${field}.ebgpMultihop`, 1, 255),
    families: [...families],
    nextHop: { ...(nh.ipv4 ? { ipv4: canonicalAddress(nh.ipv4)! } : {}), ...(nh.ipv6 ? { ipv6: canonicalAddress(nh.ipv6, false)! } : {}) },
    ...(gracefulRestart ? { gracefulRestart } : {}),
    passive: p.passive ?? false,
    extendedNextHop: p.extendedNextHop ?? (v6Session && families.includes('ipv4-unicast')),
  };
}

/**
 * True when changing from `a` to `b` needs a new session: anything negotiated in OPEN or set on the
 * TCP connection. Next hops and the connect-retry time apply without a reset.
 */
export function sessionAffectingChange(a: ResolvedPeerConfig, b: ResolvedPeerConfig): boolean {
  return (
    a.peerAddress !== b.peerAddress ||
    a.peerASN !== b.peerASN ||
    a.peerPort !== b.peerPort ||
    a.localAddress !== b.localAddress ||
    a.password !== b.password ||
    a.holdTimeSeconds !== b.holdTimeSeconds ||
    a.keepAliveTimeSeconds !== b.keepAliveTimeSeconds ||
    a.ebgpMultihop !== b.ebgpMultihop ||
    a.families.join() !== b.families.join() ||
    a.gracefulRestart?.restartTimeSeconds !== b.gracefulRestart?.restartTimeSeconds ||
    a.passive !== b.passive ||
    a.extendedNextHop !== b.extendedNextHop
  );
}
