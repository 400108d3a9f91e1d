import {
  canonicalIp,
  DEFAULT_GRATUITOUS_SCHEDULE_MS,
  InterfacePort,
  monotonicMs,
  readInterfaces,
  selectAnnouncements,
  SolicitedNodeGroups,
  type DesiredAnnouncement,
  type L2AnnouncementPolicy,
  type LeaseTimings,
  type LossReason,
  type NodeInterface,
  type PortStats,
  type PolicyProblem,
  type Selection,
  type WithdrawReason,
} from '@bosun/l2';
import { spawn, type ChildProcess } from 'node:child_process';
import { currentTraceContext, tracer, type Logger } from '@bosun/telemetry';
import { context as otelContext, trace, type Span } from '@opentelemetry/api';
import type { ClusterView } from './view/cluster-view';
import { LeaseManager, type HeldLease } from './lease/lease-manager';
import type { LeaseGrant, PgLeaseStore } from './lease/pg-lease-store';
import type { HolderWatch } from './lease/holder-watch';
import type { VipDevice } from './kernel/vip-device';
import type { L2EventRecorder } from './events/recorder';
import { l2Metrics } from './metrics';

export interface L2AnnouncerOptions {
  readonly node: string;
  readonly view: ClusterView;
  readonly timings: LeaseTimings;
  readonly handoverAfterMs: number;
  readonly connectLeaseStore: (onSessionLost: (reason: string) => void) => Promise<PgLeaseStore>;
  /** Wakes the election when a holder dies or leases are released (null: poll only). */
  readonly holderWatch?: HolderWatch | null;
  /** Null: do not put addresses on a local interface (the responder still answers). */
  readonly vip: VipDevice | null;
  readonly events: L2EventRecorder | null;
  readonly log: Logger;
  readonly gratuitousScheduleMs?: readonly number[];
  /** Interfaces are rescanned this often besides link events (ms). */
  readonly linkScanIntervalMs?: number;
  /** Reads this node's interfaces (tests may narrow them). */
  readonly interfaces?: () => NodeInterface[];
}

interface PortEntry {
  readonly port: InterfacePort;
  ready: boolean;
  /** Addresses programmed on this port. */
  readonly programmed: Set<string>;
  lastStats: PortStats;
}

/**
 * One node's L2 announcer: from the cluster view and the node's links it computes what to
 * announce (policy semantics), runs the lease election for those addresses, and for the leases
 * it holds answers ARP/NDP on the selected interfaces, sends the gratuitous announcements, puts
 * the addresses on the local dummy interface and records the events. Level-triggered: every
 * change (view, link, lease, capture process) leads to one coalesced reconcile.
 */
export class L2Announcer {
  private readonly ports = new Map<string, PortEntry>();
  private readonly groups = new SolicitedNodeGroups();
  private readonly leases: LeaseManager;
  private fenceUntil = 0;
  private selection: Selection | null = null;
  private reconcileScheduled = false;
  private reconciling: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private monitor: ChildProcess | null = null;
  private stopped = false;
  private readonly grants = new Map<string, { grant: LeaseGrant | null; at: number; span: Span; end: () => void }>();
  private problems: readonly PolicyProblem[] = [];
  private readonly log: Logger;
  private joinedGroups = new Set<string>();
  private lastVipSync = 0;

  constructor(private readonly opts: L2AnnouncerOptions) {
    this.log = opts.log;
    this.leases = new LeaseManager({
      node: opts.node,
      timings: opts.timings,
      handoverAfterMs: opts.handoverAfterMs,
      connect: opts.connectLeaseStore,
      watch: opts.holderWatch ?? null,
      log: (level, msg, fields) => this.log[level](msg, fields),
      hooks: {
        acquired: (lease, grant) => this.onAcquired(lease, grant),
        lost: (lease, reason) => this.onLost(lease, reason),
        fence: (until) => this.onFence(until),
      },
    });
  }

  get leaseManager(): LeaseManager {
    return this.leases;
  }

  async start(): Promise<void> {
    await this.opts.vip?.init();
    this.opts.view.onChange(() => this.scheduleReconcile());
    await this.opts.view.start();
    this.startLinkMonitor();
    await this.opts.holderWatch?.start();
    this.leases.start();
    await this.reconcile();
    this.timer = setInterval(() => this.scheduleReconcile(), this.opts.linkScanIntervalMs ?? 1000);
  }

  /** Ready: the view is synced and we are a lease member. */
  get ready(): boolean {
    return this.opts.view.synced && this.leases.connected;
  }

