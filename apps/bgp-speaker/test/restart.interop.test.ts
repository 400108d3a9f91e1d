import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore } from '@bosun/event-store';
import { startTalkSuite, waitFor, type TalkSuite, TALK_PASSWORD, applyAll, applyTalkBgpSetup, birdRouteLogConfig, birdSession, enableBirdRouteDebug, loadBalancerService, readFileOrEmpty, waitForLbIp } from '@bosun/testing';

/**
 * Graceful restart of the speaker (the seed's PeerConfig: GR on, restart time 15 s): killed
 * with SIGKILL, the router keeps its routes as stale; restarted, it sends its table and
 * End-of-RIB, and the router never withdraws and re-adds the unchanged routes.
 */
describe('bgp-speaker restart (SIGKILL) with graceful restart', () => {
  let suite: TalkSuite;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-bgpgr-'));
    suite = await startTalkSuite({ area: 'bgpgr', prefix: 'bgpgr', password: TALK_PASSWORD, birdExtraConfig: birdRouteLogConfig(join(dir, 'bird-routes.log')) });
    await enableBirdRouteDebug(suite);
    await applyTalkBgpSetup(suite);
    await applyAll(suite, [loadBalancerService('cilium-gateway-gateway-blue', { color: 'blue', bgp: 'blue' })]);
    expect(await waitForLbIp(suite, 'tenant-blue', 'cilium-gateway-gateway-blue')).toBe('20.0.10.1');
    await suite.startAgent('node-1');
    await suite.startAgent('node-2');
    for (const n of ['node-1', 'node-2']) await waitFor(async () => (await suite.topology.routesFrom(n)).includes('20.0.10.1/32'), { description: `20.0.10.1/32 from ${n}`, timeoutMs: 60_000 });
  }, 180_000);
  afterAll(async () => {
    await suite?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('SIGKILL → routes kept stale for the restart time; restart → End-of-RIB, no withdraw-and-readvertise', async () => {
    const node = suite.topology.node('node-1');
    const proto = node.birdProtocol;
    const routesBefore = await suite.topology.routesFrom('node-1');
    expect(routesBefore).toContain('20.0.10.1/32');
    const logBefore = readFileOrEmpty(join(dir, 'bird-routes.log')).length;
    const agent = suite.agent('node-1')!;
    const speakerPid = agent.servicePid('bgp-speaker')!;
    // Hold the agent so that it does not restart the speaker at once, then kill the speaker.
    agent.process.signal('SIGSTOP');
    process.kill(speakerPid, 'SIGKILL');
    try {
      const gr = await waitFor(async () => {
        const p = await birdSession(suite, 'node-1');
        return p.gracefulRestartActive ? p : undefined;
      }, { description: 'BIRD in graceful restart for node-1', timeoutMs: 20_000, intervalMs: 100 });
      expect(gr.bgpState).not.toBe('Established');
      // For a few seconds (well within the 15 s restart time) the routes stay, marked stale.
      for (let i = 0; i < 6; i++) {
        const routes = await suite.topology.router.bird.routes({ table: 'master4', protocol: proto });
        expect(routes.map((r) => r.prefix).sort()).toEqual(routesBefore);
        expect(routes.every((r) => r.stale)).toBe(true);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      agent.process.signal('SIGCONT');
    }
    // The agent restarts the speaker: it comes back as a restarting speaker, sends the table, then End-of-RIB.
    await waitFor(async () => {
      const p = await birdSession(suite, 'node-1');
      return p.bgpState === 'Established' && !p.gracefulRestartActive;
    }, { description: 'node-1 re-established, graceful restart over (End-of-RIB received)', timeoutMs: 30_000, intervalMs: 200 });
    expect(agent.servicePid('bgp-speaker')).not.toBe(speakerPid);
    const routesAfter = await suite.topology.routesFrom('node-1');
    expect(routesAfter).toEqual(routesBefore);
    const routes = await suite.topology.router.bird.routes({ table: 'master4', protocol: proto });
    expect(routes.some((r) => r.stale)).toBe(false);
    // BIRD never removed a route from node-1 during the restart (no withdraw-and-readvertise).
    const log = readFileOrEmpty(join(dir, 'bird-routes.log')).slice(logBefore);
    const removed = log.split('\n').filter((l) => l.includes(`${proto}.ipv4 > removed`));
    expect(removed).toEqual([]);
    // node-2 never noticed
    expect((await birdSession(suite, 'node-2')).bgpState).toBe('Established');
    // The speaker's own record: no route was advertised again after the restart (nothing changed).
    const store = await createEventStore({ url: suite.env['DATABASE_URL'], schema: suite.schema, migrate: false, poolSize: 1 });
    try {
      const events = await store.readStream('bgp-node-node-1');
      const advertised = events.filter((e) => e.type === 'bgp.RouteAdvertised').flatMap((e) => (e.data as { prefixes: string[] }).prefixes);
      expect(advertised.filter((p) => p === '20.0.10.1/32')).toHaveLength(1);
      expect(events.some((e) => e.type === 'bgp.RouteWithdrawn')).toBe(false);
    } finally {
      await store.close();
    }
  });
});
