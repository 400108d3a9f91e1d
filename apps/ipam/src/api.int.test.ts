import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, dropStaleSchemas, freePort, testDatabaseUrl, testSchemaName, waitFor } from '@bosun/testing';

/**
 * The talk's LB IPAM part end to end through the real processes: the API, the ipam service and
 * the bosun CLI (all compiled), one Postgres schema. Apply the pool, service-blue and the
 * gateway's Service; read the result back as an operator would.
 */

const ROOT = join(__dirname, '..', '..', '..');
const SEED = join(ROOT, 'examples', 'talk');

let schema: string;
let dir: string;
let server: string;
const children = new Set<ChildProcess>();

const start = (main: string, env: Record<string, string>): ChildProcess => {
  const child = spawn(process.execPath, [join(ROOT, main)], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: testDatabaseUrl(), BOSUN_EVENTSTORE_SCHEMA: schema, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  child.stdout!.on('data', (d) => out.push(String(d)));
  child.stderr!.on('data', (d) => out.push(String(d)));
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && signal === null) process.stderr.write(`${main} exited ${code}:\n${out.join('')}\n`);
  });
  return child;
};

const bosun = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'apps', 'cli', 'bin', 'bosun.js'), ...args], {
      env: { ...process.env, BOSUN_SERVER: server, BOSUN_TOKEN: 'unused' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'apps/api', 'apps/cli', 'apps/ipam'], { cwd: ROOT, stdio: 'inherit' });
  await dropStaleSchemas('ipamapi');
  schema = testSchemaName('ipamapi');
  dir = mkdtempSync(join(tmpdir(), 'bosun-ipam-api-'));
  const apiPort = await freePort();
  server = `http://127.0.0.1:${apiPort}`;
  start('apps/api/dist/main.js', { BOSUN_API_LISTEN: `127.0.0.1:${apiPort}`, BOSUN_API_SCHEMA: `${schema}_api` });
  await waitFor(async () => (await fetch(`${server}/readyz`)).ok || undefined, { description: 'the API ready', timeoutMs: 60_000 });
  const ipamPort = await freePort();
  start('apps/ipam/dist/main.js', { BOSUN_HTTP_LISTEN: `127.0.0.1:${ipamPort}`, BOSUN_IPAM_INSTANCE: 'e2e' });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${ipamPort}/readyz`)).ok || undefined, { description: 'ipam ready', timeoutMs: 60_000 });
}, 180_000);

afterAll(async () => {
  for (const c of [...children]) {
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  if (schema) {
    await dropSchema(`${schema}_api`).catch(() => undefined);
    await dropSchema(schema);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('LB IPAM through the API', () => {
  it('bosun apply the pool, service-blue and a Service labelled color=blue → 20.0.10.1; service-blue says no_pool', async () => {
    const gateway = join(dir, 'gateway-service.yaml');
    writeFileSync(
      gateway,
      `apiVersion: v1
kind: Service
metadata:
  name: cilium-gateway-gateway-blue
  namespace: tenant-blue
  labels:
    color: blue
    io.cilium.gateway/owning-gateway: gateway-blue
spec:
  type: LoadBalancer
  ports:
  - name: port-80
    port: 80
    protocol: TCP
`,
    );
    const applied = await bosun(['apply', '-f', join(SEED, '05-lb-ip-pool.yaml'), '-f', join(SEED, '06-service-blue.yaml'), '-f', gateway]);
    expect(applied.stderr.split('\n').filter((l) => l && !l.startsWith('Warning: '))).toEqual([]); // v2alpha1 is deprecated: a warning
    expect(applied.code).toBe(0);

    const svcs = await waitFor(async () => {
      const r = await bosun(['get', 'svc', '-A']);
      return r.stdout.includes('20.0.10.1') ? r.stdout : undefined;
    }, { description: 'the gateway Service gets its address', timeoutMs: 30_000, intervalMs: 250 });
    expect(svcs).toMatch(/tenant-blue\s+cilium-gateway-gateway-blue\s+LoadBalancer\s+\S+\s+20\.0\.10\.1\s+80\/TCP/);
    expect(svcs).toMatch(/blue\s+service-blue\s+LoadBalancer\s+\S+\s+<pending>\s+80\/TCP/);

    const json = JSON.parse((await bosun(['get', 'svc', 'cilium-gateway-gateway-blue', '-n', 'tenant-blue', '-o', 'json'])).stdout);
    expect(json.status.loadBalancer.ingress).toEqual([{ ip: '20.0.10.1', ipMode: 'VIP' }]);
    expect(json.status.conditions).toEqual([
      expect.objectContaining({ type: 'cilium.io/IPAMRequestSatisfied', status: 'True', reason: 'satisfied', message: '', observedGeneration: 1, lastTransitionTime: expect.any(String) }),
    ]);

    const pools = await waitFor(async () => {
      const r = await bosun(['get', 'ippools']);
      return /ip-pool-blue\s+20\.0\.10\.0\/24\s+false\s+False\s+253\s/.test(r.stdout) ? r.stdout : undefined;
    }, { description: 'pool status', timeoutMs: 30_000, intervalMs: 250 });
    expect(pools.split('\n')[0]).toMatch(/^NAME\s+CIDRS\s+DISABLED\s+CONFLICTING\s+IPS AVAILABLE\s+AGE$/);

    const blue = await waitFor(async () => {
      const r = await bosun(['describe', 'svc', 'service-blue', '-n', 'blue']);
      return r.stdout.includes('no_pool') ? r.stdout : undefined;
    }, { description: 'service-blue condition', timeoutMs: 30_000, intervalMs: 250 });
    expect(blue).toMatch(/cilium\.io\/IPAMRequestSatisfied\s+False\s+no_pool\s+There are no enabled CiliumLoadBalancerIPPools that match this service/);

    const gw = (await bosun(['describe', 'svc', 'cilium-gateway-gateway-blue', '-n', 'tenant-blue'])).stdout;
    expect(gw).toMatch(/cilium\.io\/IPAMRequestSatisfied\s+True\s+satisfied/);
    expect(gw).toMatch(/ipam\.LoadBalancerIPAllocated\s+.*20\.0\.10\.1 allocated from pool ip-pool-blue/);
    expect(gw).toMatch(/ipam\.ServiceIPAMConditionChanged\s+.*IPAMRequestSatisfied=True satisfied/);
  });

  it('relabelling the Service releases its address with a reason, visible in describe', async () => {
    const r = await bosun(['label', 'svc', 'cilium-gateway-gateway-blue', '-n', 'tenant-blue', 'color=green', '--overwrite']);
    if (r.code !== 0) {
      // No `label` verb: re-apply with the new label instead.
      const f = join(dir, 'relabel.yaml');
      writeFileSync(
        f,
        `apiVersion: v1