  /** Policies that cannot be evaluated (bad regex or selector), for logs and status. */
  get policyProblems(): readonly PolicyProblem[] {
    return this.problems;
  }

  get lastSelection(): Selection | null {
    return this.selection;
  }

  private startLinkMonitor(): void {
    // Link changes (down, up, new interfaces) arrive at once through `ip monitor`; the periodic
    // rescan covers anything it misses.
    const child = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout!.on('data', () => this.scheduleReconcile());
    child.on('error', () => undefined);
    child.on('exit', () => {
      if (this.monitor === child) this.monitor = null;
    });
    this.monitor = child;
  }

  scheduleReconcile(): void {
    if (this.stopped || this.reconcileScheduled) return;
    this.reconcileScheduled = true;
    setImmediate(() => {
      this.reconcileScheduled = false;
      void this.reconcile();
    });
  }

  /** One level-triggered pass (coalesced: a pass requested while one runs runs once after it). */
  async reconcile(): Promise<void> {
    if (this.reconciling) {
      await this.reconciling;
      return this.reconcile();
    }
    this.reconciling = this.doReconcile().catch((e) => this.log.error('reconcile failed', { error: e }));
    try {
      await this.reconciling;
    } finally {
      this.reconciling = null;
    }
  }

  private async doReconcile(): Promise<void> {
    if (this.stopped) return;
    const interfaces = (this.opts.interfaces ?? readInterfaces)();
    const snap = this.opts.view.snapshot();
    const selection = selectAnnouncements({ nodeName: this.opts.node, interfaces, ...snap });
    this.selection = selection;
    this.reportProblems(selection.problems);
    this.reportPolicyConditions(snap.policies, selection.problems);

    // Ports for every interface some desired address is announced on.
    const wantPorts = new Set(selection.announcements.flatMap((a) => a.interfaces));
    for (const ifname of wantPorts) if (!this.ports.has(ifname)) this.openPort(ifname);
    for (const [ifname, entry] of this.ports) {
      if (!wantPorts.has(ifname)) {
        this.ports.delete(ifname);
        for (const a of entry.programmed) this.leaveGroup(a, ifname);
        void entry.port.close();
      }
    }

    // Compete only for addresses we can answer for now: at least one of their interfaces has a
    // running capture. Winning a lease before that would leave the address unanswered.
    const withdrawn = new Map<string, WithdrawReason>(selection.linkDown.map((l) => [l.address, 'link-down' as const]));
    const servable = selection.announcements.filter((a) => {
      const ok = a.interfaces.some((i) => this.ports.get(i)?.ready);
      if (!ok) withdrawn.set(a.address, 'link-down');
      return ok;
    });
    this.leases.setDesired(servable, withdrawn);
    this.applyHoldings();
    // Now and then, make the local interface match exactly (repairs changes made behind our back).
    if (this.opts.vip && Date.now() - this.lastVipSync > 10_000) {
      this.lastVipSync = Date.now();
      await this.opts.vip.reconcile(this.leases.held().map((h) => h.address)).catch((e) => this.log.warn('cannot list the local addresses', { error: e }));
    }
    l2Metrics.leasesContending.set({ node: this.opts.node }, Math.max(0, selection.announcements.length - this.leases.held().length));
  }

  private reportProblems(problems: readonly PolicyProblem[]): void {
    const key = (ps: readonly PolicyProblem[]) => ps.map((p) => `${p.policy}:${p.conditionType}:${p.message}`).join('|');
    if (key(problems) !== key(this.problems)) for (const p of problems) this.log.warn('policy cannot be applied', { policy: p.policy, condition: p.conditionType, message: p.message });
    this.problems = problems;
  }

  /**
   * Records Cilium's policy conditions when what this node sees differs from the policy's
   * status (so the API shows them, and nodes that agree with the status stay quiet).
   */
  private reportPolicyConditions(policies: readonly L2AnnouncementPolicy[], problems: readonly PolicyProblem[]): void {
    const events = this.opts.events;
    if (!events) return;
    const types = ['io.cilium/bad-service-selector', 'io.cilium/bad-node-selector', 'io.cilium/bad-interface-regex'] as const;
    for (const p of policies) {
      const name = p.metadata.name;
      const conditions = types.map((type) => {
        const pr = problems.find((x) => x.policy === name && x.conditionType === type);
        return pr ? { type, status: 'True' as const, reason: 'error', message: pr.message } : { type, status: 'False' as const, reason: 'resolved', message: '' };
      });
      const current = ((p as { status?: { conditions?: { type: string; status: string; message?: string }[] } }).status?.conditions ?? []) as { type: string; status: string; message?: string }[];
      const agrees = conditions.every((c) => {
        const cur = current.find((x) => x.type === c.type);
        return cur ? cur.status === c.status && (c.status === 'False' || cur.message === c.message) : c.status === 'False';
      });
      const key = JSON.stringify(conditions);
      if (agrees || this.reportedPolicyConditions.get(name) === key) {
        this.reportedPolicyConditions.set(name, key);
        continue;
      }
      this.reportedPolicyConditions.set(name, key);
      events.policyConditions({ policy: name, node: this.opts.node, conditions });
    }
  }
  private readonly reportedPolicyConditions = new Map<string, string>();

