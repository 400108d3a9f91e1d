import { rendezvousOrder } from './rendezvous';
import type { LeaseTimings } from './timings';

/**
 * One address's lease as this node sees it. A node contends for an address its policies select
 * (on an interface that is up), holds it once the database grants it, and answers for it only
 * while it holds it *and* its membership is valid (see `member.ts`). Times are monotonic ms.
 */
export type AddressLeaseState =
  | { readonly status: 'Idle' }
  | {
      readonly status: 'Contending';
      readonly since: number;
      /** When we first saw the lease free or its holder dead; null while a valid holder has it. */
      readonly acquirableSince: number | null;
      /** Our place in the rendezvous order of live candidates (0 = preferred: contend at once). */
      readonly rank: number;
      readonly holder: HolderView | null;
    }
  | { readonly status: 'Held'; readonly fencingToken: number; readonly acquiredAt: number };

/** The current holder as the database reports it. */
export interface HolderView {
  readonly node: string;
  readonly memberId: number;
  readonly fencingToken: number;
  /** Its membership is unexpired by the database clock and its session lock is held. */
  readonly valid: boolean;
}

/** A live candidate for the address, and for how long it has been one (by the database clock). */
export interface CandidateView {
  readonly node: string;
  readonly candidateForMs: number;
}

export interface Self {
  readonly node: string;
  readonly memberId: number;
}

export type WithdrawReason = 'not-selected' | 'link-down' | 'shutdown' | 'handover';
export type LossReason = 'taken' | 'renew-deadline' | 'session-lost';

export type AddressLeaseCommand =
  | { readonly type: 'Contend'; readonly at: number }
  | { readonly type: 'Withdraw'; readonly at: number; readonly reason: WithdrawReason }
  | { readonly type: 'Observe'; readonly at: number; readonly self: Self; readonly holder: HolderView | null; readonly candidates: readonly CandidateView[] }
  | { readonly type: 'ConfirmAcquired'; readonly at: number; readonly fencingToken: number }
  | { readonly type: 'Lose'; readonly at: number; readonly reason: LossReason };

export type AddressLeaseEvent =
  | { readonly type: 'ContentionStarted'; readonly at: number }
  | { readonly type: 'ContentionStopped'; readonly at: number; readonly reason: WithdrawReason }
  | { readonly type: 'HolderObserved'; readonly at: number; readonly holder: HolderView | null; readonly acquirable: boolean; readonly rank: number }
  | { readonly type: 'LeaseAcquired'; readonly at: number; readonly fencingToken: number }
  /** We gave the lease up on purpose: stop answering first, then clear it in the database. */
  | { readonly type: 'LeaseReleased'; readonly at: number; readonly fencingToken: number; readonly reason: WithdrawReason }
  /** The lease went without our consent: stop answering at once. */
  | { readonly type: 'LeaseLost'; readonly at: number; readonly fencingToken: number; readonly reason: LossReason };

export interface ElectionOptions {
  readonly timings: LeaseTimings;
  /**
   * Rebalancing: a holder hands the lease to the address's preferred node once that node has
   * been a live candidate this long (0 = never). Long enough that a flapping node cannot make the
   * address flap.
   */
  readonly handoverAfterMs: number;
}

export const initialAddressLeaseState = (): AddressLeaseState => ({ status: 'Idle' });

const preferredOf = (address: string, self: Self, candidates: readonly CandidateView[]): string =>
  rendezvousOrder(address, [self.node, ...candidates.map((c) => c.node)])[0]!;

