import { describe, expect, it } from 'vitest';
import {
  acquireDue,
  decideAddressLease,
  decideMember,
  DEFAULT_LEASE_TIMINGS,
  evolveAddressLease,
  evolveMember,
  initialAddressLeaseState,
  initialMemberState,
  memberValidAt,
  rendezvousOrder,
  validateLeaseTimings,
  type AddressLeaseCommand,
  type AddressLeaseEvent,
  type AddressLeaseState,
  type ElectionOptions,
  type MemberCommand,
  type MemberEvent,
  type MemberState,
} from './index';

const opts: ElectionOptions = { timings: DEFAULT_LEASE_TIMINGS, handoverAfterMs: 6000 };
const ADDRESS = '20.0.10.1';
const me = { node: 'worker-1', memberId: 7 };

/** given(commands that happened) / when(command) / then(events, state). */
const spec = (address = ADDRESS) => ({
  given: (...history: AddressLeaseCommand[]) => {
    let state: AddressLeaseState = initialAddressLeaseState();
    for (const c of history) for (const e of decideAddressLease(address, c, state, opts)) state = evolveAddressLease(state, e);
    return {
      when: (cmd: AddressLeaseCommand) => {
        const events = decideAddressLease(address, cmd, state, opts);
        const after = events.reduce(evolveAddressLease, state);
        return { then: (expected: AddressLeaseEvent[]) => (expect(events).toEqual(expected), after) };
      },
    };
  },
});

// Nodes whose rendezvous order for ADDRESS puts them before / after worker-1.
const others = Array.from({ length: 50 }, (_, i) => `worker-${i + 2}`);
const preferredOther = others.find((n) => rendezvousOrder(ADDRESS, ['worker-1', n])[0] === n)!;
const after = others.find((n) => rendezvousOrder(ADDRESS, ['worker-1', n])[0] === 'worker-1')!;
const rankOfMe = (nodes: string[]) => rendezvousOrder(ADDRESS, nodes).indexOf('worker-1');

const free = (at: number, candidates: { node: string; candidateForMs: number }[] = []): AddressLeaseCommand => ({ type: 'Observe', at, self: me, holder: null, candidates });
const heldBy = (at: number, node: string, valid: boolean, fencingToken = 3, memberId = 99): AddressLeaseCommand => ({
  type: 'Observe',
  at,
  self: me,
  holder: { node, memberId, fencingToken, valid },
  candidates: [],
});

