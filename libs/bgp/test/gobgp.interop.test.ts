import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GobgpInstance, netstatCounters, waitFor, type GobgpOptions, type PeerRoute, Cleanup, createRootLinkedNamespace, type RootLinkedNamespace } from '@bosun/testing';
import type { BgpSpeaker, PeerConfig } from '../src/index.js';
import { speakerWithLog } from './topology.js';

// Our speaker (active only: no listener) against gobgpd 3.10: eBGP over IPv4, iBGP over IPv6.

const cleanup = new Cleanup();
let link: RootLinkedNamespace;
let gobgp: GobgpInstance;
let speaker: BgpSpeaker;
let log: string[];
let gobgpOptions: GobgpOptions;
let peers: PeerConfig[];

const timers = { holdTimeSeconds: 9, keepAliveTimeSeconds: 3, connectRetryTimeSeconds: 1 };

beforeAll(async () => {
  link = await createRootLinkedNamespace('bgpgob');
  cleanup.add(() => link.ns.delete());
  const a = link.addrs;
  gobgpOptions = {
    namespace: link.ns.name,
    routerID: '10.255.0.2',
    localASN: 65001,
    neighbors: [
      { name: 'v4', peerAddress: a.ipv4[0], peerASN: 65000, ...timers, gracefulRestart: { restartTimeSeconds: 60 } },
      { name: 'v6', peerAddress: a.ipv6[0], peerASN: 65000, localASN: 65000, ...timers },
    ],
  };
  gobgp = await GobgpInstance.start(gobgpOptions);
  cleanup.add(() => gobgp.dispose());
  ({ speaker, log } = speakerWithLog({ localASN: 65000, routerID: '10.0.0.1' }));
  cleanup.add(() => speaker.stop());
  await speaker.start();
  peers = [
    { name: 'gobgp-v4', peerAddress: a.ipv4[1], peerASN: 65001, ...timers, gracefulRestart: { enabled: true, restartTimeSeconds: 60 }, nextHop: { ipv6: a.ipv6[0] } },
    { name: 'gobgp-v6', peerAddress: a.ipv6[1], peerASN: 65000, ...timers, nextHop: { ipv4: a.ipv4[0] } },
  ];
});

afterAll(async () => {
  if (process.env.BOSUN_TEST_VERBOSE) console.log(log.join('\n'), gobgp?.process?.output());
  await cleanup.run();
});

