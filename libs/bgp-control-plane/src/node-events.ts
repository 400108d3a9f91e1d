import type {
  EventDataOf,
  NodeStatusReported,
  PeerBlocked,
  PeerSessionReset,
  PeerStateChanged,
  PeerUnblocked,
  PeeringState,
  ReconcileFailed,
  RouteAdvertised,
  RouteWithdrawn,
} from '@bosun/contracts';
import { peerKey } from './session';

/**
 * The decider of a node's `bgp-node-<node>` stream (emmett style): commands are what the speaker
 * observed or did; events are appended only for what changed since the stream's last word. So a
 * speaker that restarts, replays its stream and re-announces the same routes appends nothing new.
 */

export type NodeStatusData = EventDataOf<typeof NodeStatusReported>;

export type BgpNodeEvent =
  | { readonly type: 'bgp.NodeStatusReported'; readonly data: NodeStatusData }
  | { readonly type: 'bgp.PeerStateChanged'; readonly data: EventDataOf<typeof PeerStateChanged> }
  | { readonly type: 'bgp.RouteAdvertised'; readonly data: EventDataOf<typeof RouteAdvertised> }
  | { readonly type: 'bgp.RouteWithdrawn'; readonly data: EventDataOf<typeof RouteWithdrawn> }
  | { readonly type: 'bgp.PeerSessionReset'; readonly data: EventDataOf<typeof PeerSessionReset> }
  | { readonly type: 'bgp.PeerBlocked'; readonly data: EventDataOf<typeof PeerBlocked> }
  | { readonly type: 'bgp.PeerUnblocked'; readonly data: EventDataOf<typeof PeerUnblocked> }
  | { readonly type: 'bgp.ReconcileFailed'; readonly data: EventDataOf<typeof ReconcileFailed> };

export type BlockReason = EventDataOf<typeof PeerBlocked>['reason'];

export type BgpNodeCommand =
  | {
      readonly type: 'ObservePeerState';
      readonly instance: string;
      readonly localASN: number;
      readonly peer: string;
      readonly peerAddress: string;
      readonly peerASN: number;
      readonly state: PeeringState;
      readonly reason?: string;
    }
  | {
      /** The peer's Adj-RIB-Out of one family is now exactly `routes`. */
      readonly type: 'SyncAdvertisedRoutes';
      readonly instance: string;
      readonly peer: string;
      readonly peerAddress: string;
      readonly afi: 'ipv4' | 'ipv6';
      readonly routes: readonly AdvertisedRoute[];
      readonly nextHop?: string;
    }
  | {
      /** Every Adj-RIB-Out not listed (by `advertisedKey`) is empty now: peers or families that went away. */
      readonly type: 'RetainAdvertised';
      readonly keep: readonly string[];
    }
  | { readonly type: 'RecordSessionReset'; readonly instance: string; readonly peer: string; readonly peerAddress: string; readonly reasons: readonly string[] }
  | {
      /** The complete set of blocked peers now. */
      readonly type: 'SyncBlockedPeers';
      readonly blocked: ReadonlyArray<{
        readonly instance: string;
        readonly peer: string;
        readonly peerAddress: string;
        readonly reason: BlockReason;
        readonly message: string;
        readonly authSecretRef?: string;
      }>;
    }
  | { readonly type: 'ReportStatus'; readonly status: NodeStatusData }
  | { readonly type: 'RecordReconcileError'; readonly instance?: string; readonly error: string };

export interface BgpNodeState {
  readonly node: string;
  readonly peerStates: ReadonlyMap<string, PeeringState>;
  /** `<instance>/<peer>|<afi>` → the peer's address and the prefixes in its Adj-RIB-Out. */
  readonly advertised: ReadonlyMap<string, AdvertisedSet>;
  readonly blocked: ReadonlyMap<string, { readonly reason: BlockReason; readonly message: string; readonly peerAddress: string }>;
  /** Canonical JSON of the last reported status. */
  readonly lastStatus?: string;
  readonly lastError?: string;
}

/** A route as recorded: prefix and the attributes it was sent with. */
export interface AdvertisedRoute {
  readonly prefix: string;
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly localPreference?: number;
}

export interface AdvertisedSet {
  readonly instance: string;
  readonly peer: string;
  readonly peerAddress: string;
  readonly afi: 'ipv4' | 'ipv6';
  /** prefix → attribute key (see `attributeKey`), to see attribute changes. */
  readonly prefixes: ReadonlyMap<string, string>;
  readonly nextHop?: string;
}

