import { CONVERSION_ANNOTATION_PREFIX, type LabelSelector } from '@bosun/resources';
import type { Afi, Family, GracefulRestart, KubeObject, Timers } from './model';
import { ciliumVersionOf, isRecord, nameOf, readArray, readInt, readSelector, readString, type Problems } from './read';

/** A CiliumBGPPeerConfig spec with Cilium's defaults applied (v2 and v2alpha1 alike). */
export interface ResolvedPeerConfig {
  readonly name?: string;
  readonly peerPort: number;
  /** v2alpha1 only (`spec.transport.localPort`, deprecated); v2 moved it to the NodeConfigOverride. */
  readonly localPort?: number;
  readonly timers: Timers;
  readonly authSecretRef?: string;
  readonly gracefulRestart: GracefulRestart;
  readonly ebgpMultihop: number;
  /** Families that carry routes (ipv4/ipv6 unicast), each with its advertisement selector. */
  readonly families: ReadonlyArray<{ readonly family: Family; readonly advertisements?: LabelSelector }>;
  /** Families in the spec that Bosun does not negotiate (other AFI/SAFIs of Cilium's enum). */
  readonly ignoredFamilies: readonly string[];
}

export const DEFAULT_TIMERS: Timers = { connectRetryTimeSeconds: 120, holdTimeSeconds: 90, keepAliveTimeSeconds: 30 };
export const DEFAULT_PEER_PORT = 179;
export const DEFAULT_RESTART_TIME_SECONDS = 120;

/** The PeerConfig a peer without `peerConfigRef` gets: defaults, both unicast families, no advertisements. */
export const DEFAULT_PEER_CONFIG: ResolvedPeerConfig = {
  peerPort: DEFAULT_PEER_PORT,
  timers: DEFAULT_TIMERS,
  gracefulRestart: { enabled: false, restartTimeSeconds: DEFAULT_RESTART_TIME_SECONDS },
  ebgpMultihop: 1,
  families: [
    { family: { afi: 'ipv6', safi: 'unicast' } },
    { family: { afi: 'ipv4', safi: 'unicast' } },
  ],
  ignoredFamilies: [],
};

const AFIS = new Set(['ipv4', 'ipv6', 'l2vpn', 'ls', 'opaque']);
const SAFIS = new Set([
  'unicast',
  'multicast',
  'mpls_label',
  'encapsulation',
  'vpls',
  'evpn',
  'ls',
  'sr_policy',
  'mup',
  'mpls_vpn',
  'mpls_vpn_multicast',
  'route_target_constraints',
  'flowspec_unicast',
  'flowspec_vpn',
  'key_value',
]);

/**
 * Resolves a PeerConfig with defaults. Invalid fields are reported in `problems` (with the field
 * path) and fall back to their defaults, except keepalive > hold, which makes the result invalid.
 */
