import { ipamStreamOf, type IpamEvent, type ReleaseReason, type ServiceRef, type UnsatisfiedReason } from '@bosun/contracts';
import { selectorMatches } from '@bosun/resources';
import { formatAddress, type Address, type Family } from './address';
import { sharingIncompatibility } from './sharing';
import type { RequestedIP, ServiceSpec } from './spec';
import {
  addressKey,
  applyInto,
  isReservedAddress,
  poolCounts,
  rangeContaining,
  type AllocationOrigin,
  type Holder,
  type Holding,
  type IpamState,
  type PoolEntry,
  type RangeState,
  type ServiceEntry,
  type Undo,
} from './state';

/**
 * The LB IPAM decider: from the state, which addresses to give and take, and which conditions
 * and pool statuses to write.
 *
 * A reconcile runs in Cilium's two phases (operator/pkg/lbipam, after #41122): first every
 * Service in scope — satisfied ones first — loses the allocations that are no longer valid,
 * keeping every one that still is; then the unsatisfied ones are served, in a fixed order, so
 * a change never renumbers a Service that could keep its address.
 *
 * Deterministic choice: pools by `bosun.io/pool-priority` (lower first; without it, last), then
 * creation time, then name; inside a pool, the lowest free address. Services by creation time,
 * then namespace/name. The same state always gives the same events, on every replica.
 */

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

export type IpamCommand =
  /** Revalidate and serve every Service (start-up, pool changes). */
  | { readonly type: 'ReconcileAll' }
  /**
   * Revalidate and serve these Services (`namespace/name`). With `retryUnsatisfied` (capacity may
   * have appeared: a release, a pool change) every unsatisfied Service is retried too; a
   * reconcile that releases anything does so on its own.
   */
  | { readonly type: 'ReconcileServices'; readonly services: Iterable<string>; readonly retryUnsatisfied?: boolean };

/** The decision: which events to write for `command`, given `state`. Pure: `state` is left as it was. */
export const decide = (command: IpamCommand, state: IpamState): IpamEvent[] => {
  const d = decideInPlace(command, state);
  d.rollback();
  return d.events;
};

export interface Decision {
  readonly events: IpamEvent[];
  /** Takes the events back out of the state (e.g. when appending them failed). */
  rollback(): void;
}

/**
 * `decide`, leaving its events applied to the state — the same as `evolve`-ing them afterwards,
 * without doing the work twice. For the service, which rolls back when the append fails.
 */
export const decideInPlace = (command: IpamCommand, state: IpamState): Decision => {
  switch (command.type) {
    case 'ReconcileAll':
      return reconcile(state, new Set(state.services.keys()), true);
    case 'ReconcileServices':
      return reconcile(state, new Set(command.services), command.retryUnsatisfied ?? false);
    default: {
      const never: never = command;
      throw new Error(`unknown command ${(never as { type: string }).type}`);
    }
  }
};

interface Failure {
  readonly reason: UnsatisfiedReason;
  readonly message: string;
}

const reconcile = (state: IpamState, scope: Set<string>, retryUnsatisfied: boolean): Decision => {
  const s = new Session(state);
  try {
    s.reportPoolSpecsAndConflicts();
    const phase1 = s.order(scope);
    s.stripInvalidAllocations(phase1);
    let phase2 = phase1;
    if (retryUnsatisfied || s.releasedAny) {
      const more = new Set(scope);
      for (const key of state.unsatisfied) more.add(key);
      if (more.size > scope.size) phase2 = s.order(more);
    }
    const outcomes = new Map<string, readonly Failure[] | null>();
    for (const key of phase2) outcomes.set(key, s.satisfy(key));
    for (const key of phase2) s.writeCondition(key, outcomes.get(key) ?? null);
    s.reportPoolCounts();
  } catch (err) {
    s.rollback();
    throw err;
  }
  return { events: s.events, rollback: () => s.rollback() };
};

// ---------------------------------------------------------------------------------------------
// A reconcile: applies its decisions to the state as it goes, and undoes them at the end
// ---------------------------------------------------------------------------------------------

