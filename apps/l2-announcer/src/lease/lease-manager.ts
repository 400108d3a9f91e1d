import {
  acquireDue,
  decideAddressLease,
  decideMember,
  evolveAddressLease,
  evolveMember,
  initialAddressLeaseState,
  initialMemberState,
  memberValidAt,
  monotonicMs,
  type AddressLeaseCommand,
  type AddressLeaseEvent,
  type AddressLeaseState,
  type DesiredAnnouncement,
  type ElectionOptions,
  type LossReason,
  type MemberCommand,
  type MemberState,
  type WithdrawReason,
} from '@bosun/l2';
import { serviceKey } from '@bosun/l2';
import { rendezvousOrder } from '@bosun/l2';
import type { HolderWatch } from './holder-watch';
import type { LeaseGrant, PgLeaseStore } from './pg-lease-store';

export interface HeldLease {
  readonly address: string;
  readonly fencingToken: number;
  /** What we were asked to announce when we took it (interfaces and services may change later). */
  readonly desired: DesiredAnnouncement;
}

export interface LeaseManagerHooks {
  /** We hold the lease: start answering (and announce). Called after the database granted it. */
  acquired(lease: HeldLease, grant: LeaseGrant | null): void;
  /** We no longer hold it: stop answering at once. Called before a voluntary release reaches the database. */
  lost(lease: HeldLease, reason: LossReason | WithdrawReason): void;
  /** Our self-fence moved: answer only until this CLOCK_MONOTONIC time (ms). */
  fence(until: number): void;
}

export interface LeaseManagerOptions extends ElectionOptions {
  readonly node: string;
  /** Opens a new database session (a new membership). */
  readonly connect: (onSessionLost: (reason: string) => void) => Promise<PgLeaseStore>;
  readonly hooks: LeaseManagerHooks;
  /** Wakes rounds the moment a holder we would succeed dies or leases are released (optional). */
  readonly watch?: HolderWatch | null;
  readonly log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Runs the election for this node: one loop, once per retry period (or sooner when poked),
 * that renews the membership, withdraws and contends as the desired set says, observes the
 * leases it contends for and takes those that are due. The decisions are the pure deciders of
 * `@bosun/l2`; this class only carries their commands to Postgres and their events to the hooks.
 */
export class LeaseManager {
  private store: PgLeaseStore | null = null;
  private member: MemberState = initialMemberState();
  private readonly leases = new Map<string, AddressLeaseState>();
  private desired = new Map<string, DesiredAnnouncement>();
  /** Why addresses left the desired set (link-down vs not-selected), for the release reason. */
  private withdrawReasons = new Map<string, WithdrawReason>();
  private candidacy: string | null = null;
  private running = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private lastGc = 0;
  private consecutiveErrors = 0;
  lastError: string | null = null;
  /** Ticks completed (for readiness and tests). */
  ticks = 0;

  constructor(private readonly opts: LeaseManagerOptions) {}

  private log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, msg, fields);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Run a round now instead of at the next retry period (coalesced; a poke during a round runs one more). */
  poke(): void {
    this.wakeRequested = true;
    this.wake?.();
  }
  private wakeRequested = false;

  /** The addresses this node should compete for; anything else it holds is released. */
  setDesired(announcements: readonly DesiredAnnouncement[], withdrawn: ReadonlyMap<string, WithdrawReason> = new Map()): void {
    this.desired = new Map(announcements.map((a) => [a.address, a]));
    this.withdrawReasons = new Map(withdrawn);
    this.poke();
  }

  get memberState(): MemberState {
    return this.member;
  }

  get connected(): boolean {
    return this.store !== null && !this.store.sessionLost && this.member.status === 'Up';
  }

  /** Leases we hold and may answer for right now. */
  held(): HeldLease[] {
    const now = monotonicMs();
    if (!memberValidAt(this.member, now)) return [];
    const out: HeldLease[] = [];
    for (const [address, s] of this.leases) {
      if (s.status !== 'Held') continue;
      const desired = this.desired.get(address);
      if (desired) out.push({ address, fencingToken: s.fencingToken, desired });
    }
    return out;
  }

  stateOf(address: string): AddressLeaseState {
    return this.leases.get(address) ?? initialAddressLeaseState();
  }

  private heldLease(address: string, fencingToken: number): HeldLease {
    return { address, fencingToken, desired: this.desired.get(address) ?? this.lastDesired.get(address)! };
  }
  /** The announcement an address had when we last knew it (for hooks after it left `desired`). */
  private readonly lastDesired = new Map<string, DesiredAnnouncement>();