kind: Service
metadata:
  name: cilium-gateway-gateway-blue
  namespace: tenant-blue
  labels:
    color: green
    io.cilium.gateway/owning-gateway: gateway-blue
spec:
  type: LoadBalancer
  ports:
  - name: port-80
    port: 80
    protocol: TCP
`,
      );
      const a = await bosun(['apply', '-f', f]);
      expect(a.stderr).toBe('');
    }
    const gw = await waitFor(async () => {
      const d = await bosun(['describe', 'svc', 'cilium-gateway-gateway-blue', '-n', 'tenant-blue']);
      return d.stdout.includes('released') ? d.stdout : undefined;
    }, { description: 'the release in describe', timeoutMs: 30_000, intervalMs: 250 });
    expect(gw).toMatch(/ipam\.LoadBalancerIPReleased\s+.*20\.0\.10\.1 released to pool ip-pool-blue: pool_selector_mismatch/);
    expect(gw).toMatch(/cilium\.io\/IPAMRequestSatisfied\s+False\s+no_pool/);
    const pools = await bosun(['get', 'ippools']);
    expect(pools.stdout).toMatch(/ip-pool-blue\s+20\.0\.10\.0\/24\s+false\s+False\s+254\s/);
  });

  it('a pool whose range holds no address is stored with a warning, and ipam reports it as a condition; fixed, it allocates', async () => {
    const f = join(dir, 'bad-range.yaml');
    const poolYaml = (start: string, stop: string) => `apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: bad-range
spec:
  blocks:
  - start: "${start}"
    stop: "${stop}"
  serviceSelector:
    matchLabels:
      color: teal
`;
    writeFileSync(f, poolYaml('30.0.0.20', '30.0.0.10'));
    const a = await bosun(['apply', '-f', f]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('ciliumloadbalancerippool.cilium.io/bad-range created');
    expect(a.stderr).toContain("Warning: ciliumloadbalancerippool.cilium.io/bad-range: spec.blocks[0].stop: '30.0.0.10' is lower than start '30.0.0.20'");
    const d = await waitFor(async () => {
      const r = await bosun(['describe', 'ippool', 'bad-range']);
      return /bosun\.io\/InvalidSpec\s+True/.test(r.stdout) ? r.stdout : undefined;
    }, { description: 'the InvalidSpec condition', timeoutMs: 30_000, intervalMs: 250 });
    expect(d).toMatch(/bosun\.io\/InvalidSpec\s+True\s+invalid_spec\s+.*spec\.blocks\[0\]/);
    if (process.env.BOSUN_TEST_VERBOSE) console.log(d);

    writeFileSync(f, poolYaml('30.0.0.10', '30.0.0.20'));
    expect((await bosun(['apply', '-f', f])).stderr).toBe('');
    await waitFor(async () => {
      const r = await bosun(['describe', 'ippool', 'bad-range']);
      return /bosun\.io\/InvalidSpec\s+False/.test(r.stdout) || undefined;
    }, { description: 'the condition cleared', timeoutMs: 30_000, intervalMs: 250 });
    const svc = join(dir, 'teal.yaml');
    writeFileSync(svc, `apiVersion: v1
kind: Service
metadata:
  name: teal
  namespace: tenant-blue
  labels:
    color: teal
spec:
  type: LoadBalancer
  ports:
  - port: 80
`);
    expect((await bosun(['apply', '-f', svc])).code).toBe(0);
    await waitFor(async () => /teal\s+LoadBalancer\s+\S+\s+30\.0\.0\.10\s/.test((await bosun(['get', 'svc', '-n', 'tenant-blue'])).stdout) || undefined, {
      description: 'the teal Service gets the first address of the fixed range',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  });
});
