import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BirdInstance, exec, netstatCounters, waitFor, type BirdOptions, Cleanup, createRootLinkedNamespace, type RootLinkedNamespace } from '@bosun/testing';
import type { BgpSpeaker, PeerConfig, RouteAttributes } from '../src/index.js';
import { speakerWithLog } from './topology.js';

// Our speaker (root namespace) against BIRD 2 (its own namespace): an eBGP session over IPv4 and
// an iBGP session over IPv6, routes with communities / large communities / local preference.

const cleanup = new Cleanup();
let link: RootLinkedNamespace;
let bird: BirdInstance;
let speaker: BgpSpeaker;
let log: string[];

const timers = { holdTimeSeconds: 9, keepAliveTimeSeconds: 3, connectRetryTimeSeconds: 1 };
let peers: PeerConfig[];
let birdOptions: BirdOptions;

beforeAll(async () => {
  link = await createRootLinkedNamespace('bgpbird');
  cleanup.add(() => link.ns.delete());
  ({ speaker, log } = speakerWithLog({ localASN: 65000, routerID: '10.0.0.1', listen: { address: '::', port: 0 } }));
  cleanup.add(() => speaker.stop());
  await speaker.start();
  const port = speaker.listenAddress!.port;
  const a = link.addrs;
  birdOptions = {
    namespace: link.ns.name,
    routerID: '10.255.0.1',
    localASN: 65010,
    neighbors: [
      { name: 'v4', localAddress: a.ipv4[1], peerAddress: a.ipv4[0], peerPort: port, peerASN: 65000, ...timers },
      // iBGP over IPv6 (BIRD in our AS on this session); IPv4 routes ride on it too (RFC 8950 on).
      { name: 'v6', localAddress: a.ipv6[1], peerAddress: a.ipv6[0], peerPort: port, peerASN: 65000, localASN: 65000, ...timers, extendedNextHop: true },
    ],
  };
  bird = await BirdInstance.start(birdOptions);
  cleanup.add(() => bird.dispose());
  peers = [
    // BIRD refuses a v4-mapped next hop for IPv6 routes: give the IPv6 one for this IPv4 session.
    { name: 'bird-v4', peerAddress: a.ipv4[1], peerASN: 65010, ...timers, nextHop: { ipv6: a.ipv6[0] } },
    { name: 'bird-v6', peerAddress: a.ipv6[1], peerASN: 65000, ...timers, nextHop: { ipv4: a.ipv4[0] } },
  ];
});

afterAll(async () => {
  if (process.env.BOSUN_TEST_VERBOSE) console.log(log.join('\n'), bird?.process?.output());
  await cleanup.run();
});

