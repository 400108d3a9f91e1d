import { condition, type DesiredCondition } from './conditions';
import { ConditionType, GATEWAY_API_GROUP, Reason } from './constants';
import { hostnamesOverlap } from './hostnames';
import { referenceAllowed } from './references';
import type { Gateway, Listener, ReferenceGrant, RouteGroupKind, SecretSummary } from './types';

/**
 * Per-listener decisions of one Gateway (everything but `Programmed`, which waits for the
 * address, and `attachedRoutes`, which comes from the routes).
 *
 * Bosun serves HTTPRoute, so HTTP and HTTPS listeners are supported; TLS (TLSRoute), TCP
 * (TCPRoute) and UDP (UDPRoute) listeners are refused with `UnsupportedProtocol`. Per the spec,
 * an implementation without TCP listeners does not apply the "TCP makes its port indistinct"
 * rule: conflicts are computed among the supported listeners only.
 */

export const SUPPORTED_PROTOCOLS: ReadonlySet<string> = new Set(['HTTP', 'HTTPS']);

/** The route kinds a listener of each supported protocol takes (all when `allowedRoutes.kinds` is empty). */
const KINDS_BY_PROTOCOL: Readonly<Record<string, readonly RouteGroupKind[]>> = {
  HTTP: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }],
  HTTPS: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }],
};

export type ConflictReason = typeof Reason.HostnameConflict | typeof Reason.ProtocolConflict;

export interface ListenerDecision {
  readonly listener: Listener;
  readonly supportedKinds: readonly RouteGroupKind[];
  /** Accepted, not conflicted, certificates resolved and at least one route kind: it gets data plane config. */
  readonly valid: boolean;
  readonly conflict?: { readonly reason: ConflictReason; readonly message: string };
  /** Accepted, ResolvedRefs, Conflicted (and OverlappingTLSConfig when true), in that order. */
  readonly conditions: readonly DesiredCondition[];
  /** Why the listener is not valid, for the Gateway's ListenersNotValid message. */
  readonly problem?: string;
}

const hostKey = (l: Listener): string => (l.hostname ?? '').toLowerCase();
const describeHost = (l: Listener): string => (l.hostname ? `hostname ${l.hostname}` : 'no hostname');
const names = (ls: readonly Listener[]): string => ls.map((l) => `"${l.name}"`).join(', ');

/** Listener conflicts (§ "Handling indistinct Listeners"): no winner is ever picked. */
export const listenerConflicts = (listeners: readonly Listener[]): Map<string, { reason: ConflictReason; message: string }> => {
  const out = new Map<string, { reason: ConflictReason; message: string }>();
  const byPort = new Map<number, Listener[]>();
  for (const l of listeners) {
    if (!SUPPORTED_PROTOCOLS.has(l.protocol)) continue;
    const list = byPort.get(l.port) ?? [];
    list.push(l);
    byPort.set(l.port, list);
  }
  for (const [port, ls] of byPort) {
    const protocols = [...new Set(ls.map((l) => l.protocol))].sort();
    if (protocols.length > 1) {
      // HTTP and HTTPS cannot share a port: a connection cannot be assigned to one of them.
      for (const l of ls) out.set(l.name, { reason: Reason.ProtocolConflict, message: `port ${port} is used with protocols ${protocols.join(' and ')} by listeners ${names(ls)}` });
      continue;
    }
    const byHost = new Map<string, Listener[]>();
    for (const l of ls) byHost.set(hostKey(l), [...(byHost.get(hostKey(l)) ?? []), l]);
    for (const same of byHost.values()) {
      if (same.length < 2) continue;
      for (const l of same) out.set(l.name, { reason: Reason.HostnameConflict, message: `listeners ${names(same)} all use port ${port}, protocol ${l.protocol} and ${describeHost(l)}` });
    }
  }
  return out;
};

/** OverlappingTLSConfig: HTTPS listeners on one port whose hostnames overlap (`foo.example.com` / `*.example.com`). */
const overlaps = (listeners: readonly Listener[], conflicted: ReadonlySet<string>): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  const tls = listeners.filter((l) => l.protocol === 'HTTPS' && !conflicted.has(l.name));
  for (const a of tls) {
    for (const b of tls) {
      if (a === b || a.port !== b.port || !hostnamesOverlap(a.hostname, b.hostname)) continue;
      out.set(a.name, [...(out.get(a.name) ?? []), `"${b.name}" (${b.hostname})`]);
    }
  }
  return out;
};

const routeKinds = (l: Listener): { supported: RouteGroupKind[]; invalid: RouteGroupKind[] } => {
  const allowedByProtocol = KINDS_BY_PROTOCOL[l.protocol] ?? [];
  const asked = l.allowedRoutes?.kinds;
  if (!asked || asked.length === 0) return { supported: [...allowedByProtocol], invalid: [] };
  const supported: RouteGroupKind[] = [];
  const invalid: RouteGroupKind[] = [];
  for (const k of asked) {
    const group = k.group ?? GATEWAY_API_GROUP;
    const ok = allowedByProtocol.some((s) => s.group === group && s.kind === k.kind);
    if (ok && !supported.some((s) => s.group === group && s.kind === k.kind)) supported.push({ group, kind: k.kind });
    else if (!ok) invalid.push({ group, kind: k.kind });
  }
  return { supported, invalid };
};

const kindName = (k: RouteGroupKind): string => (k.group ? `${k.kind}.${k.group}` : k.kind);