describe('address lease election (given / when / then)', () => {
  it('starts contending when selected', () => {
    spec().given().when({ type: 'Contend', at: 0 }).then([{ type: 'ContentionStarted', at: 0 }]);
  });

  it('waits while another node holds a valid lease', () => {
    const s = spec().given({ type: 'Contend', at: 0 }).when(heldBy(10, 'worker-2', true)).then([
      { type: 'HolderObserved', at: 10, holder: { node: 'worker-2', memberId: 99, fencingToken: 3, valid: true }, acquirable: false, rank: 0 },
    ]);
    expect(acquireDue(s, 10_000, opts)).toBe(false);
  });

  it('contends at once for a free lease when it is the preferred live candidate', () => {
    const s = spec().given({ type: 'Contend', at: 0 }).when(free(5)).then([{ type: 'HolderObserved', at: 5, holder: null, acquirable: true, rank: 0 }]);
    expect(acquireDue(s, 5, opts)).toBe(true);
  });

  it('lets the preferred node go first: the n-th candidate waits n retry periods', () => {
    const candidates = ['worker-2', 'worker-3'].map((node) => ({ node, candidateForMs: 1000 }));
    const rank = rankOfMe(['worker-1', 'worker-2', 'worker-3']);
    const s = spec().given({ type: 'Contend', at: 0 }).when(free(100, candidates)).then([{ type: 'HolderObserved', at: 100, holder: null, acquirable: true, rank }]);
    expect(acquireDue(s, 100 + rank * 500 - 1, opts)).toBe(rank === 0);
    expect(acquireDue(s, 100 + rank * 500, opts)).toBe(true);
  });

  it('takes over from a dead holder (session gone or lease expired) without waiting for more', () => {
    const s = spec().given({ type: 'Contend', at: 0 }, heldBy(10, 'worker-2', true)).when(heldBy(500, 'worker-2', false)).then([
      { type: 'HolderObserved', at: 500, holder: { node: 'worker-2', memberId: 99, fencingToken: 3, valid: false }, acquirable: true, rank: 0 },
    ]);
    expect(acquireDue(s, 500, opts)).toBe(true);
  });

  it('counts its wait from the first time it saw the lease acquirable', () => {
    const candidates = [{ node: 'worker-2', candidateForMs: 1000 }];
    const s0 = spec().given({ type: 'Contend', at: 0 }, free(100, candidates)).when(free(600, candidates)).then([
      { type: 'HolderObserved', at: 600, holder: null, acquirable: true, rank: rankOfMe(['worker-1', 'worker-2']) },
    ]);
    expect(s0).toMatchObject({ status: 'Contending', acquirableSince: 100 });
  });

  it('holds the lease once granted, with the fencing token', () => {
    spec().given({ type: 'Contend', at: 0 }, free(5)).when({ type: 'ConfirmAcquired', at: 6, fencingToken: 4 }).then([{ type: 'LeaseAcquired', at: 6, fencingToken: 4 }]);
  });

  it('adopts a grant the database shows for our own membership', () => {
    spec().given({ type: 'Contend', at: 0 }).when(heldBy(10, 'worker-1', true, 8, me.memberId)).then([{ type: 'LeaseAcquired', at: 10, fencingToken: 8 }]);
  });

  it('loses the lease when the database shows another holder or token', () => {
    spec()
      .given({ type: 'Contend', at: 0 }, free(5), { type: 'ConfirmAcquired', at: 6, fencingToken: 4 })
      .when(heldBy(700, 'worker-2', true, 5))
      .then([{ type: 'LeaseLost', at: 700, fencingToken: 4, reason: 'taken' }]);
  });

  it('loses every lease when its membership expires, and contends again', () => {
    const s = spec()
      .given({ type: 'Contend', at: 0 }, free(5), { type: 'ConfirmAcquired', at: 6, fencingToken: 4 })
      .when({ type: 'Lose', at: 2006, reason: 'renew-deadline' })
      .then([{ type: 'LeaseLost', at: 2006, fencingToken: 4, reason: 'renew-deadline' }]);
    expect(s.status).toBe('Contending');
  });

  it('releases the lease (stop answering, then clear it) when no longer selected or the link goes down', () => {
    const s = spec()
      .given({ type: 'Contend', at: 0 }, free(5), { type: 'ConfirmAcquired', at: 6, fencingToken: 4 })
      .when({ type: 'Withdraw', at: 50, reason: 'link-down' })
      .then([{ type: 'LeaseReleased', at: 50, fencingToken: 4, reason: 'link-down' }]);
    expect(s.status).toBe('Idle');
    spec().given({ type: 'Contend', at: 0 }).when({ type: 'Withdraw', at: 1, reason: 'not-selected' }).then([{ type: 'ContentionStopped', at: 1, reason: 'not-selected' }]);
    spec().given().when({ type: 'Withdraw', at: 1, reason: 'not-selected' }).then([]);
  });

  it('hands the lease to the preferred node once it has been a live candidate long enough (rebalancing)', () => {
    const held = [{ type: 'Contend', at: 0 }, free(5), { type: 'ConfirmAcquired', at: 6, fencingToken: 4 }] as AddressLeaseCommand[];
    const obs = (at: number, candidateForMs: number): AddressLeaseCommand => ({ type: 'Observe', at, self: me, holder: { node: 'worker-1', memberId: 7, fencingToken: 4, valid: true }, candidates: [{ node: preferredOther, candidateForMs }] });
    spec().given(...held).when(obs(7000, 5999)).then([]);
    spec().given(...held).when(obs(3000, 9000)).then([]); // we have not held it long enough ourselves
    const s = spec().given(...held).when(obs(7000, 6000)).then([{ type: 'LeaseReleased', at: 7000, fencingToken: 4, reason: 'handover' }]);
    expect(s.status).toBe('Contending');
  });

  it('never hands over to a node that is not the preferred one', () => {
    const held = [{ type: 'Contend', at: 0 }, free(5), { type: 'ConfirmAcquired', at: 6, fencingToken: 4 }] as AddressLeaseCommand[];
    spec()
      .given(...held)
      .when({ type: 'Observe', at: 10_000, self: me, holder: { node: 'worker-1', memberId: 7, fencingToken: 4, valid: true }, candidates: [{ node: after, candidateForMs: 60_000 }] })
      .then([]);
  });
});

