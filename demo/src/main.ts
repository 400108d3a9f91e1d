/**
 * `npm run demo`: the talk's scenario on this machine, with the real pieces.
 *
 *   bosun up (api, ipam, gateway-translator, observability)            ── root namespace
 *   bosun-router: BIRD, AS 65000, owns fd00:10::1 (the top-of-rack router)
 *   bosun-node-1, bosun-node-2 (rack=rack0): `bosun agent` → bgp-speaker + l2-announcer
 *   bosun-cp (node-role.kubernetes.io/control-plane): `bosun agent` → l2-announcer only
 *
 * All nodes share one link with the router (their `eth0`). The agents reach the API through its
 * Unix socket and Postgres through /var/run/postgresql. The suite stays up when this exits;
 * `npm run demo:down` (this script with `down`) takes it all away.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BosunClient, type KubeObject } from '@bosun/client';
import { parseBirdProtocol, parseBirdRoutes, renderBirdConfig, TALK_ROUTER_IPV4, TALK_ROUTER_IPV6, type BirdProtocol } from '@bosun/testing';

const ROOT = resolve(__dirname, '..', '..');
const HOME = join(ROOT, '.bosun');
const DIR = join(HOME, 'demo');
const BOSUN = join(ROOT, 'apps', 'cli', 'bin', 'bosun.js');
const API_SOCKET = join(HOME, 'run', 'api.sock');
const ROUTER_NS = 'bosun-router';
const BIRD_SOCKET = join(DIR, 'bird.ctl');
const DATABASE_URL_UNIX = 'postgresql://postgres@/test?host=/var/run/postgresql';

interface DemoNode {
  readonly name: string;
  readonly ns: string;
  readonly labels: Record<string, string>;
  readonly services: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly port: string;
}
const NODES: readonly DemoNode[] = [
  { name: 'node-1', ns: 'bosun-node-1', labels: { rack: 'rack0' }, services: 'bgp-speaker,l2-announcer', ipv4: '10.99.0.11', ipv6: 'fd00:10::11', port: 'vn1' },
  { name: 'node-2', ns: 'bosun-node-2', labels: { rack: 'rack0' }, services: 'bgp-speaker,l2-announcer', ipv4: '10.99.0.12', ipv6: 'fd00:10::12', port: 'vn2' },
  { name: 'control-plane', ns: 'bosun-cp', labels: { 'node-role.kubernetes.io/control-plane': '' }, services: 'l2-announcer', ipv4: '10.99.0.10', ipv6: 'fd00:10::10', port: 'vcp' },
];
const BGP_NODES = NODES.filter((n) => n.labels['rack'] === 'rack0');
const birdProtocol = (n: DemoNode) => `node_${n.name.replace(/-/g, '_')}`;

// ------------------------------------------------------------------------------ output

const tty = process.stdout.isTTY;
const c = (code: string, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const step = (title: string) => process.stdout.write(`\n${c('1;36', `▌ ${title}`)}\n`);
const note = (s: string) => process.stdout.write(`${c('2', s)}\n`);
const progress = (s: string) => process.stderr.write(`${c('2', `… ${s}`)}\n`);

const run = (file: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; allowFailure?: boolean; input?: string } = {}): string => {
  const r = spawnSync(file, args, { cwd: ROOT, env: opts.env ?? process.env, encoding: 'utf8', input: opts.input, maxBuffer: 64 << 20 });
  if (r.status !== 0 && !opts.allowFailure) throw new Error(`${file} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return (r.stdout ?? '') + (r.status !== 0 ? (r.stderr ?? '') : '');
};
const ip = (...args: string[]) => run('ip', args);
const bosun = (args: readonly string[], opts: { allowFailure?: boolean } = {}) => run(process.execPath, [BOSUN, ...args], opts);
const birdc = (...args: string[]) => run('ip', ['netns', 'exec', ROUTER_NS, 'birdc', '-s', BIRD_SOCKET, ...args]);

/** Prints a command the way an operator would type it, then its output. */
const show = (shown: string, output: string) => {
  process.stdout.write(`${c('1', `$ ${shown}`)}\n${output.replace(/\s+$/, '')}\n`);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = async <T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String((last as Error).message ?? last)}` : ''}`);
    await sleep(250);
  }
};

