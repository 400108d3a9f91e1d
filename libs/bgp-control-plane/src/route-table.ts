import { sortPrefixes } from './ip';

/**
 * The advertised routes of every node, folded from the `bgp-node-<node>` streams (what
 * `cilium bgp routes advertised` shows, with the age of each route from its event).
 */

export interface AdvertisedRouteRow {
  readonly node: string;
  readonly instance: string;
  /** Local ASN of the instance (from the node's status reports), when known. */
  readonly localASN?: number;
  readonly peer: string;
  readonly peerAddress: string;
  readonly afi: 'ipv4' | 'ipv6';
  readonly safi: 'unicast';
  readonly prefix: string;
  readonly nextHop?: string;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly localPreference?: number;
  /** When the route (with these attributes) was advertised. */
  readonly since: string;
}

interface StoredEvent {
  readonly type: string;
  readonly occurredAt: string;
  readonly data: unknown;
}

/** Folds bgp-node events (any order of nodes, each node's in stream order) into the current rows. */
export const foldAdvertisedRoutes = (events: Iterable<StoredEvent>): AdvertisedRouteRow[] => {
  const rows = new Map<string, AdvertisedRouteRow>();
  const asn = new Map<string, number>();
  for (const e of events) {
    const d = e.data as Record<string, any>;
    switch (e.type) {
      case 'bgp.RouteAdvertised':
        for (const prefix of d.prefixes as string[]) {
          rows.set(`${d.node}|${d.instance}|${d.peer}|${d.afi}|${prefix}`, {
            node: d.node,
            instance: d.instance,
            peer: d.peer,
            peerAddress: d.peerAddress,
            afi: d.afi,
            safi: 'unicast',
            prefix,
            ...(d.nextHop ? { nextHop: d.nextHop as string } : {}),
            communities: (d.communities as string[] | undefined) ?? [],
            largeCommunities: (d.largeCommunities as string[] | undefined) ?? [],
            ...(d.localPreference !== undefined ? { localPreference: d.localPreference as number } : {}),
            since: e.occurredAt,
          });
        }
        break;
      case 'bgp.RouteWithdrawn':
        for (const prefix of d.prefixes as string[]) rows.delete(`${d.node}|${d.instance}|${d.peer}|${d.afi}|${prefix}`);
        break;
      case 'bgp.NodeStatusReported':
        for (const i of (d.bgpInstances as Array<{ name: string; localASN?: number }>) ?? []) if (i.localASN) asn.set(`${d.node}|${i.name}`, i.localASN);
        break;
      case 'bgp.PeerStateChanged':
        asn.set(`${d.node}|${d.instance}`, d.localASN as number);
        break;
      default:
        break;
    }
  }
  const out = [...rows.values()].map((r) => {
    const a = asn.get(`${r.node}|${r.instance}`);
    return a ? { ...r, localASN: a } : r;
  });
  const byNodePeer = (r: AdvertisedRouteRow): string => `${r.node}\u0000${r.instance}\u0000${r.peer}`;
  const groups = new Map<string, AdvertisedRouteRow[]>();
  for (const r of out) {
    const k = byNodePeer(r);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.keys()].sort().flatMap((k) => sortPrefixes(groups.get(k)!, (r) => r.prefix));
};
