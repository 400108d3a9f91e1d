import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePrefix } from './address.js';
import { decodeMessage, encodeEndOfRib, encodeKeepalive, encodeNotification, encodeOpen, encodeRouteRefresh, encodeUpdate, EncodeError, type DecodeResult } from './codec.js';
import { initialFsmState, sessionState, transition, type FsmConfig, type FsmEvent, type FsmState } from './fsm.js';
import type { BgpMessage } from './messages.js';
import { buildOpen } from './negotiation.js';

// ≥ 100,000 random and mutated messages through the decoder and the FSM: nothing may throw, and
// each input ends decoded or with the NOTIFICATION an independent reading of the header predicts.

const ctx = { fourOctetAs: true };

const seeds: Uint8Array[] = [
  encodeKeepalive(),
  encodeNotification({ code: 6, subcode: 2, data: Uint8Array.of(3, 97, 98, 99) }),
  encodeRouteRefresh({ afi: 1, safi: 1, subtype: 0 }),
  encodeEndOfRib(1, 1),
  encodeEndOfRib(2, 1),
  encodeOpen(buildOpen({ localASN: 4200000000, routerID: '10.0.0.1', peerASN: 0, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, families: ['ipv4-unicast', 'ipv6-unicast'], extendedNextHop: true, gracefulRestart: { restartTimeSeconds: 120, restarting: true } })),
  encodeUpdate(
    {
      withdrawn: [parsePrefix('10.1.0.0/16')],
      attributes: {
        origin: 'igp',
        asPath: [{ type: 'sequence', asns: [65000, 65001] }, { type: 'set', asns: [7] }],
        nextHop: '192.0.2.1',
        med: 5,
        localPreference: 200,
        communities: [0xfde80064, 0xffffff01],
        largeCommunities: [[65000, 1, 2]],
        aggregator: { asn: 65000, address: '192.0.2.2' },
        atomicAggregate: true,
      },
      nlri: [parsePrefix('20.0.10.1/32'), parsePrefix('20.0.0.0/8')],
    },
    ctx,
  ),
  encodeUpdate(
    {
      withdrawn: [],
      attributes: {
        origin: 'incomplete',
        asPath: [{ type: 'sequence', asns: [65000] }],
        mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1', 'fe80::1'], nlri: [parsePrefix('2001:db8::1/128'), parsePrefix('2001:db8::/32')] },
        mpUnreach: { afi: 2, safi: 1, withdrawn: [parsePrefix('2001:db8:1::/48')] },
      },
      nlri: [],
    },
    ctx,
  ),
  encodeUpdate({ withdrawn: [], attributes: { origin: 'igp', asPath: [{ type: 'sequence', asns: [65000] }], mpReach: { afi: 1, safi: 1, nextHops: ['fd00::1'], nlri: [parsePrefix('20.0.10.2/32')] } }, nlri: [] }, ctx),
];

/** What the header alone says about an input (RFC 4271 §6.1), independent of the decoder. */
function expectedHeaderError(b: Uint8Array): [number, number] | undefined {
  if (b.length < 19) return [1, 2];
  for (let i = 0; i < 16; i++) if (b[i] !== 0xff) return [1, 1];
  const len = (b[16]! << 8) | b[17]!;
  const type = b[18]!;
  if (len < 19 || len > 4096) return [1, 2];
  const min: Record<number, number> = { 1: 29, 2: 23, 3: 21, 4: 19, 5: 19 };
  if (min[type] === undefined) return [1, 3];
  if (len < min[type]! || (type === 4 && len !== 19)) return [1, 2];
  if (len !== b.length) return [1, 2];
  return undefined;
}

