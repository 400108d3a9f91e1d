import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rendezvousOrder } from '@bosun/l2';
import { createEventStore, type PostgresEventStore } from '@bosun/event-store';
import {
  answersByRequest,
  buildAnnouncer,
  createL2Lan,
  dropSchema,
  dropStaleSchemas,
  FrameCapture,
  l2LeaseHolder,
  lbService,
  nodeObject,
  seedL2Policy,
  startAnnouncer,
  testDatabaseUrl,
  testSchemaName,
  waitFor,
  writeL2View,
  type L2Frame,
  type L2Lan,
  type ManagedProcess,
} from '@bosun/testing';

/**
 * The must-shows of issue 7 on a real LAN: three worker nodes and a control-plane node (network
 * namespaces) on one bridge, a client, real arping / ndisc6 / TCP, the announcer as a process
 * per node (standalone view), Postgres for the leases and the event store. Tuned timings keep
 * the file short; the benchmark measures the defaults.
 */

const WORKERS = ['node-a', 'node-b', 'node-c'];
const CONTROL_PLANE = 'cp-1';
const TIMINGS = { leaseDuration: '1s', renewDeadline: '600ms', retryPeriod: '100ms', handoverAfter: '2s' };

describe('l2-announcer on a LAN (interop)', () => {
  let lan: L2Lan;
  let dir: string;
  let viewFile: string;
  let capture: FrameCapture;
  let events: PostgresEventStore;
  const leaseSchema = testSchemaName('l2interop');
  const eventSchema = testSchemaName('l2events');
  const announcers = new Map<string, ManagedProcess>();
  const listeners: ManagedProcess[] = [];

  // Addresses: the gateway (v4 + v6), more blue Services (spreading), and ones never to answer.
  let GW4: string, GW6: string, RED4: string, OTHER_CLASS4: string;
  let SPREAD: string[];

  const start = (node: string) => {
    const ns = lan.node(node).namespace;
    const p = startAnnouncer(ns, { node, viewFile, leaseSchema, eventStoreSchema: eventSchema, ...TIMINGS, logFile: join(dir, `${node}.log`) });
    announcers.set(node, p);
    return p;
  };

  /** The node holding a valid lease for `address` (null: none). */
  const holderOf = (address: string) => l2LeaseHolder(leaseSchema, address);

  const macOf = (node: string) => lan.node(node).macs.eth0!;
  const arpingMacs = async (address: string, count = 3): Promise<string[]> => {
    const r = await lan.client.namespace.exec('arping', ['-c', String(count), '-i', 'eth0', address], { allowFailure: true });
    return [...r.stdout.matchAll(/bytes from ([0-9a-f:]{17})/gi)].map((m) => m[1]!.toLowerCase());
  };
  const clientNeighbour = async (address: string): Promise<string | null> => {
    const r = await lan.client.namespace.exec('ip', ['-j', 'neigh', 'show', 'to', address, 'dev', 'eth0']);
    const e = (JSON.parse(r.stdout || '[]') as { lladdr?: string }[])[0];
    return e?.lladdr?.toLowerCase() ?? null;
  };
  const tcpHello = async (address: string): Promise<string> => {
    const r = await lan.client.namespace.exec('bash', ['-c', `exec 3<>/dev/tcp/${address}/8080 && timeout 3 head -1 <&3`], { timeoutMs: 10_000 });
    return r.stdout.trim();
  };
  const claims = (frames: readonly L2Frame[], address: string) =>
    frames.filter((f) => f.address === address && f.claimedMac !== undefined && f.kind !== 'arp-request' && f.kind !== 'neighbor-solicitation');

  beforeAll(async () => {
    await dropStaleSchemas('l2interop');
    await dropStaleSchemas('l2events');
    await buildAnnouncer();
    dir = mkdtempSync(join(tmpdir(), 'bosun-l2-interop-'));
    lan = await createL2Lan({
      prefix: 'l2it',
      nodes: [
        { name: 'node-a' },
        // A second interface on the same LAN that the policy (^eth[0-9]+) does not match.
        { name: 'node-b', extraInterfaces: ['mgmt0'] },
        { name: 'node-c' },
        { name: CONTROL_PLANE, labels: { 'node-role.kubernetes.io/control-plane': '' } },
      ],
    });
    GW4 = lan.vip4(1);
    GW6 = lan.vip6(1);
    RED4 = lan.vip4(2);
    OTHER_CLASS4 = lan.vip4(3);
    SPREAD = [4, 5, 6, 7, 8, 9].map((k) => lan.vip4(k));
    events = await createEventStore({ url: testDatabaseUrl(), schema: eventSchema });
    viewFile = join(dir, 'view.yaml');
    writeL2View(viewFile, [
      ...lan.nodes.map((n) => nodeObject(n.name, n.labels)),
      seedL2Policy(),
      lbService('tenant-blue', 'gateway', [GW4, GW6], { labels: { color: 'blue' } }),
      lbService('tenant-blue', 'red', [RED4], { labels: { color: 'red' } }),
      lbService('tenant-blue', 'bgp-only', [OTHER_CLASS4], { labels: { color: 'blue' }, loadBalancerClass: 'io.cilium/bgp-control-plane' }),
      ...SPREAD.map((ip, i) => lbService('tenant-blue', `spread-${i}`, [ip], { labels: { color: 'blue' } })),
    ]);
    capture = await FrameCapture.start(lan.lan.name, lan.bridge, join(dir, 'bridge.pcap'));
    for (const n of lan.nodes) {
      // Every node runs a TCP service answering its own name: the client sees who it reached.
      listeners.push(n.namespace.spawn(process.execPath, ['-e', `require('net').createServer((s) => s.end(process.argv[1] + '\\n')).listen({ port: 8080, host: '::' })`, n.name]));
    }
    for (const n of lan.nodes) start(n.name);
    await waitFor(async () => (await holderOf(GW4)) !== null && (await holderOf(GW6)) !== null, { timeoutMs: 60_000, description: 'a holder for the gateway addresses' });
  }, 240_000);

  afterAll(async () => {
    await capture?.stop().catch(() => undefined);
    for (const p of [...announcers.values(), ...listeners]) await p.stop(1000).catch(() => undefined);
    await lan?.destroy();
    await events?.close();
    await dropSchema(leaseSchema).catch(() => undefined);
    await dropSchema(eventSchema).catch(() => undefined);
    // BOSUN_TEST_KEEP=1 keeps the capture and the announcers' logs for a look afterwards.
    if (dir && !process.env.BOSUN_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) process.stderr.write(`kept ${dir}\n`);
  });

  it('spreads leases over the workers: each address ends with its rendezvous-preferred node (and stays there)', async () => {
    const all = [GW4, GW6, ...SPREAD];
    const preferred = (a: string) => rendezvousOrder(a, WORKERS)[0]!;
    await waitFor(async () => {
      for (const a of all) if ((await holderOf(a)) !== preferred(a)) return false;
      return true;
    }, { timeoutMs: 30_000, description: 'every address on its preferred node' });
    const holders = new Set(await Promise.all(all.map(holderOf)));
    expect(holders.size).toBeGreaterThan(1);
    expect(holders.has(CONTROL_PLANE)).toBe(false);
  });

  it('arping gets replies from exactly one node, the lease holder, with its eth0 MAC', async () => {
    const holder = (await holderOf(GW4))!;
    expect(WORKERS).toContain(holder);
    const macs = await arpingMacs(GW4, 4);
    // A reply may miss arping's 1 s wait on a loaded machine; every reply that comes is the holder's.
    expect(macs.length).toBeGreaterThanOrEqual(3);
    expect(new Set(macs)).toEqual(new Set([macOf(holder)]));
  });

  it('ndisc6 gets exactly one advertisement for the IPv6 address, from the holder', async () => {
    const holder = (await holderOf(GW6))!;
    // Let the takeover's unsolicited advertisements (repeated for 3 s) end: ndisc6 -m shows those too.
    await waitFor(() => capture.l2Frames().filter((f) => f.address === GW6 && f.kind === 'unsolicited-advertisement' && f.ts > Date.now() - 3500).length === 0, {
      timeoutMs: 15_000,
      description: 'the announcement burst to end',
    });
    const from = Date.now();
    const r = await lan.client.namespace.exec('ndisc6', ['-n', '-m', '-r', '1', '-w', '1000', GW6, 'eth0'], { allowFailure: true });
    const macs = [...r.stdout.matchAll(/Target link-layer address: ([0-9A-F:]{17})/gi)].map((m) => m[1]!.toLowerCase());
    expect(macs).toEqual([macOf(holder)]);
    const exchanges = answersByRequest(capture.l2Frames().filter((f) => f.ts >= from && f.address === GW6));
    expect(exchanges.map((x) => x.answers.map((a) => [a.kind, a.sourceMac, a.hopLimit, a.override]))).toEqual([[['neighbor-advertisement', macOf(holder), 255, true]]]);
  });

  it('a TCP connection to the address reaches the listener on the leader (IPv4 and IPv6)', async () => {
    expect(await tcpHello(GW4)).toBe(await holderOf(GW4));
    expect(await tcpHello(`${GW6}`)).toBe(await holderOf(GW6));
  });

  it('never answers for a Service the policy does not select or whose class is another implementation', async () => {
    expect(await arpingMacs(RED4, 2)).toEqual([]);
    expect(await arpingMacs(OTHER_CLASS4, 2)).toEqual([]);
    expect(await holderOf(RED4)).toBeNull();
    expect(await holderOf(OTHER_CLASS4)).toBeNull();
  });

  for (const family of ['IPv4', 'IPv6'] as const) {
    it(`after SIGKILL of the leader's announcer another node takes over and the client's ${family} neighbour entry moves by the gratuitous announcement alone`, async () => {
      const address = family === 'IPv4' ? GW4 : GW6;
      const old = (await holderOf(address))!;
      // The client talks to the address, so its kernel has a neighbour entry for it.
      expect(await tcpHello(address)).toBe(old);
      expect(await clientNeighbour(address)).toBe(macOf(old));
      const killedAt = Date.now();
      const victim = announcers.get(old)!;
      process.kill(victim.pid, 'SIGKILL'); // the announcer only: its capture processes die with it (pdeathsig)
      await victim.exited;
      const next = await waitFor(async () => {
        const h = await holderOf(address);
        return h !== null && h !== old ? h : null;
      }, { timeoutMs: 20_000, description: `a new holder for ${address}` });
      expect(WORKERS).toContain(next);
      await waitFor(async () => (await clientNeighbour(address)) === macOf(next), { timeoutMs: 10_000, description: 'the client neighbour entry to move' });
      const frames = capture.l2Frames().filter((f) => f.ts >= killedAt);
      // The client never asked: no request from it for the address since the kill.
      expect(frames.filter((f) => f.sourceMac === lan.client.mac && f.address === address)).toEqual([]);
      // The new holder announced it (gratuitous ARP in both forms / unsolicited NA with Override).
      const announced = frames.filter((f) => f.sourceMac === macOf(next) && f.address === address).map((f) => f.kind);
      if (family === 'IPv4') expect(new Set(announced)).toEqual(new Set(['garp-request', 'garp-reply']));
      else expect(new Set(announced)).toEqual(new Set(['unsolicited-advertisement']));
      expect(frames.filter((f) => f.kind === 'unsolicited-advertisement').every((f) => f.override === true && f.hopLimit === 255)).toBe(true);
      expect(await tcpHello(address)).toBe(next);
      // Bring the killed node back for the next tests.
      start(old);
      await waitFor(() => announcers.get(old)!.output().includes('registered as lease member'), { timeoutMs: 30_000, description: `${old} back` });
    });
  }

  it('an interface whose link goes down gives up its leases at once, and another node takes over', async () => {
    const old = (await holderOf(GW4))!;
    const ns = lan.node(old).namespace;
    await ns.exec('ip', ['link', 'set', 'eth0', 'down']);
    try {
      const next = await waitFor(async () => {
        const h = await holderOf(GW4);
        return h !== null && h !== old ? h : null;
      }, { timeoutMs: 20_000, description: 'a new holder after link down' });
      expect(next).not.toBe(old);
      // The old holder records why it let go (its events are appended after it stopped answering).
      await waitFor(async () => (await events.readStream('l2-lease-tenant-blue.gateway')).some((e) => e.type === 'l2.LeaseLost' && (e.data as { node: string }).node === old && (e.data as { reason: string }).reason === 'link-down'), {
        timeoutMs: 10_000,
        description: `l2.LeaseLost {reason: link-down} from ${old}`,
      });
    } finally {
      await ns.exec('ip', ['link', 'set', 'eth0', 'up']);
    }
  });

  it('a frozen leader (SIGSTOP) stops answering by itself before another node takes over', async () => {
    const old = (await holderOf(GW4))!;
    const victim = announcers.get(old)!;
    const arping = lan.client.namespace.spawn('arping', ['-i', 'eth0', '-W', '0.05', GW4]);
    const from = Date.now();
    try {
      await new Promise((r) => setTimeout(r, 300));
      process.kill(victim.pid, 'SIGSTOP');
      const next = await waitFor(async () => {
        const h = await holderOf(GW4);
        return h !== null && h !== old ? h : null;
      }, { timeoutMs: 20_000, description: 'a new holder after the freeze' });
      await new Promise((r) => setTimeout(r, 500));
      process.kill(victim.pid, 'SIGCONT');
      await new Promise((r) => setTimeout(r, 800));
      const window = capture.l2Frames().filter((f) => f.ts >= from && f.address === GW4);
      // Every request was answered by one MAC at most, and the old leader's last answer came
      // before the new leader's first.
      for (const { answers } of answersByRequest(window)) expect(new Set(answers.map((a) => a.sourceMac)).size).toBeLessThanOrEqual(1);
      const c = claims(window, GW4);
      const lastOld = Math.max(...c.filter((f) => f.sourceMac === macOf(old)).map((f) => f.ts));
      const firstNew = Math.min(...c.filter((f) => f.sourceMac === macOf(next)).map((f) => f.ts));
      const story = c.map((f) => `${new Date(f.ts).toISOString()} ${f.kind} ${lan.ownerOf(f.sourceMac)?.node}`).join('\n');
      expect(lastOld, `${old} frozen, ${next} took over; claims:\n${story}`).toBeLessThan(firstNew);
      expect(c.filter((f) => f.ts > firstNew && f.sourceMac !== macOf(next))).toEqual([]);
      await waitFor(() => victim.output().includes('membership expired'), { timeoutMs: 10_000, description: 'the frozen node to notice' });
    } finally {
      await arping.stop(500);
      try {
        process.kill(victim.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
  });

  it('records lease acquired / announced / lost events with increasing fencing tokens', async () => {
    const stream = await events.readStream('l2-lease-tenant-blue.gateway');
    const acquired = stream.filter((e) => e.type === 'l2.LeaseAcquired' && (e.data as { address: string }).address === GW4);
    expect(acquired.length).toBeGreaterThanOrEqual(3);
    const tokens = acquired.map((e) => (e.data as { fencingToken: number }).fencingToken);
    expect([...tokens].sort((a, b) => a - b)).toEqual([...new Set(tokens)].sort((a, b) => a - b));
    expect(acquired.some((e) => (e.data as { previousHolder: string | null }).previousHolder !== null)).toBe(true);
    const announced = stream.filter((e) => e.type === 'l2.Announced');
    expect(announced.length).toBeGreaterThan(0);
    // An announcement continues the trace of the acquisition that caused it.
    const byId = new Map(stream.map((e) => [e.id, e]));
    expect(announced.every((e) => e.causationId === null || byId.get(e.causationId)?.type === 'l2.LeaseAcquired')).toBe(true);
  });

  it('exposes leases held, replies, gratuitous announcements and failovers on /metrics', async () => {
    const texts = await Promise.all(WORKERS.map(async (n) => (await lan.node(n).namespace.exec('curl', ['-s', 'http://127.0.0.1:9104/metrics'], { allowFailure: true })).stdout));
    const all = texts.join('\n');
    for (const name of ['bosun_l2_leases_held', 'bosun_l2_replies_sent_total', 'bosun_l2_gratuitous_sent_total', 'bosun_l2_failovers_total']) expect(all).toContain(name);
    const held = texts.map((t) => Number(/^bosun_l2_leases_held\{[^}]*\} (\d+)/m.exec(t)?.[1] ?? 0)).reduce((a, b) => a + b, 0);
    expect(held).toBe(2 + SPREAD.length);
    const health = await lan.node(WORKERS[0]!).namespace.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9104/readyz'], { allowFailure: true });
    expect(health.stdout).toBe('200');
  });

  it('over the whole run: the control-plane node, the unmatched interface and unselected Services never answered, and no request got two answers', async () => {
    const frames = capture.l2Frames();
    expect(frames.length).toBeGreaterThan(20);
    const cp = lan.node(CONTROL_PLANE).macs.eth0!;
    const mgmt = lan.node('node-b').macs.mgmt0!;
    const fromNodes = frames.filter((f) => f.claimedMac !== undefined && f.sourceMac !== lan.client.mac);
    expect(fromNodes.filter((f) => f.sourceMac === cp || f.claimedMac === cp)).toEqual([]);
    expect(fromNodes.filter((f) => f.sourceMac === mgmt || f.claimedMac === mgmt)).toEqual([]);
    expect(fromNodes.filter((f) => f.address === RED4 || f.address === OTHER_CLASS4)).toEqual([]);
    for (const { request, answers } of answersByRequest(frames)) {
      if (answers.length > 1) expect({ request, macs: [...new Set(answers.map((a) => a.sourceMac))] }).toMatchObject({ macs: [answers[0]!.sourceMac] });
    }
  });
});