/** Identity of a route's attributes (and next hop): routes with equal keys share one event. */
export const attributeKey = (r: Omit<AdvertisedRoute, 'prefix'>, nextHop?: string): string =>
  JSON.stringify([r.communities ?? [], r.largeCommunities ?? [], r.localPreference ?? null, nextHop ?? null]);

export const initialBgpNodeState = (node: string): BgpNodeState => ({
  node,
  peerStates: new Map(),
  advertised: new Map(),
  blocked: new Map(),
});

const ribKey = (instance: string, peer: string, afi: string): string => `${peerKey(instance, peer)}|${afi}`;
/** Key of one peer family's Adj-RIB-Out in the state (`<instance>/<peer>|<afi>`). */
export const advertisedKey = ribKey;

/** Stable JSON (sorted keys) so that equal statuses compare equal. */
export const canonicalJson = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );

export const decide = (command: BgpNodeCommand, state: BgpNodeState): BgpNodeEvent[] => {
  const node = state.node;
  switch (command.type) {
    case 'ObservePeerState': {
      const key = peerKey(command.instance, command.peer);
      const from = state.peerStates.get(key) ?? 'idle';
      if (from === command.state) return [];
      return [
        {
          type: 'bgp.PeerStateChanged',
          data: {
            node,
            instance: command.instance,
            peer: command.peer,
            peerAddress: command.peerAddress,
            localASN: command.localASN,
            peerASN: command.peerASN,
            from,
            to: command.state,
            ...(command.reason ? { reason: command.reason } : {}),
          },
        },
      ];
    }
    case 'SyncAdvertisedRoutes': {
      const current = state.advertised.get(ribKey(command.instance, command.peer, command.afi))?.prefixes ?? new Map<string, string>();
      const wanted = new Map(command.routes.map((r) => [r.prefix, r]));
      const withdrawn = [...current.keys()].filter((p) => !wanted.has(p));
      // New prefixes, and prefixes whose attributes (or next hop) changed, grouped by attributes.
      const groups = new Map<string, { route: AdvertisedRoute; prefixes: string[] }>();
      for (const r of command.routes) {
        const key = attributeKey(r, command.nextHop);
        if (current.get(r.prefix) === key) continue;
        const g = groups.get(key);
        if (g) g.prefixes.push(r.prefix);
        else groups.set(key, { route: r, prefixes: [r.prefix] });
      }
      const ids = { node, instance: command.instance, peer: command.peer, peerAddress: command.peerAddress, afi: command.afi, safi: 'unicast' as const };
      const out: BgpNodeEvent[] = [];
      if (withdrawn.length > 0) out.push({ type: 'bgp.RouteWithdrawn', data: { ...ids, prefixes: withdrawn } });
      for (const { route, prefixes } of groups.values()) {
        out.push({
          type: 'bgp.RouteAdvertised',
          data: {
            ...ids,
            prefixes,
            ...(command.nextHop ? { nextHop: command.nextHop } : {}),
            ...(route.communities?.length ? { communities: [...route.communities] } : {}),
            ...(route.largeCommunities?.length ? { largeCommunities: [...route.largeCommunities] } : {}),
            ...(route.localPreference !== undefined ? { localPreference: route.localPreference } : {}),
          },
        });
      }
      return out;
    }
    case 'RetainAdvertised': {
      const keep = new Set(command.keep);
      const out: BgpNodeEvent[] = [];
      for (const [key, a] of state.advertised) {
        if (keep.has(key) || a.prefixes.size === 0) continue;
        out.push({
          type: 'bgp.RouteWithdrawn',
          data: { node, instance: a.instance, peer: a.peer, peerAddress: a.peerAddress, afi: a.afi, safi: 'unicast', prefixes: [...a.prefixes.keys()] },
        });
      }
      return out;
    }
    case 'RecordSessionReset':
      return command.reasons.length === 0
        ? []
        : [
            {
              type: 'bgp.PeerSessionReset',
              data: { node, instance: command.instance, peer: command.peer, peerAddress: command.peerAddress, reasons: [...command.reasons] },
            },
          ];
    case 'SyncBlockedPeers': {
      const out: BgpNodeEvent[] = [];
      const now = new Map(command.blocked.map((b) => [peerKey(b.instance, b.peer), b]));
      for (const [key, b] of now) {
        const prev = state.blocked.get(key);
        if (prev && prev.reason === b.reason && prev.message === b.message) continue;
        out.push({
          type: 'bgp.PeerBlocked',
          data: {
            node,
            instance: b.instance,
            peer: b.peer,
            peerAddress: b.peerAddress,
            reason: b.reason,
            message: b.message,
            ...(b.authSecretRef ? { authSecretRef: b.authSecretRef } : {}),
          },
        });
      }
      for (const [key, prev] of state.blocked) {
        if (now.has(key)) continue;
        const [instance, peer] = splitPeerKey(key);
        out.push({ type: 'bgp.PeerUnblocked', data: { node, instance, peer, peerAddress: prev.peerAddress } });
      }
      return out;
    }
    case 'ReportStatus': {
      const json = canonicalJson(command.status);
      return json === state.lastStatus ? [] : [{ type: 'bgp.NodeStatusReported', data: command.status }];
    }
    case 'RecordReconcileError':
      return command.error === state.lastError
        ? []
        : [{ type: 'bgp.ReconcileFailed', data: { node, ...(command.instance ? { instance: command.instance } : {}), error: command.error } }];
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
};

const splitPeerKey = (key: string): [string, string] => {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
};

export const evolve = (state: BgpNodeState, event: BgpNodeEvent): BgpNodeState => {
  switch (event.type) {
    case 'bgp.PeerStateChanged': {
      const peerStates = new Map(state.peerStates);
      peerStates.set(peerKey(event.data.instance, event.data.peer), event.data.to);
      return { ...state, peerStates };
    }
    case 'bgp.RouteAdvertised':
    case 'bgp.RouteWithdrawn': {
      const d = event.data;
      const key = ribKey(d.instance, d.peer, d.afi);
      const prev = state.advertised.get(key);
      const map = new Map(prev?.prefixes ?? []);
      if (event.type === 'bgp.RouteAdvertised') {
        const attrs = attributeKey(event.data, event.data.nextHop);
        for (const p of d.prefixes) map.set(p, attrs);
      } else {
        for (const p of d.prefixes) map.delete(p);
      }
      const advertised = new Map(state.advertised);
      const nextHop = event.type === 'bgp.RouteAdvertised' ? (event.data.nextHop ?? prev?.nextHop) : prev?.nextHop;
      if (map.size === 0) advertised.delete(key);
      else advertised.set(key, { instance: d.instance, peer: d.peer, peerAddress: d.peerAddress, afi: d.afi, prefixes: map, ...(nextHop ? { nextHop } : {}) });
      return { ...state, advertised };
    }
    case 'bgp.PeerBlocked': {
      const blocked = new Map(state.blocked);
      blocked.set(peerKey(event.data.instance, event.data.peer), { reason: event.data.reason, message: event.data.message, peerAddress: event.data.peerAddress });
      return { ...state, blocked };
    }
    case 'bgp.PeerUnblocked': {
      const blocked = new Map(state.blocked);
      blocked.delete(peerKey(event.data.instance, event.data.peer));
      return { ...state, blocked };
    }
    case 'bgp.NodeStatusReported': {
      // A status without a reconcile error ends the current error streak.
      const errorCleared = !event.data.conditions.some((c) => c.type === 'cilium.io/BGPReconcileError' && c.status === 'True');
      const { lastError: _drop, ...rest } = state;
      return errorCleared ? { ...rest, lastStatus: canonicalJson(event.data) } : { ...state, lastStatus: canonicalJson(event.data) };
    }
    case 'bgp.ReconcileFailed':
      return { ...state, lastError: event.data.error };
    case 'bgp.PeerSessionReset':
      return state;
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
};

/** Folds a stream's events (unknown types are skipped) into the state. */
export const foldBgpNodeEvents = (node: string, events: Iterable<{ readonly type: string; readonly data: unknown }>): BgpNodeState => {
  let s = initialBgpNodeState(node);
  for (const e of events) if (isBgpNodeEvent(e)) s = evolve(s, e);
  return s;
};

const TYPES = new Set([
  'bgp.NodeStatusReported',
  'bgp.PeerStateChanged',
  'bgp.RouteAdvertised',
  'bgp.RouteWithdrawn',
  'bgp.PeerSessionReset',
  'bgp.PeerBlocked',
  'bgp.PeerUnblocked',
  'bgp.ReconcileFailed',
]);
export const isBgpNodeEvent = (e: { readonly type: string }): e is BgpNodeEvent => TYPES.has(e.type);
