import { describe, expect, it } from 'vitest';
import { formatPrefix, parseIPv6 } from './address.js';
import { AdjRibOut, AttributesTooLargeError, packUpdates, type UpdateEncoding } from './adj-rib-out.js';
import { RouteAttributesError, type NormalizedAttributes, type RouteAttributes } from './attributes.js';
import { decodeMessage, encodePathAttributes, MessageFramer, routeChanges } from './codec.js';
import type { UpdateMessage } from './messages.js';

const ctx = { fourOctetAs: true };
const v4enc: UpdateEncoding = {
  family: 'ipv4-unicast',
  classic: true,
  mpNextHop: new Uint8Array(0),
  attributes: (a: NormalizedAttributes) => ({
    head: encodePathAttributes({ origin: a.origin, asPath: [{ type: 'sequence', asns: [65000] }], nextHop: '192.0.2.1', ...(a.communities.length ? { communities: a.communities } : {}) }, ctx),
    tail: encodePathAttributes(a.largeCommunities.length ? { largeCommunities: a.largeCommunities } : {}, ctx),
  }),
};
const v6enc: UpdateEncoding = { ...v4enc, family: 'ipv6-unicast', classic: false, mpNextHop: parseIPv6('fd00::1')!, attributes: (a) => ({ head: encodePathAttributes({ origin: a.origin, asPath: [] }, ctx), tail: encodePathAttributes(a.largeCommunities.length ? { largeCommunities: a.largeCommunities } : {}, ctx) }) };

function decodeAll(chunks: Buffer[]): UpdateMessage[] {
  const f = new MessageFramer();
  const out: UpdateMessage[] = [];
  for (const c of chunks) {
    f.push(c);
    for (let n = f.next(); n; n = f.next()) {
      if ('error' in n) throw new Error(n.error.reason);
      expect(n.message.length).toBeLessThanOrEqual(4096);
      const r = decodeMessage(n.message, ctx);
      if (!r.ok || r.message.type !== 'update') throw new Error(`bad UPDATE: ${JSON.stringify(r)}`);
      expect(r.message.treatAsWithdraw).toBeUndefined();
      out.push(r.message);
    }
  }
  return out;
}

const host32 = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
const routes = (n: number, attrs: RouteAttributes, start = 0): Map<string, RouteAttributes> => new Map(Array.from({ length: n }, (_, i) => [host32(start + i), attrs]));

