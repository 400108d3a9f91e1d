import type {
  EventDataOf,
  IpamEvent,
  PoolSpecError,
  PoolStatusChangedData,
  ResourceApplied,
  ResourceDeleted,
  ResourceStatusUpdated,
  LoadBalancerIPAllocatedData,
  LoadBalancerIPReleasedData,
} from '@bosun/contracts';
import { formatAddress, formatRange, parseAddress, type Address, type AddressRange, type Family } from './address';
import { IntervalSet } from './interval-set';
import {
  parsePool,
  parseService,
  readIngress,
  readMeta,
  POOL_GROUP,
  POOL_KIND,
  SERVICE_GROUP,
  SERVICE_KIND,
  DEFAULT_CONFIG,
  type IpamConfig,
  type PoolSpec,
  type ServiceSpec,
} from './spec';

/**
 * LB IPAM state: everything the decider needs, built only by `evolve` from events — the
 * resources' (pools, Services) and its own (allocations, conditions, pool status).
 *
 * For speed with tens of thousands of Services the state is updated in place: `evolve`
 * returns the same object, and callers treat the previous reference as consumed. Every
 * update has an exact inverse (see `applyEvent`), which is how `decide` stays pure: it applies
 * its own decisions to see their effect and undoes them before returning.
 */

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

export type AllocationOrigin = LoadBalancerIPAllocatedData['origin'];

/** One Service holding an address. */
export interface Holder {
  /** `<namespace>/<name>` */
  readonly service: string;
  readonly uid: string;
  /**
   * Order of arrival within the pool (its stream): on a shared address the newest holder is the
   * one that moves on a clash. Per pool, so every replica counts the same.
   */
  readonly seq: number;
  readonly origin: AllocationOrigin;
}

/** An address held by one Service, or shared by several (a sharing cluster). */
export interface Holding {
  readonly pool: string;
  readonly family: Family;
  readonly ip: bigint;
  readonly text: string;
  readonly key: string;
  /** The sharing key it was allocated under (index for Services that ask to share). */
  readonly sharingKey: string | null;
  readonly holders: Holder[];
}

export interface RangeState extends AddressRange {
  readonly pool: string;
  /** Index of its block in the pool's spec. */
  readonly index: number;
  readonly fromCidr: boolean;
  /** First and last address are never handed out (CIDR block, allowFirstLastIPs not "Yes", > 2 addresses). */
  readonly reserved: boolean;
  /** Addresses nobody holds, minus the reserved ones. */
  readonly free: IntervalSet;
}

export type ReportedConflict =
  | { readonly conflicting: false; readonly generation: number }
  | { readonly conflicting: true; readonly generation: number; readonly message: string };

/** What the ipam events last said about a pool (to write only changes). */
export interface PoolReport {
  status: PoolStatusChangedData | null;
  conflict: ReportedConflict | null;
  rejectedGeneration: number | null;
}

export interface PoolEntry {
  readonly name: string;
  uid: string;
  generation: number;
  creationTimestamp: string;
  /** False once deleted; the entry stays while addresses are still held in it. */
  exists: boolean;
  /** The spec in force: the last valid one (null before any valid spec, or once deleted). */
  active: PoolSpec | null;
  /** Set while the latest spec is rejected. */
  rejected: { readonly generation: number; readonly errors: readonly PoolSpecError[] } | null;
  /** The active blocks, sorted by family then first address. */
  ranges: RangeState[];
  readonly holdings: Map<string, Holding>;
  report: PoolReport;
  /** Last holder sequence number given in this pool. */
  seq: number;
}

export interface RecordedCondition {
  readonly uid: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number;
}

export interface ServiceEntry {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** null: deleted (the entry stays while it still holds addresses). */
  spec: ServiceSpec | null;
  /** `status.loadBalancer.ingress` written by someone else (adopted when valid and free). */
  ingress: Address[];
  condition: RecordedCondition | null;
  /** Addresses it holds, by address key. */
  readonly holdings: Map<string, Holding>;
}

export interface PoolConflict {
  readonly range: string;
  readonly conflictingPool: string;
  readonly conflictingRange: string;
  readonly message: string;
}

