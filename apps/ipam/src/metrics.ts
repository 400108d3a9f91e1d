import { counter, gauge, histogram, LATENCY_BUCKETS } from '@bosun/telemetry';
import { gauges, type IpamState } from '@bosun/ipam';

/**
 * Cilium's LB IPAM gauges under their names (dashboards and alerts keep working), computed
 * from the state when scraped, plus Bosun's own counters.
 */
export const registerIpamMetrics = (state: () => IpamState | null) => {
  const read = () => {
    const s = state();
    return s ? gauges(s) : null;
  };
  gauge({
    name: 'cilium_operator_lbipam_conflicting_pools',
    help: 'Number of CiliumLoadBalancerIPPools whose blocks overlap another pool (or themselves)',
    collect() {
      const g = read();
      if (g) this.set(g.conflictingPools);
    },
  });
  gauge({
    name: 'cilium_operator_lbipam_ips_available',
    help: 'Addresses of a pool that can still be allocated',
    labelNames: ['pool'],
    collect() {
      const g = read();
      if (!g) return;
      this.reset();
      for (const p of g.pools) this.set({ pool: p.name }, Number(p.available));
    },
  });
  gauge({
    name: 'cilium_operator_lbipam_ips_used',
    help: 'Addresses of a pool in use (reserved first/last addresses included)',
    labelNames: ['pool'],
    collect() {
      const g = read();
      if (!g) return;
      this.reset();
      for (const p of g.pools) this.set({ pool: p.name }, Number(p.used));
    },
  });
  gauge({
    name: 'cilium_operator_lbipam_services_matching',
    help: 'LoadBalancer Services LB IPAM handles',
    collect() {
      const g = read();
      if (g) this.set(g.servicesMatching);
    },
  });
  gauge({
    name: 'cilium_operator_lbipam_services_unsatisfied',
    help: 'Handled Services whose request is not (fully) satisfied',
    collect() {
      const g = read();
      if (g) this.set(g.servicesUnsatisfied);
    },
  });
  return {
    reconcileSeconds: histogram({
      name: 'bosun_ipam_reconcile_duration_seconds',
      help: 'Time to decide and append one reconcile (one batch of changes)',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
    }),
    allocations: counter({ name: 'bosun_ipam_allocations_total', help: 'Addresses given to Services', labelNames: ['pool', 'origin'] }),
    releases: counter({ name: 'bosun_ipam_releases_total', help: 'Addresses taken from Services', labelNames: ['pool', 'reason'] }),
    conflicts: counter({ name: 'bosun_ipam_append_conflicts_total', help: 'Appends refused because another replica wrote the stream first (decided again)' }),
    rebuilds: counter({ name: 'bosun_ipam_state_rebuilds_total', help: 'Times the in-memory state was rebuilt from the event store' }),
    skipped: counter({ name: 'bosun_ipam_events_skipped_total', help: 'Events that could not be applied to the state (logged with their id)' }),
  };
};

export type IpamMetrics = ReturnType<typeof registerIpamMetrics>;