describe('membership (self-fence)', () => {
  const t = DEFAULT_LEASE_TIMINGS;
  const run = (cmds: MemberCommand[]) => {
    let s: MemberState = initialMemberState();
    const events: MemberEvent[] = [];
    for (const c of cmds) {
      for (const e of decideMember(c, s, t)) {
        events.push(e);
        s = evolveMember(s, e);
      }
    }
    return { s, events };
  };

  it('is valid for renewDeadline after the request that registered or renewed it was sent', () => {
    const { s } = run([{ type: 'ConfirmRegistered', memberId: 7, sentAt: 1000 }]);
    expect(memberValidAt(s, 2999)).toBe(true);
    expect(memberValidAt(s, 3000)).toBe(false);
    const r = run([{ type: 'ConfirmRegistered', memberId: 7, sentAt: 1000 }, { type: 'ConfirmRenewed', sentAt: 1500 }]);
    expect(memberValidAt(r.s, 3499)).toBe(true);
  });

  it('expires by itself on the tick after the deadline', () => {
    const { events, s } = run([{ type: 'ConfirmRegistered', memberId: 7, sentAt: 0 }, { type: 'Tick', at: 1999 }, { type: 'Tick', at: 2000 }]);
    expect(events.at(-1)).toMatchObject({ type: 'MemberExpired', reason: 'renew-deadline', memberId: 7 });
    expect(s.status).toBe('Down');
  });

  it('does not revive on a renewal sent after the deadline had passed', () => {
    const { s, events } = run([{ type: 'ConfirmRegistered', memberId: 7, sentAt: 0 }, { type: 'ConfirmRenewed', sentAt: 2500 }]);
    expect(s.status).toBe('Down');
    expect(events.at(-1)).toMatchObject({ type: 'MemberExpired', reason: 'renew-deadline' });
  });

  it('expires at once when the database session is lost', () => {
    const { s, events } = run([{ type: 'ConfirmRegistered', memberId: 7, sentAt: 0 }, { type: 'LoseSession', at: 100, reason: 'connection terminated' }]);
    expect(s.status).toBe('Down');
    expect(events.at(-1)).toMatchObject({ type: 'MemberExpired', reason: 'session-lost', detail: 'connection terminated' });
  });
});

describe('timings and rendezvous', () => {
  it('rejects unsafe timings, naming the field', () => {
    expect(() => validateLeaseTimings({ leaseDurationMs: 2000, renewDeadlineMs: 2000, retryPeriodMs: 500 })).toThrow(/renewDeadlineMs: must be shorter than leaseDurationMs/);
    expect(() => validateLeaseTimings({ leaseDurationMs: 3000, renewDeadlineMs: 600, retryPeriodMs: 500 })).toThrow(/retryPeriodMs/);
    expect(() => validateLeaseTimings({ leaseDurationMs: -1, renewDeadlineMs: 600, retryPeriodMs: 500 })).toThrow(/leaseDurationMs: must be a positive/);
    expect(validateLeaseTimings(DEFAULT_LEASE_TIMINGS)).toEqual(DEFAULT_LEASE_TIMINGS);
  });

  it('spreads keys over nodes and moves only the keys of a removed node', () => {
    const nodes = ['a', 'b', 'c'];
    const keys = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const first = keys.map((k) => rendezvousOrder(k, nodes)[0]!);
    for (const n of nodes) expect(first.filter((x) => x === n).length).toBeGreaterThan(60);
    const without = keys.map((k) => rendezvousOrder(k, ['a', 'c'])[0]!);
    keys.forEach((_, i) => {
      if (first[i] !== 'b') expect(without[i]).toBe(first[i]);
    });
    expect(rendezvousOrder('x', ['b', 'a', 'b'])).toHaveLength(2);
  });
});
