import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrrInstance, waitFor, Cleanup, createRootLinkedNamespace, type RootLinkedNamespace } from '@bosun/testing';
import type { BgpSpeaker } from '../src/index.js';
import { speakerWithLog } from './topology.js';

// FRR 8.4 bgpd (standalone, no zebra) as a third real peer: session, attributes, withdrawal, MD5.

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
    neighbors: [{ name: 'bosun', peerAddress: a.ipv4[0], peerASN: 65000, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, password: 'frr-key' }],
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

describe('FRR interop', () => {
  it('establishes with MD5 and the routes carry exactly our attributes; withdrawal removes them', async () => {
    const a = link.addrs;
    speaker.setRoutes('frr', 'ipv4-unicast', new Map([['20.0.30.1/32', { communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'] }], ['20.0.30.2/32', {}]]));
    speaker.setPeers([{ name: 'frr', peerAddress: a.ipv4[1], peerASN: 65002, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, connectRetryTimeSeconds: 1, password: 'frr-key', families: ['ipv4-unicast'] }]);
    await waitFor(() => speaker.peerStatus('frr')?.state === 'Established', { description: 'established', timeoutMs: 30_000 });
    expect((await frr.session(a.ipv4[0])).state).toBe('established');
    const r = await waitFor(async () => (await frr.routes('ipv4-unicast')).find((x) => x.prefix === '20.0.30.1/32'), { description: 'route at FRR' });
    expect(r).toMatchObject({ asPath: [65000], origin: 'igp', communities: ['65000:100', '65535:65281'], largeCommunities: ['65000:1:2'] });
    speaker.setRoutes('frr', 'ipv4-unicast', new Map([['20.0.30.1/32', { communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'] }]]));
    await waitFor(async () => !(await frr.routes('ipv4-unicast')).some((x) => x.prefix === '20.0.30.2/32'), { description: 'withdrawn at FRR' });
    expect(speaker.peerStatus('frr')!.routeCounts[0]).toMatchObject({ advertised: 1 });
  });
});