type Counts = { readonly total: string; readonly available: string; readonly used: string };
// Field by field: stored events come back from jsonb with their keys reordered.
const sameCounts = (a: Counts | undefined, b: Counts | undefined): boolean =>
  a === undefined || b === undefined ? a === b : a.total === b.total && a.available === b.available && a.used === b.used;

const compareBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
const compareStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

class Session {
  readonly events: IpamEvent[] = [];
  releasedAny = false;
  private readonly journal: Undo[] = [];
  /** Pools that can be allocated from, in the order they are tried. */
  private readonly ordered: PoolEntry[];
  private readonly ranks = new Map<string, number>();

  constructor(private readonly state: IpamState) {
    this.ordered = [...state.pools.values()]
      .filter((p) => p.exists && p.active !== null)
      .sort((a, b) => {
        const pa = a.active!.priority;
        const pb = b.active!.priority;
        if (pa !== pb) return pa === null ? 1 : pb === null ? -1 : pa - pb;
        return compareStr(a.creationTimestamp, b.creationTimestamp) || compareStr(a.name, b.name);
      });
    this.ordered.forEach((p, k) => this.ranks.set(p.name, k));
  }

  private rank(pool: string): number {
    return this.ranks.get(pool) ?? Number.MAX_SAFE_INTEGER;
  }

  private emit(event: IpamEvent): void {
    this.events.push(event);
    applyInto(this.state, event, this.journal);
    if (event.type === 'ipam.LoadBalancerIPReleased') this.releasedAny = true;
  }

  rollback(): void {
    for (let i = this.journal.length - 1; i >= 0; i--) this.journal[i]!();
    this.journal.length = 0;
  }

  // --- pools ------------------------------------------------------------------------------------

  private enabled(p: PoolEntry): boolean {
    return p.exists && p.active !== null && !p.active.disabled && !this.state.conflicts.has(p.name);
  }

  private selects(p: PoolEntry, spec: ServiceSpec): boolean {
    const sel = p.active?.serviceSelector ?? null;
    return sel === null || selectorMatches(sel, spec.labels);
  }

  private sortedPools(): PoolEntry[] {
    return [...this.state.pools.values()].filter((p) => p.exists).sort((a, b) => compareStr(a.name, b.name));
  }

  reportPoolSpecsAndConflicts(): void {
    for (const p of this.sortedPools()) {
      if (p.rejected && p.report.rejectedGeneration !== p.rejected.generation) {
        this.emit({
          type: 'ipam.PoolSpecRejected',
          data: {
            pool: p.name,
            observedGeneration: p.rejected.generation,
            errors: [...p.rejected.errors],
            ...(p.active ? { activeGeneration: p.active.generation } : {}),
          },
        });
      } else if (!p.rejected && p.report.rejectedGeneration !== null) {
        this.emit({ type: 'ipam.PoolSpecAccepted', data: { pool: p.name, observedGeneration: p.generation } });
      }
      const conflict = this.state.conflicts.get(p.name);
      const reported = p.report.conflict;
      if (conflict) {
        if (!reported || !reported.conflicting || reported.message !== conflict.message || reported.generation !== p.generation) {
          this.emit({ type: 'ipam.PoolConflictDetected', data: { pool: p.name, observedGeneration: p.generation, ...conflict } });
        }
      } else if (!reported || reported.conflicting || reported.generation !== p.generation) {
        this.emit({ type: 'ipam.PoolConflictResolved', data: { pool: p.name, observedGeneration: p.generation } });
      }
    }
  }