/** Certificate references of an HTTPS listener: RefNotPermitted beats InvalidCertificateRef (the spec's rule). */
const certificateProblems = (gw: Gateway, l: Listener, secrets: ReadonlyMap<string, SecretSummary>, grants: readonly ReferenceGrant[]): { reason: string; message: string } | undefined => {
  if (l.protocol !== 'HTTPS') return undefined;
  const ns = gw.metadata.namespace ?? '';
  const refs = l.tls?.certificateRefs ?? [];
  if (refs.length === 0) return { reason: Reason.InvalidCertificateRef, message: 'an HTTPS listener needs tls.certificateRefs (Bosun serves no TLS options instead of certificates)' };
  const notPermitted: string[] = [];
  const invalid: string[] = [];
  refs.forEach((r, i) => {
    const group = r.group ?? '';
    const kind = r.kind ?? 'Secret';
    const rns = r.namespace ?? ns;
    const where = `tls.certificateRefs[${i}]`;
    if (group !== '' || kind !== 'Secret') {
      invalid.push(`${where}: ${kindName({ group, kind })} ${r.name} is not a Secret`);
      return;
    }
    if (!referenceAllowed(grants, { group: GATEWAY_API_GROUP, kind: 'Gateway', namespace: ns }, { group: '', kind: 'Secret', namespace: rns, name: r.name })) {
      notPermitted.push(`${where}: Secret ${rns}/${r.name} is in another namespace and no ReferenceGrant there allows Gateways from ${ns}`);
      return;
    }
    const s = secrets.get(`${rns}/${r.name}`);
    if (!s) invalid.push(`${where}: Secret ${rns}/${r.name} does not exist`);
    else if (!s.validTLS) invalid.push(`${where}: Secret ${rns}/${r.name}: ${s.problem ?? 'no valid tls.crt/tls.key'}`);
  });
  if (notPermitted.length > 0) return { reason: Reason.RefNotPermitted, message: [...notPermitted, ...invalid].join('; ') };
  if (invalid.length > 0) return { reason: Reason.InvalidCertificateRef, message: invalid.join('; ') };
  return undefined;
};

export interface ListenerContext {
  /** Secrets by `namespace/name`. */
  readonly secrets: ReadonlyMap<string, SecretSummary>;
  readonly referenceGrants: readonly ReferenceGrant[];
}

export const decideListeners = (gw: Gateway, ctx: ListenerContext): ListenerDecision[] => {
  const listeners = gw.spec?.listeners ?? [];
  const generation = gw.metadata.generation;
  const conflicts = listenerConflicts(listeners);
  const overlapping = overlaps(listeners, new Set(conflicts.keys()));
  return listeners.map((l): ListenerDecision => {
    const conds: DesiredCondition[] = [];
    const supportedProtocol = SUPPORTED_PROTOCOLS.has(l.protocol);
    const conflict = conflicts.get(l.name);
    const kinds = supportedProtocol ? routeKinds(l) : { supported: [], invalid: [] };
    const cert = supportedProtocol ? certificateProblems(gw, l, ctx.secrets, ctx.referenceGrants) : undefined;

    let problem: string | undefined;
    if (!supportedProtocol) {
      problem = `protocol ${l.protocol} is not supported (Bosun serves HTTP and HTTPS listeners with HTTPRoutes)`;
      conds.push(condition(ConditionType.Accepted, 'False', Reason.UnsupportedProtocol, problem, generation));
    } else if (conflict) {
      problem = `conflicted: ${conflict.message}`;
      conds.push(condition(ConditionType.Accepted, 'False', conflict.reason, `Listener is not accepted: ${conflict.message}; no conflicting listener is picked`, generation));
    } else conds.push(condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Listener accepted', generation));

    if (cert) {
      problem ??= cert.message;
      conds.push(condition(ConditionType.ResolvedRefs, 'False', cert.reason, cert.message, generation));
    } else if (kinds.invalid.length > 0) {
      const msg = `route kinds ${kinds.invalid.map(kindName).join(', ')} are not supported on a ${l.protocol} listener${kinds.supported.length ? '' : '; no supported kind is left'}`;
      if (kinds.supported.length === 0) problem ??= msg;
      conds.push(condition(ConditionType.ResolvedRefs, 'False', Reason.InvalidRouteKinds, msg, generation));
    } else conds.push(condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All references resolved', generation));

    if (conflict) conds.push(condition(ConditionType.Conflicted, 'True', conflict.reason, conflict.message, generation));
    else conds.push(condition(ConditionType.Conflicted, 'False', Reason.NoConflicts, 'No conflicts', generation));

    const o = overlapping.get(l.name);
    if (o) conds.push(condition(ConditionType.OverlappingTLSConfig, 'True', Reason.OverlappingHostnames, `hostname ${l.hostname} overlaps with listener(s) ${o.join(', ')} on port ${l.port}`, generation));

    const valid = supportedProtocol && !conflict && !cert && kinds.supported.length > 0;
    return { listener: l, supportedKinds: kinds.supported, valid, ...(conflict ? { conflict } : {}), conditions: conds, ...(problem && !valid ? { problem } : {}) };
  });
};

/** Listener condition types this controller manages (others' are kept untouched). */
export const LISTENER_CONDITION_TYPES: ReadonlySet<string> = new Set([
  ConditionType.Accepted,
  ConditionType.Programmed,
  ConditionType.ResolvedRefs,
  ConditionType.Conflicted,
  ConditionType.OverlappingTLSConfig,
]);
