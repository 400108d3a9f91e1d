import type { LeaseTimings } from './timings';

/**
 * This node's membership: one row and one session-level advisory lock per announcer process in
 * the lease database. All of a node's address leases hang off its membership, so one renewal
 * per retry period keeps them all (1,000 addresses cost one UPDATE). Times are this process's
 * monotonic clock in milliseconds; the database judges expiry by its own clock.
 */
export type MemberState =
  | { readonly status: 'Down' }
  | { readonly status: 'Up'; readonly memberId: number; readonly validUntil: number; readonly renewedAt: number };

export type MemberCommand =
  /** The database registered us (and we hold our liveness lock); `sentAt` = when the request left. */
  | { readonly type: 'ConfirmRegistered'; readonly memberId: number; readonly sentAt: number }
  | { readonly type: 'ConfirmRenewed'; readonly sentAt: number }
  /** The session ended or the database no longer knows our membership. */
  | { readonly type: 'LoseSession'; readonly at: number; readonly reason: string }
  | { readonly type: 'Tick'; readonly at: number };

export type MemberEvent =
  | { readonly type: 'MemberRegistered'; readonly memberId: number; readonly validUntil: number; readonly at: number }
  | { readonly type: 'MemberRenewed'; readonly validUntil: number; readonly at: number }
  | { readonly type: 'MemberExpired'; readonly memberId: number; readonly reason: 'renew-deadline' | 'session-lost'; readonly detail: string; readonly at: number };

export const initialMemberState = (): MemberState => ({ status: 'Down' });

/**
 * The local validity of a renewal counts from when the request was *sent*: the database stamps
 * the lease later than that by its clock, so `sentAt + renewDeadline` ends before the database
 * considers the lease expired, by at least `leaseDuration − renewDeadline`.
 */
export const decideMember = (cmd: MemberCommand, state: MemberState, timings: LeaseTimings): MemberEvent[] => {
  switch (cmd.type) {
    case 'ConfirmRegistered':
      return [{ type: 'MemberRegistered', memberId: cmd.memberId, validUntil: cmd.sentAt + timings.renewDeadlineMs, at: cmd.sentAt }];
    case 'ConfirmRenewed': {
      if (state.status !== 'Up') return [];
      const validUntil = cmd.sentAt + timings.renewDeadlineMs;
      // A renewal sent after our deadline passed does not revive leases we already gave up.
      if (cmd.sentAt >= state.validUntil) return [{ type: 'MemberExpired', memberId: state.memberId, reason: 'renew-deadline', detail: 'renewal sent after the deadline', at: cmd.sentAt }];
      return validUntil > state.validUntil ? [{ type: 'MemberRenewed', validUntil, at: cmd.sentAt }] : [];
    }
    case 'LoseSession':
      return state.status === 'Up' ? [{ type: 'MemberExpired', memberId: state.memberId, reason: 'session-lost', detail: cmd.reason, at: cmd.at }] : [];
    case 'Tick':
      return state.status === 'Up' && cmd.at >= state.validUntil
        ? [{ type: 'MemberExpired', memberId: state.memberId, reason: 'renew-deadline', detail: `no renewal within ${timings.renewDeadlineMs} ms`, at: cmd.at }]
        : [];
    default: {
      const never: never = cmd;
      throw new Error(`unknown member command ${JSON.stringify(never)}`);
    }
  }
};

export const evolveMember = (state: MemberState, event: MemberEvent): MemberState => {
  switch (event.type) {
    case 'MemberRegistered':
      return { status: 'Up', memberId: event.memberId, validUntil: event.validUntil, renewedAt: event.at };
    case 'MemberRenewed':
      return state.status === 'Up' ? { ...state, validUntil: event.validUntil, renewedAt: event.at } : state;
    case 'MemberExpired':
      return { status: 'Down' };
    default: {
      const never: never = event;
      throw new Error(`unknown member event ${JSON.stringify(never)}`);
    }
  }
};

/** Whether this node may act as a holder at `now` (the self-fence every answer checks). */
export const memberValidAt = (state: MemberState, now: number): boolean => state.status === 'Up' && now < state.validUntil;
