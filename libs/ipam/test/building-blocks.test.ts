import { describe, expect, it } from 'vitest';
import {
  canonicalAddress,
  formatRange,
  IntervalSet,
  parseAddress,
  parseCidr,
  parseService,
  rangesIntersect,
  requestedFamilies,
  sharingIncompatibility,
  DEFAULT_CONFIG,
  type AddressRange,
  type ServiceSpec,
} from '../src';

const v4range = (a: number, b: number): AddressRange => ({ family: 'IPv4', from: BigInt(0x0a000000 + a), to: BigInt(0x0a000000 + b) });

describe('addresses', () => {
  it.each([
    ['10.0.0.1', 'IPv4', '10.0.0.1'],
    ['255.255.255.255', 'IPv4', '255.255.255.255'],
    ['2001:DB8:0:0:0:0:0:1', 'IPv6', '2001:db8::1'],
    ['FF::0', 'IPv6', 'ff::'],
    ['::', 'IPv6', '::'],
    ['::1', 'IPv6', '::1'],
    ['fd00:10:0:0::1', 'IPv6', 'fd00:10::1'],
    ['2001:db8:0:1:0:0:0:1', 'IPv6', '2001:db8:0:1::1'],
    ['1:0:0:1:0:0:0:1', 'IPv6', '1:0:0:1::1'],
    ['::ffff:10.1.2.3', 'IPv6', '::ffff:10.1.2.3'],
    ['64:ff9b::192.0.2.33', 'IPv6', '64:ff9b::c000:221'],
  ])('%s is %s %s', (text, family, canonical) => {
    expect(parseAddress(text)?.family).toBe(family);
    expect(canonicalAddress(text)).toBe(canonical);
  });

  it.each(['', '10.0.0', '10.0.0.256', '010.0.0.1', '10.0.0.1.2', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', 'g::1', '10.0.0.1/24', '12345::'])(
    '%j is not an address',
    (text) => expect(parseAddress(text)).toBeNull(),
  );

  // A4 RangeFromPrefix: host bits are masked.
  it.each([
    ['10.0.0.0/24', '10.0.0.0 - 10.0.0.255'],
    ['10.0.0.0/25', '10.0.0.0 - 10.0.0.127'],
    ['10.0.0.12/24', '10.0.0.0 - 10.0.0.255'],
    ['192.168.100.200/28', '192.168.100.192 - 192.168.100.207'],
    ['::0000/112', ':: - ::ffff'],
    ['2001:db8::/64', '2001:db8:: - 2001:db8::ffff:ffff:ffff:ffff'],
    ['10.0.0.7/32', '10.0.0.7 - 10.0.0.7'],
  ])('RangeFromPrefix %s = %s', (cidr, range) => expect(formatRange(parseCidr(cidr)!)).toBe(range));

  it.each(['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0', '::/129', '10.0.0.0/08'])('%s is not a CIDR', (c) => expect(parseCidr(c)).toBeNull());

  // A3 Intersects (inclusive).
  it.each([
    [[0, 10], [11, 20], false],
    [[0, 10], [10, 20], true],
    [[0, 10], [5, 20], true],
    [[0, 10], [0, 10], true],
    [[5, 20], [0, 10], true],
    [[10, 20], [0, 10], true],
    [[11, 20], [0, 10], false],
  ] as const)('Intersects %j %j = %s', (a, b, want) => expect(rangesIntersect(v4range(a[0], a[1]), v4range(b[0], b[1]))).toBe(want));
});

describe('IntervalSet', () => {
  it('a /64 is two numbers, not a list', () => {
    const r = parseCidr('2001:db8::/64')!;
    const s = IntervalSet.of(r.from, r.to);
    expect(s.size).toBe(1n << 64n);
    expect(s.intervals).toBe(1);
    expect(s.delete(r.from + 5n)).toBe(true);
    expect(s.intervals).toBe(2);
    expect(s.size).toBe((1n << 64n) - 1n);
    expect(s.first()).toBe(r.from);
    expect(s.firstAtOrAfter(r.from + 5n)).toBe(r.from + 6n);
  });

  it('is canonical: delete then add restores the same intervals', () => {
    const s = IntervalSet.of(0n, 100n);
    for (const x of [0n, 50n, 100n, 51n, 49n]) s.delete(x);
    expect(s.toArray()).toEqual([
      [1n, 48n],
      [52n, 99n],
    ]);
    for (const x of [49n, 51n, 50n, 0n, 100n]) s.add(x);
    expect(s.toArray()).toEqual([[0n, 100n]]);
    expect(s.size).toBe(101n);
    expect(s.add(5n)).toBe(false);
    expect(s.addRange(90n, 120n)).toBe(20n);
    expect(s.toArray()).toEqual([[0n, 120n]]);
  });
});

// B28: which families a Service asks for (policy × ipFamilies × cluster-enabled families).
describe('family requests (upstream table)', () => {
  const cfg = (v4: boolean, v6: boolean) => ({ ...DEFAULT_CONFIG, ipv4Enabled: v4, ipv6Enabled: v6 });
  it.each([
    [1, undefined, [], [true, false], ['IPv4']],
    [2, undefined, [], [false, true], ['IPv6']],
    [3, undefined, [], [true, true], ['IPv4']],
    [4, undefined, ['IPv6'], [true, false], ['IPv6']],
    [5, undefined, ['IPv4'], [false, true], ['IPv4']],
    [6, undefined, ['IPv4', 'IPv6'], [false, false], ['IPv4']],
    [7, undefined, ['IPv6', 'IPv4'], [false, false], ['IPv6']],
    [8, 'SingleStack', [], [true, true], ['IPv4']],
    [9, 'PreferDualStack', [], [true, true], ['IPv4', 'IPv6']],
    [10, 'PreferDualStack', ['IPv4'], [false, true], []],
    [11, 'RequireDualStack', ['IPv4'], [false, true], ['IPv6']],
  ] as const)('row %i: %s %j enabled %j → %j', (_row, policy, families, [v4, v6], want) => {
    expect(requestedFamilies(policy, families, cfg(v4, v6))).toEqual(want);
  });
});

// C35 IsCompatible.
describe('sharing compatibility (upstream table)', () => {
  const svc = (o: { ns?: string; key?: string; cross?: string; ports?: Array<[number, string]>; etp?: 'Local' | 'Cluster'; selector?: Record<string, string>; permit?: string }): ServiceSpec =>
    parseService(
      {
        metadata: {},
        spec: {
          type: 'LoadBalancer',
          ports: (o.ports ?? []).map(([port, protocol]) => ({ port, protocol })),
          externalTrafficPolicy: o.etp ?? 'Cluster',
          ...(o.selector ? { selector: o.selector } : {}),
        },
      },
      {
        name: 'x',
        namespace: o.ns ?? 'ns-a',
        uid: 'u',
        generation: 1,
        creationTimestamp: '',
        labels: {},
        annotations: {
          'lbipam.cilium.io/sharing-key': o.key ?? 'a',
          ...(o.cross ? { 'lbipam.cilium.io/sharing-cross-namespace': o.cross } : {}),
          ...(o.permit ? { 'lbipam.cilium.io/sharing-permit-different-pods': o.permit } : {}),
        },
      },
      DEFAULT_CONFIG,
    );
  const app1 = { app: '1' };
  const app2 = { app: '2' };
  const local = 'ExternalTrafficPolicy local but selecting different set of pods without lbipam.cilium.io/sharing-permit-different-pods on both services';
  it.each([
    ['keys a vs b', svc({ key: 'a' }), svc({ key: 'b' }), 'different sharing key'],
    ['ns-a vs ns-b, only ns-b allows ns-a', svc({ ns: 'ns-a' }), svc({ ns: 'ns-b', cross: 'ns-a' }), 'different and not permitted namespace'],
    ['ns-a vs ns-b, both allow', svc({ ns: 'ns-a', cross: 'ns-b' }), svc({ ns: 'ns-b', cross: '*' }), null],
    ['cross-namespace list is trimmed', svc({ ns: 'ns-a', cross: 'ns-x, ns-b' }), svc({ ns: 'ns-b', cross: 'ns-a' }), null],
    ['TCP/80 vs TCP/80', svc({ ports: [[80, 'TCP']] }), svc({ ports: [[80, 'TCP']] }), 'same port and protocol'],
    ['TCP/53 vs UDP/53 (protocol-aware)', svc({ ports: [[53, 'TCP']] }), svc({ ports: [[53, 'UDP']] }), null],
    ['Local vs Cluster', svc({ etp: 'Local', selector: app1 }), svc({ etp: 'Cluster' }), 'different ExternalTrafficPolicy'],
    ['Local+Local, one selector-less, both opted in', svc({ etp: 'Local', selector: app1, permit: 'true' }), svc({ etp: 'Local', permit: 'true' }), 'ExternalTrafficPolicy local but a service has no selector'],
    ['Local+Local, different selectors, no opt-in', svc({ etp: 'Local', selector: app1 }), svc({ etp: 'Local', selector: app2 }), local],
    ['same, opt-in on one side', svc({ etp: 'Local', selector: app1, permit: 'true' }), svc({ etp: 'Local', selector: app2 }), local],
    ['same, opt-in on both', svc({ etp: 'Local', selector: app1, permit: 'T' }), svc({ etp: 'Local', selector: app2, permit: '1' }), null],
    ['identical Local, same selector', svc({ etp: 'Local', selector: app1 }), svc({ etp: 'Local', selector: { app: '1' } }), null],
  ])('%s', (_name, a, b, want) => {
    expect(sharingIncompatibility(a, b)).toBe(want);
    expect(sharingIncompatibility(b, a)).toBe(want);
  });

  it('without protocol differentiation, TCP/53 and UDP/53 clash (older Cilium)', () => {
    expect(sharingIncompatibility(svc({ ports: [[53, 'TCP']] }), svc({ ports: [[53, 'UDP']] }), false)).toBe('same port');
  });
});
