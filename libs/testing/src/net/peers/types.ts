import { WELL_KNOWN_COMMUNITIES } from '@bosun/bgp';
/** Address families the launchers configure. */
export type PeerFamily = 'ipv4-unicast' | 'ipv6-unicast';

/** One BGP neighbor of a launched router (BIRD, GoBGP or FRR), in the same words as Cilium's CRDs. */
export interface PeerNeighbor {
  /** Protocol / neighbor name (BIRD protocol name; letters, digits, underscore). */
  readonly name: string;
  readonly peerAddress: string;
  readonly peerASN: number;
  /** This router's AS toward this neighbor, when not the router's own (e.g. iBGP next to eBGP). */
  readonly localASN?: number;
  /** TCP port of the neighbor (default 179). */
  readonly peerPort?: number;
  /** Source address of the session on this router. */
  readonly localAddress?: string;
  /** TCP MD5 (RFC 2385) key. */
  readonly password?: string;
  readonly holdTimeSeconds?: number;
  readonly keepAliveTimeSeconds?: number;
  readonly connectRetryTimeSeconds?: number;
  /** eBGP multihop TTL; 1 (default) = directly connected. */
  readonly ebgpMultihop?: number;
  /** Only accept connections, never connect. */
  readonly passive?: boolean;
  /** Enable graceful restart (RFC 4724) toward this neighbor (as a receiving/helper speaker). */
  readonly gracefulRestart?: { readonly restartTimeSeconds?: number };
  /** Families negotiated (default both unicast families). */
  readonly families?: readonly PeerFamily[];
  /** Advertise RFC 8950 extended next hop for IPv4 over an IPv6 session. */
  readonly extendedNextHop?: boolean;
  /** Configured but not started (BIRD: `disabled`; enable with `birdc enable <name>`). */
  readonly disabled?: boolean;
  /** Export the launcher's originated routes to this neighbor (default false). */
  readonly exportRoutes?: boolean;
}

/** A route the launched router originates (for tests where our speaker receives routes). */
export interface OriginatedRoute {
  readonly prefix: string;
  readonly nextHop?: string;
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly localPreference?: number;
  readonly med?: number;
}

/** A route as the peer holds it, normalised across BIRD, GoBGP and FRR. */
export interface PeerRoute {
  readonly prefix: string;
  /** Name or address of the neighbor it came from. */
  readonly from: string;
  readonly origin: 'igp' | 'egp' | 'incomplete' | undefined;
  readonly asPath: readonly number[];
  readonly nextHop: readonly string[];
  readonly med?: number;
  readonly localPreference?: number;
  /** `asn:value` strings, numeric (well-known ones too: `65535:65281` = no-export), sorted. */
  readonly communities: readonly string[];
  /** `global:local1:local2` strings, sorted. */
  readonly largeCommunities: readonly string[];
  /** Held as stale during a neighbor's graceful restart. */
  readonly stale: boolean;
}

/** Session state of one neighbor as the peer reports it, normalised (RFC 4271 state names in lower case). */
export interface PeerSessionState {
  readonly name: string;
  readonly state: 'idle' | 'connect' | 'active' | 'opensent' | 'openconfirm' | 'established' | 'unknown';
  /** Negotiated hold time, when known. */
  readonly holdTimeSeconds?: number;
  readonly lastError?: string;
  /** Routes received from this neighbor, per family. */
  readonly receivedRoutes: Partial<Record<PeerFamily, number>>;
  /** The neighbor is in graceful restart (its routes are held stale). */
  readonly gracefulRestartActive: boolean;
}


/** `no-export` → `65535:65281`; `65000:100` unchanged; `4259840100` → `65000:100`. */
export function communityToNumeric(c: string): string {
  const known = WELL_KNOWN_COMMUNITIES[c];
  const n = known !== undefined ? known : /^\d+$/.test(c) ? Number(c) : undefined;
  if (n !== undefined) return `${n >>> 16}:${n & 0xffff}`;
  return c;
}
