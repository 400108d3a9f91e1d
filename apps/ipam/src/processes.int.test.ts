import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEventStore, dropStaleSchemas, testDatabaseUrl, waitFor, type TestEventStore } from '@bosun/testing';
import { apply, applyEvent, foldAllocations, ipamEvents, lbService, pool, type AllocationLog } from '../test/helpers';

/**
 * The compiled service (apps/ipam/dist/main.js) as real processes against one event store:
 * two replicas at once, and one killed with SIGKILL in the middle of a burst and restarted.
 */

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'apps', 'ipam', 'dist', 'main.js');

let t: TestEventStore;
const children = new Set<ChildProcess>();

interface Replica {
  readonly child: ChildProcess;
  readonly address: Promise<string>;
  readonly output: string[];
}

const startReplica = (instance: string): Replica => {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: testDatabaseUrl(),
      BOSUN_EVENTSTORE_SCHEMA: t.schema,
      BOSUN_HTTP_LISTEN: '127.0.0.1:0',
      BOSUN_IPAM_INSTANCE: instance,
      BOSUN_IPAM_BATCH: '500',
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const output: string[] = [];
  const address = new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        output.push(line);
        if (output.length > 200) output.shift();
        try {
          const j = JSON.parse(line) as { msg?: string; address?: string };
          if (j.msg === 'health and metrics endpoints listening' && j.address) resolve(j.address);
        } catch {
          /* not JSON */
        }
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`ipam ${instance} exited (${code ?? signal}) before listening:\n${output.join('\n')}`)));
  });
  address.catch(() => undefined);
  return { child, address, output };
};

const ready = async (r: Replica): Promise<string> => {
  const addr = await r.address;
  await waitFor(async () => (await fetch(`http://${addr}/readyz`)).status === 200 || undefined, { description: 'ipam ready', timeoutMs: 60_000 });
  return addr;
};

const stopReplica = async (r: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => r.child.once('exit', () => resolve()));
  r.child.kill(signal);
  await exited;
};

/** Writes Services in transactions of `chunk`, as bulk applies through the API would. */
const writeServices = async (ns: string, from: number, to: number, labels: Record<string, string>, chunk = 100): Promise<void> => {
  for (let i = from; i < to; i += chunk) {
    await t.store.transaction(async (tx) => {
      for (let j = i; j < Math.min(i + chunk, to); j++) {
        const { streamId, event } = applyEvent(lbService(ns, `s${j}`, { labels }));
        await t.store.append(streamId, 'any', [event], { tx });
      }
    });
  }
};

const allSatisfied = (log: AllocationLog, ns: string, n: number): boolean => {
  for (let i = 0; i < n; i++) if ((log.holds.get(`${ns}/s${i}`)?.size ?? 0) !== 1 || log.conditions.get(`${ns}/s${i}`)?.status !== 'True') return false;
  return true;
};

/** No duplicates, no request lost, every Service given exactly one address in the whole log (none changed). */
const expectExactlyOnce = (log: AllocationLog, ns: string, n: number): void => {
  expect(log.duplicates).toEqual([]);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const given = log.given.get(`${ns}/s${i}`) ?? [];
    expect(given, `${ns}/s${i}`).toHaveLength(1);
    expect(seen.has(given[0]!), `${given[0]} twice`).toBe(false);
    seen.add(given[0]!);
  }
  expect(log.releases).toBe(0);
};

beforeAll(async () => {
  // The test runs the compiled service: make sure it is current (a no-op after `npm test`'s build).
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'apps/ipam'], { cwd: ROOT, stdio: 'inherit' });
  await dropStaleSchemas('ipamproc');
  t = await createTestEventStore('ipamproc', { pollIntervalMs: 200, poolSize: 6 });
}, 180_000);

afterAll(async () => {
  for (const c of [...children]) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await exited;
    }
  }
  await t?.cleanup();
});

describe('ipam processes', () => {
  it('two replicas allocating at once: zero duplicates, every Service served once', async () => {
    const a = startReplica('two-a');
    const b = startReplica('two-b');
    const [addrA] = await Promise.all([ready(a), ready(b)]);
    await apply(t.store, pool('two', [{ cidr: '10.90.0.0/20' }], { serviceSelector: { matchLabels: { set: 'two' } } }));
    const n = 2000;
    await Promise.all([writeServices('two', 0, n / 2, { set: 'two' }, 50), writeServices('two', n / 2, n, { set: 'two' }, 50)]);
    const log = await waitFor(async () => {
      const l = foldAllocations(await ipamEvents(t.store));
      return allSatisfied(l, 'two', n) ? l : undefined;
    }, { description: `${n} Services allocated`, timeoutMs: 120_000, intervalMs: 500 });
    expectExactlyOnce(log, 'two', n);

    // Cilium's gauges on /metrics.
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`http://${addrA}/metrics`)).text();
      return text.includes(`cilium_operator_lbipam_ips_used{pool="two"`) && text.includes(`cilium_operator_lbipam_services_matching{service="ipam"} ${n}`) ? text : undefined;
    }, { description: 'metrics caught up', timeoutMs: 30_000 });
    expect(metrics).toMatch(new RegExp(`cilium_operator_lbipam_ips_used\\{pool="two"[^}]*\\} ${n + 2}\\b`));
    expect(metrics).toMatch(new RegExp(`cilium_operator_lbipam_ips_available\\{pool="two"[^}]*\\} ${4096 - n - 2}\\b`));
    expect(metrics).toMatch(/cilium_operator_lbipam_services_unsatisfied\{[^}]*\} 0\b/);
    expect(metrics).toMatch(/cilium_operator_lbipam_conflicting_pools\{[^}]*\} 0\b/);
    await Promise.all([stopReplica(a), stopReplica(b)]);
  });

  it('one replica killed with SIGKILL during 5k allocations and restarted: no duplicate, no request lost, no address changed', async () => {
    let r = startReplica('kill');
    await ready(r);
    await apply(t.store, pool('kill', [{ cidr: '10.91.0.0/18' }], { serviceSelector: { matchLabels: { set: 'kill' } } }));
    const n = 5000;
    const writer = writeServices('kill', 0, n, { set: 'kill' }, 100);
    // Kill it once it is well into the burst.
    await waitFor(async () => {
      const l = foldAllocations(await ipamEvents(t.store));
      return [...l.holds.keys()].filter((k) => k.startsWith('kill/')).length >= 1000 || undefined;
    }, { description: '1000 allocations before the kill', timeoutMs: 120_000, intervalMs: 200 });
    await stopReplica(r, 'SIGKILL');
    expect(r.child.signalCode).toBe('SIGKILL');
    const atKill = foldAllocations(await ipamEvents(t.store));
    const before = [...atKill.holds.keys()].filter((k) => k.startsWith('kill/')).length;
    expect(before).toBeLessThan(n);

    r = startReplica('kill'); // the same replica: resumes its checkpoint, rebuilds its state
    await ready(r);
    await writer;
    const log = await waitFor(async () => {
      const l = foldAllocations(await ipamEvents(t.store));
      return allSatisfied(l, 'kill', n) ? l : undefined;
    }, { description: `${n} Services allocated after the restart`, timeoutMs: 120_000, intervalMs: 500 });
    expectExactlyOnce(log, 'kill', n);
    // Everything allocated before the kill kept its address.
    for (const [svc, ips] of atKill.holds) if (svc.startsWith('kill/')) expect([...log.holds.get(svc)!], svc).toEqual([...ips]);
    await stopReplica(r);
  });
});