function checkOutcome(b: Uint8Array, r: DecodeResult): void {
  const header = expectedHeaderError(b);
  if (header) {
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.code, r.error.subcode]).toEqual(header);
    return;
  }
  const type = b[18]!;
  if (!r.ok) {
    // The NOTIFICATION belongs to the message's own error class.
    const allowed: Record<number, Array<[number, number[]]>> = {
      1: [[2, [0, 1, 4]]],
      2: [[3, [1, 2, 4, 5, 9, 10]]],
      5: [[7, [1]]],
    };
    const ok = (allowed[type] ?? []).some(([code, subs]) => r.error.code === code && subs.includes(r.error.subcode));
    expect(ok, `type ${type} gave ${r.error.code}/${r.error.subcode} (${r.error.reason})`).toBe(true);
    if (type === 1 && b[19] !== 4) expect([r.error.code, r.error.subcode]).toEqual([2, 1]);
    if (type === 5) expect(b.length).not.toBe(23);
    return;
  }
  const m: BgpMessage = r.message;
  expect(m.type).toBe(({ 1: 'open', 2: 'update', 3: 'notification', 4: 'keepalive', 5: 'route-refresh' } as Record<number, string>)[type]);
  if (m.type === 'update' && !m.treatAsWithdraw && !m.attributes.unknown) {
    const reach = m.attributes.mpReach;
    const unreach = m.attributes.mpUnreach;
    const knownFamily = (x?: { afi: number; safi: number }): boolean => !x || (x.safi === 1 && (x.afi === 1 || x.afi === 2));
    if (knownFamily(reach) && knownFamily(unreach) && !(reach && reach.afi === 1 && reach.nextHops.length === 0)) {
      // A clean decode re-encodes to something that decodes the same.
      let again: Uint8Array | undefined;
      try {
        again = encodeUpdate(m, ctx);
      } catch (e) {
        if (!(e instanceof EncodeError)) throw e;
      }
      if (again) {
        const r2 = decodeMessage(again, ctx);
        expect(r2.ok).toBe(true);
        // AS4_PATH / AS4_AGGREGATOR are decoded when received, but never sent to a 4-octet peer (RFC 6793).
        const { discarded: _discarded, ...clean } = m;
        const { as4Path: _p, as4Aggregator: _a, ...sent } = clean.attributes;
        if (r2.ok) expect(r2.message).toEqual({ ...clean, attributes: sent });
      }
    }
  }
}

/** Random bytes behind a valid marker, with a length field that is right most of the time. */
const randomMessage = fc
  .record({
    type: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 255 })),
    body: fc.uint8Array({ minLength: 0, maxLength: 300 }),
    fixLength: fc.integer({ min: 0, max: 9 }),
    badMarker: fc.integer({ min: 0, max: 49 }),
  })
  .map(({ type, body, fixLength, badMarker }) => {
    const b = new Uint8Array(19 + body.length);
    b.fill(0xff, 0, 16);
    if (badMarker === 0) b[5] = 0x7f;
    const len = fixLength > 0 ? b.length : (body[0] ?? 0) * 17;
    b[16] = (len >> 8) & 0xff;
    b[17] = len & 0xff;
    b[18] = type;
    b.set(body, 19);
    return b;
  });

type Mutation = { kind: 'set'; at: number; value: number } | { kind: 'flip'; at: number; bit: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

const mutatedMessage = fc
  .record({ seed: fc.integer({ min: 0, max: seeds.length - 1 }), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }), fixLength: fc.boolean() })
  .map(({ seed, mutations, fixLength }) => {
    let b = seeds[seed]!.slice();
    for (const m of mutations) {
      // Mostly mutate behind the header, where the interesting parsing is.
      const at = b.length > 19 ? 19 + (m.at % (b.length - 19)) : m.at % Math.max(b.length, 1);
      if (m.kind === 'set') b[at] = m.value;
      else if (m.kind === 'flip') b[at] = b[at]! ^ (1 << m.bit);
      else if (m.kind === 'truncate') b = b.slice(0, Math.max(at, 0));
      else b = Uint8Array.from([...b.slice(0, at), ...m.bytes, ...b.slice(at)]);
    }
    if (fixLength && b.length >= 19) {
      b[16] = (b.length >> 8) & 0xff;
      b[17] = b.length & 0xff;
    }
    return b;
  });

describe('fuzz: decoder', () => {
  it('50,000 random messages: never throws, header errors exactly as RFC 4271 §6.1 predicts', () => {
    fc.assert(
      fc.property(randomMessage, (b) => {
        checkOutcome(b, decodeMessage(b, ctx));
        checkOutcome(b, decodeMessage(b, { fourOctetAs: false }));
      }),
      { numRuns: 50_000 },
    );
  });
  it('50,000 mutated valid messages: decoded, or the NOTIFICATION of the right class', () => {
    fc.assert(
      fc.property(mutatedMessage, (b) => {
        checkOutcome(b, decodeMessage(b, ctx));
      }),
      { numRuns: 50_000 },
    );
  });
});

const fsmConfig: FsmConfig = {
  params: { localASN: 65000, routerID: '10.0.0.1', peerASN: 65001, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, families: ['ipv4-unicast', 'ipv6-unicast'], extendedNextHop: false, gracefulRestart: { restartTimeSeconds: 120, restarting: false } },
  passive: false,
  connectRetryTimeSeconds: 5,
  idleHoldTimeSeconds: 1,
  maxIdleHoldTimeSeconds: 8,
  openHoldTimeSeconds: 240,
};