  reportPoolCounts(): void {
    for (const p of this.sortedPools()) {
      const c = poolCounts(p);
      const str = (x: { total: bigint; available: bigint; used: bigint }) => ({
        total: x.total.toString(),
        available: x.available.toString(),
        used: x.used.toString(),
      });
      const next = {
        pool: p.name,
        observedGeneration: p.generation,
        ...str(c.all),
        families: { ...(c.IPv4 ? { IPv4: str(c.IPv4) } : {}), ...(c.IPv6 ? { IPv6: str(c.IPv6) } : {}) },
      };
      const prev = p.report.status;
      const same =
        prev !== null &&
        prev.observedGeneration === next.observedGeneration &&
        prev.total === next.total &&
        prev.available === next.available &&
        prev.used === next.used &&
        sameCounts(prev.families.IPv4, next.families.IPv4) &&
        sameCounts(prev.families.IPv6, next.families.IPv6);
      if (!same) this.emit({ type: 'ipam.PoolStatusChanged', data: next });
    }
  }

  // --- services -----------------------------------------------------------------------------------

  /** Satisfied Services first (they keep what they have), then by creation time and name. */
  order(keys: Iterable<string>): string[] {
    const rows: Array<{ key: string; satisfied: boolean; created: string }> = [];
    for (const key of keys) {
      const svc = this.state.services.get(key);
      if (!svc) continue;
      rows.push({ key, satisfied: svc.condition?.status === 'True', created: svc.spec?.creationTimestamp ?? '' });
    }
    rows.sort((a, b) => (a.satisfied !== b.satisfied ? (a.satisfied ? -1 : 1) : compareStr(a.created, b.created) || compareStr(a.key, b.key)));
    return rows.map((r) => r.key);
  }

  /** The spec of a holder if that Service (that incarnation) still exists and is handled. */
  private liveSpec(h: Holder): ServiceSpec | null {
    const spec = this.state.services.get(h.service)?.spec;
    return spec && spec.uid === h.uid && spec.handling.handled ? spec : null;
  }

  private ref(svc: ServiceEntry, uid: string): ServiceRef {
    return { namespace: svc.namespace, name: svc.name, uid };
  }

  private release(svc: ServiceEntry, h: Holding, uid: string, reason: ReleaseReason, message: string): void {
    this.emit({
      type: 'ipam.LoadBalancerIPReleased',
      data: { pool: h.pool, service: this.ref(svc, uid), ip: h.text, family: h.family, reason, message },
    });
  }

  private allocate(svc: ServiceEntry, spec: ServiceSpec, pool: string, addr: Address, origin: AllocationOrigin): void {
    this.emit({
      type: 'ipam.LoadBalancerIPAllocated',
      data: {
        pool,
        service: this.ref(svc, spec.uid),
        ip: formatAddress(addr.family, addr.value),
        family: addr.family,
        ...(spec.sharingKey !== null ? { sharingKey: spec.sharingKey } : {}),
        origin,
      },
    });
  }

  private holdingsOf(svc: ServiceEntry): Holding[] {
    if (svc.holdings.size < 2) return svc.holdings.size === 0 ? [] : [...svc.holdings.values()];
    return [...svc.holdings.values()].sort((a, b) => (a.family !== b.family ? (a.family === 'IPv4' ? -1 : 1) : compareBig(a.ip, b.ip)));
  }

  /** Why this allocation is no longer valid (sharing aside), or null. */
  private invalidity(svc: ServiceEntry, h: Holding, holder: Holder): { reason: ReleaseReason; message: string } | null {
    const spec = svc.spec;
    if (!spec || spec.uid !== holder.uid) return { reason: 'service_deleted', message: `Service ${svc.key} was deleted` };
    if (!spec.handling.handled) {
      return spec.handling.reason === 'service_not_load_balancer'
        ? { reason: spec.handling.reason, message: 'The service is no longer of type LoadBalancer' }
        : { reason: spec.handling.reason, message: 'The service has a loadBalancerClass LB IPAM does not handle' };
    }
    const pool = this.state.pools.get(h.pool);
    if (!pool || !pool.exists || !pool.active) return { reason: 'pool_deleted', message: `The pool '${h.pool}' was deleted` };
    if (!rangeContaining(pool, h.family, h.ip)) {
      return { reason: 'range_removed', message: `No block of pool '${h.pool}' contains '${h.text}' any more` };
    }
    if (!this.selects(pool, spec)) return { reason: 'pool_selector_mismatch', message: `The pool '${h.pool}' no longer selects this service` };
    // An unparsable request freezes the Service's allocations: nothing is half-applied.
    if (spec.requestErrors.length === 0) {
      if (spec.requestedIPs.length > 0) {
        if (!spec.requestedIPs.some((r) => r.family === h.family && r.value === h.ip)) {
          return { reason: 'ip_not_requested', message: `The service no longer requests '${h.text}'` };
        }
      } else if (!spec.families.includes(h.family)) {
        return { reason: 'family_not_requested', message: `The service no longer requests an ${h.family} address` };
      }
    }
    return null;
  }

