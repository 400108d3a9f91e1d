import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, startTalkSuite, waitFor, type TalkSuite, TALK_PASSWORD, applyAll, applyTalkBgpSetup, birdRouteLogConfig, birdSession, birdSince, sameEstablishment, enableBirdRouteDebug, loadBalancerService, readFileOrEmpty, retry504, waitForLbIp } from '@bosun/testing';

/**
 * The talk, for real: a BIRD router owning fd00:10::1 (AS 65000, MD5, hold 9 s, keepalive 3 s),
 * two nodes labelled rack=rack0 running `bosun agent` in their namespaces, the API and LB IPAM.
 * The seed's BGP manifests + bgp-auth-secret + ip-pool-blue + a Service labelled bgp=blue,
 * color=blue → the router holds 20.0.10.1/32 from each node.
 */
describe('bgp-speaker with the talk manifests against BIRD', () => {
  let suite: TalkSuite;
  let dir: string;
  const logFile = (): string => join(dir, 'bird-routes.log');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-bgptalk-'));
    suite = await startTalkSuite({ area: 'bgptalk', prefix: 'bgptalk', password: TALK_PASSWORD, birdExtraConfig: birdRouteLogConfig(join(dir, 'bird-routes.log')) });
    await enableBirdRouteDebug(suite);
    await applyTalkBgpSetup(suite);
    await applyAll(suite, [loadBalancerService('cilium-gateway-gateway-blue', { color: 'blue', bgp: 'blue', 'io.cilium.gateway/owning-gateway': 'gateway-blue' })]);
    await suite.startAgent('node-1');
    await suite.startAgent('node-2');
  }, 180_000);

  afterAll(async () => {
    await suite?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fromNode = (node: string): Promise<string[]> => suite.topology.routesFrom(node);

  it('the router holds 20.0.10.1/32 from each rack0 node, over MD5 sessions with hold 9 s and keepalive 3 s', async () => {
    expect(await waitForLbIp(suite, 'tenant-blue', 'cilium-gateway-gateway-blue')).toBe('20.0.10.1');
    for (const node of ['node-1', 'node-2']) {
      await waitFor(async () => (await fromNode(node)).includes('20.0.10.1/32'), { description: `20.0.10.1/32 from ${node}`, timeoutMs: 60_000 }).catch((e: Error) => {
        throw new Error(`${e.message}\n${suite.logs()}`);
      });
      const p = await birdSession(suite, node);
      expect(p.bgpState).toBe('Established');
      expect(p.holdTimeSeconds).toBe(9);
      expect(p.keepaliveSeconds).toBe(3);
      expect(p.neighborAddress).toBe(suite.topology.node(node).ipv6);
      expect(p.neighborAS).toBe(65000);
      // IPv4 route over the IPv6 session, with the node's IPv4 address as next hop
      const [route] = await suite.topology.router.bird.routes({ table: 'master4', protocol: suite.topology.node(node).birdProtocol, prefix: '20.0.10.1/32' });
      expect(route?.nextHop).toEqual([suite.topology.node(node).ipv4]);
      expect(route?.asPath).toEqual([]);
    }
    // MD5: the router's sockets to the nodes carry a TCP MD5 key
    const ss = await suite.topology.router.namespace.exec('ss', ['-tnie', 'state', 'established', '( sport = :179 )']);
    expect(ss.stdout.match(/md5/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  });

  it('a Service without the bgp label is never advertised (its LB IP neither)', async () => {
    await applyAll(suite, [loadBalancerService('unlabelled', { color: 'blue' }), loadBalancerService('labelled-2', { color: 'blue', bgp: 'blue' })]);
    const plain = await waitForLbIp(suite, 'tenant-blue', 'unlabelled');
    const labelled = await waitForLbIp(suite, 'tenant-blue', 'labelled-2');
    for (const node of ['node-1', 'node-2']) {
      await waitFor(async () => (await fromNode(node)).includes(`${labelled}/32`), { description: `${labelled}/32 from ${node}`, timeoutMs: 30_000 });
      expect(await fromNode(node)).not.toContain(`${plain}/32`);
    }
    expect(readFileOrEmpty(logFile())).not.toContain(` ${plain}/32 `);
  });

  it('the label removed → the route is withdrawn from the router', async () => {
    const svc = (await suite.client.get('services', 'labelled-2', 'tenant-blue')) as any;
    const ip = svc.status.loadBalancer.ingress[0].ip as string;
    await retry504(() => suite.client.patch('services', 'labelled-2', { metadata: { labels: { bgp: null } } }, { namespace: 'tenant-blue', type: 'merge' }));
    for (const node of ['node-1', 'node-2']) {
      await waitFor(async () => !(await fromNode(node)).includes(`${ip}/32`), { description: `${ip}/32 withdrawn by ${node}`, timeoutMs: 30_000 });
    }
    expect(await fromNode('node-1')).toContain('20.0.10.1/32');
  });

  it('a node relabelled out of rack0 → its session goes away; the other node keeps its session', async () => {
    const before = await birdSession(suite, 'node-1');
    await retry504(() => suite.client.patch('nodes', 'node-2', { metadata: { labels: { rack: 'rack1' } } }, { type: 'merge' }));
    await waitFor(async () => (await birdSession(suite, 'node-2')).bgpState !== 'Established', { description: 'node-2 session down', timeoutMs: 30_000 });
    await waitFor(async () => (await fromNode('node-2')).length === 0, { description: 'no routes from node-2', timeoutMs: 30_000 });
    const after = await birdSession(suite, 'node-1');
    expect(after.bgpState).toBe('Established');
    expect(sameEstablishment(birdSince(before), birdSince(after)) || `${birdSince(before)} → ${birdSince(after)}`).toBe(true); // established since the same time: no reset
    expect(birdSince(before)).not.toBe('');
    expect(await fromNode('node-1')).toContain('20.0.10.1/32');
    // its NodeConfig is gone (no ClusterConfig selects it)
    await waitFor(async () => (await suite.client.tryGet('ciliumbgpnodeconfigs', 'node-2')) === undefined, { description: 'NodeConfig node-2 deleted', timeoutMs: 30_000 });
    // back into rack0 → the session comes back
    await retry504(() => suite.client.patch('nodes', 'node-2', { metadata: { labels: { rack: 'rack0' } } }, { type: 'merge' }));
    await waitFor(async () => (await fromNode('node-2')).includes('20.0.10.1/32'), { description: 'node-2 back', timeoutMs: 60_000 });
  });

  it('CiliumBGPNodeConfig status shows each peer established with its timers and route counts', async () => {
    const nc = await waitFor(
      async () => {
        const o = (await suite.client.tryGet('ciliumbgpnodeconfigs', 'node-1')) as any;
        const peer = o?.status?.bgpInstances?.[0]?.peers?.[0];
        return peer?.peeringState === 'established' && peer.routeCount?.[0]?.advertised >= 2 ? o : undefined;
      },
      { description: 'node-1 status', timeoutMs: 30_000 },
    );
    expect(nc.metadata.ownerReferences[0]).toMatchObject({ kind: 'CiliumBGPClusterConfig', name: 'cilium-bgp', controller: true });
    expect(nc.spec.bgpInstances[0]).toMatchObject({ name: 'instance-65000', localASN: 65000, peers: [{ name: 'peer-65000-tor1', peerASN: 65000, peerConfigRef: { name: 'cilium-peer' } }] });
    const peer = nc.status.bgpInstances[0].peers[0];
    expect(peer).toMatchObject({ name: 'peer-65000-tor1', peerAddress: 'fd00:10::1', peerASN: 65000, peeringState: 'established', timers: { appliedHoldTimeSeconds: 9, appliedKeepaliveSeconds: 3 } });
    expect(peer.establishedTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(peer.routeCount).toEqual([{ afi: 'ipv4', safi: 'unicast', advertised: expect.any(Number), received: 0 }]);
    // the ClusterConfig's conditions, as Cilium's operator writes them
    const cc = await waitFor(async () => {
      const o = (await suite.client.tryGet('ciliumbgpclusterconfigs', 'cilium-bgp')) as any;
      return (o?.status?.conditions as any[] | undefined)?.length === 3 ? o : undefined;
    }, { description: 'ClusterConfig conditions', timeoutMs: 30_000 });
    expect(Object.fromEntries(cc.status.conditions.map((c: any) => [c.type, c.status]))).toEqual({
      'cilium.io/ConflictingClusterConfig': 'False',
      'cilium.io/MissingPeerConfigs': 'False',
      'cilium.io/NoMatchingNode': 'False',
    });
    // bosun bgp peers, like cilium bgp peers
    const out = await exec(process.execPath, [join(suite.root, 'apps/cli/bin/bosun.js'), 'bgp', 'peers'], { env: { ...process.env, ...suite.env } }).catch((e: Error) => ({ stdout: e.message }));
    expect(out.stdout).toMatch(/^Node\s+Local AS\s+Peer AS\s+Peer Address\s+Session State\s+Uptime\s+Family\s+Received\s+Advertised/);
    expect(out.stdout).toMatch(/node-1\s+65000\s+65000\s+fd00:10::1\s+established\s+\S+\s+ipv4\/unicast\s+0\s+\d+/);
    // bosun bgp routes advertised --node node-1, like cilium bgp routes advertised ipv4 unicast
    const routes = await exec(process.execPath, [join(suite.root, 'apps/cli/bin/bosun.js'), 'bgp', 'routes', 'advertised', 'ipv4', 'unicast', '--node', 'node-1'], { env: { ...process.env, ...suite.env } });
    expect(routes.stdout.split('\n')[0]).toMatch(/^Node\s+VRouter\s+Peer\s+Prefix\s+NextHop\s+Age\s+Attrs$/);
    expect(routes.stdout).toMatch(/node-1\s+65000\s+fd00:10::1\s+20\.0\.10\.1\/32\s+10\.99\.0\.11\s+\S+\s+\[\{Origin: i\}/);
    expect(routes.stdout).not.toMatch(/^node-2/m);
  });

  it('serves /healthz, /readyz and the Cilium BGP metrics inside the node', async () => {
    const get = async (path: string): Promise<{ status: number; body: string }> => {
      const script = `fetch('http://127.0.0.1:9103${path}').then(async (r) => { process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })); })`;
      const r = await suite.topology.node('node-1').namespace.exec(process.execPath, ['-e', script]);
      return JSON.parse(r.stdout) as { status: number; body: string };
    };
    expect((await get('/healthz')).status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toContain('[+]bgp-reconcile ok');
    const metrics = await waitFor(async () => {
      const m = (await get('/metrics')).body;
      return /cilium_bgp_control_plane_advertised_routes\{[^}]*\} [1-9]/.test(m) ? m : undefined;
    }, { description: 'advertised routes in the metrics', timeoutMs: 30_000 });
    // Cilium's labels (plus the process-wide `service` label every Bosun metric carries)
    expect(metrics).toMatch(/cilium_bgp_control_plane_session_state\{vrouter="65000",neighbor="\[fd00:10::1\]:179",neighbor_asn="65000"[^}]*\} 1/);
    expect(metrics).toMatch(/cilium_bgp_control_plane_advertised_routes\{vrouter="65000",neighbor="\[fd00:10::1\]:179",neighbor_asn="65000",afi="ipv4",safi="unicast"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/cilium_bgp_control_plane_received_routes\{[^}]*afi="ipv4",safi="unicast"[^}]*\} 0/);
    expect(metrics).toMatch(/cilium_bgp_control_plane_reconcile_run_duration_seconds_count\{[^}]*vrouter="65000"[^}]*\} [1-9]/);
    expect(metrics).toContain('# TYPE cilium_bgp_control_plane_reconcile_errors_total counter');
  });

  it('a missing auth Secret → a clear condition and event, no crash, no unauthenticated session', async () => {
    const pc = (await suite.client.get('ciliumbgppeerconfigs', 'cilium-peer')) as any;
    await retry504(() => suite.client.patch('ciliumbgppeerconfigs', 'cilium-peer', { spec: { authSecretRef: 'no-such-secret' } }, { type: 'merge' }));
    const cond = await waitFor(
      async () => {
        const o = (await suite.client.tryGet('ciliumbgpnodeconfigs', 'node-1')) as any;
        return (o?.status?.conditions as any[] | undefined)?.find((c) => c.type === 'cilium.io/MissingAuthSecret' && c.status === 'True');
      },
      { description: 'MissingAuthSecret on node-1', timeoutMs: 30_000 },
    );
    expect(cond.message).toContain('no-such-secret');
    // …and on the PeerConfig, as Cilium's operator reports it
    await waitFor(
      async () => {
        const o = (await suite.client.tryGet('ciliumbgppeerconfigs', 'cilium-peer')) as any;
        return (o?.status?.conditions as any[] | undefined)?.some((c) => c.type === 'cilium.io/MissingAuthSecret' && c.status === 'True' && c.message.includes('no-such-secret'));
      },
      { description: 'MissingAuthSecret on CiliumBGPPeerConfig cilium-peer', timeoutMs: 30_000 },
    );
    for (const node of ['node-1', 'node-2']) {
      await waitFor(async () => (await birdSession(suite, node)).bgpState !== 'Established', { description: `${node} session closed`, timeoutMs: 30_000 });
    }
    // the event says why
    const { createEventStore } = await import('@bosun/event-store');
    const store = await createEventStore({ url: suite.env['DATABASE_URL'], schema: suite.schema, migrate: false, poolSize: 1 });
    const events = await store.readStream('bgp-node-node-1');
    await store.close();
    expect(events.find((e) => e.type === 'bgp.PeerBlocked')?.data).toMatchObject({ reason: 'MissingAuthSecret', authSecretRef: 'no-such-secret', peer: 'peer-65000-tor1' });
    expect(JSON.stringify(events)).not.toContain(TALK_PASSWORD);
    // no session attempt at all from the nodes for a while (never unauthenticated), and no crash
    await new Promise((r) => setTimeout(r, 3000));
    for (const node of ['node-1', 'node-2']) {
      const ss = await suite.topology.node(node).namespace.exec('ss', ['-tn', 'dst', '[fd00:10::1]:179']);
      expect(ss.stdout.trim().split('\n').length).toBe(1); // header only
      expect(suite.agent(node)!.process.output()).not.toMatch(/bgp-speaker exited/);
    }
    // the Secret reference fixed → sessions come back
    await retry504(() => suite.client.patch('ciliumbgppeerconfigs', 'cilium-peer', { spec: { authSecretRef: pc.spec.authSecretRef } }, { type: 'merge' }));
    for (const node of ['node-1', 'node-2']) {
      await waitFor(async () => (await fromNode(node)).includes('20.0.10.1/32'), { description: `${node} back with MD5`, timeoutMs: 60_000 });
    }
  });
});
