import { counter, gauge, histogram } from '@bosun/telemetry';
import type { EnginePeerStatus } from './engine';

/**
 * Cilium's BGP control plane metrics, same names and labels (operations.md §2), so existing
 * dashboards and alerts keep working: `vrouter` is the local ASN, `neighbor` the peer's
 * `address:port` (IPv6 in brackets), `neighbor_asn` its AS.
 */
export const sessionState = gauge<'vrouter' | 'neighbor' | 'neighbor_asn'>({
  name: 'cilium_bgp_control_plane_session_state',
  help: 'Current state of the BGP session with the peer, Up = 1 or Down = 0',
  labelNames: ['vrouter', 'neighbor', 'neighbor_asn'],
});

export const advertisedRoutes = gauge<'vrouter' | 'neighbor' | 'neighbor_asn' | 'afi' | 'safi'>({
  name: 'cilium_bgp_control_plane_advertised_routes',
  help: 'Number of routes advertised to the peer',
  labelNames: ['vrouter', 'neighbor', 'neighbor_asn', 'afi', 'safi'],
});

export const receivedRoutes = gauge<'vrouter' | 'neighbor' | 'neighbor_asn' | 'afi' | 'safi'>({
  name: 'cilium_bgp_control_plane_received_routes',
  help: 'Number of routes received from the peer',
  labelNames: ['vrouter', 'neighbor', 'neighbor_asn', 'afi', 'safi'],
});

export const reconcileErrors = counter<'vrouter'>({
  name: 'cilium_bgp_control_plane_reconcile_errors_total',
  help: 'The number of errors during reconciliation of the BGP configuration',
  labelNames: ['vrouter'],
});

export const reconcileDuration = histogram<'vrouter'>({
  name: 'cilium_bgp_control_plane_reconcile_run_duration_seconds',
  help: 'The duration of BGP reconciliation runs',
  labelNames: ['vrouter'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

/** `10.0.0.1:179`, `[fd00:10::1]:179` (Go's netip.AddrPort form, as Cilium prints it). */
export const neighborLabel = (address: string, port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/** Replaces the per-peer series with the engine's current view (peers that went away lose theirs). */
export const publishPeerMetrics = (peers: readonly EnginePeerStatus[]): void => {
  sessionState.reset();
  advertisedRoutes.reset();
  receivedRoutes.reset();
  for (const p of peers) {
    const base = { vrouter: String(p.localASN), neighbor: neighborLabel(p.peerAddress, p.peerPort), neighbor_asn: String(p.peerASN) };
    sessionState.set(base, p.state === 'established' ? 1 : 0);
    for (const rc of p.routeCount) {
      advertisedRoutes.set({ ...base, afi: rc.afi, safi: rc.safi }, rc.advertised);
      receivedRoutes.set({ ...base, afi: rc.afi, safi: rc.safi }, rc.received);
    }
  }
};
