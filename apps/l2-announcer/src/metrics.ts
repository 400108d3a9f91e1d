import { counter, gauge, histogram } from '@bosun/telemetry';

/**
 * The announcer's Prometheus metrics. Cilium has none for L2 announcements (state only shows in
 * Leases); these are the ones operations.md lists as missing: holder, transitions, gratuitous
 * announcements, replies.
 */
export const l2Metrics = {
  leasesHeld: gauge<'node'>({ name: 'bosun_l2_leases_held', help: 'Addresses whose lease this node holds (and answers for)', labelNames: ['node'] }),
  leasesContending: gauge<'node'>({ name: 'bosun_l2_leases_contending', help: 'Addresses this node is a candidate for but does not hold', labelNames: ['node'] }),
  repliesSent: counter<'node' | 'interface'>({ name: 'bosun_l2_replies_sent_total', help: 'ARP replies and solicited neighbour advertisements sent', labelNames: ['node', 'interface'] }),
  gratuitousSent: counter<'node' | 'interface'>({ name: 'bosun_l2_gratuitous_sent_total', help: 'Gratuitous ARP frames and unsolicited neighbour advertisements sent', labelNames: ['node', 'interface'] }),
  fencedDrops: counter<'node' | 'interface'>({ name: 'bosun_l2_fenced_requests_total', help: 'Requests for a held address not answered because the lease could not be confirmed in time', labelNames: ['node', 'interface'] }),
  conflicts: counter<'node' | 'interface'>({ name: 'bosun_l2_address_conflicts_total', help: 'Frames from another MAC claiming an address this node answers for', labelNames: ['node', 'interface'] }),
  acquisitions: counter<'node'>({ name: 'bosun_l2_lease_acquisitions_total', help: 'Leases this node acquired', labelNames: ['node'] }),
  failovers: counter<'node'>({ name: 'bosun_l2_failovers_total', help: 'Leases this node took over from another node', labelNames: ['node'] }),
  losses: counter<'node' | 'reason'>({ name: 'bosun_l2_lease_losses_total', help: 'Leases this node stopped holding, by reason', labelNames: ['node', 'reason'] }),
  takeoverSeconds: histogram<'node'>({
    name: 'bosun_l2_takeover_announce_seconds',
    help: 'From the database granting a lease to the first gratuitous announcement leaving',
    labelNames: ['node'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  }),
  captureRestarts: counter<'node' | 'interface'>({ name: 'bosun_l2_capture_exits_total', help: 'Capture processes that ended (link down, interface gone, crash)', labelNames: ['node', 'interface'] }),
};