const peerOpenBytes = encodeOpen({ ...buildOpen({ ...fsmConfig.params, localASN: 65001, routerID: '10.0.0.2' }), holdTimeSeconds: 90 });

/** Events for the FSM; messages come from random/mutated bytes through the decoder, as on the wire. */
const fsmInput = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(mutatedMessage, fc.constant(peerOpenBytes), fc.constant(encodeKeepalive()), fc.constant(encodeEndOfRib(1, 1)), randomMessage).map((bytes) => ({ bytes })) },
  {
    weight: 4,
    arbitrary: fc.constantFrom<FsmEvent['type']>('ManualStart', 'ManualStop', 'IdleHoldTimerExpires', 'ConnectRetryTimerExpires', 'TcpConnectionConfirmed', 'TcpIncomingConnection', 'TcpConnectionFails', 'HoldTimerExpires', 'KeepaliveTimerExpires').map((type) => ({ type })),
  },
);

function toEvent(input: { bytes: Uint8Array } | { type: FsmEvent['type'] }, s: FsmState, pick: number): FsmEvent | undefined {
  const conns = s.connections;
  const conn = conns.length ? conns[pick % conns.length]!.id : pick % 4;
  if ('bytes' in input) {
    const r = decodeMessage(input.bytes, { fourOctetAs: conns.find((c) => c.id === conn)?.negotiated?.fourOctetAs ?? true });
    if (!r.ok) return { type: 'MessageError', conn, error: r.error };
    const m = r.message;
    switch (m.type) {
      case 'open':
        return { type: 'OpenReceived', conn, open: m };
      case 'update':
        return { type: 'UpdateReceived', conn };
      case 'keepalive':
        return { type: 'KeepaliveReceived', conn };
      case 'notification':
        return { type: 'NotificationReceived', conn, notification: m };
      case 'route-refresh':
        return { type: 'RouteRefreshReceived', conn };
      default:
        return undefined;
    }
  }
  switch (input.type) {
    case 'ManualStart':
    case 'IdleHoldTimerExpires':
    case 'ConnectRetryTimerExpires':
    case 'TcpIncomingConnection':
      return { type: input.type };
    case 'ManualStop':
      return pick % 2 ? { type: 'ManualStop' } : { type: 'ManualStop', notification: { code: 6, subcode: 2 } };
    case 'TcpConnectionConfirmed':
    case 'TcpConnectionFails':
    case 'HoldTimerExpires':
    case 'KeepaliveTimerExpires':
      return { type: input.type, conn };
    default:
      return undefined;
  }
}

describe('fuzz: FSM', () => {
  it('3,000 random runs of 40 events (wire bytes decoded on the way): invariants hold, nothing throws', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fsmInput, fc.nat()), { minLength: 1, maxLength: 40 }), (steps) => {
        let s = initialFsmState;
        let timers = new Set<string>();
        for (const [input, pick] of steps) {
          const e = toEvent(input, s, pick);
          if (!e) continue;
          const before = sessionState(s);
          const r = transition(s, e, fsmConfig);
          const known = new Set([...s.connections.map((c) => c.id), ...r.state.connections.map((c) => c.id)]);
          for (const a of r.actions) {
            if ('conn' in a && a.conn !== undefined && a.type !== 'StartTimer' && a.type !== 'StopTimer') expect(known.has(a.conn), `${a.type} for unknown connection ${a.conn}`).toBe(true);
            if (a.type === 'SessionEstablished') expect(before).toBe('OpenConfirm');
            if (a.type === 'SendNotification') expect(a.code).toBeGreaterThanOrEqual(1);
            if (a.type === 'StartTimer') timers.add(`${a.timer}:${a.conn ?? ''}`);
            if (a.type === 'StopTimer') timers.delete(`${a.timer}:${a.conn ?? ''}`);
          }
          s = r.state;
          expect(s.connections.length).toBeLessThanOrEqual(2);
          expect(s.connections.filter((c) => c.phase === 'established').length).toBeLessThanOrEqual(1);
          expect(new Set(s.connections.map((c) => c.id)).size).toBe(s.connections.length);
          if (!s.enabled) expect(s.connections).toEqual([]);
          if (sessionState(s) === 'Established') expect(s.connections.find((c) => c.phase === 'established')?.negotiated).toBeDefined();
          if (e.type === 'ManualStop') timers = new Set();
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
