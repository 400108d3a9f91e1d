import { describe, expect, it } from 'vitest';
import { parsePrefix, formatPrefix } from './address.js';
import {
  decodeMessage,
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeUpdate,
  endOfRibFamily,
  MessageFramer,
  readShutdownCommunication,
  routeChanges,
  shutdownCommunication,
  type DecodeResult,
} from './codec.js';
import { AS_TRANS, errorCodeName, errorSubcodeName } from './constants.js';
import type { BgpMessage, OpenMessage, UpdateMessage } from './messages.js';
import { AS_PATH_65001, NEXT_HOP_1, ORIGIN_IGP, attr, rawMessage, rawUpdate } from './test-helpers.js';

const as4 = { fourOctetAs: true };
const as2 = { fourOctetAs: false };

const ok = (r: DecodeResult): BgpMessage => {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}/${r.error.subcode} ${r.error.reason}`);
  return r.message;
};
const err = (r: DecodeResult): [number, number] => {
  if (r.ok) throw new Error(`expected an error, decoded ${JSON.stringify(r.message)}`);
  return [r.error.code, r.error.subcode];
};
const update = (r: DecodeResult): UpdateMessage => {
  const m = ok(r);
  if (m.type !== 'update') throw new Error(`not an UPDATE: ${m.type}`);
  return m;
};
const p = parsePrefix;

describe('codec: round trips', () => {
  it('OPEN with every capability this speaker knows', () => {
    const open: OpenMessage = {
      type: 'open',
      version: 4,
      myAS: AS_TRANS,
      holdTimeSeconds: 9,
      bgpIdentifier: '10.0.0.1',
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 2, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'enhanced-route-refresh' },
        { kind: 'four-octet-as', asn: 4200000001 },
        { kind: 'graceful-restart', restartState: true, notification: true, restartTimeSeconds: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }, { afi: 2, safi: 1, forwardingPreserved: false }] },
        { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
        { kind: 'unknown', code: 73, value: Uint8Array.of(2, 118, 109, 0) },
      ],
    };
    expect(ok(decodeMessage(encodeOpen(open), as4))).toEqual(open);
  });

  it('OPEN with more capabilities than fit 255 octets uses RFC 9072 extended optional parameters', () => {
    const caps = Array.from({ length: 70 }, (_, i) => ({ kind: 'unknown' as const, code: 200, value: Uint8Array.of(i, i) }));
    const open: OpenMessage = { type: 'open', version: 4, myAS: 65000, holdTimeSeconds: 90, bgpIdentifier: '1.2.3.4', capabilities: caps };
    const bytes = encodeOpen(open);
    expect(bytes[28]).toBe(255);
    expect(ok(decodeMessage(bytes, as4))).toEqual(open);
  });

  it('UPDATE with every attribute, 4-octet AS', () => {
    const u: Omit<UpdateMessage, 'type'> = {
      withdrawn: [p('10.9.0.0/16')],
      attributes: {
        origin: 'incomplete',
        asPath: [
          { type: 'sequence', asns: [65000, 4200000001] },
          { type: 'set', asns: [1, 2] },
        ],
        nextHop: '192.0.2.1',
        med: 7,
        localPreference: 200,
        atomicAggregate: true,
        aggregator: { asn: 4200000001, address: '192.0.2.9' },
        communities: [0xfde80064, 0xffffff01],
        originatorId: '1.1.1.1',
        clusterList: ['2.2.2.2'],
        mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1', 'fe80::1'], nlri: [p('2001:db8::/32'), p('2001:db8:1::1/128')] },
        mpUnreach: { afi: 2, safi: 1, withdrawn: [p('2001:db8:2::/48')] },
        extendedCommunities: [Uint8Array.of(0, 2, 0xfd, 0xe8, 0, 0, 0, 1)],
        largeCommunities: [[65000, 1, 2]],
        unknown: [{ flags: 0xc0, type: 99, value: Uint8Array.of(1, 2, 3) }],
      },
      nlri: [p('20.0.10.1/32'), p('0.0.0.0/0'), p('10.128.0.0/9')],
    };
    expect(ok(decodeMessage(encodeUpdate(u, as4), as4))).toEqual({ type: 'update', ...u });
  });

  it('UPDATE toward a 2-octet AS peer: AS_TRANS in AS_PATH, the real path in AS4_PATH', () => {
    const bytes = encodeUpdate({ withdrawn: [], attributes: { origin: 'igp', asPath: [{ type: 'sequence', asns: [4200000001] }], nextHop: '192.0.2.1' }, nlri: [p('20.0.0.0/8')] }, as2);
    const m = update(decodeMessage(bytes, as2));
    expect(m.attributes.asPath).toEqual([{ type: 'sequence', asns: [AS_TRANS] }]);
    expect(m.attributes.as4Path).toEqual([{ type: 'sequence', asns: [4200000001] }]);
  });

  it('attributes longer than 255 octets use the extended length flag', () => {
    const communities = Array.from({ length: 100 }, (_, i) => i);
    const m = update(decodeMessage(encodeUpdate({ withdrawn: [], attributes: { origin: 'igp', asPath: [], nextHop: '192.0.2.1', communities }, nlri: [p('1.0.0.0/8')] }, as4), as4));
    expect(m.attributes.communities).toEqual(communities);
  });

  it('KEEPALIVE, NOTIFICATION, ROUTE-REFRESH', () => {
    expect(ok(decodeMessage(encodeKeepalive(), as4))).toEqual({ type: 'keepalive' });
    expect(ok(decodeMessage(encodeNotification({ code: 6, subcode: 2, data: Uint8Array.of(1, 2) }), as4))).toEqual({ type: 'notification', code: 6, subcode: 2, data: Uint8Array.of(1, 2) });
    expect(ok(decodeMessage(encodeRouteRefresh({ afi: 2, safi: 1, subtype: 0 }), as4))).toEqual({ type: 'route-refresh', afi: 2, safi: 1, subtype: 0 });
  });

  it('End-of-RIB: empty UPDATE for IPv4 unicast, empty MP_UNREACH_NLRI for IPv6', () => {
    const v4 = encodeEndOfRib(1, 1);
    expect(v4.length).toBe(23);
    expect(endOfRibFamily(update(decodeMessage(v4, as4)))).toEqual({ afi: 1, safi: 1 });
    expect(endOfRibFamily(update(decodeMessage(encodeEndOfRib(2, 1), as4)))).toEqual({ afi: 2, safi: 1 });
    expect(endOfRibFamily(update(decodeMessage(rawUpdate([], [...ORIGIN_IGP, ...AS_PATH_65001, ...NEXT_HOP_1], [8, 10]), as4)))).toBeUndefined();
  });

  it('RFC 9003 shutdown communication', () => {
    const data = shutdownCommunication('maintenance — back in 5 min');
    expect(readShutdownCommunication({ code: 6, subcode: 2, data })).toBe('maintenance — back in 5 min');
    expect(readShutdownCommunication({ code: 6, subcode: 2, data: shutdownCommunication('x'.repeat(300)) })).toHaveLength(255);
    expect(readShutdownCommunication({ code: 6, subcode: 2, data: Uint8Array.of(5, 0xff) })).toBeUndefined();
  });

  it('frames a stream split at arbitrary points', () => {
    const msgs = [encodeKeepalive(), encodeRouteRefresh({ afi: 1, safi: 1, subtype: 0 }), encodeEndOfRib(2, 1)];
    const all = Uint8Array.from(msgs.flatMap((m) => [...m]));
    const f = new MessageFramer();
    const out: number[] = [];
    for (let i = 0; i < all.length; i += 7) {
      f.push(all.slice(i, i + 7));
      for (let n = f.next(); n; n = f.next()) {
        if ('error' in n) throw new Error(n.error.reason);
        out.push(n.message.length);
      }
    }
    expect(out).toEqual(msgs.map((m) => m.length));
  });
});

describe('codec: message header errors (RFC 4271 §6.1)', () => {
  it('marker not all ones → 1/1 Connection Not Synchronized', () => {
    const m = encodeKeepalive();
    m[3] = 0;
    expect(err(decodeMessage(m, as4))).toEqual([1, 1]);
  });
  it('length outside 19..4096 → 1/2 Bad Message Length, data = the length', () => {
    const r = decodeMessage(rawMessage(4, [], 18), as4);
    expect(err(r)).toEqual([1, 2]);
    expect(!r.ok && [...r.error.data]).toEqual([0, 18]);
    expect(err(decodeMessage(rawMessage(2, new Array(4078).fill(0), 4097), as4))).toEqual([1, 2]);
  });
  it('length wrong for the type → 1/2', () => {
    expect(err(decodeMessage(rawMessage(4, [0]), as4))).toEqual([1, 2]); // KEEPALIVE of 20
    expect(err(decodeMessage(rawMessage(1, new Array(9).fill(0)), as4))).toEqual([1, 2]); // OPEN of 28
    expect(err(decodeMessage(rawMessage(2, [0, 0, 0]), as4))).toEqual([1, 2]); // UPDATE of 22
    expect(err(decodeMessage(rawMessage(3, [6]), as4))).toEqual([1, 2]); // NOTIFICATION of 20
  });
  it('unknown type → 1/3 Bad Message Type, data = the type', () => {
    const r = decodeMessage(rawMessage(9, []), as4);
    expect(err(r)).toEqual([1, 3]);
    expect(!r.ok && [...r.error.data]).toEqual([9]);
  });
  it('ROUTE-REFRESH of the wrong length → 7/1 (RFC 7313)', () => {
    expect(err(decodeMessage(rawMessage(5, [0, 1, 0, 1, 0]), as4))).toEqual([7, 1]);
  });
});

describe('codec: OPEN errors (RFC 4271 §6.2, RFC 5492)', () => {
  const openBody = (params: number[], version = 4): number[] => [version, 0xfd, 0xe8, 0, 90, 10, 0, 0, 1, params.length, ...params];
  it('version other than 4 → 2/1, data = supported version', () => {
    const r = decodeMessage(rawMessage(1, openBody([], 3)), as4);
    expect(err(r)).toEqual([2, 1]);
    expect(!r.ok && [...r.error.data]).toEqual([0, 4]);
  });
  it('optional parameter type other than capabilities → 2/4', () => {
    expect(err(decodeMessage(rawMessage(1, openBody([1, 1, 0])), as4))).toEqual([2, 4]);
  });
  it('optional parameters length disagreeing with the message → 2/0', () => {
    const body = openBody([2, 2, 2, 0]);
    body[9] = 5;
    expect(err(decodeMessage(rawMessage(1, body), as4))).toEqual([2, 0]);
  });
  it('malformed known capability → 2/0; unknown capability kept', () => {
    expect(err(decodeMessage(rawMessage(1, openBody([2, 5, 1, 3, 0, 1, 0])), as4))).toEqual([2, 0]);
    const m = ok(decodeMessage(rawMessage(1, openBody([2, 3, 99, 1, 7])), as4));
    expect(m.type === 'open' && m.capabilities).toEqual([{ kind: 'unknown', code: 99, value: Uint8Array.of(7) }]);
  });
});

describe('codec: UPDATE errors and RFC 7606 treat-as-withdraw', () => {
  const good = [...ORIGIN_IGP, ...AS_PATH_65001, ...NEXT_HOP_1];
  const nlri = [32, 20, 0, 10, 1];
  const taw = (attrs: number[], withNlri = nlri): [number, string] => {
    const m = update(decodeMessage(rawUpdate([], attrs, withNlri), as4));
    if (!m.treatAsWithdraw) throw new Error('expected treat-as-withdraw');
    return [m.treatAsWithdraw.subcode, m.treatAsWithdraw.reason];
  };
  it('a well-formed UPDATE decodes', () => {
    const m = update(decodeMessage(rawUpdate([], good, nlri), as4));
    expect(m.nlri.map(formatPrefix)).toEqual(['20.0.10.1/32']);
    expect(m.treatAsWithdraw).toBeUndefined();
  });
  it('withdrawn routes length overrunning the message → 3/1', () => {
    const m = rawUpdate([], [], []);
    m[20] = 9;
    expect(err(decodeMessage(m, as4))).toEqual([3, 1]);
  });
  it('total path attribute length overrunning the message → 3/1', () => {
    const m = rawUpdate([], good, []);
    m[22] = good.length + 1;
    expect(err(decodeMessage(m, as4))).toEqual([3, 1]);
  });
  it('syntactically wrong NLRI or withdrawn routes → 3/10 Invalid Network Field', () => {
    expect(err(decodeMessage(rawUpdate([], good, [33, 1, 2, 3, 4, 5]), as4))).toEqual([3, 10]);
    expect(err(decodeMessage(rawUpdate([24, 10, 0], [], []), as4))).toEqual([3, 10]);
  });
  it('unrecognized well-known attribute → 3/2', () => {
    expect(err(decodeMessage(rawUpdate([], [...good, ...attr(0x40, 99, [1])], nlri), as4))).toEqual([3, 2]);
  });
  it('unrecognized optional attribute is kept', () => {
    const m = update(decodeMessage(rawUpdate([], [...good, ...attr(0xc0, 99, [1])], nlri), as4));
    expect(m.attributes.unknown).toEqual([{ flags: 0xc0, type: 99, value: Uint8Array.of(1) }]);
  });
  it('MP_REACH_NLRI twice → 3/1; another attribute twice is discarded', () => {
    const reach = attr(0x80, 14, [0, 2, 1, 16, ...new Array(15).fill(0), 1, 0]);
    expect(err(decodeMessage(rawUpdate([], [...good, ...reach, ...reach], []), as4))).toEqual([3, 1]);
    const m = update(decodeMessage(rawUpdate([], [...good, ...attr(0x40, 1, [2])], nlri), as4));
    expect(m.attributes.origin).toBe('igp');
    expect(m.discarded).toEqual(['duplicate ORIGIN']);
  });
  it('ORIGIN: bad length, bad value, bad flags → treat-as-withdraw', () => {
    expect(taw([...attr(0x40, 1, [0, 0]), ...AS_PATH_65001, ...NEXT_HOP_1])[0]).toBe(5);
    expect(taw([...attr(0x40, 1, [3]), ...AS_PATH_65001, ...NEXT_HOP_1])[0]).toBe(6);
    expect(taw([...attr(0xc0, 1, [0]), ...AS_PATH_65001, ...NEXT_HOP_1])[0]).toBe(4);
  });
  it('malformed AS_PATH (overrun, empty segment, unknown type) → treat-as-withdraw 3/11', () => {
    expect(taw([...ORIGIN_IGP, ...attr(0x40, 2, [2, 2, 0, 0, 0, 1]), ...NEXT_HOP_1])[0]).toBe(11);
    expect(taw([...ORIGIN_IGP, ...attr(0x40, 2, [2, 0]), ...NEXT_HOP_1])[0]).toBe(11);
    expect(taw([...ORIGIN_IGP, ...attr(0x40, 2, [7, 1, 0, 0, 0, 1]), ...NEXT_HOP_1])[0]).toBe(11);
  });
  it('2-octet AS_PATH under a 2-octet session decodes', () => {
    const m = update(decodeMessage(rawUpdate([], [...ORIGIN_IGP, ...attr(0x40, 2, [2, 2, 0xfd, 0xe9, 0x5b, 0xa0]), ...NEXT_HOP_1], nlri), as2));
    expect(m.attributes.asPath).toEqual([{ type: 'sequence', asns: [65001, 23456] }]);
  });
  it('NEXT_HOP of wrong length or invalid → treat-as-withdraw', () => {
    expect(taw([...ORIGIN_IGP, ...AS_PATH_65001, ...attr(0x40, 3, [1, 2, 3, 4, 5])])[0]).toBe(5);
    expect(taw([...ORIGIN_IGP, ...AS_PATH_65001, ...attr(0x40, 3, [0, 0, 0, 0])])[0]).toBe(8);
    expect(taw([...ORIGIN_IGP, ...AS_PATH_65001, ...attr(0x40, 3, [224, 0, 0, 1])])[0]).toBe(8);
  });
  it('MED, LOCAL_PREF, COMMUNITIES, LARGE_COMMUNITY, ORIGINATOR_ID, CLUSTER_LIST, EXTENDED_COMMUNITIES of bad length → treat-as-withdraw', () => {
    expect(taw([...good, ...attr(0x80, 4, [0, 0, 1])])[0]).toBe(5);
    expect(taw([...good, ...attr(0x40, 5, [0, 0, 0, 0, 1])])[0]).toBe(5);
    expect(taw([...good, ...attr(0xc0, 8, [0, 0, 0, 1, 2, 3])])[0]).toBe(5);
    expect(taw([...good, ...attr(0xc0, 8, [])])[0]).toBe(5);
    expect(taw([...good, ...attr(0xc0, 32, new Array(13).fill(1))])[0]).toBe(5);
    expect(taw([...good, ...attr(0x80, 9, [1, 2, 3])])[0]).toBe(5);
    expect(taw([...good, ...attr(0x80, 10, [1, 2, 3, 4, 5])])[0]).toBe(5);
    expect(taw([...good, ...attr(0xc0, 16, [1, 2, 3])])[0]).toBe(5);
  });
  it('wrong flags on an optional attribute → treat-as-withdraw 3/4', () => {
    expect(taw([...good, ...attr(0x40, 8, [0, 0, 0, 1])])[0]).toBe(4);
  });
  it('ATOMIC_AGGREGATE, AGGREGATOR, AS4_PATH, AS4_AGGREGATOR malformed → attribute discard', () => {
    const m = update(
      decodeMessage(rawUpdate([], [...good, ...attr(0x40, 6, [1]), ...attr(0xc0, 7, [1, 2, 3]), ...attr(0xc0, 17, [2, 5, 0, 0, 0, 1]), ...attr(0xc0, 18, [1])], nlri), as4),
    );
    expect(m.treatAsWithdraw).toBeUndefined();
    expect(m.discarded).toHaveLength(4);
    expect(m.attributes.atomicAggregate).toBeUndefined();
  });
  it('missing well-known mandatory attributes → treat-as-withdraw 3/3', () => {
    expect(taw([...ORIGIN_IGP, ...AS_PATH_65001])).toEqual([3, 'missing NEXT_HOP']);
    expect(taw([...AS_PATH_65001, ...NEXT_HOP_1])).toEqual([3, 'missing ORIGIN']);
    const reach = attr(0x80, 14, [0, 2, 1, 16, 0xfd, ...new Array(15).fill(0), 0, 128, 0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0)]);
    expect(taw([...ORIGIN_IGP, ...reach], [])).toEqual([3, 'missing AS_PATH']);
  });
  it('withdraw-only UPDATEs need no mandatory attributes', () => {
    const m = update(decodeMessage(rawUpdate([8, 10], [], []), as4));
    expect(m.withdrawn.map(formatPrefix)).toEqual(['10.0.0.0/8']);
  });
  it('MP_REACH_NLRI: too short → 3/9; bad NLRI → 3/10; bad next hop length → treat-as-withdraw', () => {
    expect(err(decodeMessage(rawUpdate([], [...good, ...attr(0x80, 14, [0, 2, 1, 0])], []), as4))).toEqual([3, 9]);
    expect(err(decodeMessage(rawUpdate([], [...good, ...attr(0x80, 14, [0, 2, 1, 16, ...new Array(16).fill(0), 0, 129])], []), as4))).toEqual([3, 10]);
    expect(taw([...good, ...attr(0x80, 14, [0, 2, 1, 4, 1, 2, 3, 4, 0, 128, ...new Array(16).fill(0x20)])], [])[0]).toBe(9);
  });
  it('MP_UNREACH_NLRI too short → 3/9', () => {
    expect(err(decodeMessage(rawUpdate([], [...attr(0x80, 15, [0, 2])], []), as4))).toEqual([3, 9]);
  });
  it('an attribute overrunning the attribute block: treat-as-withdraw, or reset when it is MP_REACH_NLRI', () => {
    const over = [...good, 0xc0, 8, 9, 0, 0, 0, 1];
    expect(taw(over)[0]).toBe(5);
    expect(err(decodeMessage(rawUpdate([], [...good, 0x80, 14, 40, 0, 2, 1], []), as4))).toEqual([3, 5]);
  });
  it('routeChanges() turns a treat-as-withdraw UPDATE into withdrawals', () => {
    const m = update(decodeMessage(rawUpdate([8, 10], [...ORIGIN_IGP, ...AS_PATH_65001], nlri), as4));
    const ch = routeChanges(m);
    expect(ch.announced).toEqual([]);
    expect(ch.withdrawn.flatMap((w) => w.prefixes.map(formatPrefix))).toEqual(['10.0.0.0/8', '20.0.10.1/32']);
  });
});

describe('NOTIFICATION codes and subcodes have names', () => {
  it.each([
    [1, 1, 'Message Header Error', 'Connection Not Synchronized'],
    [1, 3, 'Message Header Error', 'Bad Message Type'],
    [2, 6, 'OPEN Message Error', 'Unacceptable Hold Time'],
    [2, 11, 'OPEN Message Error', 'Role Mismatch'],
    [3, 11, 'UPDATE Message Error', 'Malformed AS_PATH'],
    [4, 0, 'Hold Timer Expired', 'Unspecific'],
    [5, 2, 'Finite State Machine Error', 'Receive Unexpected Message in OpenConfirm State'],
    [6, 7, 'Cease', 'Connection Collision Resolution'],
    [6, 9, 'Cease', 'Hard Reset'],
    [7, 1, 'ROUTE-REFRESH Message Error', 'Invalid Message Length'],
    [8, 0, 'Send Hold Timer Expired', 'Unspecific'],
  ])('%i/%i', (code, subcode, codeName, subName) => {
    expect(errorCodeName(code)).toBe(codeName);
    expect(errorSubcodeName(code, subcode)).toBe(subName);
  });
});
