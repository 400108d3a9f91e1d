import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BirdInstance, spawnManaged, waitFor, type ManagedProcess, Cleanup, createRootLinkedNamespace, type RootLinkedNamespace } from '@bosun/testing';


// `bosun bgp speak --config speaker.yaml` (the built CLI) against BIRD: logs, SIGHUP reload, a
// bad file leaves the running configuration alone, SIGTERM sends Cease.

const cli = resolve(__dirname, '../../../apps/cli/bin/bosun.js');
const cleanup = new Cleanup();
let link: RootLinkedNamespace;
let bird: BirdInstance;
let dir: string;
let speak: ManagedProcess;

const yaml = (prefixes: string, extraPeer = ''): string => `
localASN: 65000
routerID: 10.0.0.1
peers:
  - name: tor1
    peerAddress: ${link.addrs.ipv4[1]}
    peerASN: 65001
    password: s3cret
    holdTimeSeconds: 9
    keepAliveTimeSeconds: 3
    connectRetryTimeSeconds: 1
    ebgpMultihop: 1
    families: [ipv4-unicast, ipv6-unicast]
    nextHop: {ipv4: ${link.addrs.ipv4[0]}, ipv6: "${link.addrs.ipv6[0]}"}
${extraPeer}
prefixes:
${prefixes}
`;

beforeAll(async () => {
  link = await createRootLinkedNamespace('bgpcli');
  cleanup.add(() => link.ns.delete());
  dir = mkdtempSync(join(tmpdir(), 'bosun-speak-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  bird = await BirdInstance.start({
    namespace: link.ns.name,
    routerID: '10.255.0.1',
    localASN: 65001,
    neighbors: [{ name: 'bosun', localAddress: link.addrs.ipv4[1], peerAddress: link.addrs.ipv4[0], peerASN: 65000, password: 's3cret', holdTimeSeconds: 9, keepAliveTimeSeconds: 3 }],
  });
  cleanup.add(() => bird.dispose());
});

afterAll(async () => {
  if (process.env.BOSUN_TEST_VERBOSE) console.log(speak?.output());
  await cleanup.run();
});

describe('bosun bgp speak', () => {
  it('advertises the configured prefixes, logs state changes and route counts', async () => {
    const file = join(dir, 'speaker.yaml');
    writeFileSync(
      file,
      yaml(`  - prefix: 20.0.10.1/32
    communities: ["65000:100", "no-export"]
    largeCommunities: ["65000:1:2"]
    localPreference: 200
  - prefix: 20.0.10.2/32
  - prefix: 2001:db8:10::1/128
    communities: ["65000:600"]`),
    );
    speak = spawnManaged(undefined, process.execPath, [cli, 'bgp', 'speak', '--config', file]);
    cleanup.add(() => speak.stop());
    await waitFor(async () => (await bird.routes({ table: 'master4', protocol: 'bosun' })).length === 2, { description: 'routes at BIRD', timeoutMs: 30_000 });
    const r = (await bird.routes({ table: 'master4', protocol: 'bosun', prefix: '20.0.10.1/32' }))[0]!;
    expect(r).toMatchObject({ asPath: [65000], communities: ['65000:100', '65535:65281'], largeCommunities: ['65000:1:2'] });
    await waitFor(() => (bird.options.neighbors[0] ? true : false) && /OpenConfirm -> Established/.test(speak.output()), { description: 'state change logged' });
    await waitFor(() => /route counts of tor1: ipv4\/unicast received=0 advertised=2, ipv6\/unicast received=0 advertised=1/.test(speak.output()), { description: 'route counts logged' });
    expect(speak.output()).not.toContain('s3cret');
  });

  it('SIGHUP re-reads the file and applies the difference; a bad file changes nothing', async () => {
    const file = join(dir, 'speaker.yaml');
    writeFileSync(
      file,
      yaml(`  - prefix: 20.0.10.1/32
    communities: ["65000:101"]
  - prefix: 20.0.10.3/32`),
    );
    speak.signal('SIGHUP');
    await waitFor(async () => {
      const routes = await bird.routes({ table: 'master4', protocol: 'bosun' });
      return routes.map((x) => `${x.prefix} ${x.communities.join(',')}`).sort().join(' | ') === '20.0.10.1/32 65000:101 | 20.0.10.3/32 ';
    }, { description: 'reloaded routes at BIRD' });
    writeFileSync(file, yaml(`  - prefix: 20.0.10.1/33`));
    speak.signal('SIGHUP');
    await waitFor(() => /level=error .*configuration not applied: .*prefixes\[0\]\.prefix: invalid prefix \\"20\.0\.10\.1\/33\\"/.test(speak.output()), { description: 'error logged' });
    expect((await bird.routes({ table: 'master4', protocol: 'bosun' })).length).toBe(2);
    expect((await bird.session('bosun')).state).toBe('established');
  });

  it('SIGUSR1 prints the peers like `cilium bgp peers`; SIGTERM stops with a Cease', async () => {
    speak.signal('SIGUSR1');
    await waitFor(() => /Local AS\s+Peer AS\s+Peer Address\s+Session State\s+Uptime\s+Family\s+Received\s+Advertised\n65000\s+65001\s+\S+:179\s+established/.test(speak.output()), { description: 'peers table' });
    speak.signal('SIGTERM');
    expect(await speak.exited).toBe(0);
    await waitFor(async () => /Received: Administrative shutdown/i.test((await bird.protocol('bosun')).lastError ?? ''), { description: 'Cease at BIRD' });
  });
});