// ------------------------------------------------------------------------------ down

const pidFiles = () => NODES.map((n) => join(DIR, `agent-${n.name}.pid`));
const killPidFile = (file: string) => {
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    // The agent runs its services as children in its process group.
    process.kill(-pid, 'SIGTERM');
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  rmSync(file, { force: true });
};

const down = async (): Promise<void> => {
  progress('stopping the node agents');
  for (const f of pidFiles()) killPidFile(f);
  await sleep(1500);
  progress('stopping BIRD and removing the namespaces');
  const birdPid = join(DIR, 'bird.pid');
  if (existsSync(birdPid)) {
    try {
      process.kill(Number(readFileSync(birdPid, 'utf8').trim()), 'SIGTERM');
    } catch {
      /* gone */
    }
    rmSync(birdPid, { force: true });
  }
  for (const ns of [ROUTER_NS, ...NODES.map((n) => n.ns)]) {
    // Whatever still runs inside dies with it.
    const pids = run('ip', ['netns', 'pids', ns], { allowFailure: true }).split(/\s+/).filter(Boolean);
    for (const p of pids) spawnSync('kill', ['-9', p]);
    run('ip', ['netns', 'del', ns], { allowFailure: true });
  }
  progress('stopping the suite (bosun down)');
  process.stdout.write(bosun(['down'], { allowFailure: true }));
};

// ------------------------------------------------------------------------------ up

const topology = (password: string): void => {
  for (const ns of [ROUTER_NS, ...NODES.map((n) => n.ns)]) run('ip', ['netns', 'del', ns], { allowFailure: true });
  ip('netns', 'add', ROUTER_NS);
  ip('-n', ROUTER_NS, 'link', 'set', 'lo', 'up');
  ip('-n', ROUTER_NS, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', ROUTER_NS, 'link', 'set', 'br0', 'up');
  ip('-n', ROUTER_NS, 'addr', 'add', `${TALK_ROUTER_IPV6}/64`, 'dev', 'br0', 'nodad');
  ip('-n', ROUTER_NS, 'addr', 'add', `${TALK_ROUTER_IPV4}/24`, 'dev', 'br0');
  for (const n of NODES) {
    ip('netns', 'add', n.ns);
    ip('-n', n.ns, 'link', 'set', 'lo', 'up');
    ip('link', 'add', 'eth0', 'netns', n.ns, 'type', 'veth', 'peer', 'name', n.port, 'netns', ROUTER_NS);
    ip('-n', ROUTER_NS, 'link', 'set', n.port, 'master', 'br0', 'up');
    ip('-n', n.ns, 'addr', 'add', `${n.ipv6}/64`, 'dev', 'eth0', 'nodad');
    ip('-n', n.ns, 'addr', 'add', `${n.ipv4}/24`, 'dev', 'eth0');
    ip('-n', n.ns, 'link', 'set', 'eth0', 'up');
    ip('-n', n.ns, 'route', 'add', 'default', 'via', TALK_ROUTER_IPV4);
  }
  // The router: BIRD accepts the rack0 nodes' iBGP sessions, with the secret's MD5 password.
  const config = renderBirdConfig({
    namespace: ROUTER_NS,
    routerID: TALK_ROUTER_IPV4,
    localASN: 65000,
    neighbors: BGP_NODES.map((n) => ({
      name: birdProtocol(n),
      peerAddress: n.ipv6,
      peerASN: 65000,
      localAddress: TALK_ROUTER_IPV6,
      password,
      holdTimeSeconds: 9,
      keepAliveTimeSeconds: 3,
      passive: true,
      gracefulRestart: {},
      families: ['ipv4-unicast'],
    })),
  });
  writeFileSync(join(DIR, 'bird.conf'), config, { mode: 0o600 });
  run('ip', ['netns', 'exec', ROUTER_NS, 'bird', '-c', join(DIR, 'bird.conf'), '-s', BIRD_SOCKET, '-P', join(DIR, 'bird.pid')]);
};

const startAgent = (n: DemoNode, token: string): void => {
  const log = openSync(join(HOME, 'logs', `agent-${n.name}.log`), 'a');
  const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',');
  const child = spawn('ip', ['netns', 'exec', n.ns, process.execPath, BOSUN, 'agent', '--node', n.name, '--labels', labels, '--services', n.services], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      DATABASE_URL: DATABASE_URL_UNIX,
      BOSUN_SERVER: `unix:${API_SOCKET}`,
      BOSUN_TOKEN: token,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
  });
  child.unref();
  writeFileSync(join(DIR, `agent-${n.name}.pid`), String(child.pid));
};

