import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BirdInstance, FrrInstance, GobgpInstance, cleanupStaleNamespaces, connectNamespaces, createNamespace, randomPointToPointAddresses, waitFor, type NetNamespace } from '../../index.js';

// The launchers themselves, against each other (no Bosun code involved): BIRD ⇄ GoBGP ⇄ FRR.
const PREFIX = 'tpeer';

describe('real-peer launchers', () => {
  const namespaces: NetNamespace[] = [];
  const daemons: Array<{ dispose(): Promise<void> }> = [];
  let birdNs: NetNamespace;
  let gobgpNs: NetNamespace;
  let frrNs: NetNamespace;
  const ab = randomPointToPointAddresses();
  const bc = randomPointToPointAddresses();

  beforeAll(async () => {
    await cleanupStaleNamespaces(PREFIX);
    birdNs = await createNamespace(PREFIX);
    gobgpNs = await createNamespace(PREFIX);
    frrNs = await createNamespace(PREFIX);
    namespaces.push(birdNs, gobgpNs, frrNs);
    await connectNamespaces({ namespace: birdNs.name, name: 'eth0', addresses: [ab.ipv4Cidr[0], ab.ipv6Cidr[0]] }, { namespace: gobgpNs.name, name: 'eth0', addresses: [ab.ipv4Cidr[1], ab.ipv6Cidr[1]] });
    await connectNamespaces({ namespace: gobgpNs.name, name: 'eth1', addresses: [bc.ipv4Cidr[0]] }, { namespace: frrNs.name, name: 'eth0', addresses: [bc.ipv4Cidr[1]] });
  });
  afterAll(async () => {
    for (const d of daemons) await d.dispose().catch(() => undefined);
    for (const ns of namespaces) await ns.delete();
  });

  it('BIRD, GoBGP and FRR establish (MD5 between BIRD and GoBGP) and exchange routes with their attributes', async () => {
    const password = 'launcher-md5';
    const bird = await BirdInstance.start({
      namespace: birdNs.name,
      routerID: '10.255.0.1',
      localASN: 65010,
      neighbors: [{ name: 'gob', peerAddress: ab.ipv4[1], peerASN: 65001, password, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, gracefulRestart: {}, exportRoutes: true }],
      routes: [{ prefix: '198.51.100.0/24', communities: ['65010:7'], largeCommunities: ['65010:1:1'] }],
    });
    daemons.push(bird);
    const gobgp = await GobgpInstance.start({
      namespace: gobgpNs.name,
      routerID: '10.255.0.2',
      localASN: 65001,
      neighbors: [
        { name: 'bird', peerAddress: ab.ipv4[0], peerASN: 65010, password, holdTimeSeconds: 9, gracefulRestart: { restartTimeSeconds: 30 }, exportRoutes: true },
        { name: 'frr', peerAddress: bc.ipv4[1], peerASN: 65002, holdTimeSeconds: 9, families: ['ipv4-unicast'], exportRoutes: true },
      ],
      routes: [{ prefix: '203.0.113.1/32', communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'], med: 5 }],
    });
    daemons.push(gobgp);
    const frr = await FrrInstance.start({
      namespace: frrNs.name,
      routerID: '10.255.0.3',
      localASN: 65002,
      neighbors: [{ name: 'gob', peerAddress: bc.ipv4[0], peerASN: 65001, families: ['ipv4-unicast'] }],
    });
    daemons.push(frr);

    await waitFor(async () => (await bird.session('gob')).state === 'established', { description: 'BIRD ⇄ GoBGP established' });
    await waitFor(async () => (await gobgp.session(ab.ipv4[0])).state === 'established', { description: 'GoBGP sees BIRD established' });
    await waitFor(async () => (await frr.session(bc.ipv4[0])).state === 'established', { description: 'FRR ⇄ GoBGP established' });
    expect((await bird.session('gob')).holdTimeSeconds).toBe(9);

    const atBird = await waitFor(async () => (await bird.routes({ table: 'master4', prefix: '203.0.113.1/32' }))[0], { description: 'route at BIRD' });
    expect(atBird).toMatchObject({ origin: 'incomplete', asPath: [65001], nextHop: [ab.ipv4[1]], med: 5, communities: ['65000:100', '65535:65281'], largeCommunities: ['65000:1:2'], stale: false });

    const atGobgp = await waitFor(async () => (await gobgp.routes('ipv4-unicast')).find((r) => r.prefix === '198.51.100.0/24'), { description: 'route at GoBGP' });
    expect(atGobgp).toMatchObject({ origin: 'igp', asPath: [65010], nextHop: [ab.ipv4[0]], communities: ['65010:7'], largeCommunities: ['65010:1:1'] });

    const atFrr = await waitFor(async () => (await frr.routes('ipv4-unicast')).find((r) => r.prefix === '203.0.113.1/32'), { description: 'route at FRR' });
    expect(atFrr).toMatchObject({ asPath: [65001], communities: ['65000:100', '65535:65281'], largeCommunities: ['65000:1:2'] });

    // GoBGP killed without a NOTIFICATION: BIRD (GR on) keeps its routes as stale until it is back.
    await gobgp.kill();
    await waitFor(async () => (await bird.session('gob')).gracefulRestartActive, { description: 'BIRD in graceful restart' });
    expect((await bird.routes({ table: 'master4', prefix: '203.0.113.1/32' }))[0]?.stale).toBe(true);
    await gobgp.restart({ restarting: true });
    await waitFor(async () => !(await bird.session('gob')).gracefulRestartActive && (await bird.session('gob')).state === 'established', { description: 'GR finished' });
    expect((await bird.routes({ table: 'master4', prefix: '203.0.113.1/32' }))[0]?.stale).toBe(false);
  });
});
