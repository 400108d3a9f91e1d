import { describe, expect, it } from 'vitest';
import { goDuration, peersTable, routesTable } from './bgp-tables';

describe('bosun bgp tables', () => {
  it.each([
    [0, '0s'],
    [45_400, '45s'],
    [723_000, '12m3s'],
    [3_723_000, '1h2m3s'],
    [3_600_000, '1h0m0s'],
  ])('formats %i ms as %s (Go durations)', (ms, s) => expect(goDuration(ms)).toBe(s));

  it('prints peers like `cilium bgp peers`, one row per family', () => {
    const nc = {
      metadata: { name: 'node-1' },
      status: {
        bgpInstances: [
          {
            name: 'instance-65000',
            localASN: 65000,
            peers: [
              {
                name: 'tor',
                peerAddress: 'fd00:10::1',
                peerASN: 65000,
                peeringState: 'established',
                establishedTime: '2025-01-01T00:00:00Z',
                routeCount: [
                  { afi: 'ipv4', safi: 'unicast', received: 0, advertised: 2 },
                  { afi: 'ipv6', safi: 'unicast', received: 1, advertised: 0 },
                ],
              },
            ],
          },
        ],
      },
    };
    expect(peersTable([nc], new Date('2025-01-01T00:12:03Z'))).toBe(
      [
        'Node     Local AS   Peer AS   Peer Address   Session State   Uptime   Family         Received   Advertised',
        'node-1   65000      65000     fd00:10::1     established     12m3s    ipv4/unicast   0          2',
        '                                                                      ipv6/unicast   1          0',
        '',
      ].join('\n'),
    );
  });

  it('prints advertised routes like `cilium bgp routes advertised ipv4 unicast`', () => {
    const rows = [
      { node: 'node-1', instance: 'i', localASN: 65000, peer: 'tor', peerAddress: 'fd00:10::1', afi: 'ipv4' as const, safi: 'unicast' as const, prefix: '20.0.10.1/32', nextHop: '10.99.0.11', communities: ['65000:100'], largeCommunities: [], since: '2025-01-01T00:00:00Z' },
    ];
    expect(routesTable(rows, { kind: 'advertised', afi: 'ipv4', safi: 'unicast', now: new Date('2025-01-01T00:00:45Z') })).toBe(
      [
        'Node     VRouter   Peer         Prefix         NextHop      Age   Attrs',
        'node-1   65000     fd00:10::1   20.0.10.1/32   10.99.0.11   45s   [{Origin: i} {AsPath: } {Communities: 65000:100} {MpReach(ipv4-unicast): {Nexthop: 10.99.0.11, NLRIs: [20.0.10.1/32]}}]',
        '',
      ].join('\n'),
    );
    expect(routesTable(rows, { kind: 'available', afi: 'ipv4', safi: 'unicast', now: new Date('2025-01-01T00:00:45Z') }).split('\n')[0]).toBe(
      'Node     VRouter   Prefix         NextHop      Age   Attrs',
    );
    expect(routesTable(rows, { kind: 'advertised', afi: 'ipv6', safi: 'unicast' }).split('\n')).toHaveLength(2);
  });
});