const protocols = (): BirdProtocol[] =>
  BGP_NODES.map((n) => parseBirdProtocol(birdc('show', 'protocols', 'all', birdProtocol(n))));

interface Check {
  readonly what: string;
  readonly ok: boolean;
  readonly detail?: string;
}

const up = async (): Promise<void> => {
  mkdirSync(DIR, { recursive: true });
  mkdirSync(join(HOME, 'logs'), { recursive: true });
  // Leftovers of an earlier demo (agents, BIRD, namespaces) go first; the suite itself is reused.
  for (const f of pidFiles()) killPidFile(f);
  const oldBird = join(DIR, 'bird.pid');
  if (existsSync(oldBird)) {
    try {
      process.kill(Number(readFileSync(oldBird, 'utf8').trim()), 'SIGTERM');
    } catch {
      /* gone */
    }
  }

  step('1. The suite: bosun up');
  show('bosun up', bosun(['up']));
  const token = readFileSync(join(HOME, 'admin.token'), 'utf8').trim();
  const client = new BosunClient({ server: `unix:${API_SOCKET}`, token });

  step('2. The machine as a small data centre (network namespaces)');
  const passwordFile = join(DIR, 'bgp-password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(12).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  topology(password);
  note(`  ${ROUTER_NS}: BIRD (AS 65000) on fd00:10::1 / 10.99.0.1, MD5 password = Secret kube-system/bgp-auth-secret`);
  for (const n of NODES) note(`  ${n.ns}: Node ${n.name} (${Object.keys(n.labels).map((k) => (n.labels[k] ? `${k}=${n.labels[k]}` : k)).join(', ')}), eth0 ${n.ipv6} / ${n.ipv4}, runs ${n.services}`);

  step("3. The talk's manifests: bosun apply -f examples/talk/");
  // The MD5 password lives in a Secret (stored encrypted, outside the event store).
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } } as KubeObject, { fieldManager: 'bosun-demo' });
  await client.apply(
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bgp-auth-secret', namespace: 'kube-system' }, type: 'Opaque', data: { password: Buffer.from(password).toString('base64') } } as KubeObject,
    { fieldManager: 'bosun-demo' },
  );
  show('bosun apply -f examples/talk/', bosun(['apply', '-f', join(ROOT, 'examples', 'talk')]));
  const gatewayService = await waitFor('the gateway Service to get its address', async () => {
    const s = await client.tryGet<any>('services', 'cilium-gateway-gateway-blue', 'tenant-blue');
    return s?.status?.loadBalancer?.ingress?.[0]?.ip ? s : undefined;
  });
  show('bosun apply -f examples/demo/   # a tenant Service labelled bgp=blue,color=blue', bosun(['apply', '-f', join(ROOT, 'examples', 'demo')]));

  step('4. The nodes: bosun agent in each namespace');
  for (const n of NODES) {
    startAgent(n, token);
    note(`  ip netns exec ${n.ns} bosun agent --node ${n.name} --labels ${Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',')} --services ${n.services}`);
  }
  progress('waiting for the BGP sessions and the routes');
  const echo = await waitFor('echo-blue to get its address', async () => {
    const s = await client.tryGet<any>('services', 'echo-blue', 'tenant-blue');
    return s?.status?.loadBalancer?.ingress?.[0]?.ip ? s : undefined;
  });
  const echoIPs: string[] = [echo.spec.clusterIP, echo.status.loadBalancer.ingress[0].ip];
  await waitFor('BIRD to learn the routes from every rack0 node', async () => {
    const routes = parseBirdRoutes(birdc('show', 'route', 'all', 'table', 'master4'));
    return BGP_NODES.every((n) => echoIPs.every((a) => routes.some((r) => r.prefix === `${a}/32` && r.from === birdProtocol(n))));
  }, 90_000);
  const lease = await waitFor('an L2 lease for 20.0.10.1', async () => {
    const out = bosun(['get', 'l2leases', '-A'], { allowFailure: true });
    return out.split('\n').find((l) => l.includes('20.0.10.1') && /node-\d/.test(l));
  }, 60_000);

  step('5. LB IPAM: pools and addresses');
  show('bosun get ippools', bosun(['get', 'ippools']));
  show('bosun get services -A', bosun(['get', 'services', '-A']));
  show('bosun get gateways -A', bosun(['get', 'gateways', '-A']));
  show('bosun describe service service-blue -n blue', bosun(['describe', 'service', 'service-blue', '-n', 'blue']));
  // The same objects through kubectl, with no cluster: the API speaks Kubernetes REST.
  const kubectl = ['--server', 'https://127.0.0.1:8443', '--certificate-authority', join(HOME, 'tls', 'api.crt'), '--token', token];
  show('kubectl --server https://127.0.0.1:8443 … get ciliumloadbalancerippools,gateways -A', run('kubectl', [...kubectl, 'get', 'ciliumloadbalancerippools,gateways', '-A'], { allowFailure: true }));

  step('6. BGP: the nodes and the router');
  show('bosun bgp peers', bosun(['bgp', 'peers']));
  show('bosun bgp routes advertised', bosun(['bgp', 'routes', 'advertised']));
  show(`ip netns exec ${ROUTER_NS} birdc show protocols`, birdc('show', 'protocols'));
  show(`ip netns exec ${ROUTER_NS} birdc show route`, birdc('show', 'route'));

  step('7. L2 announcements: exactly one node answers ARP for 20.0.10.1');
  show('bosun get l2leases -A', bosun(['get', 'l2leases', '-A']));
  const arping = run('ip', ['netns', 'exec', ROUTER_NS, 'arping', '-c', '3', '-i', 'br0', '20.0.10.1'], { allowFailure: true });
  show(`ip netns exec ${ROUTER_NS} arping -c 3 -i br0 20.0.10.1`, arping);

  step('8. What happened, as events (bosun events tail)');
  show('bosun events tail --last 25 --no-follow', bosun(['events', 'tail', '--last', '25', '--no-follow']));

  // ---------------------------------------------------------------- checks against EXPECTED.md
  step('9. examples/talk/EXPECTED.md, checked');
  const checks: Check[] = [];
  const gw = await client.get<any>('services', 'cilium-gateway-gateway-blue', 'tenant-blue');
  const gwPorts = (gw.spec.ports ?? []).map((p: any) => `${p.name} ${p.port}/${p.protocol}`).join(', ');
  checks.push({
    what: 'cilium-gateway-gateway-blue: LoadBalancer, color=blue, owning-gateway=gateway-blue, port-80 80/TCP, ingress 20.0.10.1',
    ok:
      gw.spec.type === 'LoadBalancer' &&
      gw.metadata.labels?.color === 'blue' &&
      gw.metadata.labels?.['io.cilium.gateway/owning-gateway'] === 'gateway-blue' &&
      gwPorts === 'port-80 80/TCP' &&
      gatewayService.status.loadBalancer.ingress[0].ip === '20.0.10.1' &&
      gw.status?.loadBalancer?.ingress?.[0]?.ip === '20.0.10.1',
    detail: `${gw.spec.type}, ${gwPorts}, ${gw.status?.loadBalancer?.ingress?.[0]?.ip}`,
  });
  const blue = await client.get<any>('services', 'service-blue', 'blue');
  const cond = (blue.status?.conditions ?? []).find((x: any) => x.type === 'cilium.io/IPAMRequestSatisfied');
  checks.push({
    what: 'service-blue: no address; cilium.io/IPAMRequestSatisfied=False, reason no_pool',
    ok: !blue.status?.loadBalancer?.ingress?.length && cond?.status === 'False' && cond?.reason === 'no_pool',
    detail: `${cond?.status}/${cond?.reason}`,
  });
  const protos = protocols();
  for (const [i, p] of protos.entries()) {
    const n = BGP_NODES[i]!;
    checks.push({
      what: `${n.name} → fd00:10::1: iBGP AS 65000 Established, MD5, hold 9 s, keepalive 3 s, graceful restart, IPv4 unicast only`,
      ok:
        p.bgpState === 'Established' &&
        p.neighborAS === 65000 &&
        p.holdTimeSeconds === 9 &&
        p.keepaliveSeconds === 3 &&
        Object.keys(p.channels).join(',') === 'ipv4' &&
        p.neighborCapabilities.some((x) => /graceful restart/i.test(x)),
      detail: `${p.bgpState}, hold ${p.holdTimeSeconds}, keepalive ${p.keepaliveSeconds}, channels ${Object.keys(p.channels).join(',')}`,
    });
  }
  const md5 = run('ip', ['netns', 'exec', ROUTER_NS, 'ss', '-tniHe', 'state', 'established', '( sport = :179 )'], { allowFailure: true });
  checks.push({ what: 'the BGP TCP sessions carry TCP MD5 signatures', ok: (md5.match(/md5/gi) ?? []).length >= BGP_NODES.length, detail: `${(md5.match(/md5/gi) ?? []).length} sessions with md5` });
  const routes = parseBirdRoutes(birdc('show', 'route', 'all', 'table', 'master4'));
  checks.push({
    what: `echo-blue (bgp=blue): ClusterIP ${echoIPs[0]}/32 and LoadBalancer IP ${echoIPs[1]}/32 learned from each rack0 node`,
    ok: BGP_NODES.every((n) => echoIPs.every((a) => routes.some((r) => r.prefix === `${a}/32` && r.from === birdProtocol(n)))),
  });
  checks.push({
    what: 'Services without bgp=blue (the gateway Service, 20.0.10.1) are not advertised',
    ok: !routes.some((r) => r.prefix === '20.0.10.1/32'),
  });
  const macs = [...arping.matchAll(/bytes from ([0-9a-f:]{17})/gi)].map((m) => m[1]!.toLowerCase());
  const holder = NODES.find((n) => lease.includes(n.name));
  const holderMac = holder ? run('ip', ['-n', holder.ns, '-j', 'link', 'show', 'eth0']) : '';
  const holderAddress = holderMac ? ((JSON.parse(holderMac) as Array<{ address: string }>)[0]?.address ?? '') : '';
  checks.push({
    what: 'exactly one node answers ARP for 20.0.10.1 on eth0, and it is not the control-plane node',
    ok: macs.length > 0 && new Set(macs).size === 1 && macs[0] === holderAddress && holder?.name !== 'control-plane',
    detail: `${macs.length} replies from ${[...new Set(macs)].join(', ') || 'nobody'}; lease holder ${holder?.name ?? '?'}`,
  });
  for (const ch of checks) process.stdout.write(`  ${ch.ok ? c('32', '✓') : c('31', '✗')} ${ch.what}${ch.ok || !ch.detail ? '' : c('2', `  (${ch.detail})`)}\n`);

  step('The suite is up');
  note('  kubectl   kubectl --server https://127.0.0.1:8443 --certificate-authority .bosun/tls/api.crt --token "$(cat .bosun/admin.token)" get svc -A');
  note(`  router    ip netns exec ${ROUTER_NS} birdc -s ${BIRD_SOCKET} show route all`);
  note('  events    npx bosun events tail            (follows; Ctrl-C to stop)');
  note('  logs      .bosun/logs/');
  note('  stop      npm run demo:down');
  client.close();
  const failed = checks.filter((x) => !x.ok).length;
  if (failed > 0) {
    process.stdout.write(c('31', `\n${failed} of ${checks.length} expectations not met\n`));
    process.exitCode = 1;
  }
};

const main = async () => {
  if (process.getuid?.() !== 0) throw new Error('the demo builds network namespaces: run it as root');
  if (process.argv[2] === 'down') await down();
  else await up();
};

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n  logs: ${join(HOME, 'logs')}\n`);
  process.exit(1);
});
