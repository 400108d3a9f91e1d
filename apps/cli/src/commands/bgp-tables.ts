import type { AdvertisedRouteRow, KubeObject } from '@bosun/bgp-control-plane';

/**
 * The tables of `bosun bgp peers` and `bosun bgp routes`, laid out as `cilium bgp peers` and
 * `cilium bgp routes` print them (operations.md §3.3): title-case headers, columns padded like
 * Go's tabwriter, one row per address family with the node and peer cells left blank on
 * continuation rows.
 */

/** Go's `time.Duration.Round(time.Second).String()`: `45s`, `12m3s`, `1h2m3s`. */
export const goDuration = (ms: number): string => {
  let s = Math.max(0, Math.round(ms / 1000));
  if (s === 0) return '0s';
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
};

/** Left-aligned columns separated by three spaces (cilium-cli's tabwriter settings). */
export const renderTable = (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3)))
      .join('')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
};

interface PeerStatus {
  name: string;
  peerAddress: string;
  peerASN?: number;
  peeringState?: string;
  establishedTime?: string;
  routeCount?: Array<{ afi: string; safi: string; received: number; advertised: number }>;
}

/** `bosun bgp peers`: one row per node, instance, peer and family, from the CiliumBGPNodeConfigs' status. */
export const peersTable = (nodeConfigs: readonly KubeObject[], now: Date = new Date()): string => {
  const rows: string[][] = [];
  const sorted = [...nodeConfigs].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const nc of sorted) {
    const node = nc.metadata?.name ?? '';
    const instances = Array.isArray(nc.status?.bgpInstances) ? (nc.status.bgpInstances as Array<{ name: string; localASN?: number; peers?: PeerStatus[] }>) : [];
    for (const inst of instances) {
      for (const p of inst.peers ?? []) {
        const uptime = p.peeringState === 'established' && p.establishedTime ? goDuration(now.getTime() - Date.parse(p.establishedTime)) : '0s';
        const families = p.routeCount && p.routeCount.length > 0 ? p.routeCount : [undefined];
        families.forEach((f, i) => {
          const head = i === 0 ? [node, String(inst.localASN ?? ''), String(p.peerASN ?? ''), p.peerAddress, p.peeringState ?? 'unknown', uptime] : ['', '', '', '', '', ''];
          rows.push([...head, f ? `${f.afi}/${f.safi}` : '', f ? String(f.received) : '', f ? String(f.advertised) : '']);
        });
      }
    }
  }
  return renderTable(['Node', 'Local AS', 'Peer AS', 'Peer Address', 'Session State', 'Uptime', 'Family', 'Received', 'Advertised'], rows);
};

/** GoBGP-style path attributes, as `cilium bgp routes` prints them. */
export const routeAttrs = (r: AdvertisedRouteRow): string => {
  const attrs = ['{Origin: i}', '{AsPath: }'];
  if (r.localPreference !== undefined) attrs.push(`{LocalPref: ${r.localPreference}}`);
  if (r.communities.length) attrs.push(`{Communities: ${r.communities.join(', ')}}`);
  if (r.largeCommunities.length) attrs.push(`{LargeCommunity: [ ${r.largeCommunities.join(', ')}]}`);
  if (r.afi === 'ipv4' && r.nextHop && !r.peerAddress.includes(':')) attrs.push(`{Nexthop: ${r.nextHop}}`);
  else attrs.push(`{MpReach(${r.afi}-unicast): {Nexthop: ${r.nextHop ?? ''}, NLRIs: [${r.prefix}]}}`);
  return `[${attrs.join(' ')}]`;
};

export interface RoutesTableOptions {
  readonly kind: 'advertised' | 'available';
  readonly afi: 'ipv4' | 'ipv6';
  readonly safi: 'unicast';
  readonly node?: string;
  readonly peer?: string;
  readonly now?: Date;
}

/**
 * `bosun bgp routes [available|advertised] [afi] [safi]`: `available` lists each node's
 * routes once per instance (its local RIB), `advertised` each route per peer.
 */
export const routesTable = (rows: readonly AdvertisedRouteRow[], o: RoutesTableOptions): string => {
  const now = (o.now ?? new Date()).getTime();
  const selected = rows.filter((r) => r.afi === o.afi && r.safi === o.safi && (!o.node || r.node === o.node) && (!o.peer || r.peerAddress === o.peer || r.peer === o.peer));
  const age = (r: AdvertisedRouteRow): string => goDuration(now - Date.parse(r.since));
  if (o.kind === 'advertised') {
    return renderTable(
      ['Node', 'VRouter', 'Peer', 'Prefix', 'NextHop', 'Age', 'Attrs'],
      selected.map((r) => [r.node, String(r.localASN ?? r.instance), r.peerAddress, r.prefix, r.nextHop ?? '', age(r), routeAttrs(r)]),
    );
  }
  const seen = new Map<string, AdvertisedRouteRow>();
  for (const r of selected) {
    const k = `${r.node}|${r.instance}|${r.prefix}`;
    const prev = seen.get(k);
    if (!prev || Date.parse(r.since) < Date.parse(prev.since)) seen.set(k, r);
  }
  return renderTable(
    ['Node', 'VRouter', 'Prefix', 'NextHop', 'Age', 'Attrs'],
    [...seen.values()].map((r) => [r.node, String(r.localASN ?? r.instance), r.prefix, r.nextHop ?? '', age(r), routeAttrs({ ...r, peerAddress: r.peerAddress })]),
  );
};