export interface IpamState {
  readonly config: IpamConfig;
  readonly pools: Map<string, PoolEntry>;
  readonly services: Map<string, ServiceEntry>;
  /** Every held address, whatever its pool: nothing is handed out twice, even across overlapping pools. */
  readonly held: { readonly IPv4: Map<bigint, Holding>; readonly IPv6: Map<bigint, Holding> };
  /** sharing key → addresses allocated under it. */
  readonly sharing: Map<string, Set<Holding>>;
  /** Services whose recorded condition is False. */
  readonly unsatisfied: Set<string>;
  /** Conflicting pools (a pure function of the pools' active blocks). */
  conflicts: Map<string, PoolConflict>;
}

export type ResourceEvent =
  | { readonly type: 'resource.Applied'; readonly data: EventDataOf<typeof ResourceApplied> }
  | { readonly type: 'resource.Deleted'; readonly data: EventDataOf<typeof ResourceDeleted> }
  | { readonly type: 'resource.StatusUpdated'; readonly data: EventDataOf<typeof ResourceStatusUpdated> };

/** Every event `evolve` understands. Others (other kinds, other contexts) leave the state as is. */
export type IpamStateEvent = ResourceEvent | IpamEvent;

export type Undo = () => void;
const all =
  (undos: Undo[]): Undo =>
  () => {
    for (let i = undos.length - 1; i >= 0; i--) undos[i]!();
  };

export const serviceKey = (namespace: string, name: string): string => `${namespace}/${name}`;
export const addressKey = (family: Family, ip: bigint): string => `${family === 'IPv4' ? '4' : '6'}:${ip.toString(16)}`;

export const initialState = (config: IpamConfig = DEFAULT_CONFIG): IpamState => ({
  config,
  pools: new Map(),
  services: new Map(),
  held: { IPv4: new Map(), IPv6: new Map() },
  sharing: new Map(),
  unsatisfied: new Set(),
  conflicts: new Map(),
});

/** True for the events `evolve` reads (resource events of Services and pools, and ipam events). */
export const isIpamInput = (event: { type: string; data: unknown }): event is IpamStateEvent => {
  if (event.type.startsWith('ipam.')) return true;
  if (event.type !== 'resource.Applied' && event.type !== 'resource.Deleted' && event.type !== 'resource.StatusUpdated') return false;
  const ref = (event.data as { ref?: { group?: string; kind?: string } }).ref;
  return (ref?.group === POOL_GROUP && ref.kind === POOL_KIND) || (ref?.group === SERVICE_GROUP && ref.kind === SERVICE_KIND);
};

// ---------------------------------------------------------------------------------------------
// Evolve
// ---------------------------------------------------------------------------------------------

/** Applies one event to the state (in place) and returns it. */
export const evolve = (state: IpamState, event: IpamStateEvent): IpamState => {
  applyInto(state, event, null);
  return state;
};

/** Applies one event in place and returns its exact inverse (used by `decide` to look ahead). */
export const applyEvent = (state: IpamState, event: IpamStateEvent): Undo => {
  const journal: Undo[] = [];
  applyInto(state, event, journal);
  return all(journal);
};

/**
 * Applies one event in place. With a journal, pushes the inverse of every change onto it
 * (undone last-first); without one (replay), records nothing.
 */