const v4Routes = new Map<string, RouteAttributes>([
  ['20.0.10.1/32', { communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'], localPreference: 200 }],
  ['20.0.10.2/32', { communities: ['blackhole', '4259840200'] }],
]);
const v6Routes = new Map([['2001:db8:20::1/128', { communities: ['65000:600', 'no-advertise'], largeCommunities: ['65000:6:6', '4200000000:1:1'], localPreference: 300 }]]);

describe('BIRD 2 interop', () => {
  it('establishes over IPv4 (eBGP) and IPv6 (iBGP) with the negotiated timers', async () => {
    for (const [peer, family, routes] of [
      ['bird-v4', 'ipv4-unicast', v4Routes],
      ['bird-v4', 'ipv6-unicast', v6Routes],
      ['bird-v6', 'ipv4-unicast', v4Routes],
      ['bird-v6', 'ipv6-unicast', v6Routes],
    ] as const) {
      speaker.setRoutes(peer, family, routes);
    }
    speaker.setPeers(peers);
    await waitFor(() => speaker.peerStatuses().every((s) => s.state === 'Established'), { description: 'both sessions established', timeoutMs: 30_000 });
    await waitFor(async () => (await bird.session('v4')).state === 'established' && (await bird.session('v6')).state === 'established', { description: 'BIRD sees both established' });
    const st = speaker.peerStatus('bird-v6')!;
    expect(st).toMatchObject({ peeringState: 'established', appliedHoldTimeSeconds: 9, appliedKeepaliveSeconds: 3, peerRouterID: '10.255.0.1', families: ['ipv4-unicast', 'ipv6-unicast'] });
    expect((await bird.protocol('v6')).session).toMatch(/internal/);
    expect((await bird.protocol('v4')).session).toMatch(/external/);
  });

  it('eBGP over IPv4: routes arrive with exactly the communities, large communities, our AS and next hop (no LOCAL_PREF sent)', async () => {
    const a = link.addrs;
    const r1 = await waitFor(async () => (await bird.routes({ table: 'master4', protocol: 'v4', prefix: '20.0.10.1/32' }))[0], { description: '20.0.10.1/32 at BIRD from v4' });
    expect(r1).toMatchObject({ origin: 'igp', asPath: [65000], nextHop: [a.ipv4[0]], communities: ['65000:100', '65535:65281'], largeCommunities: ['65000:1:2'] });
    // BIRD fills in its default 100 for eBGP routes: ours (200) was not sent across eBGP.
    expect(r1.attributes['BGP.local_pref']).toBe('100');
    const r2 = (await bird.routes({ table: 'master4', protocol: 'v4', prefix: '20.0.10.2/32' }))[0]!;
    expect(r2.communities).toEqual(['65000:200', '65535:666']);
    // IPv6 routes over the IPv4 session: the configured IPv6 next hop.
    const r6 = await waitFor(async () => (await bird.routes({ table: 'master6', protocol: 'v4', prefix: '2001:db8:20::1/128' }))[0], { description: 'v6 route over v4 session' });
    expect(r6.nextHop[0]).toBe(a.ipv6[0]);
    expect(r6.largeCommunities).toEqual(['4200000000:1:1', '65000:6:6']);
  });

  it('iBGP over IPv6: local preference, communities and large communities; IPv4 routes with the configured IPv4 next hop', async () => {
    const a = link.addrs;
    const r6 = await waitFor(async () => (await bird.routes({ table: 'master6', protocol: 'v6', prefix: '2001:db8:20::1/128' }))[0], { description: 'v6 route at BIRD from v6' });
    expect(r6).toMatchObject({ origin: 'igp', asPath: [], nextHop: [a.ipv6[0]], localPreference: 300, communities: ['65000:600', '65535:65282'], largeCommunities: ['4200000000:1:1', '65000:6:6'] });
    const r4 = await waitFor(async () => (await bird.routes({ table: 'master4', protocol: 'v6', prefix: '20.0.10.1/32' }))[0], { description: 'v4 route over v6 session' });
    expect(r4).toMatchObject({ nextHop: [a.ipv4[0]], localPreference: 200, communities: ['65000:100', '65535:65281'] });
    const counts = speaker.peerStatus('bird-v6')!.routeCounts;
    expect(counts).toEqual([
      { family: 'ipv4-unicast', afi: 'ipv4', safi: 'unicast', received: 0, advertised: 2 },
      { family: 'ipv6-unicast', afi: 'ipv6', safi: 'unicast', received: 0, advertised: 1 },
    ]);
  });

  it('without a configured IPv4 next hop, IPv4 routes go over IPv6 with an IPv6 next hop (RFC 8950), without resetting the session', async () => {
    const established = speaker.peerStatus('bird-v6')!.establishedTime;
    speaker.setPeers([peers[0]!, { ...peers[1]!, nextHop: {} }]);
    const a = link.addrs;
    await waitFor(async () => (await bird.routes({ table: 'master4', protocol: 'v6', prefix: '20.0.10.1/32' }))[0]?.nextHop[0] === a.ipv6[0], { description: 'IPv6 next hop for the IPv4 route' });
    expect(speaker.peerStatus('bird-v6')!.establishedTime).toEqual(established);
    speaker.setPeers(peers);
  });

  it('a burst of setRoutes calls is coalesced into one diff and few UPDATEs', async () => {
    const sentBefore = speaker.peerStatus('bird-v4')!.messages.sent.update;
    const burst = new Map(v4Routes);
    for (let i = 0; i < 50; i++) {
      burst.set(`20.0.11.${i}/32`, { communities: ['65000:111'] });
      speaker.setRoutes('bird-v4', 'ipv4-unicast', new Map(burst));
    }
    await waitFor(async () => (await bird.routes({ table: 'master4', protocol: 'v4' })).length === 52, { description: '50 burst routes at BIRD' });
    // 50 calls in one tick: one UPDATE carries all 50 prefixes (same attributes).
    expect(speaker.peerStatus('bird-v4')!.messages.sent.update - sentBefore).toBe(1);
    speaker.setRoutes('bird-v4', 'ipv4-unicast', v4Routes);
    await waitFor(async () => (await bird.routes({ table: 'master4', protocol: 'v4' })).length === 2, { description: 'burst routes withdrawn' });
  });

  it('eBGP packets leave with TTL 1 (ebgpMultihop default), set on the socket before connect', async () => {
    const a = link.addrs;
    const dump = link.ns.spawn('tcpdump', ['-i', 'eth0', '-c', '1', '-nv', 'tcp', 'and', 'src', 'host', a.ipv4[0], 'and', 'port', String(179)]);
    try {
      await waitFor(() => /listening on/.test(dump.output()), { description: 'tcpdump ready' });
      speaker.setRoutes('bird-v4', 'ipv4-unicast', new Map([...v4Routes, ['20.0.12.1/32', {}]]));
      expect(await dump.exited).toBe(0);
      expect(dump.output()).toMatch(/\bttl 1\b/);
    } finally {
      await dump.stop();
      speaker.setRoutes('bird-v4', 'ipv4-unicast', v4Routes);
    }
  });

  it('answers ROUTE-REFRESH (RFC 2918) by sending the family again', async () => {
    const before = speaker.peerStatus('bird-v4')!.messages;
    await bird.birdc('reload', 'in', 'v4');
    await waitFor(() => speaker.peerStatus('bird-v4')!.messages.received.routeRefresh > before.received.routeRefresh, { description: 'ROUTE-REFRESH received' });
    await waitFor(() => speaker.peerStatus('bird-v4')!.messages.sent.update > before.sent.update, { description: 'routes sent again' });
    expect(await bird.routes({ table: 'master4', protocol: 'v4' })).toHaveLength(2);
  });

  it('withdrawals remove routes; unchanged ones stay', async () => {
    speaker.setRoutes('bird-v4', 'ipv4-unicast', new Map([['20.0.10.1/32', v4Routes.get('20.0.10.1/32')!]]));
    speaker.setRoutes('bird-v4', 'ipv6-unicast', new Map());
    await waitFor(async () => (await bird.routes({ table: 'master4', protocol: 'v4', prefix: '20.0.10.2/32' })).length === 0, { description: '20.0.10.2/32 withdrawn' });
    await waitFor(async () => (await bird.routes({ table: 'master6', protocol: 'v4' })).length === 0, { description: 'IPv6 routes withdrawn' });
    expect(await bird.routes({ table: 'master4', protocol: 'v4', prefix: '20.0.10.1/32' })).toHaveLength(1);
    expect(speaker.peerStatus('bird-v4')!.routeCounts.map((c) => c.advertised)).toEqual([1, 0]);
  });

  it('a session-affecting change (hold time) resets only that session', async () => {
    const v6Since = speaker.peerStatus('bird-v6')!.establishedTime;
    const v4Since = speaker.peerStatus('bird-v4')!.establishedTime;
    speaker.setPeers([{ ...peers[0]!, holdTimeSeconds: 6, keepAliveTimeSeconds: 2 }, peers[1]!]);
    await waitFor(() => speaker.peerStatus('bird-v4')?.state === 'Established' && speaker.peerStatus('bird-v4')!.establishedTime !== v4Since, { description: 'v4 session re-established' });
    expect(speaker.peerStatus('bird-v4')!.appliedHoldTimeSeconds).toBe(6);
    expect(speaker.peerStatus('bird-v6')!.establishedTime).toEqual(v6Since);
    await waitFor(async () => (await bird.routes({ table: 'master4', protocol: 'v4', prefix: '20.0.10.1/32' })).length === 1, { description: 'routes back after the reset' });
  });

  it('TCP MD5: the right key establishes, a wrong key does not (segments dropped by the kernel)', async () => {
    const a = link.addrs;
    // BIRD requires a key from us on the IPv4 session.
    await bird.reconfigure({ ...birdOptions, neighbors: [{ ...birdOptions.neighbors[0]!, password: 'right-key' }, birdOptions.neighbors[1]!] });
    const before = (await netstatCounters(link.ns.name))['TcpExt.TCPMD5Failure'] ?? 0;
    speaker.setPeers([{ ...peers[0]!, password: 'wrong-key' }, peers[1]!]);
    await waitFor(async () => ((await netstatCounters(link.ns.name))['TcpExt.TCPMD5Failure'] ?? 0) > before, { description: 'BIRD kernel rejects our wrongly signed segments', timeoutMs: 20_000 });
    expect(speaker.peerStatus('bird-v4')!.state).not.toBe('Established');
    expect((await bird.session('v4')).state).not.toBe('established');
    speaker.setPeers([{ ...peers[0]!, password: 'right-key' }, peers[1]!]);
    await waitFor(() => speaker.peerStatus('bird-v4')?.state === 'Established', { description: 'established with the right key', timeoutMs: 30_000 });
    await waitFor(async () => (await bird.routes({ table: 'master4', protocol: 'v4', prefix: '20.0.10.1/32' })).length === 1, { description: 'routes over the MD5 session' });
    // Our side signs and checks too: the established socket carries the key (ss shows md5keys).
    const ss = (await exec('ss', ['-tni', 'dst', a.ipv4[1]])).stdout;
    expect(ss).toMatch(/md5/);
  });
});