describe('Adj-RIB-Out', () => {
  it('packs 100,000 IPv4 /32 with the same attributes into full 4096-octet UPDATEs', () => {
    const rib = new AdjRibOut('ipv4-unicast');
    rib.setDesired(routes(100_000, { communities: ['65000:100'] }));
    const plan = rib.plan();
    const { chunks, messages } = packUpdates(plan, v4enc);
    rib.commit(plan);
    const updates = decodeAll(chunks);
    expect(updates.length).toBe(messages);
    // 4096 − 19 header − 4 length fields − attributes (~25) leaves room for ~810 five-octet prefixes.
    expect(messages).toBeLessThanOrEqual(Math.ceil(100_000 / 800));
    expect(updates.reduce((n, u) => n + u.nlri.length, 0)).toBe(100_000);
    expect(rib.advertisedCount).toBe(100_000);
    expect(rib.hasPendingChanges).toBe(false);
  });

  it('sends only differences: withdrawals first, changed attributes re-announced, unchanged routes untouched', () => {
    const rib = new AdjRibOut('ipv4-unicast');
    rib.setDesired(routes(10, {}));
    rib.commit(rib.plan());
    const next = routes(8, {}); // 10.0.0.8, .9 removed
    next.set(host32(0), { communities: ['no-export'] }); // attributes changed
    next.set('192.0.2.0/24', {}); // added
    rib.setDesired(next);
    const plan = rib.plan();
    const updates = decodeAll(packUpdates(plan, v4enc).chunks);
    expect(updates[0]!.withdrawn.map(formatPrefix)).toEqual(['10.0.0.8/32', '10.0.0.9/32']);
    expect(updates[0]!.nlri).toEqual([]);
    const announced = updates.slice(1).flatMap((u) => u.nlri.map((p) => `${formatPrefix(p)} ${u.attributes.communities?.join(',') ?? '-'}`));
    expect(announced.sort()).toEqual(['10.0.0.0/32 4294967041', '192.0.2.0/24 -']);
    rib.commit(plan);
    expect(rib.advertisedCount).toBe(9);
  });

  it('groups prefixes by identical attributes (one run of UPDATEs per attribute set)', () => {
    const rib = new AdjRibOut('ipv4-unicast');
    const m = new Map<string, RouteAttributes>();
    for (let i = 0; i < 30; i++) m.set(host32(i), { communities: [i % 3 === 0 ? '65000:1' : '65000:2'] });
    rib.setDesired(m);
    expect(decodeAll(packUpdates(rib.plan(), v4enc).chunks).map((u) => u.nlri.length).sort()).toEqual([10, 20]);
  });

  it('IPv6 /128 in MP_REACH_NLRI, withdrawals in MP_UNREACH_NLRI, each UPDATE ≤ 4096 octets', () => {
    const rib = new AdjRibOut('ipv6-unicast');
    const m = new Map(Array.from({ length: 10_000 }, (_, i) => [`2001:db8::${i.toString(16)}/128`, { largeCommunities: ['65000:1:2'] } as RouteAttributes]));
    rib.setDesired(m);
    const first = rib.plan();
    const updates = decodeAll(packUpdates(first, v6enc).chunks);
    rib.commit(first);
    const all = updates.flatMap((u) => routeChanges(u).announced.flatMap((a) => a.prefixes));
    expect(all).toHaveLength(10_000);
    expect(updates[0]!.attributes.mpReach?.nextHops).toEqual(['fd00::1']);
    expect(updates[0]!.attributes.largeCommunities).toEqual([[65000, 1, 2]]);
    m.clear();
    rib.setDesired(m);
    const gone = decodeAll(packUpdates(rib.plan(), v6enc).chunks).flatMap((u) => routeChanges(u).withdrawn.flatMap((w) => w.prefixes));
    expect(gone).toHaveLength(10_000);
  });

  it('after a session reset everything desired is sent again', () => {
    const rib = new AdjRibOut('ipv4-unicast');
    rib.setDesired(routes(5, {}));
    rib.commit(rib.plan());
    rib.resetSent();
    expect(rib.advertisedCount).toBe(0);
    expect(rib.plan().announce[0]!.keys).toHaveLength(5);
  });

  it('bad input changes nothing and names the entry', () => {
    const rib = new AdjRibOut('ipv4-unicast');
    rib.setDesired(routes(3, {}));
    rib.commit(rib.plan());
    const bad = routes(2, {});
    bad.set('2001:db8::/32', {});
    expect(() => rib.setDesired(bad)).toThrow(/routes\["2001:db8::\/32"\]: is not an ipv4 prefix/);
    expect(() => rib.setDesired(new Map([['10.0.0.1/33', {}]]))).toThrow(RouteAttributesError);
    expect(() => rib.setDesired(new Map([['10.0.0.1/32', { communities: ['70000:1'] }]]))).toThrow(/communities\[0\]/);
    expect(() => rib.setDesired(new Map([['10.0.0.1/32', { largeCommunities: ['1:2'] }]]))).toThrow(/largeCommunities\[0\]/);
    expect(() => rib.setDesired(new Map([['10.0.0.0/8', {}], ['10.0.0.1/8', {}]]))).toThrow(/host bits/);
    expect(rib.desiredCount).toBe(3);
    expect(rib.hasPendingChanges).toBe(false);
  });

  it('attributes too large for one prefix are an error, not an endless loop', () => {
    const rib = new AdjRibOut('ipv4-unicast');
    rib.setDesired(new Map([['10.0.0.1/32', { communities: Array.from({ length: 1100 }, (_, i) => i) }]]));
    expect(() => packUpdates(rib.plan(), v4enc)).toThrow(AttributesTooLargeError);
  });
});