  /** Phase 1: drop allocations that are no longer valid; keep every one that is. */
  stripInvalidAllocations(keys: readonly string[]): void {
    for (const key of keys) {
      const svc = this.state.services.get(key);
      if (!svc) continue;
      for (const h of this.holdingsOf(svc)) {
        for (const holder of h.holders.filter((x) => x.service === key)) {
          const bad = this.invalidity(svc, h, holder);
          if (bad) this.release(svc, h, holder.uid, bad.reason, bad.message);
        }
      }
    }
    // Sharing last, so a Service is never evicted by one that is going away anyway. On a shared
    // address the newer holder yields: the one that changed is the one that moves.
    for (const key of keys) {
      const svc = this.state.services.get(key);
      const spec = svc?.spec;
      if (!svc || !spec) continue;
      for (const h of this.holdingsOf(svc)) {
        if (h.holders.length < 2) continue;
        const mine = h.holders.find((x) => x.service === key && x.uid === spec.uid);
        if (!mine) continue;
        for (const other of h.holders) {
          if (other === mine || other.seq > mine.seq) continue;
          const otherSpec = this.liveSpec(other);
          if (!otherSpec) continue;
          const why = sharingIncompatibility(otherSpec, spec, this.state.config.protocolDifferentiation);
          if (why) {
            this.release(svc, h, mine.uid, 'sharing_incompatible', `The service can no longer share '${h.text}' with ${other.service}: ${why}`);
            break;
          }
        }
      }
    }
  }

  private holds(svc: ServiceEntry, uid: string, family: Family, ip: bigint): boolean {
    const h = svc.holdings.get(addressKey(family, ip));
    return !!h && h.holders.some((x) => x.service === svc.key && x.uid === uid);
  }

  private holdsFamily(svc: ServiceEntry, uid: string, family: Family): boolean {
    for (const h of svc.holdings.values()) if (h.family === family && h.holders.some((x) => x.service === svc.key && x.uid === uid)) return true;
    return false;
  }

  /** Why `spec` cannot join the Services on this address, or null. */
  private clusterIncompatibility(h: Holding, spec: ServiceSpec, key: string): string | null {
    for (const x of h.holders) {
      if (x.service === key) continue;
      const other = this.liveSpec(x);
      if (!other) continue;
      const why = sharingIncompatibility(other, spec, this.state.config.protocolDifferentiation);
      if (why) return why;
    }
    return null;
  }

  /** The enabled range of a pool selecting the Service that contains the address. */
  private findRange(spec: ServiceSpec, addr: Address): { found: { pool: PoolEntry; range: RangeState } | null; foundPool: boolean } {
    let foundPool = false;
    for (const p of this.ordered) {
      if (!this.enabled(p)) continue;
      const range = rangeContaining(p, addr.family, addr.value);
      if (!range) continue;
      if (this.selects(p, spec)) return { found: { pool: p, range }, foundPool };
      foundPool = true;
    }
    return { found: null, foundPool };
  }