/** Decides what happens to one address's lease; `address` feeds the rendezvous order. */
export const decideAddressLease = (address: string, cmd: AddressLeaseCommand, state: AddressLeaseState, opts: ElectionOptions): AddressLeaseEvent[] => {
  switch (cmd.type) {
    case 'Contend':
      return state.status === 'Idle' ? [{ type: 'ContentionStarted', at: cmd.at }] : [];

    case 'Withdraw':
      if (state.status === 'Held') return [{ type: 'LeaseReleased', at: cmd.at, fencingToken: state.fencingToken, reason: cmd.reason }];
      if (state.status === 'Contending') return [{ type: 'ContentionStopped', at: cmd.at, reason: cmd.reason }];
      return [];

    case 'Observe': {
      if (state.status === 'Idle') return [];
      const { holder, self } = cmd;
      if (state.status === 'Held') {
        if (holder && (holder.memberId !== self.memberId || holder.fencingToken !== state.fencingToken)) {
          return [{ type: 'LeaseLost', at: cmd.at, fencingToken: state.fencingToken, reason: 'taken' }];
        }
        if (opts.handoverAfterMs > 0) {
          const preferred = preferredOf(address, self, cmd.candidates);
          const p = cmd.candidates.find((c) => c.node === preferred);
          // Also held that long ourselves: a preferred node that never manages to take the
          // lease cannot make it bounce more often than once per handoverAfterMs.
          if (preferred !== self.node && p && p.candidateForMs >= opts.handoverAfterMs && cmd.at - state.acquiredAt >= opts.handoverAfterMs) {
            return [{ type: 'LeaseReleased', at: cmd.at, fencingToken: state.fencingToken, reason: 'handover' }];
          }
        }
        return [];
      }
      // Contending. The database may already say we hold it (a grant whose reply we missed).
      if (holder && holder.valid && holder.memberId === self.memberId) return [{ type: 'LeaseAcquired', at: cmd.at, fencingToken: holder.fencingToken }];
      const acquirable = !holder || !holder.valid;
      const order = rendezvousOrder(address, [self.node, ...cmd.candidates.map((c) => c.node)]);
      const rank = order.indexOf(self.node);
      return [{ type: 'HolderObserved', at: cmd.at, holder, acquirable, rank }];
    }

    case 'ConfirmAcquired':
      return state.status === 'Contending' ? [{ type: 'LeaseAcquired', at: cmd.at, fencingToken: cmd.fencingToken }] : [];

    case 'Lose':
      return state.status === 'Held' ? [{ type: 'LeaseLost', at: cmd.at, fencingToken: state.fencingToken, reason: cmd.reason }] : [];

    default: {
      const never: never = cmd;
      throw new Error(`unknown lease command ${JSON.stringify(never)}`);
    }
  }
};

export const evolveAddressLease = (state: AddressLeaseState, event: AddressLeaseEvent): AddressLeaseState => {
  switch (event.type) {
    case 'ContentionStarted':
      return { status: 'Contending', since: event.at, acquirableSince: null, rank: 0, holder: null };
    case 'ContentionStopped':
      return { status: 'Idle' };
    case 'HolderObserved': {
      if (state.status !== 'Contending') return state;
      const acquirableSince = event.acquirable ? (state.acquirableSince ?? event.at) : null;
      return { ...state, acquirableSince, rank: event.rank, holder: event.holder };
    }
    case 'LeaseAcquired':
      return { status: 'Held', fencingToken: event.fencingToken, acquiredAt: event.at };
    case 'LeaseReleased':
      // A handover keeps us in the race (as a later-ranked candidate); other reasons leave it.
      return event.reason === 'handover' ? { status: 'Contending', since: event.at, acquirableSince: null, rank: 1, holder: null } : { status: 'Idle' };
    case 'LeaseLost':
      return { status: 'Contending', since: event.at, acquirableSince: null, rank: 0, holder: null };
    default: {
      const never: never = event;
      throw new Error(`unknown lease event ${JSON.stringify(never)}`);
    }
  }
};

/**
 * Whether to ask the database for the lease now: it is free (or its holder is dead) and our turn
 * has come — the preferred live candidate at once, the n-th after n retry periods, so that
 * leases spread over nodes by rendezvous order but a silent preferred node cannot block them.
 */
export const acquireDue = (state: AddressLeaseState, now: number, opts: ElectionOptions): boolean =>
  state.status === 'Contending' && state.acquirableSince !== null && now >= state.acquirableSince + state.rank * opts.timings.retryPeriodMs;

/** Folds commands into a state (tests, replay). */
export const runAddressLease = (address: string, cmds: readonly AddressLeaseCommand[], opts: ElectionOptions, state = initialAddressLeaseState()) => {
  const events: AddressLeaseEvent[] = [];
  for (const c of cmds) {
    for (const e of decideAddressLease(address, c, state, opts)) {
      events.push(e);
      state = evolveAddressLease(state, e);
    }
  }
  return { state, events };
};