  private openPort(ifname: string): void {
    const port = new InterfacePort({ ifname, gratuitousScheduleMs: this.opts.gratuitousScheduleMs ?? DEFAULT_GRATUITOUS_SCHEDULE_MS });
    const entry: PortEntry = { port, ready: false, programmed: new Set(), lastStats: port.stats() };
    this.ports.set(ifname, entry);
    const labels = { node: this.opts.node, interface: ifname };
    port.on('ready', () => {
      entry.ready = true;
      port.fence(this.fenceUntil);
      this.applyHoldings();
      this.scheduleReconcile();
    });
    port.on('announced', (address, at, frames) => this.onAnnounced(ifname, address, at, frames));
    port.on('stats', (s) => {
      const p = entry.lastStats;
      l2Metrics.repliesSent.inc(labels, Math.max(0, s.repliesSent - p.repliesSent));
      l2Metrics.gratuitousSent.inc(labels, Math.max(0, s.gratuitousSent - p.gratuitousSent));
      l2Metrics.fencedDrops.inc(labels, Math.max(0, s.fencedDrops - p.fencedDrops));
      l2Metrics.conflicts.inc(labels, Math.max(0, s.conflictsSeen - p.conflictsSeen));
      entry.lastStats = s;
    });
    port.on('conflict', (address, mac, kind) => this.log.warn('another host claims an address we answer for', { address, mac, kind, interface: ifname }));
    port.on('exit', (reason) => {
      if (reason === 'closed') return;
      l2Metrics.captureRestarts.inc(labels);
      this.log.warn('capture process ended', { interface: ifname, reason });
      if (this.ports.get(ifname) === entry) {
        this.ports.delete(ifname);
        for (const a of entry.programmed) this.leaveGroup(a, ifname);
      }
      this.groups.forgetInterface(ifname);
      for (const k of [...this.joinedGroups]) if (k.endsWith(`%${ifname}`)) this.joinedGroups.delete(k);
      // A link that went down drops out of the selection; one that is still up gets a new process.
      setTimeout(() => this.scheduleReconcile(), 100).unref();
    });
  }

  /** Brings every port (and the dummy, and the multicast joins) to the set of leases we hold. */
  private applyHoldings(): void {
    const held = new Map(this.leases.held().map((h) => [h.address, h]));
    const selected = new Map((this.selection?.announcements ?? []).map((a) => [a.address, a]));
    for (const [ifname, entry] of this.ports) {
      if (!entry.ready) continue;
      const add: string[] = [];
      const remove: string[] = [];
      for (const [address] of held) {
        const d = selected.get(address);
        const onThis = d?.interfaces.includes(ifname) ?? false;
        if (onThis && !entry.programmed.has(address)) add.push(address);
        if (!onThis && entry.programmed.has(address)) remove.push(address);
      }
      for (const address of entry.programmed) if (!held.has(address)) remove.push(address);
      if (remove.length > 0) {
        entry.port.remove(remove);
        for (const a of remove) {
          entry.programmed.delete(a);
          this.leaveGroup(a, ifname);
        }
      }
      if (add.length > 0) {
        // Announce at once: this is a takeover, or a new interface for an address we hold.
        entry.port.add(add, true);
        for (const a of add) {
          entry.programmed.add(a);
          this.joinGroup(a, ifname);
        }
      }
    }
    if (this.opts.vip) {
      for (const a of held.keys()) this.opts.vip.add(a);
    }
    l2Metrics.leasesHeld.set({ node: this.opts.node }, held.size);
  }

  private joinGroup(address: string, ifname: string): void {
    if (!address.includes(':')) return;
    const key = `${address}%${ifname}`;
    if (this.joinedGroups.has(key)) return;
    this.joinedGroups.add(key);
    this.groups.join(address, ifname).catch((e) => this.log.warn('cannot join the solicited-node group', { address, interface: ifname, error: e }));
  }

  private leaveGroup(address: string, ifname: string): void {
    const key = `${address}%${ifname}`;
    if (!this.joinedGroups.delete(key)) return;
    this.groups.leave(address, ifname);
  }

