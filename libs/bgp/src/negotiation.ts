import { parseIPv4 } from './address.js';
import { AS_TRANS, BGP_VERSION, ErrorCode, OpenSubcode } from './constants.js';
import { bgpError } from './codec.js';
import type { BgpError, Capability, OpenMessage } from './messages.js';

/** Address families this speaker can carry, in Cilium's naming. */
export type Family = 'ipv4-unicast' | 'ipv6-unicast';
export const FAMILIES: readonly Family[] = ['ipv4-unicast', 'ipv6-unicast'];

export const familyAfiSafi = (f: Family): { afi: number; safi: number } => (f === 'ipv4-unicast' ? { afi: 1, safi: 1 } : { afi: 2, safi: 1 });
export const familyOf = (afi: number, safi: number): Family | undefined => (safi === 1 && afi === 1 ? 'ipv4-unicast' : safi === 1 && afi === 2 ? 'ipv6-unicast' : undefined);

/** What a session announces in its OPEN and accepts from the peer. */
export interface SessionParameters {
  readonly localASN: number;
  readonly routerID: string;
  /** 0 = accept any AS (learned from the peer's OPEN). */
  readonly peerASN: number;
  readonly holdTimeSeconds: number;
  readonly keepAliveTimeSeconds: number;
  readonly families: readonly Family[];
  /** Advertise the graceful restart capability (RFC 4724) as a restarting speaker. */
  readonly gracefulRestart?: {
    readonly restartTimeSeconds: number;
    /** R bit and per-family F bits: this speaker has just restarted and kept forwarding. */
    readonly restarting: boolean;
  };
  /** Advertise RFC 8950 extended next hop for IPv4 unicast (IPv4 routes with IPv6 next hops). */
  readonly extendedNextHop: boolean;
}

/** The outcome of an OPEN exchange. */
export interface NegotiatedSession {
  readonly peerASN: number;
  readonly peerRouterID: string;
  readonly holdTimeSeconds: number;
  /** 0 when the hold time is 0 (no KEEPALIVEs). */
  readonly keepaliveSeconds: number;
  readonly fourOctetAs: boolean;
  readonly families: readonly Family[];
  readonly routeRefresh: boolean;
  /** The peer advertised graceful restart (it will keep our routes if we restart within its view). */
  readonly peerGracefulRestart?: Extract<Capability, { kind: 'graceful-restart' }>;
  /** Both sides advertised graceful restart. */
  readonly gracefulRestart: boolean;
  /** IPv4 unicast may be sent with an IPv6 next hop (RFC 8950, both sides advertised it). */
  readonly extendedNextHopIPv4: boolean;
  readonly localCapabilities: readonly Capability[];
  readonly remoteCapabilities: readonly Capability[];
}

/** The OPEN this session sends. */
export function buildOpen(p: SessionParameters): OpenMessage {
  const caps: Capability[] = [];
  for (const f of p.families) caps.push({ kind: 'multiprotocol', ...familyAfiSafi(f) });
  caps.push({ kind: 'route-refresh' });
  caps.push({ kind: 'four-octet-as', asn: p.localASN });
  if (p.gracefulRestart) {
    caps.push({
      kind: 'graceful-restart',
      restartState: p.gracefulRestart.restarting,
      notification: true,
      restartTimeSeconds: p.gracefulRestart.restartTimeSeconds,
      families: p.families.map((f) => ({ ...familyAfiSafi(f), forwardingPreserved: p.gracefulRestart!.restarting })),
    });
  }
  if (p.extendedNextHop && p.families.includes('ipv4-unicast')) caps.push({ kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] });
  return {
    type: 'open',
    version: BGP_VERSION,
    myAS: p.localASN > 0xffff ? AS_TRANS : p.localASN,
    holdTimeSeconds: p.holdTimeSeconds,
    bgpIdentifier: p.routerID,
    capabilities: caps,
  };
}