  /** Applies one lease command and hands its events to the hooks. Returns the events. */
  private command(address: string, cmd: AddressLeaseCommand, grant: LeaseGrant | null = null): AddressLeaseEvent[] {
    const events = decideAddressLease(address, cmd, this.leases.get(address) ?? initialAddressLeaseState(), this.opts);
    for (const e of events) {
      // State first, so hooks that ask `held()` see the change.
      const next = evolveAddressLease(this.leases.get(address) ?? initialAddressLeaseState(), e);
      if (next.status === 'Idle') this.leases.delete(address);
      else this.leases.set(address, next);
      switch (e.type) {
        case 'LeaseAcquired':
          this.opts.hooks.acquired(this.heldLease(address, e.fencingToken), grant);
          break;
        case 'LeaseLost':
          this.opts.hooks.lost(this.heldLease(address, e.fencingToken), e.reason);
          break;
        case 'LeaseReleased':
          this.opts.hooks.lost(this.heldLease(address, e.fencingToken), e.reason);
          this.pendingReleases.push({ address, fencingToken: e.fencingToken });
          break;
        case 'ContentionStarted':
        case 'ContentionStopped':
        case 'HolderObserved':
          break;
        default: {
          const never: never = e;
          throw new Error(`unhandled lease event ${JSON.stringify(never)}`);
        }
      }
    }
    return events;
  }
  private pendingReleases: { address: string; fencingToken: number }[] = [];

  private memberCommand(cmd: MemberCommand): void {
    const events = decideMember(cmd, this.member, this.opts.timings);
    for (const e of events) {
      this.member = evolveMember(this.member, e);
      switch (e.type) {
        case 'MemberRegistered':
        case 'MemberRenewed':
          this.opts.hooks.fence(e.validUntil);
          this.armDeadline(e.validUntil);
          break;
        case 'MemberExpired': {
          this.opts.hooks.fence(0);
          this.log('warn', 'membership expired: every lease of this node is dropped', { reason: e.reason, detail: e.detail, memberId: e.memberId });
          const reason: LossReason = e.reason === 'session-lost' ? 'session-lost' : 'renew-deadline';
          for (const address of [...this.leases.keys()]) this.command(address, { type: 'Lose', at: e.at, reason });
          break;
        }
        default: {
          const never: never = e;
          throw new Error(`unhandled member event ${JSON.stringify(never)}`);
        }
      }
    }
  }