export const applyInto = (state: IpamState, event: IpamStateEvent, j: Undo[] | null): void => {
  switch (event.type) {
    case 'resource.Applied':
      if (j) throw new Error('resource events are not undoable');
      return applyResource(state, event.data);
    case 'resource.Deleted':
      if (j) throw new Error('resource events are not undoable');
      return deleteResource(state, event.data);
    case 'resource.StatusUpdated':
      if (j) throw new Error('resource events are not undoable');
      return statusUpdated(state, event.data);
    case 'ipam.LoadBalancerIPAllocated':
      return allocated(state, event.data, j);
    case 'ipam.LoadBalancerIPReleased':
      return released(state, event.data, j);
    case 'ipam.ServiceIPAMConditionChanged': {
      const { service, status, reason, message, observedGeneration } = event.data;
      return setCondition(state, service, { uid: service.uid, status, reason, message, observedGeneration }, j);
    }
    case 'ipam.ServiceIPAMConditionRemoved':
      return setCondition(state, event.data.service, null, j);
    case 'ipam.PoolStatusChanged':
      return report(state, event.data.pool, (r) => (r.status = event.data), j);
    case 'ipam.PoolConflictDetected':
      return report(state, event.data.pool, (r) => (r.conflict = { conflicting: true, generation: event.data.observedGeneration, message: event.data.message }), j);
    case 'ipam.PoolConflictResolved':
      return report(state, event.data.pool, (r) => (r.conflict = { conflicting: false, generation: event.data.observedGeneration }), j);
    case 'ipam.PoolSpecRejected':
      return report(state, event.data.pool, (r) => (r.rejectedGeneration = event.data.observedGeneration), j);
    case 'ipam.PoolSpecAccepted':
      return report(state, event.data.pool, (r) => (r.rejectedGeneration = null), j);
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${(never as { type: string }).type}`);
    }
  }
};

// --- resources --------------------------------------------------------------------------------

const isPoolRef = (ref: { group: string; kind: string }): boolean => ref.group === POOL_GROUP && ref.kind === POOL_KIND;
const isServiceRef = (ref: { group: string; kind: string }): boolean => ref.group === SERVICE_GROUP && ref.kind === SERVICE_KIND;

const emptyReport = (): PoolReport => ({ status: null, conflict: null, rejectedGeneration: null });

const newPool = (name: string): PoolEntry => ({
  name,
  uid: '',
  generation: 0,
  creationTimestamp: '',
  exists: false,
  active: null,
  rejected: null,
  ranges: [],
  holdings: new Map(),
  report: emptyReport(),
  seq: 0,
});

const newService = (namespace: string, name: string): ServiceEntry => ({
  key: serviceKey(namespace, name),
  namespace,
  name,
  spec: null,
  ingress: [],
  condition: null,
  holdings: new Map(),
});

const applyResource = (state: IpamState, data: EventDataOf<typeof ResourceApplied>): void => {
  const { ref } = data;
  const meta = readMeta(data.object, ref, data.generation);
  if (isPoolRef(ref)) {
    let pool = state.pools.get(ref.name);
    if (!pool) state.pools.set(ref.name, (pool = newPool(ref.name)));
    if (pool.exists && pool.uid !== ref.uid) {
      // Re-created under the same name without us seeing the delete: start over.
      pool.active = null;
      pool.report = emptyReport();
    }
    pool.uid = ref.uid;
    pool.generation = data.generation;
    pool.creationTimestamp = meta.creationTimestamp;
    pool.exists = true;
    const parsed = parsePool(data.object, meta);
    if (parsed.ok) {
      pool.active = parsed.spec;
      pool.rejected = null;
    } else {
      pool.rejected = { generation: data.generation, errors: parsed.errors };
    }
    rebuildRanges(pool);
    recomputeConflicts(state);
  } else if (isServiceRef(ref)) {
    const key = serviceKey(ref.namespace, ref.name);
    let svc = state.services.get(key);
    if (!svc) state.services.set(key, (svc = newService(ref.namespace, ref.name)));
    const sameObject = svc.spec !== null && svc.spec.uid === ref.uid;
    if (!sameObject) {
      svc.condition = null;
      svc.ingress = [];
      state.unsatisfied.delete(key);
    }
    svc.spec = parseService(data.object, meta, state.config);
    const ingress = readIngress(data.object['status']);
    if (ingress.length > 0) svc.ingress = ingress;
  }
};

const deleteResource = (state: IpamState, data: EventDataOf<typeof ResourceDeleted>): void => {
  const { ref } = data;
  if (isPoolRef(ref)) {
    const pool = state.pools.get(ref.name);
    if (!pool) return;
    pool.exists = false;
    pool.active = null;
    pool.rejected = null;
    pool.report = emptyReport();
    rebuildRanges(pool);
    if (pool.holdings.size === 0) state.pools.delete(pool.name);
    recomputeConflicts(state);
  } else if (isServiceRef(ref)) {
    const key = serviceKey(ref.namespace, ref.name);
    const svc = state.services.get(key);
    if (!svc || (svc.spec && svc.spec.uid !== ref.uid && ref.uid !== '')) return;
    svc.spec = null;
    svc.condition = null;
    svc.ingress = [];
    state.unsatisfied.delete(key);
    if (svc.holdings.size === 0) state.services.delete(key);
  }
};

const statusUpdated = (state: IpamState, data: EventDataOf<typeof ResourceStatusUpdated>): void => {
  if (!isServiceRef(data.ref)) return;
  const svc = state.services.get(serviceKey(data.ref.namespace, data.ref.name));
  if (!svc || !svc.spec || svc.spec.uid !== data.ref.uid) return;
  svc.ingress = readIngress(data.status);
};

/** Ranges from the active blocks; free = range − reserved − held in this pool. */
const rebuildRanges = (pool: PoolEntry): void => {
  const spec = pool.active;
  const ranges: RangeState[] = [];
  if (spec && pool.exists) {
    for (const b of spec.blocks) {
      const reserved = b.fromCidr && !spec.allowFirstLastIPs && b.to - b.from > 1n;
      const free = IntervalSet.of(b.from, b.to);
      if (reserved) {
        free.delete(b.from);
        free.delete(b.to);
      }
      ranges.push({ pool: pool.name, index: b.index, family: b.family, from: b.from, to: b.to, fromCidr: b.fromCidr, reserved, free });
    }
    ranges.sort((a, b) => (a.family !== b.family ? (a.family === 'IPv4' ? -1 : 1) : a.from < b.from ? -1 : a.from > b.from ? 1 : a.index - b.index));
    for (const h of pool.holdings.values()) for (const r of ranges) if (r.family === h.family && r.from <= h.ip && h.ip <= r.to) r.free.delete(h.ip);
  }
  pool.ranges = ranges;
};

/** The pool's range containing the address (the first, if its blocks overlap). */
export const rangeContaining = (pool: PoolEntry, family: Family, ip: bigint): RangeState | undefined => {
  for (const r of pool.ranges) if (r.family === family && r.from <= ip && ip <= r.to) return r;
  return undefined;
};

export const isReservedAddress = (r: RangeState, ip: bigint): boolean => r.reserved && (ip === r.from || ip === r.to);

/** Pools ordered by age: creation time, then name (the newer of two overlapping pools yields). */
export const olderPool = (a: PoolEntry, b: PoolEntry): boolean =>
  a.creationTimestamp !== b.creationTimestamp ? a.creationTimestamp < b.creationTimestamp : a.name < b.name;

/**
 * A pool conflicts when two of its blocks overlap, or one overlaps a block of an older pool.
 * Unlike Cilium (whose result depends on which pools are already marked), this depends only on
 * the pools themselves, so every ipam replica computes the same.
 */
const recomputeConflicts = (state: IpamState): void => {
  const conflicts = new Map<string, PoolConflict>();
  const all: Array<{ pool: PoolEntry; r: RangeState }> = [];
  for (const pool of state.pools.values()) if (pool.exists) for (const r of pool.ranges) all.push({ pool, r });
  all.sort((x, y) =>
    x.r.family !== y.r.family
      ? x.r.family === 'IPv4'
        ? -1
        : 1
      : x.r.from !== y.r.from
        ? x.r.from < y.r.from
          ? -1
          : 1
        : x.pool.name !== y.pool.name
          ? x.pool.name < y.pool.name
            ? -1
            : 1
          : x.r.index - y.r.index,
  );
  const mark = (target: PoolEntry, targetRange: RangeState, other: PoolEntry, otherRange: RangeState): void => {
    if (conflicts.has(target.name)) return;
    const range = formatRange(targetRange);
    const conflictingRange = formatRange(otherRange);
    conflicts.set(target.name, {
      range,
      conflictingPool: other.name,
      conflictingRange,
      message: `Pool conflicts since range '${range}' overlaps range '${conflictingRange}' from IP Pool '${other.name}'`,
    });
  };
  let open: Array<{ pool: PoolEntry; r: RangeState }> = [];
  for (const cur of all) {
    open = open.filter((o) => o.r.family === cur.r.family && o.r.to >= cur.r.from);
    for (const o of open) {
      if (o.pool === cur.pool) mark(cur.pool, cur.r, o.pool, o.r);
      else if (olderPool(o.pool, cur.pool)) mark(cur.pool, cur.r, o.pool, o.r);
      else mark(o.pool, o.r, cur.pool, cur.r);
    }
    open.push(cur);
  }
  state.conflicts = conflicts;
};

// --- allocations ------------------------------------------------------------------------------

const ensurePool = (state: IpamState, name: string, j: Undo[] | null): PoolEntry => {
  const existing = state.pools.get(name);
  if (existing) return existing;
  const pool = newPool(name);
  state.pools.set(name, pool);
  j?.push(() => void state.pools.delete(name));
  return pool;
};

const ensureService = (state: IpamState, namespace: string, name: string, key: string, j: Undo[] | null): ServiceEntry => {
  const existing = state.services.get(key);
  if (existing) return existing;
  const svc = newService(namespace, name);
  state.services.set(key, svc);
  j?.push(() => void state.services.delete(key));
  return svc;
};

const indexHolding = (state: IpamState, pool: PoolEntry | undefined, h: Holding): void => {
  state.held[h.family].set(h.ip, h);
  pool?.holdings.set(h.key, h);
  if (h.sharingKey !== null) {
    let set = state.sharing.get(h.sharingKey);
    if (!set) state.sharing.set(h.sharingKey, (set = new Set()));
    set.add(h);
  }
};

const unindexHolding = (state: IpamState, pool: PoolEntry | undefined, h: Holding): void => {
  state.held[h.family].delete(h.ip);
  pool?.holdings.delete(h.key);
  if (h.sharingKey !== null) {
    const set = state.sharing.get(h.sharingKey);
    set?.delete(h);
    if (set && set.size === 0) state.sharing.delete(h.sharingKey);
  }
};

/** Puts a holding into every index and takes its address out of the free sets. */
const linkHolding = (state: IpamState, pool: PoolEntry, h: Holding, j: Undo[] | null): void => {
  indexHolding(state, pool, h);
  for (const r of pool.ranges) {
    if (r.family !== h.family || h.ip < r.from || h.ip > r.to || !r.free.delete(h.ip)) continue;
    j?.push(() => void r.free.add(h.ip));
  }
  j?.push(() => unindexHolding(state, pool, h));
};

/** Removes a holding nobody holds any more; its address is free again unless reserved. */
const unlinkHolding = (state: IpamState, pool: PoolEntry | undefined, h: Holding, j: Undo[] | null): void => {
  unindexHolding(state, pool, h);
  j?.push(() => indexHolding(state, pool, h));
  for (const r of pool?.ranges ?? []) {
    if (r.family !== h.family || h.ip < r.from || h.ip > r.to || isReservedAddress(r, h.ip) || !r.free.add(h.ip)) continue;
    j?.push(() => void r.free.delete(h.ip));
  }
};

const allocated = (state: IpamState, data: LoadBalancerIPAllocatedData, j: Undo[] | null): void => {
  const addr = parseAddress(data.ip);
  if (!addr) return;
  let h = state.held[addr.family].get(addr.value);
  if (!h) {
    const pool = ensurePool(state, data.pool, j);
    h = {
      pool: data.pool,
      family: addr.family,
      ip: addr.value,
      text: formatAddress(addr.family, addr.value),
      key: addressKey(addr.family, addr.value),
      sharingKey: data.sharingKey ?? null,
      holders: [],
    };
    linkHolding(state, pool, h, j);
  }
  const key = serviceKey(data.service.namespace, data.service.name);
  for (const x of h.holders) if (x.service === key && x.uid === data.service.uid) return;
  const svc = ensureService(state, data.service.namespace, data.service.name, key, j);
  const holding = h;
  const counter = state.pools.get(holding.pool) ?? ensurePool(state, holding.pool, j);
  const prevSeq = counter.seq;
  holding.holders.push({ service: key, uid: data.service.uid, seq: ++counter.seq, origin: data.origin });
  const hadMapping = svc.holdings.get(holding.key);
  svc.holdings.set(holding.key, holding);
  j?.push(() => {
    holding.holders.pop();
    if (hadMapping) svc.holdings.set(holding.key, hadMapping);
    else svc.holdings.delete(holding.key);
    counter.seq = prevSeq;
  });
};

const released = (state: IpamState, data: LoadBalancerIPReleasedData, j: Undo[] | null): void => {
  const addr = parseAddress(data.ip);
  if (!addr) return;
  const h = state.held[addr.family].get(addr.value);
  if (!h) return;
  const key = serviceKey(data.service.namespace, data.service.name);
  const idx = h.holders.findIndex((x) => x.service === key && x.uid === data.service.uid);
  if (idx < 0) return;
  const [holder] = h.holders.splice(idx, 1);
  j?.push(() => void h.holders.splice(idx, 0, holder!));
  const svc = state.services.get(key);
  if (svc && !h.holders.some((x) => x.service === key)) {
    svc.holdings.delete(h.key);
    j?.push(() => void svc.holdings.set(h.key, h));
  }
  const pool = state.pools.get(h.pool);
  if (h.holders.length === 0) unlinkHolding(state, pool, h, j);
  if (svc && svc.spec === null && svc.holdings.size === 0 && svc.condition === null) {
    state.services.delete(key);
    j?.push(() => void state.services.set(key, svc));
  }
  if (pool && !pool.exists && pool.holdings.size === 0) {
    state.pools.delete(pool.name);
    j?.push(() => void state.pools.set(pool.name, pool));
  }
};

// --- conditions and pool reports -----------------------------------------------------------------

const setCondition = (state: IpamState, service: { namespace: string; name: string; uid: string }, c: RecordedCondition | null, j: Undo[] | null): void => {
  const key = serviceKey(service.namespace, service.name);
  const svc = state.services.get(key);
  // Conditions belong to one incarnation of a Service; one about another uid is stale.
  if (!svc || !svc.spec || svc.spec.uid !== service.uid) return;
  const prev = svc.condition;
  const wasUnsatisfied = state.unsatisfied.has(key);
  svc.condition = c;
  if (c?.status === 'False') state.unsatisfied.add(key);
  else state.unsatisfied.delete(key);
  j?.push(() => {
    svc.condition = prev;
    if (wasUnsatisfied) state.unsatisfied.add(key);
    else state.unsatisfied.delete(key);
  });
};

const report = (state: IpamState, poolName: string, update: (r: PoolReport) => void, j: Undo[] | null): void => {
  const pool = state.pools.get(poolName);
  if (!pool || !pool.exists) return;
  const prev = pool.report;
  pool.report = { ...prev };
  update(pool.report);
  j?.push(() => void (pool.report = prev));
};

// ---------------------------------------------------------------------------------------------
// Queries (read models for metrics, CLI and tests)
// ---------------------------------------------------------------------------------------------

export interface FamilyCounts {
  total: bigint;
  available: bigint;
  used: bigint;
}

/** Counts over the pool's active blocks (reserved first/last addresses count as used, as in Cilium). */
export const poolCounts = (pool: PoolEntry): { all: FamilyCounts; IPv4?: FamilyCounts; IPv6?: FamilyCounts } => {
  const out: { all: FamilyCounts; IPv4?: FamilyCounts; IPv6?: FamilyCounts } = { all: { total: 0n, available: 0n, used: 0n } };
  for (const r of pool.ranges) {
    const total = r.to - r.from + 1n;
    const available = r.free.size;
    const fam = (out[r.family] ??= { total: 0n, available: 0n, used: 0n });
    for (const c of [out.all, fam]) {
      c.total += total;
      c.available += available;
      c.used += total - available;
    }
  }
  return out;
};

export interface AllocationView {
  readonly pool: string;
  readonly ip: string;
  readonly family: Family;
  readonly sharedWith: readonly string[];
}

/** The addresses a Service holds, lowest first. */
export const allocationsOf = (state: IpamState, namespace: string, name: string): AllocationView[] => {
  const key = serviceKey(namespace, name);
  const svc = state.services.get(key);
  if (!svc) return [];
  return [...svc.holdings.values()]
    .sort((a, b) => (a.family !== b.family ? (a.family === 'IPv4' ? -1 : 1) : a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0))
    .map((h) => ({ pool: h.pool, ip: h.text, family: h.family, sharedWith: h.holders.filter((x) => x.service !== key).map((x) => x.service) }));
};

export interface IpamGauges {
  readonly conflictingPools: number;
  readonly pools: ReadonlyArray<{ readonly name: string; readonly available: bigint; readonly used: bigint }>;
  /** Services LB IPAM handles (Cilium: satisfied + unsatisfied). */
  readonly servicesMatching: number;
  readonly servicesUnsatisfied: number;
}

/** Cilium's LB IPAM gauges. */
export const gauges = (state: IpamState): IpamGauges => {
  let matching = 0;
  let unsatisfied = 0;
  for (const svc of state.services.values()) {
    if (!svc.spec || !svc.spec.handling.handled) continue;
    matching++;
    if (svc.condition?.status !== 'True') unsatisfied++;
  }
  const pools = [...state.pools.values()]
    .filter((p) => p.exists)
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((p) => {
      const c = poolCounts(p).all;
      return { name: p.name, available: c.available, used: c.used };
    });
  return { conflictingPools: state.conflicts.size, pools, servicesMatching: matching, servicesUnsatisfied: unsatisfied };
};
