import type { IpamEvent } from '@bosun/contracts';
import {
  allocationsOf,
  appendPlan,
  decide,
  evolve,
  initialState,
  poolCounts,
  serviceKey,
  DEFAULT_CONFIG,
  type IpamCommand,
  type IpamConfig,
  type IpamState,
  type IpamStateEvent,
} from '../src';

/**
 * Drives the decider as the ipam service does: a resource event is evolved into the state,
 * then `decide` runs and its events are evolved too. Every step checks that `decide` left the
 * state untouched and that deciding again yields nothing (a fixed point), so the tests catch
 * impure or oscillating decisions.
 */

export const T0 = '2022-10-16T12:00:00Z';


/** What Postgres jsonb gives back: keys reordered (shorter first, then by bytes), undefined dropped. */
export const jsonbRoundTrip = <T>(value: T): T =>
  JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)))
        : v,
    ),
  ) as T;

export interface PoolDef {
  name: string;
  blocks?: Array<{ cidr?: string; start?: string; stop?: string }>;
  selector?: Record<string, unknown> | null;
  disabled?: boolean;
  allowFirstLastIPs?: 'Yes' | 'No';
  created?: string;
  priority?: string;
}

export interface SvcDef {
  ns?: string;
  name: string;
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  loadBalancerIP?: string;
  loadBalancerClass?: string;
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: Array<number | { port: number; protocol?: string }>;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  selector?: Record<string, string>;
  ingress?: string[];
  created?: string;
}