export const resolvePeerConfig = (pc: KubeObject, problems: Problems): { config: ResolvedPeerConfig; valid: boolean } => {
  const ref = `CiliumBGPPeerConfig/${nameOf(pc)}`;
  const spec = isRecord(pc.spec) ? pc.spec : {};
  const transport = isRecord(spec.transport) ? spec.transport : {};
  const peerPort = readInt(transport.peerPort, `${ref}: spec.transport.peerPort`, problems, { min: 1, max: 65535 }) ?? DEFAULT_PEER_PORT;
  const localPort = readInt(
    ciliumVersionOf(pc) === 'v2alpha1' ? transport.localPort : stashedV2alpha1Field(pc, ['spec', 'transport', 'localPort']),
    `${ref}: spec.transport.localPort`,
    problems,
    { min: 1, max: 65535 },
  );
  const t = isRecord(spec.timers) ? spec.timers : {};
  const timers: Timers = {
    connectRetryTimeSeconds:
      readInt(t.connectRetryTimeSeconds, `${ref}: spec.timers.connectRetryTimeSeconds`, problems, { min: 1, max: 2147483647 }) ??
      DEFAULT_TIMERS.connectRetryTimeSeconds,
    holdTimeSeconds: readInt(t.holdTimeSeconds, `${ref}: spec.timers.holdTimeSeconds`, problems, { min: 3, max: 65535 }) ?? DEFAULT_TIMERS.holdTimeSeconds,
    keepAliveTimeSeconds:
      readInt(t.keepAliveTimeSeconds, `${ref}: spec.timers.keepAliveTimeSeconds`, problems, { min: 1, max: 65535 }) ?? DEFAULT_TIMERS.keepAliveTimeSeconds,
  };
  let valid = true;
  if (timers.keepAliveTimeSeconds > timers.holdTimeSeconds) {
    problems.push(
      `${ref}: spec.timers.keepAliveTimeSeconds: must be less than or equal to holdTimeSeconds (${timers.keepAliveTimeSeconds} > ${timers.holdTimeSeconds})`,
    );
    valid = false;
  }
  const authSecretRef = readString(spec.authSecretRef, `${ref}: spec.authSecretRef`, problems) || undefined;
  const gr = isRecord(spec.gracefulRestart) ? spec.gracefulRestart : undefined;
  const gracefulRestart: GracefulRestart = {
    enabled: gr?.enabled === true,
    restartTimeSeconds:
      readInt(gr?.restartTimeSeconds, `${ref}: spec.gracefulRestart.restartTimeSeconds`, problems, { min: 1, max: 4095 }) ?? DEFAULT_RESTART_TIME_SECONDS,
  };
  const ebgpMultihop = readInt(spec.ebgpMultihop, `${ref}: spec.ebgpMultihop`, problems, { min: 1, max: 255 }) ?? 1;

  const families: { family: Family; advertisements?: LabelSelector }[] = [];
  const ignoredFamilies: string[] = [];
  const rawFamilies = readArray(spec.families, `${ref}: spec.families`, problems);
  for (const [i, f] of rawFamilies.entries()) {
    const fw = `${ref}: spec.families[${i}]`;
    if (!isRecord(f)) {
      problems.push(`${fw}: must be an object`);
      continue;
    }
    if (!AFIS.has(f.afi)) {
      problems.push(`${fw}.afi: unsupported value ${JSON.stringify(f.afi)} (one of ${[...AFIS].join(', ')})`);
      continue;
    }
    if (!SAFIS.has(f.safi)) {
      problems.push(`${fw}.safi: unsupported value ${JSON.stringify(f.safi)}`);
      continue;
    }
    if ((f.afi !== 'ipv4' && f.afi !== 'ipv6') || f.safi !== 'unicast') {
      ignoredFamilies.push(`${f.afi}/${f.safi}`);
      continue;
    }
    if (families.some((x) => x.family.afi === f.afi)) continue; // listed twice: the first one counts
    const advertisements = readSelector(f.advertisements, `${fw}.advertisements`, problems);
    families.push({ family: { afi: f.afi as Afi, safi: 'unicast' }, ...(advertisements ? { advertisements } : {}) });
  }
  const config: ResolvedPeerConfig = {
    name: nameOf(pc),
    peerPort,
    ...(localPort !== undefined ? { localPort } : {}),
    timers,
    ...(authSecretRef ? { authSecretRef } : {}),
    gracefulRestart,
    ebgpMultihop,
    // No families at all (not even unsupported ones): Cilium's default of both unicast families.
    families: rawFamilies.length === 0 ? DEFAULT_PEER_CONFIG.families : families,
    ignoredFamilies,
  };
  return { config, valid };
};

/**
 * A v2alpha1-only field of an object read in v2: the API keeps it in the conversion annotation
 * (`conversion.bosun.io/v2alpha1-fields`, a JSON list of `{path, value}`), as Kubernetes does.
 */
export const stashedV2alpha1Field = (o: KubeObject, path: readonly (string | number)[]): unknown => {
  const raw = o.metadata?.annotations?.[`${CONVERSION_ANNOTATION_PREFIX}v2alpha1-fields`];
  if (typeof raw !== 'string') return undefined;
  try {
    const list = JSON.parse(raw) as Array<{ path?: unknown[]; value?: unknown }>;
    const hit = Array.isArray(list) ? list.find((x) => Array.isArray(x.path) && x.path.length === path.length && x.path.every((p, i) => p === path[i])) : undefined;
    return hit?.value;
  } catch {
    return undefined;
  }
};