  /** Phase 2: serve what the Service still lacks; returns its failures (null: not handled). */
  satisfy(key: string): Failure[] | null {
    const svc = this.state.services.get(key);
    const spec = svc?.spec;
    if (!svc || !spec || !spec.handling.handled) return null;
    if (spec.requestErrors.length > 0) return [{ reason: 'invalid_request', message: spec.requestErrors.join('; ') }];
    const failures: Failure[] = [];
    if (spec.requestedIPs.length > 0) {
      for (const req of spec.requestedIPs) {
        const f = this.satisfyRequested(svc, spec, req);
        if (f) failures.push(f);
      }
    } else {
      for (const family of spec.families) {
        if (this.holdsFamily(svc, spec.uid, family)) continue;
        const f = this.satisfyFamily(svc, spec, family);
        if (f) failures.push(f);
      }
    }
    return failures;
  }

  private satisfyRequested(svc: ServiceEntry, spec: ServiceSpec, req: RequestedIP): Failure | null {
    if (this.holds(svc, spec.uid, req.family, req.value)) return null;
    const { found, foundPool } = this.findRange(spec, req);
    if (!found) {
      return foundPool
        ? { reason: 'pool_selector_mismatch', message: `The pool with the CIDR containing '${req.text}', doesn't select this service` }
        : { reason: 'no_pool', message: `No pool exists with a CIDR containing '${req.text}'` };
    }
    const h = this.state.held[req.family].get(req.value);
    if (h) {
      if (spec.sharingKey === null) return { reason: 'already_allocated', message: `The IP '${req.text}' is already allocated to another service` };
      const why = this.clusterIncompatibility(h, spec, svc.key);
      if (why) {
        return {
          reason: 'already_allocated_incompatible_service',
          message: `The IP '${req.text}' is already allocated to an incompatible service. Reason: ${why}`,
        };
      }
      this.allocate(svc, spec, h.pool, req, 'requested');
      return null;
    }
    if (isReservedAddress(found.range, req.value) || !found.range.free.has(req.value)) {
      return {
        reason: 'already_allocated',
        message: `The IP '${req.text}' is reserved: it is the first or last address of a CIDR block of pool '${found.pool.name}' (allowFirstLastIPs is not "Yes")`,
      };
    }
    this.allocate(svc, spec, found.pool.name, req, 'requested');
    return null;
  }

  private satisfyFamily(svc: ServiceEntry, spec: ServiceSpec, family: Family): Failure | null {
    // Adopt an address the Service already shows (written by another IPAM or before a migration).
    for (const a of svc.ingress) if (a.family === family && this.adopt(svc, spec, a)) return null;
    // Join an address of the same sharing key, if every Service on it is compatible.
    if (spec.sharingKey !== null) {
      const candidates: Holding[] = [];
      for (const h of this.state.sharing.get(spec.sharingKey) ?? []) {
        if (h.family !== family || h.holders.length === 0 || h.holders.some((x) => x.service === svc.key)) continue;
        const p = this.state.pools.get(h.pool);
        if (!p || !this.enabled(p) || !this.selects(p, spec) || !rangeContaining(p, family, h.ip)) continue;
        if (this.clusterIncompatibility(h, spec, svc.key) !== null) continue;
        candidates.push(h);
      }
      // Pools in order, then the longest-standing address of the key (Cilium: first cluster in its index).
      candidates.sort((a, b) => this.rank(a.pool) - this.rank(b.pool) || a.holders[0]!.seq - b.holders[0]!.seq);
      const h = candidates[0];
      if (h) {
        this.allocate(svc, spec, h.pool, { family: h.family, value: h.ip }, 'shared');
        return null;
      }
    }
    // A new address: first pool in order that selects the Service, lowest free address.
    let sawPool = false;
    for (const p of this.ordered) {
      if (!this.enabled(p) || !this.selects(p, spec)) continue;
      let has = false;
      for (const r of p.ranges) {
        if (r.family !== family) continue;
        has = true;
        const ip = this.lowestFree(r, family);
        if (ip !== undefined) {
          this.allocate(svc, spec, p.name, { family, value: ip }, 'family');
          return null;
        }
      }
      sawPool ||= has;
    }
    return sawPool
      ? { reason: 'out_of_ips', message: 'All enabled CiliumLoadBalancerIPPools that match this service ran out of allocatable IPs' }
      : { reason: 'no_pool', message: 'There are no enabled CiliumLoadBalancerIPPools that match this service' };
  }

