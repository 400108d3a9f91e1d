import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrrInstance, waitFor, Cleanup, createRootLinkedNamespace, type RootLinkedNamespace } from '@bosun/testing';
import type { BgpSpeaker, PeerConfig, RouteAttributes } from '../src/index.js';
import { speakerWithLog } from './topology.js';

// FRR 8.4 bgpd (standalone, no zebra) as a third real peer: session, attributes, withdrawal, MD5,
// our graceful restart (FRR as the helper) and RFC 8538 Hard Reset.

const cleanup = new Cleanup();
let link: RootLinkedNamespace;
let frr: FrrInstance;
let speaker: BgpSpeaker;
let log: string[];

beforeAll(async () => {
  link = await createRootLinkedNamespace('bgpfrr');
  cleanup.add(() => link.ns.delete());
  const a = link.addrs;
  frr = await FrrInstance.start({
    namespace: link.ns.name,
    routerID: '10.255.0.3',
    localASN: 65002,
    neighbors: [{ name: 'bosun', peerAddress: a.ipv4[0], peerASN: 65000, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, password: 'frr-key', gracefulRestart: { restartTimeSeconds: 120 } }],
  });
  cleanup.add(() => frr.dispose());
  ({ speaker, log } = speakerWithLog({ localASN: 65000, routerID: '10.0.0.1' }));
  cleanup.add(() => speaker.stop());
  await speaker.start();
});

afterAll(async () => {
  if (process.env.BOSUN_TEST_VERBOSE) console.log(log.join('\n'), frr?.process?.output());
  await cleanup.run();
});

const frrPeer = (a: RootLinkedNamespace['addrs']): PeerConfig => ({
  name: 'frr',
  peerAddress: a.ipv4[1],
  peerASN: 65002,
  holdTimeSeconds: 9,
  keepAliveTimeSeconds: 3,
  connectRetryTimeSeconds: 1,
  password: 'frr-key',
  families: ['ipv4-unicast'],
  gracefulRestart: { enabled: true, restartTimeSeconds: 120 },
});
const route: RouteAttributes = { communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'] };

/** A new speaker process would start so: `restarting` sets the R bit within the peer's restart time. */
const restartSpeaker = async (restarting: boolean): Promise<void> => {
  const next = speakerWithLog({ localASN: 65000, routerID: '10.0.0.1', restarting });
  speaker = next.speaker;
  log.push(...next.log);
  cleanup.add(() => next.speaker.stop());
  await speaker.start();
  speaker.setRoutes('frr', 'ipv4-unicast', new Map([['20.0.30.1/32', route]]));
  speaker.setPeers([frrPeer(link.addrs)]);
  await waitFor(() => speaker.peerStatus('frr')?.state === 'Established', { description: 're-established', timeoutMs: 30_000 });
};

describe('FRR interop', () => {
  it('establishes with MD5 and the routes carry exactly our attributes; withdrawal removes them', async () => {
    const a = link.addrs;
    speaker.setRoutes('frr', 'ipv4-unicast', new Map([['20.0.30.1/32', { communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'] }], ['20.0.30.2/32', {}]]));
    speaker.setPeers([frrPeer(a)]);
    await waitFor(() => speaker.peerStatus('frr')?.state === 'Established', { description: 'established', timeoutMs: 30_000 });
    expect((await frr.session(a.ipv4[0])).state).toBe('established');
    const r = await waitFor(async () => (await frr.routes('ipv4-unicast')).find((x) => x.prefix === '20.0.30.1/32'), { description: 'route at FRR' });
    expect(r).toMatchObject({ asPath: [65000], origin: 'igp', communities: ['65000:100', '65535:65281'], largeCommunities: ['65000:1:2'] });
    speaker.setRoutes('frr', 'ipv4-unicast', new Map([['20.0.30.1/32', { communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'] }]]));
    await waitFor(async () => !(await frr.routes('ipv4-unicast')).some((x) => x.prefix === '20.0.30.2/32'), { description: 'withdrawn at FRR' });
    expect(speaker.peerStatus('frr')!.routeCounts[0]).toMatchObject({ advertised: 1 });
  });

  it('graceful restart: FRR keeps our route as stale while we are away, and clears the flag after our End-of-RIB', async () => {
    await speaker.stop({ graceful: true });
    const stale = await waitFor(async () => (await frr.routes('ipv4-unicast')).find((x) => x.prefix === '20.0.30.1/32' && x.stale), { description: 'route kept as stale at FRR', timeoutMs: 30_000 });
    expect(stale).toMatchObject({ asPath: [65000], communities: ['65000:100', '65535:65281'], largeCommunities: ['65000:1:2'] });
    await restartSpeaker(true);
    const fresh = await waitFor(async () => (await frr.routes('ipv4-unicast')).find((x) => x.prefix === '20.0.30.1/32' && !x.stale), { description: 'stale flag cleared at FRR', timeoutMs: 30_000 });
    expect(fresh).toMatchObject({ asPath: [65000], communities: ['65000:100', '65535:65281'] });
    expect((await frr.routes('ipv4-unicast')).map((r) => r.prefix)).toEqual(['20.0.30.1/32']);
  });

  it('shut down (not gracefully): Cease / Hard Reset, so FRR drops our route at once instead of keeping it stale (RFC 8538)', async () => {
    expect((await frr.routes('ipv4-unicast')).map((r) => r.prefix)).toEqual(['20.0.30.1/32']);
    await speaker.stop({ reason: 'maintenance' });
    await waitFor(async () => (await frr.routes('ipv4-unicast')).length === 0 || undefined, { description: 'route dropped at FRR', timeoutMs: 10_000 });
    const n = (JSON.parse(await frr.vtysh(`show bgp neighbors ${link.addrs.ipv4[0]} json`)) as Record<string, Record<string, unknown>>)[link.addrs.ipv4[0]]!;
    // FRR decapsulates the Hard Reset: the reason inside is the shutdown, with our message.
    expect(n).toMatchObject({ lastNotificationHardReset: true, lastErrorCodeSubcode: '0602', lastNotificationReason: 'Cease/Administrative Shutdown' });
    expect(frr.process!.output()).toContain('"maintenance"');
    await restartSpeaker(false);
    await waitFor(async () => (await frr.routes('ipv4-unicast')).some((x) => x.prefix === '20.0.30.1/32' && !x.stale) || undefined, { description: 'route back at FRR' });
  });
});
