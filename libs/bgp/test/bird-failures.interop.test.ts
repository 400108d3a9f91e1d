import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BirdInstance, waitFor, type BirdOptions, Cleanup, createRootLinkedNamespace, type RootLinkedNamespace } from '@bosun/testing';
import type { BgpSpeaker, PeerConfig } from '../src/index.js';
import { speakerWithLog } from './topology.js';

// Failures against BIRD 2: peer restart, peer frozen (hold timer), our graceful restart.

const cleanup = new Cleanup();
let link: RootLinkedNamespace;
let bird: BirdInstance;
let speaker: BgpSpeaker;
let log: string[];
let port: number;
let peer: PeerConfig;

const routes = new Map([
  ['20.0.10.1/32', { communities: ['65000:100'] }],
  ['20.0.10.2/32', { communities: ['65000:100'] }],
]);

beforeAll(async () => {
  link = await createRootLinkedNamespace('bgpbfail');
  cleanup.add(() => link.ns.delete());
  ({ speaker, log } = speakerWithLog({ localASN: 65000, routerID: '10.0.0.1', listen: { address: '::', port: 0 } }));
  cleanup.add(() => speaker.stop());
  await speaker.start();
  port = speaker.listenAddress!.port;
  const a = link.addrs;
  const options: BirdOptions = {
    namespace: link.ns.name,
    routerID: '10.255.0.1',
    localASN: 65010,
    neighbors: [{ name: 'bosun', localAddress: a.ipv4[1], peerAddress: a.ipv4[0], peerPort: port, peerASN: 65000, holdTimeSeconds: 3, keepAliveTimeSeconds: 1, gracefulRestart: {} }],
  };
  bird = await BirdInstance.start(options);
  cleanup.add(() => bird.dispose());
  peer = { name: 'bird', peerAddress: a.ipv4[1], peerASN: 65010, holdTimeSeconds: 3, keepAliveTimeSeconds: 1, connectRetryTimeSeconds: 1, families: ['ipv4-unicast'], gracefulRestart: { enabled: true, restartTimeSeconds: 60 } };
  speaker.setRoutes('bird', 'ipv4-unicast', routes);
  speaker.setPeers([peer]);
  await waitFor(() => speaker.peerStatus('bird')?.state === 'Established', { description: 'established', timeoutMs: 30_000 });
});

afterAll(async () => {
  if (process.env.BOSUN_TEST_VERBOSE) console.log(log.join('\n'), bird?.process?.output());
  await cleanup.run();
});

const birdHasRoutes = async (n: number): Promise<boolean> => (await bird.routes({ table: 'master4', protocol: 'bosun' })).length === n;

describe('BIRD 2 interop: failures', () => {
  it('peer restarted (Cease on its way down) → the session comes back with our routes', async () => {
    await waitFor(() => birdHasRoutes(2), { description: 'routes at BIRD' });
    await bird.stop();
    await waitFor(() => speaker.peerStatus('bird')?.state !== 'Established', { description: 'session down' });
    expect(speaker.peerStatus('bird')!.lastError).toMatchObject({ direction: 'received', code: 6 });
    await bird.restart();
    await waitFor(() => speaker.peerStatus('bird')?.state === 'Established', { description: 'session back', timeoutMs: 30_000 });
    await waitFor(() => birdHasRoutes(2), { description: 'routes back at BIRD' });
  });

  it('peer killed (no NOTIFICATION) → the session comes back', async () => {
    await bird.kill();
    await waitFor(() => speaker.peerStatus('bird')?.state !== 'Established', { description: 'session down' });
    await bird.restart();
    await waitFor(() => speaker.peerStatus('bird')?.state === 'Established', { description: 'session back', timeoutMs: 30_000 });
    await waitFor(() => birdHasRoutes(2), { description: 'routes back at BIRD' });
  });

  it('peer frozen (SIGSTOP) → our hold timer expires, NOTIFICATION 4 sent, session down; thawed, it comes back', async () => {
    bird.freeze();
    try {
      await waitFor(() => speaker.peerStatus('bird')?.state !== 'Established', { description: 'hold timer expiry', timeoutMs: 20_000 });
      expect(speaker.peerStatus('bird')!.lastError).toMatchObject({ direction: 'sent', code: 4, subcode: 0, reason: expect.stringMatching(/^Hold Timer Expired/) });
      expect(speaker.peerStatus('bird')!.messages.sent.notification).toBeGreaterThanOrEqual(1);
    } finally {
      bird.thaw();
    }
    // BIRD reads the NOTIFICATION we queued before closing.
    await waitFor(async () => /Received: Hold timer expired/.test((await bird.protocol('bosun')).lastError ?? ''), { description: "BIRD's last error shows our NOTIFICATION", timeoutMs: 20_000 });
    await waitFor(() => speaker.peerStatus('bird')?.state === 'Established', { description: 'session back', timeoutMs: 30_000 });
  });

  it('graceful restart: stopped without NOTIFICATION, BIRD keeps our routes as stale; restarted, we send them again then End-of-RIB and nothing unchanged is withdrawn', async () => {
    await waitFor(() => birdHasRoutes(2), { description: 'routes at BIRD' });
    await waitFor(async () => (await bird.session('bosun')).state === 'established', { description: 'BIRD established' });
    const before = (await bird.protocol('bosun')).channels.ipv4!;
    await speaker.stop({ graceful: true });
    await waitFor(async () => (await bird.session('bosun')).gracefulRestartActive, { description: 'BIRD in graceful restart for us' });
    expect((await bird.protocol('bosun')).lastError ?? '').not.toMatch(/Received/);
    const stale = await bird.routes({ table: 'master4', protocol: 'bosun' });
    expect(stale.map((r) => [r.prefix, r.stale]).sort()).toEqual([
      ['20.0.10.1/32', true],
      ['20.0.10.2/32', true],
    ]);

    // The restarted speaker (R bit) no longer wants 20.0.10.2/32: BIRD drops it after our End-of-RIB.
    const next = speakerWithLog({ localASN: 65000, routerID: '10.0.0.1', listen: { address: '::', port }, restarting: true });
    speaker = next.speaker;
    log.push(...next.log);
    cleanup.add(() => next.speaker.stop());
    await speaker.start();
    speaker.setRoutes('bird', 'ipv4-unicast', new Map([['20.0.10.1/32', routes.get('20.0.10.1/32')!]]));
    speaker.setPeers([peer]);
    await waitFor(async () => (await bird.session('bosun')).state === 'established', { description: 'BIRD established again', timeoutMs: 30_000 });
    expect(speaker.peerStatus('bird')!.gracefulRestart.restartState).toBe(true);
    expect((await bird.protocol('bosun')).neighborCapabilities).toContain('Restart recovery');
    await waitFor(async () => !(await bird.session('bosun')).gracefulRestartActive, { description: 'End-of-RIB ends the graceful restart' });
    const after = await bird.routes({ table: 'master4', protocol: 'bosun' });
    expect(after.map((r) => [r.prefix, r.stale])).toEqual([['20.0.10.1/32', false]]);
    const channel = (await bird.protocol('bosun')).channels.ipv4!;
    // BIRD's counters restart with the new session: one UPDATE with the route, no withdrawal from us.
    expect(channel.importWithdrawsReceived).toBe(0);
    expect(before.importUpdatesReceived).toBeGreaterThan(0);
  });
});
