import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  answersByRequest,
  buildAnnouncer,
  createL2Lan,
  dropSchema,
  dropStaleSchemas,
  FrameCapture,
  l2LeaseHolder,
  l2LiveCandidates,
  lbService,
  nodeObject,
  seedL2Policy,
  startAnnouncer,
  testSchemaName,
  waitFor,
  writeL2View,
  type L2Lan,
  type ManagedProcess,
} from '@bosun/testing';

/**
 * 100 failovers in a row on a LAN of three nodes, with a capture on the bridge (a hub, so it
 * sees every frame) while the client arpings the address every 20 ms. The holder fails in turn
 * in each of the three ways a node goes: its announcer killed (SIGKILL: Postgres sees the
 * session go), its link going down (it gives the lease up), its announcer frozen (SIGSTOP: it
 * stops answering at its renew deadline, the others wait for the lease to expire). Each failure
 * moves the address exactly once, and no ARP request is ever answered by two nodes.
 */

const FAILOVERS = 100;
const WORKERS = ['node-a', 'node-b', 'node-c'];

describe('100 failovers in a row (interop)', () => {
  let lan: L2Lan;
  let dir: string;
  let viewFile: string;
  let capture: FrameCapture;
  let arping: ManagedProcess;
  const schema = testSchemaName('l2failover');
  const announcers = new Map<string, ManagedProcess>();
  let VIP: string;

  const start = (node: string) => {
    const p = startAnnouncer(lan.node(node).namespace, {
      node,
      viewFile,
      leaseSchema: schema,
      eventStoreSchema: null,
      leaseDuration: '1s',
      renewDeadline: '600ms',
      retryPeriod: '100ms',
      handoverAfter: '0', // no rebalancing: every move is a failover we caused
      extraEnv: { LOG_LEVEL: 'warn' },
    });
    announcers.set(node, p);
  };

  const holderOf = (address: string) => l2LeaseHolder(schema, address);
  /** Other nodes that are live candidates for the address (so a failure has somewhere to go). */
  const liveContenders = (address: string, except: string) => l2LiveCandidates(schema, address, except);

  beforeAll(async () => {
    await dropStaleSchemas('l2failover');
    await buildAnnouncer();
    dir = mkdtempSync(join(tmpdir(), 'bosun-l2-failover-'));
    lan = await createL2Lan({ prefix: 'l2fo', nodes: WORKERS.map((name) => ({ name })) });
    VIP = lan.vip4(1);
    viewFile = join(dir, 'view.yaml');
    writeL2View(viewFile, [...WORKERS.map((n) => nodeObject(n)), seedL2Policy(), lbService('tenant-blue', 'gateway', [VIP], { labels: { color: 'blue' } })]);
    capture = await FrameCapture.start(lan.lan.name, lan.bridge, join(dir, 'bridge.pcap'), 'arp');
    for (const n of WORKERS) start(n);
    await waitFor(() => holderOf(VIP), { timeoutMs: 60_000, description: 'a first holder' });
    arping = lan.client.namespace.spawn('arping', ['-q', '-i', 'eth0', '-W', '0.02', VIP]);
  }, 240_000);

  afterAll(async () => {
    await arping?.stop(500).catch(() => undefined);
    await capture?.stop().catch(() => undefined);
    for (const p of announcers.values()) await p.stop(1000).catch(() => undefined);
    await lan?.destroy();
    await dropSchema(schema).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`moves the address ${FAILOVERS} times, one node answering at a time`, async () => {
    const modes = ['kill', 'link-down', 'freeze'] as const;
    const moves: { from: string; to: string; failedAt: number; mode: (typeof modes)[number] }[] = [];
    const garpFrom = (mac: string, since: number) => capture.l2Frames().some((f) => f.kind === 'garp-request' && f.sourceMac === mac && f.ts >= since);
    for (let i = 0; i < FAILOVERS; i++) {
      const mode = modes[i % modes.length]!;
      const from = (await waitFor(() => holderOf(VIP), { timeoutMs: 20_000, intervalMs: 20, description: 'a holder' })) as string;
      await waitFor(async () => (await liveContenders(VIP, from)) > 0, { timeoutMs: 30_000, intervalMs: 20, description: 'another live candidate' });
      const victim = announcers.get(from)!;
      const ns = lan.node(from).namespace;
      const failedAt = Date.now();
      if (mode === 'kill') {
        process.kill(victim.pid, 'SIGKILL');
        await victim.exited;
      } else if (mode === 'link-down') {
        await ns.exec('ip', ['link', 'set', 'eth0', 'down']);
      } else {
        process.kill(victim.pid, 'SIGSTOP');
      }
      const to = (await waitFor(
        async () => {
          const h = await holderOf(VIP);
          return h !== null && h !== from ? h : null;
        },
        { timeoutMs: 20_000, intervalMs: 20, description: `failover ${i + 1} (${mode}) away from ${from}` },
      )) as string;
      // The failover is complete when the new holder has announced itself.
      await waitFor(() => garpFrom(lan.node(to).macs.eth0!, failedAt), { timeoutMs: 10_000, intervalMs: 20, description: `gratuitous ARP from ${to}` });
      moves.push({ from, to, failedAt, mode });
      if (mode === 'kill') start(from);
      else if (mode === 'link-down') await ns.exec('ip', ['link', 'set', 'eth0', 'up']);
      else process.kill(victim.pid, 'SIGCONT');
    }
    // Let the last holder answer a few more requests, then read the capture.
    await new Promise((r) => setTimeout(r, 500));
    const frames = capture.l2Frames().filter((f) => f.address === VIP);

    // 1. No ARP request was ever answered by two nodes.
    const exchanges = answersByRequest(frames);
    expect(exchanges.length).toBeGreaterThan(FAILOVERS * 5);
    const doubled = exchanges.filter((x) => new Set(x.answers.map((a) => a.sourceMac)).size > 1);
    expect(doubled).toEqual([]);

    // 2. The answering MAC changed exactly once per failover, to the node the database named:
    //    two live answerers would interleave and add runs.
    const claims = frames.filter((f) => f.kind === 'arp-reply' || f.kind === 'garp-request' || f.kind === 'garp-reply');
    const runs: string[] = [];
    for (const c of claims) if (runs.at(-1) !== c.sourceMac) runs.push(c.sourceMac);
    const expected = [moves[0]!.from, ...moves.map((m) => m.to)].map((n) => lan.node(n).macs.eth0!);
    expect(runs.map((m) => lan.ownerOf(m)?.node)).toEqual(expected.map((m) => lan.ownerOf(m)?.node));

    // 3. Each new holder announced itself with gratuitous ARP (both forms).
    for (const m of moves) {
      const mac = lan.node(m.to).macs.eth0!;
      const kinds = new Set(claims.filter((c) => c.sourceMac === mac && c.ts >= m.failedAt).map((c) => c.kind));
      expect([m, kinds.has('garp-request') && kinds.has('garp-reply')]).toEqual([m, true]);
    }
    expect(new Set(moves.map((m) => m.mode)).size).toBe(3);
  }, 600_000);
});