  /** Lowest free address of the range that no other pool holds either (pools may overlap). */
  private lowestFree(r: RangeState, family: Family): bigint | undefined {
    let ip = r.free.first();
    while (ip !== undefined && this.state.held[family].has(ip)) ip = r.free.firstAtOrAfter(ip + 1n);
    return ip;
  }

  private adopt(svc: ServiceEntry, spec: ServiceSpec, a: Address): boolean {
    const { found } = this.findRange(spec, a);
    if (!found) return false;
    const h = this.state.held[a.family].get(a.value);
    if (h) {
      if (spec.sharingKey === null || h.holders.some((x) => x.service === svc.key)) return false;
      if (this.clusterIncompatibility(h, spec, svc.key) !== null) return false;
      this.allocate(svc, spec, h.pool, a, 'adopted');
      return true;
    }
    if (isReservedAddress(found.range, a.value) || !found.range.free.has(a.value)) return false;
    this.allocate(svc, spec, found.pool.name, a, 'adopted');
    return true;
  }

  /** Writes the condition when status, reason, message or observed generation change. */
  writeCondition(key: string, failures: readonly Failure[] | null): void {
    const svc = this.state.services.get(key);
    const spec = svc?.spec;
    if (!svc || !spec) return; // deleted: nothing to write on
    const recorded = svc.condition && svc.condition.uid === spec.uid ? svc.condition : null;
    if (failures === null) {
      if (recorded) this.emit({ type: 'ipam.ServiceIPAMConditionRemoved', data: { service: this.ref(svc, spec.uid) } });
      return;
    }
    const first = failures[0];
    const next = first
      ? { status: 'False' as const, reason: first.reason, message: first.message }
      : { status: 'True' as const, reason: 'satisfied', message: '' };
    if (
      recorded &&
      recorded.status === next.status &&
      recorded.reason === next.reason &&
      recorded.message === next.message &&
      recorded.observedGeneration === spec.generation
    ) {
      return;
    }
    this.emit({ type: 'ipam.ServiceIPAMConditionChanged', data: { service: this.ref(svc, spec.uid), observedGeneration: spec.generation, ...next } });
  }
}

// ---------------------------------------------------------------------------------------------
// How a decision is stored
// ---------------------------------------------------------------------------------------------

export interface PlannedAppend {
  readonly stream: string;
  readonly events: IpamEvent[];
}

/**
 * The appends that store a decision, in order. Events about different addresses commute, so
 * normally each stream gets one append, streams in sorted order (replicas lock streams in one
 * order). When an address moves between pools within the decision (overlapping pools), its
 * release must be read before its new allocation: then the appends follow the decision's order.
 */
export const appendPlan = (events: readonly IpamEvent[]): PlannedAppend[] => {
  const streamsOfIp = new Map<string, string>();
  let moves = false;
  for (const e of events) {
    if (e.type !== 'ipam.LoadBalancerIPAllocated' && e.type !== 'ipam.LoadBalancerIPReleased') continue;
    const s = ipamStreamOf(e);
    const prev = streamsOfIp.get(e.data.ip);
    if (prev !== undefined && prev !== s) moves = true;
    streamsOfIp.set(e.data.ip, s);
  }
  if (moves) {
    const plan: Array<{ stream: string; events: IpamEvent[] }> = [];
    for (const e of events) {
      const s = ipamStreamOf(e);
      const last = plan[plan.length - 1];
      if (last && last.stream === s) last.events.push(e);
      else plan.push({ stream: s, events: [e] });
    }
    return plan;
  }
  const byStream = new Map<string, IpamEvent[]>();
  for (const e of events) {
    const s = ipamStreamOf(e);
    let list = byStream.get(s);
    if (!list) byStream.set(s, (list = []));
    list.push(e);
  }
  return [...byStream.keys()].sort().map((stream) => ({ stream, events: byStream.get(stream)! }));
};
