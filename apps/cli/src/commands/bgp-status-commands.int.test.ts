import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEventStore, dropStaleSchemas, type TestEventStore } from '@bosun/testing';
import { parseRoutesArgs, readAdvertisedRoutes } from './bgp-status-commands';
import { routesTable } from './bgp-tables';

describe('bosun bgp routes (from the bgp-node streams, real Postgres)', () => {
  let es: TestEventStore;
  beforeAll(async () => {
    await dropStaleSchemas('bgpcli');
    es = await createTestEventStore('bgpcli');
  });
  afterAll(async () => {
    await es?.cleanup();
  });

  it('given two nodes advertising and one withdrawal, when read, then the current advertised routes per node and peer', async () => {
    const peer = { instance: 'instance-65000', peer: 'tor', peerAddress: 'fd00:10::1', afi: 'ipv4', safi: 'unicast' };
    for (const [node, nh] of [
      ['node-1', '10.99.0.11'],
      ['node-2', '10.99.0.12'],
    ] as const) {
      await es.store.append(`bgp-node-${node}`, 'any', [
        { type: 'bgp.PeerStateChanged', data: { node, instance: 'instance-65000', localASN: 65000, peer: 'tor', peerAddress: 'fd00:10::1', peerASN: 65000, from: 'idle', to: 'established' } },
        { type: 'bgp.RouteAdvertised', data: { node, ...peer, prefixes: ['20.0.10.1/32', '10.96.0.10/32'], nextHop: nh } },
      ]);
    }
    await es.store.append('bgp-node-node-2', 'any', [{ type: 'bgp.RouteWithdrawn', data: { node: 'node-2', ...peer, prefixes: ['10.96.0.10/32'] } }]);
    const rows = await readAdvertisedRoutes(es.store);
    expect(rows.map((r) => [r.node, r.prefix, r.nextHop, r.localASN])).toEqual([
      ['node-1', '10.96.0.10/32', '10.99.0.11', 65000],
      ['node-1', '20.0.10.1/32', '10.99.0.11', 65000],
      ['node-2', '20.0.10.1/32', '10.99.0.12', 65000],
    ]);
    const table = routesTable(rows, { ...parseRoutesArgs(['advertised']), node: 'node-2' });
    expect(table.split('\n')[1]).toMatch(/^node-2\s+65000\s+fd00:10::1\s+20\.0\.10\.1\/32\s+10\.99\.0\.12\s+\d+s\s+\[\{Origin: i\}/);
  });

  it.each([
    [[], { kind: 'available', afi: 'ipv4', safi: 'unicast' }],
    [['advertised', 'ipv6'], { kind: 'advertised', afi: 'ipv6', safi: 'unicast' }],
  ])('parses %j', (args, want) => expect(parseRoutesArgs(args as string[])).toEqual(want));

  it('rejects an unknown afi with a clear error', () => expect(() => parseRoutesArgs(['advertised', 'l2vpn'])).toThrow('afi: expected ipv4 or ipv6, got "l2vpn"'));
});