const v4Routes = new Map([
  ['20.0.20.1/32', { communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'], localPreference: 250 }],
  ['20.0.20.0/24', { communities: ['no-peer'], med: 10 }],
]);
const v6Routes = new Map([['2001:db8:30::/64', { communities: ['65000:300'], largeCommunities: ['65000:3:3'], localPreference: 150 }]]);

const adjIn = async (neighbor: string, family: 'ipv4-unicast' | 'ipv6-unicast'): Promise<PeerRoute[]> => gobgp.routes(family, { adjInOf: neighbor });
const find = async (neighbor: string, family: 'ipv4-unicast' | 'ipv6-unicast', prefix: string): Promise<PeerRoute | undefined> => (await adjIn(neighbor, family)).find((r) => r.prefix === prefix);

describe('GoBGP interop', () => {
  it('establishes over IPv4 and IPv6 as the active side', async () => {
    for (const peer of ['gobgp-v4', 'gobgp-v6']) {
      speaker.setRoutes(peer, 'ipv4-unicast', v4Routes);
      speaker.setRoutes(peer, 'ipv6-unicast', v6Routes);
    }
    speaker.setPeers(peers);
    await waitFor(() => speaker.peerStatuses().every((s) => s.state === 'Established'), { description: 'both established', timeoutMs: 30_000 });
    expect(await gobgp.session(link.addrs.ipv4[0])).toMatchObject({ state: 'established', holdTimeSeconds: 9 });
    expect((await gobgp.session(link.addrs.ipv6[0])).state).toBe('established');
    expect(speaker.peerStatus('gobgp-v4')!.remoteCapabilities).toEqual(expect.arrayContaining(['route-refresh', '4-octet-as(65001)']));
  });

  it('eBGP: attributes exactly as sent (communities, well-known, large, MED; no LOCAL_PREF)', async () => {
    const a = link.addrs;
    const r = await waitFor(() => find(a.ipv4[0], 'ipv4-unicast', '20.0.20.1/32'), { description: '20.0.20.1/32 at GoBGP' });
    expect(r).toMatchObject({ origin: 'igp', asPath: [65000], nextHop: [a.ipv4[0]], communities: ['65000:100', '65535:65281'], largeCommunities: ['65000:1:2'], localPreference: undefined });
    expect(await find(a.ipv4[0], 'ipv4-unicast', '20.0.20.0/24')).toMatchObject({ med: 10, communities: ['65535:65284'] });
    const r6 = await waitFor(() => find(a.ipv4[0], 'ipv6-unicast', '2001:db8:30::/64'), { description: 'IPv6 route over the IPv4 session' });
    expect(r6).toMatchObject({ nextHop: [a.ipv6[0]], communities: ['65000:300'], largeCommunities: ['65000:3:3'] });
  });

  it('iBGP over IPv6: local preference, empty AS path, IPv4 routes with the configured next hop', async () => {
    const a = link.addrs;
    const r6 = await waitFor(() => find(a.ipv6[0], 'ipv6-unicast', '2001:db8:30::/64'), { description: 'IPv6 route at GoBGP' });
    expect(r6).toMatchObject({ origin: 'igp', asPath: [], nextHop: [a.ipv6[0]], localPreference: 150, communities: ['65000:300'], largeCommunities: ['65000:3:3'] });
    const r4 = await waitFor(() => find(a.ipv6[0], 'ipv4-unicast', '20.0.20.1/32'), { description: 'IPv4 route over IPv6' });
    expect(r4).toMatchObject({ nextHop: [a.ipv4[0]], localPreference: 250, communities: ['65000:100', '65535:65281'] });
  });

  it('withdrawals remove routes at GoBGP', async () => {
    const a = link.addrs;
    speaker.setRoutes('gobgp-v4', 'ipv4-unicast', new Map([['20.0.20.1/32', v4Routes.get('20.0.20.1/32')!]]));
    speaker.setRoutes('gobgp-v6', 'ipv6-unicast', new Map());
    await waitFor(async () => !(await find(a.ipv4[0], 'ipv4-unicast', '20.0.20.0/24')), { description: '20.0.20.0/24 withdrawn' });
    await waitFor(async () => (await adjIn(a.ipv6[0], 'ipv6-unicast')).length === 0, { description: 'IPv6 routes withdrawn' });
    expect(await find(a.ipv4[0], 'ipv4-unicast', '20.0.20.1/32')).toBeDefined();
  });

  it('graceful restart: GoBGP marks our routes stale while we are away and clears the flag after our End-of-RIB', async () => {
    const a = link.addrs;
    await speaker.stop({ graceful: true });
    const stale = await waitFor(async () => {
      const r = await find(a.ipv4[0], 'ipv4-unicast', '20.0.20.1/32');
      return r?.stale ? r : undefined;
    }, { description: 'route kept as stale' });
    expect(stale.communities).toEqual(['65000:100', '65535:65281']);
    const next = speakerWithLog({ localASN: 65000, routerID: '10.0.0.1', restarting: true });
    speaker = next.speaker;
    log.push(...next.log);
    cleanup.add(() => next.speaker.stop());
    await speaker.start();
    speaker.setRoutes('gobgp-v4', 'ipv4-unicast', new Map([['20.0.20.1/32', v4Routes.get('20.0.20.1/32')!]]));
    speaker.setPeers([peers[0]!]);
    await waitFor(() => speaker.peerStatus('gobgp-v4')?.state === 'Established', { description: 're-established', timeoutMs: 30_000 });
    await waitFor(async () => (await find(a.ipv4[0], 'ipv4-unicast', '20.0.20.1/32'))?.stale === false, { description: 'stale flag cleared' });
  });

  it('peer frozen (SIGSTOP) → hold timer expires and NOTIFICATION 4 is sent; thawed, the session comes back', async () => {
    gobgp.freeze();
    try {
      await waitFor(() => speaker.peerStatus('gobgp-v4')?.state !== 'Established', { description: 'hold timer expiry', timeoutMs: 20_000 });
      expect(speaker.peerStatus('gobgp-v4')!.lastError).toMatchObject({ direction: 'sent', code: 4 });
    } finally {
      gobgp.thaw();
    }
    await waitFor(() => speaker.peerStatus('gobgp-v4')?.state === 'Established', { description: 'back', timeoutMs: 40_000 });
  });

  it('GoBGP restarted → the session comes back', async () => {
    await gobgp.restart();
    await waitFor(() => speaker.peerStatus('gobgp-v4')?.state === 'Established' && speaker.peerStatus('gobgp-v4')!.connectRetryCount >= 0, { description: 'back after restart', timeoutMs: 40_000 });
    await waitFor(() => find(link.addrs.ipv4[0], 'ipv4-unicast', '20.0.20.1/32'), { description: 'route back' });
  });

  it('TCP MD5: wrong key never establishes (GoBGP kernel drops our segments); right key does', async () => {
    const a = link.addrs;
    gobgpOptions = { ...gobgpOptions, neighbors: [{ ...gobgpOptions.neighbors[0]!, password: 'gobgp-key' }] };
    const before = (await netstatCounters(link.ns.name))['TcpExt.TCPMD5Failure'] ?? 0;
    speaker.setPeers([{ ...peers[0]!, password: 'not-the-key' }]);
    await gobgp.reconfigure(gobgpOptions);
    await waitFor(async () => ((await netstatCounters(link.ns.name))['TcpExt.TCPMD5Failure'] ?? 0) > before, { description: 'wrongly signed segments dropped', timeoutMs: 20_000 });
    expect(speaker.peerStatus('gobgp-v4')!.state).not.toBe('Established');
    speaker.setPeers([{ ...peers[0]!, password: 'gobgp-key' }]);
    await waitFor(() => speaker.peerStatus('gobgp-v4')?.state === 'Established', { description: 'established with the right key', timeoutMs: 30_000 });
    await waitFor(() => find(a.ipv4[0], 'ipv4-unicast', '20.0.20.1/32'), { description: 'route over MD5' });
  });
});