/** A deterministic, comparable rendering of the whole state. */
export const snapshot = (state: IpamState): string =>
  JSON.stringify(
    {
      pools: [...state.pools.values()]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((p) => ({
          name: p.name,
          exists: p.exists,
          gen: p.generation,
          active: p.active?.generation ?? null,
          rejected: p.rejected,
          ranges: p.ranges.map((r) => ({ f: r.family, from: r.from, to: r.to, res: r.reserved, free: r.free.toArray() })),
          holdings: [...p.holdings.keys()].sort(),
          seq: p.seq,
          report: p.report,
        })),
      services: [...state.services.values()]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map((s) => ({
          key: s.key,
          spec: s.spec,
          condition: s.condition,
          ingress: s.ingress,
          holdings: [...s.holdings.values()].map((h) => ({ ip: h.text, pool: h.pool, holders: h.holders })).sort((a, b) => (a.ip < b.ip ? -1 : 1)),
        })),
      held: (['IPv4', 'IPv6'] as const).map((f) => [...state.held[f].values()].map((h) => `${h.text}@${h.pool}`).sort()),
      sharing: [...state.sharing.entries()].map(([k, v]) => [k, [...v].map((h) => h.text).sort()]).sort(),
      unsatisfied: [...state.unsatisfied].sort(),
      conflicts: [...state.conflicts.entries()].sort(),
    },
    (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
  );

export class Fixture {
  state: IpamState;
  /** Every event, in order: what the event store would hold. */
  readonly log: IpamStateEvent[] = [];
  /** The log as appended: one group per resource event or per decision. */
  private readonly groups: IpamStateEvent[][] = [];
  /** The ipam events of the last step. */
  last: IpamEvent[] = [];
  private readonly gens = new Map<string, { uid: string; gen: number }>();
  private uidSeq = 0;

  constructor(
    readonly config: IpamConfig = DEFAULT_CONFIG,
    private readonly checks = true,
  ) {
    this.state = initialState(config);
  }

  private meta(key: string): { uid: string; gen: number } {
    let m = this.gens.get(key);
    if (!m) this.gens.set(key, (m = { uid: `uid-${++this.uidSeq}`, gen: 0 }));
    m.gen++;
    return m;
  }

  private evolveAll(events: readonly IpamStateEvent[]): void {
    if (events.length > 0) this.groups.push([...events]);
    for (const e of events) {
      this.log.push(e);
      this.state = evolve(this.state, e);
    }
  }

  /** decide → evolve, then check purity and the fixed point. */
  run(command: IpamCommand): IpamEvent[] {
    const before = this.checks ? snapshot(this.state) : '';
    const events = decide(command, this.state);
    if (this.checks) {
      const after = snapshot(this.state);
      if (after !== before) throw new Error('decide changed the state');
    }
    // Events come back from the store as jsonb would return them.
    this.evolveAll(events.map((e) => jsonbRoundTrip(e)));
    if (this.checks) {
      const again = decide({ type: 'ReconcileAll' }, this.state);
      if (again.length > 0) throw new Error(`not a fixed point; deciding again gives ${JSON.stringify(again)}`);
    }
    this.last = events;
    return events;
  }

  poolEvent(def: PoolDef): IpamStateEvent {
    const m = this.meta(`pool/${def.name}`);
    const spec: Record<string, unknown> = { blocks: def.blocks ?? [] };
    if (def.selector !== undefined && def.selector !== null) spec['serviceSelector'] = def.selector;
    if (def.disabled !== undefined) spec['disabled'] = def.disabled;
    if (def.allowFirstLastIPs !== undefined) spec['allowFirstLastIPs'] = def.allowFirstLastIPs;
    return {
      type: 'resource.Applied',
      data: {
        ref: { group: 'cilium.io', kind: 'CiliumLoadBalancerIPPool', namespace: '', name: def.name, uid: m.uid },
        apiVersion: 'cilium.io/v2',
        generation: m.gen,
        object: {
          apiVersion: 'cilium.io/v2',
          kind: 'CiliumLoadBalancerIPPool',
          metadata: {
            name: def.name,
            uid: m.uid,
            creationTimestamp: def.created ?? T0,
            ...(def.priority !== undefined ? { annotations: { 'bosun.io/pool-priority': def.priority } } : {}),
          },
          spec,
        },
      },
    };
  }

  serviceEvent(def: SvcDef): IpamStateEvent {
    const ns = def.ns ?? 'default';
    const m = this.meta(`svc/${ns}/${def.name}`);
    const spec: Record<string, unknown> = { type: def.type ?? 'LoadBalancer' };
    if (def.loadBalancerIP) spec['loadBalancerIP'] = def.loadBalancerIP;
    if (def.loadBalancerClass) spec['loadBalancerClass'] = def.loadBalancerClass;
    if (def.ipFamilies) spec['ipFamilies'] = def.ipFamilies;
    if (def.ipFamilyPolicy) spec['ipFamilyPolicy'] = def.ipFamilyPolicy;
    if (def.ports) spec['ports'] = def.ports.map((p) => (typeof p === 'number' ? { port: p, protocol: 'TCP' } : { protocol: 'TCP', ...p }));
    if (def.externalTrafficPolicy) spec['externalTrafficPolicy'] = def.externalTrafficPolicy;
    if (def.selector) spec['selector'] = def.selector;
    const object: Record<string, unknown> = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: def.name, namespace: ns, uid: m.uid, labels: def.labels ?? {}, annotations: def.annotations ?? {}, creationTimestamp: def.created ?? T0 },
      spec,
    };
    if (def.ingress) object['status'] = { loadBalancer: { ingress: def.ingress.map((ip) => ({ ip })) } };
    return {
      type: 'resource.Applied',
      data: { ref: { group: '', kind: 'Service', namespace: ns, name: def.name, uid: m.uid }, apiVersion: 'v1', generation: m.gen, object },
    };
  }

  /** Applies a stored object (as the API would after admission). */
  applyObject(object: Record<string, unknown>): IpamEvent[] {
    const md = object['metadata'] as { name: string; namespace?: string };
    const group = String(object['apiVersion']).includes('/') ? String(object['apiVersion']).split('/')[0]! : '';
    const kind = String(object['kind']);
    const m = this.meta(kind === 'Service' ? `svc/${md.namespace}/${md.name}` : `pool/${md.name}`);
    this.evolveAll([
      {
        type: 'resource.Applied',
        data: { ref: { group, kind, namespace: md.namespace ?? '', name: md.name, uid: m.uid }, apiVersion: String(object['apiVersion']), generation: m.gen, object },
      },
    ]);
    return this.run(kind === 'Service' ? { type: 'ReconcileServices', services: [serviceKey(md.namespace ?? '', md.name)] } : { type: 'ReconcileAll' });
  }

  applyPool(def: PoolDef): IpamEvent[] {
    this.evolveAll([this.poolEvent(def)]);
    return this.run({ type: 'ReconcileAll' });
  }

  deletePool(name: string): IpamEvent[] {
    const m = this.gens.get(`pool/${name}`);
    this.gens.delete(`pool/${name}`);
    this.evolveAll([{ type: 'resource.Deleted', data: { ref: { group: 'cilium.io', kind: 'CiliumLoadBalancerIPPool', namespace: '', name, uid: m?.uid ?? '' } } }]);
    return this.run({ type: 'ReconcileAll' });
  }

  applyService(def: SvcDef): IpamEvent[] {
    this.evolveAll([this.serviceEvent(def)]);
    return this.run({ type: 'ReconcileServices', services: [serviceKey(def.ns ?? 'default', def.name)] });
  }

  deleteService(ns: string, name: string): IpamEvent[] {
    const m = this.gens.get(`svc/${ns}/${name}`);
    this.gens.delete(`svc/${ns}/${name}`);
    this.evolveAll([{ type: 'resource.Deleted', data: { ref: { group: '', kind: 'Service', namespace: ns, name, uid: m?.uid ?? '' } } }]);
    return this.run({ type: 'ReconcileServices', services: [serviceKey(ns, name)] });
  }

  ips(ns: string, name: string): string[] {
    return allocationsOf(this.state, ns, name).map((a) => a.ip);
  }

  condition(ns: string, name: string): { status: string; reason: string; message: string } | null {
    const c = this.state.services.get(serviceKey(ns, name))?.condition;
    return c ? { status: c.status, reason: c.reason, message: c.message } : null;
  }

  isHeld(ip: string): boolean {
    return [...this.state.held.IPv4.values(), ...this.state.held.IPv6.values()].some((h) => h.text === ip);
  }

  counts(pool: string): { total: string; available: string; used: string } | null {
    const p = this.state.pools.get(pool);
    if (!p) return null;
    const c = poolCounts(p).all;
    return { total: c.total.toString(), available: c.available.toString(), used: c.used.toString() };
  }

  /**
   * Rebuilds a fresh state from the log: replay must give the very same state. With `byStream`,
   * each decision's events are read stream by stream, as the service appends them (one append
   * per stream) and other replicas read them back.
   */
  replay(opts: { byStream?: boolean } = {}): IpamState {
    let s = initialState(this.config);
    for (const group of this.groups) {
      const isDecision = group.every((e) => e.type.startsWith('ipam.'));
      const events = opts.byStream && isDecision ? appendPlan(group as IpamEvent[]).flatMap((a) => a.events) : group;
      for (const e of events) s = evolve(s, e);
    }
    return s;
  }
}