  /** A timer at the deadline, so leases are dropped on time even while the loop waits on the database. */
  private armDeadline(until: number): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.memberCommand({ type: 'Tick', at: monotonicMs() }), Math.max(0, until - monotonicMs()) + 1);
    this.deadlineTimer.unref();
  }

  private onSessionLost = (reason: string): void => {
    this.log('warn', 'lease database session lost', { reason });
    this.memberCommand({ type: 'LoseSession', at: monotonicMs(), reason });
    this.poke();
  };

  private async loop(): Promise<void> {
    while (this.running) {
      const started = monotonicMs();
      try {
        await this.roundWithWatchdog();
        this.consecutiveErrors = 0;
        this.lastError = null;
      } catch (e) {
        this.consecutiveErrors++;
        this.lastError = e instanceof Error ? e.message : String(e);
        this.log(this.consecutiveErrors === 1 ? 'warn' : 'debug', 'lease round failed', { error: this.lastError });
        if (this.store && (this.store.sessionLost || this.consecutiveErrors >= 3)) await this.dropSession('lease round failed repeatedly');
      }
      this.ticks++;
      if (!this.running) break;
      if (this.wakeRequested && this.consecutiveErrors === 0) {
        this.wakeRequested = false;
        continue;
      }
      const wait = Math.max(0, this.opts.timings.retryPeriodMs - (monotonicMs() - started));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.consecutiveErrors > 0 ? Math.min(this.opts.timings.retryPeriodMs * 2 ** Math.min(this.consecutiveErrors, 4), 5000) : wait);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
      this.wakeRequested = false;
    }
  }

  /**
   * A round whose queries hang (a half-open connection, a stuck server) must not stall the loop
   * for ever: our leases are already safe (the fence passes by itself), but to recover we drop
   * the session after a while and start over with a new membership.
   */
  private async roundWithWatchdog(): Promise<void> {
    const limitMs = Math.max(2 * this.opts.timings.leaseDurationMs, 5000);
    const round = this.round();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([round.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), limitMs)))]).finally(() => clearTimeout(timer));
    if (!timedOut) return;
    await this.dropSession(`the lease database did not answer within ${limitMs} ms`);
    await round.catch(() => undefined);
    throw new Error(`lease round took longer than ${limitMs} ms: session dropped`);
  }

  private async dropSession(reason: string): Promise<void> {
    const s = this.store;
    this.store = null;
    this.candidacy = null;
    if (this.member.status === 'Up') this.memberCommand({ type: 'LoseSession', at: monotonicMs(), reason });
    await s?.abandon().catch(() => undefined);
  }

  private async round(): Promise<void> {
    this.memberCommand({ type: 'Tick', at: monotonicMs() });

    // 1. A session and a membership.
    if (this.store && this.store.sessionLost) await this.dropSession('session lost');
    if (!this.store) {
      this.store = await this.opts.connect(this.onSessionLost);
      const { memberId, sentAt } = await this.store.register();
      this.memberCommand({ type: 'ConfirmRegistered', memberId, sentAt });
      this.log('info', 'registered as lease member', { memberId });
    }
    const store = this.store;

    // 2. Renew; drop what the database says we no longer hold.
    const renewal = await store.renew();
    if (!renewal.renewed) {
      await this.dropSession('membership expired in the database');
      return;
    }
    this.memberCommand({ type: 'ConfirmRenewed', sentAt: renewal.sentAt });
    if (this.member.status !== 'Up') {
      await this.dropSession('renewed too late');
      return;
    }
    const dbHeld = new Map(renewal.held.map((h) => [h.address, h.fencingToken]));
    for (const [address, s] of [...this.leases]) {
      if (s.status === 'Held' && dbHeld.get(address) !== s.fencingToken) this.command(address, { type: 'Lose', at: monotonicMs(), reason: 'taken' });
    }

    // 3. Withdraw from what is no longer desired, contend for what is.
    for (const d of this.desired.values()) this.lastDesired.set(d.address, d);
    for (const address of [...this.leases.keys()]) {
      if (!this.desired.has(address)) this.command(address, { type: 'Withdraw', at: monotonicMs(), reason: this.withdrawReasons.get(address) ?? 'not-selected' });
    }
    for (const address of this.desired.keys()) if (!this.leases.has(address)) this.command(address, { type: 'Contend', at: monotonicMs() });
    await this.flushReleases(store);
    const wanted = [...this.desired.keys()].sort();
    const key = wanted.join(',');
    if (key !== this.candidacy) {
      await store.setCandidacy(wanted);
      this.candidacy = key;
    }

    // 4. Observe every lease we contend for or hold.
    const observed = await store.observe([...this.leases.keys()]);
    const self = { node: this.opts.node, memberId: store.memberId! };
    const successorOf = new Set<number>();
    for (const [address, o] of observed) {
      if (!this.leases.has(address)) continue;
      const others = o.candidates.filter((c) => c.node !== self.node);
      this.command(address, { type: 'Observe', at: monotonicMs(), self, holder: o.holder, candidates: others });
      // Holders we would succeed first: watch them, to take over the moment they die.
      const h = o.holder;
      if (h && h.valid && h.memberId !== self.memberId && this.leases.get(address)?.status === 'Contending') {
        const order = rendezvousOrder(address, [self.node, ...others.filter((c) => c.node !== h.node).map((c) => c.node)]);
        if (order[0] === self.node) successorOf.add(h.memberId);
      }
    }
    this.opts.watch?.set(successorOf);
    await this.flushReleases(store);

    // 5. Take what is due, while our membership is valid.
    const now = monotonicMs();
    if (!memberValidAt(this.member, now)) return;
    const due = [...this.leases].filter(([, s]) => acquireDue(s, now, this.opts)).map(([a]) => a);
    if (due.length > 0) {
      const { grants } = await store.acquire(
        due.map((address) => {
          const d = this.desired.get(address)!;
          return { address, interfaces: d.interfaces, services: d.services.map(serviceKey) };
        }),
      );
      for (const g of grants) {
        if (!this.desired.has(g.address)) {
          // Deselected while we were asking: give it back at once.
          this.pendingReleases.push({ address: g.address, fencingToken: g.fencingToken });
          continue;
        }
        this.command(g.address, { type: 'ConfirmAcquired', at: monotonicMs(), fencingToken: g.fencingToken }, g);
      }
      await this.flushReleases(store);
    }

    // 6. Now and then, forget long-dead members.
    if (now - this.lastGc > 30_000) {
      this.lastGc = now;
      await store.collectGarbage().catch(() => undefined);
    }
  }

  private async flushReleases(store: PgLeaseStore): Promise<void> {
    if (this.pendingReleases.length === 0) return;
    const list = this.pendingReleases;
    this.pendingReleases = [];
    await store.release(list);
  }

  /**
   * Stops: stop answering everything (hooks), release every lease and the membership in the
   * database so that others take over at their next round, close the session.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone?.catch(() => undefined);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const at = monotonicMs();
    for (const address of [...this.leases.keys()]) this.command(address, { type: 'Withdraw', at, reason: 'shutdown' });
    this.opts.hooks.fence(0);
    this.pendingReleases = [];
    const s = this.store;
    this.store = null;
    await s?.close();
    await this.opts.watch?.close();
    this.member = initialMemberState();
  }

  /** Test hook: behave like a process that froze (no more rounds, no cleanup). */
  async freeze(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone?.catch(() => undefined);
  }
}