/** Validates the peer's OPEN (RFC 4271 §6.2, RFC 6793, RFC 5492) and computes the session's terms. */
export function negotiate(p: SessionParameters, local: OpenMessage, remote: OpenMessage): { ok: true; session: NegotiatedSession } | { ok: false; error: BgpError } {
  const fail = (subcode: number, reason: string, data?: Uint8Array): { ok: false; error: BgpError } => ({ ok: false, error: bgpError(ErrorCode.OPEN_MESSAGE, subcode, reason, data) });
  if (remote.version !== BGP_VERSION) return fail(OpenSubcode.UNSUPPORTED_VERSION_NUMBER, `version ${remote.version}`, Uint8Array.of(0, BGP_VERSION));
  const as4 = remote.capabilities.find((c): c is Extract<Capability, { kind: 'four-octet-as' }> => c.kind === 'four-octet-as');
  const peerASN = as4 ? as4.asn : remote.myAS;
  if (as4 && remote.myAS !== AS_TRANS && remote.myAS !== as4.asn) return fail(OpenSubcode.BAD_PEER_AS, `My AS ${remote.myAS} disagrees with the 4-octet AS capability ${as4.asn}`);
  if (peerASN === 0 || (p.peerASN !== 0 && peerASN !== p.peerASN)) return fail(OpenSubcode.BAD_PEER_AS, `peer AS ${peerASN}, expected ${p.peerASN}`);
  if (remote.holdTimeSeconds === 1 || remote.holdTimeSeconds === 2) return fail(OpenSubcode.UNACCEPTABLE_HOLD_TIME, `hold time ${remote.holdTimeSeconds}`);
  const id = parseIPv4(remote.bgpIdentifier);
  if (!id || remote.bgpIdentifier === '0.0.0.0') return fail(OpenSubcode.BAD_BGP_IDENTIFIER, `BGP identifier ${remote.bgpIdentifier}`);
  if (peerASN === p.localASN && remote.bgpIdentifier === p.routerID) return fail(OpenSubcode.BAD_BGP_IDENTIFIER, `iBGP peer uses our BGP identifier ${remote.bgpIdentifier}`);
  const holdTimeSeconds = Math.min(p.holdTimeSeconds, remote.holdTimeSeconds);
  const keepaliveSeconds = holdTimeSeconds === 0 ? 0 : Math.max(1, Math.min(p.keepAliveTimeSeconds, Math.floor(holdTimeSeconds / 3)));
  const remoteMp = remote.capabilities.filter((c): c is Extract<Capability, { kind: 'multiprotocol' }> => c.kind === 'multiprotocol');
  // RFC 4760 §8: a peer without multiprotocol capabilities speaks IPv4 unicast only.
  const families = remoteMp.length === 0 ? p.families.filter((f) => f === 'ipv4-unicast') : p.families.filter((f) => remoteMp.some((c) => familyOf(c.afi, c.safi) === f));
  const peerGr = remote.capabilities.find((c): c is Extract<Capability, { kind: 'graceful-restart' }> => c.kind === 'graceful-restart');
  const enh = remote.capabilities.find((c): c is Extract<Capability, { kind: 'extended-next-hop' }> => c.kind === 'extended-next-hop');
  return {
    ok: true,
    session: {
      peerASN,
      peerRouterID: remote.bgpIdentifier,
      holdTimeSeconds,
      keepaliveSeconds,
      fourOctetAs: as4 !== undefined,
      families,
      routeRefresh: remote.capabilities.some((c) => c.kind === 'route-refresh' || c.kind === 'enhanced-route-refresh'),
      peerGracefulRestart: peerGr,
      gracefulRestart: peerGr !== undefined && p.gracefulRestart !== undefined,
      extendedNextHopIPv4: p.extendedNextHop && enh !== undefined && enh.entries.some((e) => e.afi === 1 && e.safi === 1 && e.nextHopAfi === 2),
      localCapabilities: local.capabilities,
      remoteCapabilities: remote.capabilities,
    },
  };
}

/** Short names of capabilities for status displays (`cilium-dbg bgp peers -c` style). */
export function capabilityNames(caps: readonly Capability[]): string[] {
  return caps.map((c) => {
    switch (c.kind) {
      case 'multiprotocol': {
        const f = familyOf(c.afi, c.safi);
        return `multiprotocol(${f ?? `${c.afi}/${c.safi}`})`;
      }
      case 'route-refresh':
        return 'route-refresh';
      case 'enhanced-route-refresh':
        return 'enhanced-route-refresh';
      case 'four-octet-as':
        return `4-octet-as(${c.asn})`;
      case 'graceful-restart':
        return `graceful-restart(time=${c.restartTimeSeconds}${c.restartState ? ',R' : ''}${c.notification ? ',N' : ''}${c.families.map((f) => `,${familyOf(f.afi, f.safi) ?? `${f.afi}/${f.safi}`}${f.forwardingPreserved ? '+F' : ''}`).join('')})`;
      case 'extended-next-hop':
        return `extended-next-hop(${c.entries.map((e) => `${e.afi}/${e.safi}->${e.nextHopAfi}`).join(',')})`;
      case 'unknown':
        return `capability-${c.code}`;
      default: {
        const never: never = c;
        return String(never);
      }
    }
  });
}