  private onFence(until: number): void {
    this.fenceUntil = until;
    for (const e of this.ports.values()) e.port.fence(until);
  }

  private onAcquired(lease: HeldLease, grant: LeaseGrant | null): void {
    // One span per takeover, ended by the first gratuitous announcement; the events join it.
    const span = tracer().startSpan('l2.takeover', {
      attributes: { 'bosun.l2.address': lease.address, 'bosun.l2.node': this.opts.node, 'bosun.l2.fencing_token': lease.fencingToken, 'bosun.l2.previous_holder': grant?.previousHolder ?? '' },
    });
    const traceparent = currentTraceContext(trace.setSpan(otelContext.active(), span)).traceparent ?? null;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      span.end();
    };
    this.grants.get(lease.address)?.end();
    this.grants.set(lease.address, { grant, at: monotonicMs(), span, end });
    setTimeout(end, 5000).unref(); // no announcement (e.g. no interface ready): end anyway
    // Answer and announce first; record afterwards.
    this.applyHoldings();
    l2Metrics.acquisitions.inc({ node: this.opts.node });
    const previous = grant?.previousHolder ?? null;
    if (previous !== null && previous !== this.opts.node) l2Metrics.failovers.inc({ node: this.opts.node });
    this.log.info('lease acquired', { address: lease.address, fencing: lease.fencingToken, previousHolder: previous, interfaces: lease.desired.interfaces });
    this.opts.events?.acquired(lease.desired.services, {
      address: lease.address,
      node: this.opts.node,
      fencingToken: lease.fencingToken,
      interfaces: [...lease.desired.interfaces],
      previousHolder: previous,
      leaseTransitions: grant?.transitions ?? 0,
      leaseDurationSeconds: this.opts.timings.leaseDurationMs / 1000,
      acquiredAt: grant?.acquiredAt ?? new Date().toISOString(),
    }, traceparent);
  }

  private onLost(lease: HeldLease, reason: LossReason | WithdrawReason): void {
    // Stop answering on every port at once, whatever the selection says now.
    for (const [ifname, e] of this.ports) {
      if (!e.programmed.delete(lease.address)) continue;
      e.port.remove([lease.address]);
      this.leaveGroup(lease.address, ifname);
    }
    this.opts.vip?.remove(lease.address);
    const g = this.grants.get(lease.address);
    g?.span.addEvent('lease lost', { reason });
    g?.end();
    this.grants.delete(lease.address);
    l2Metrics.losses.inc({ node: this.opts.node, reason });
    l2Metrics.leasesHeld.set({ node: this.opts.node }, this.leases.held().length);
    this.log.info("lease lost", { address: lease.address, fencing: lease.fencingToken, reason });
    this.opts.events?.lost(lease.desired.services, { address: lease.address, node: this.opts.node, fencingToken: lease.fencingToken, reason });
  }

  private onAnnounced(ifname: string, address: string, atEpochMs: number, frames: number): void {
    const g = this.grants.get(canonicalIp(address));
    if (g && g.at > 0) {
      l2Metrics.takeoverSeconds.observe({ node: this.opts.node }, Math.max(0, (monotonicMs() - g.at) / 1000));
      g.at = 0;
      g.span.addEvent('announced', { interface: ifname, frames });
      g.end();
    }
    const lease = this.leases.held().find((h) => h.address === address);
    if (!lease) return;
    this.opts.events?.announced(lease.desired.services, {
      address,
      node: this.opts.node,
      fencingToken: lease.fencingToken,
      interface: ifname,
      method: address.includes(':') ? 'unsolicited-na' : 'gratuitous-arp',
      frames,
      at: new Date(atEpochMs).toISOString(),
    });
  }

  /** Addresses held, with where they are answered (for status and tests). */
  holdings(): { address: string; fencingToken: number; interfaces: string[]; services: DesiredAnnouncement['services'] }[] {
    return this.leases.held().map((h) => ({
      address: h.address,
      fencingToken: h.fencingToken,
      interfaces: [...this.ports].filter(([, e]) => e.programmed.has(h.address)).map(([i]) => i),
      services: h.desired.services,
    }));
  }

  /** Stops answering, releases every lease (others take over at once), removes our addresses. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.monitor?.kill();
    await this.leases.stop();
    await Promise.all([...this.ports.values()].map((e) => e.port.close()));
    this.ports.clear();
    this.groups.close();
    await this.opts.view.stop();
    await this.opts.vip?.close(true);
    await this.opts.events?.flush(2000);
    this.opts.events?.close();
  }
}
