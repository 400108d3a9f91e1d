import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec } from '../net/exec.js';
import { listNamespaces } from '../net/netns.js';
import { createTalkTopology, TALK_ROUTER_IPV4, TALK_ROUTER_IPV6, type TalkTopology } from './talk.js';

describe('talk topology (BIRD router + two rack0 nodes on one link)', () => {
  let topo: TalkTopology;
  beforeAll(async () => {
    topo = await createTalkTopology({ prefix: 'tktopo', password: 'topo-secret' });
  });
  afterAll(async () => {
    await topo?.destroy();
  });

  it('gives each node eth0 with IPv4 and IPv6 on the router link, reachable both ways', async () => {
    expect(topo.nodes.map((n) => [n.name, n.ipv4, n.ipv6, n.labels])).toEqual([
      ['node-1', '10.99.0.11', 'fd00:10::11', { rack: 'rack0' }],
      ['node-2', '10.99.0.12', 'fd00:10::12', { rack: 'rack0' }],
    ]);
    for (const n of topo.nodes) {
      // arping / ndisc6: the router answers ARP and NDP on the shared link
      await n.namespace.exec('arping', ['-c', '1', '-w', '2', '-I', 'eth0', TALK_ROUTER_IPV4]);
      await n.namespace.exec('ndisc6', ['-1', '-r', '2', TALK_ROUTER_IPV6, 'eth0']);
    }
  });

  it('runs BIRD with one passive iBGP protocol per node, hold 9 and keepalive 3, MD5 configured', async () => {
    const conf = await exec('cat', [topo.router.bird.configFile]);
    for (const n of topo.nodes) {
      const p = await topo.router.bird.protocol(n.birdProtocol);
      expect(p.name).toBe(n.birdProtocol);
      expect(conf.stdout).toContain(`neighbor ${n.ipv6} as 65000;`);
    }
    expect(conf.stdout).toContain('password "topo-secret";');
    expect(conf.stdout).toContain('hold time 9;');
    expect(conf.stdout).toContain('keepalive time 3;');
    expect(conf.stdout).toContain('passive on;');
  });

  it('removes its namespaces on destroy', async () => {
    const names = [topo.router.namespace.name, ...topo.nodes.map((n) => n.namespace.name)];
    await topo.destroy();
    const left = await listNamespaces();
    expect(names.filter((n) => left.includes(n))).toEqual([]);
  });
});
