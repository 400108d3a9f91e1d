import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { parseAllDocuments } from 'yaml';
import { ApiStatusError, BosunClient, type KubeObject } from '@bosun/client';
import { dropSchema, dropStaleSchemas, freePort, spawnManaged, testDatabaseUrl, testSchemaName, waitFor, type ManagedProcess } from '@bosun/testing';

/**
 * The talk's Gateway end to end through the real processes — the API, ipam and the
 * gateway-translator (compiled), one Postgres schema of their own: every seed manifest applied
 * one by one in a scrambled order (the Gateway before the pool), then what an operator sees.
 */

const ROOT = join(__dirname, '..', '..', '..');
const SEED = join(ROOT, 'libs', 'gateway', 'test', 'seed');
// Gateway first, pool late: the Service must wait for the pool, then get its address.
const ORDER = ['07-gateway-blue.yaml', '03-bgp-advertisement.yaml', '06-service-blue.yaml', '01-bgp-cluster-config.yaml', '04-l2-announcement-policy.yaml', '05-lb-ip-pool.yaml', '02-bgp-peer-config.yaml'];

type Obj = KubeObject & { apiVersion: string; kind: string; spec?: any; status?: any };

let schema: string;
let dir: string;
let client: BosunClient;
let translatorHttp: string;
const procs: ManagedProcess[] = [];

const start = (app: string, env: Record<string, string>): ManagedProcess => {
  const p = spawnManaged(undefined, process.execPath, [join(ROOT, 'apps', app, 'dist', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: testDatabaseUrl(), BOSUN_EVENTSTORE_SCHEMA: schema, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn', ...env },
    logFile: join(dir, `${app}.log`),
  });
  procs.push(p);
  return p;
};

const ready = async (p: ManagedProcess, url: string, what: string): Promise<void> => {
  await waitFor(
    async () => {
      if (p.hasExited) throw new Error(`${what} exited: ${p.output()}`);
      return (await fetch(url)).ok;
    },
    { description: `${what} ready`, timeoutMs: 60_000, intervalMs: 200 },
  );
};

const seed = (file: string): Obj[] =>
  parseAllDocuments(readFileSync(join(SEED, file), 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter((o) => o?.kind);

/** Retries a write the API answered 504 (stored, the view had not caught up in time: a busy machine). */
const retry504 = async <T>(write: () => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof ApiStatusError && e.code === 504) || attempt >= 5) throw e;
    }
  }
};

const get = (kind: string, name: string, ns?: string): Promise<Obj | undefined> => client.tryGet<Obj>(kind, name, ns);
const cond = (o: Obj | undefined, type: string): any => (o?.status?.conditions ?? []).find((c: any) => c.type === type);
const logs = (): string => procs.map((p) => `--- ${p.command.join(' ')}\n${p.output()}`).join('\n');

/** Runs of the translator so far (its reconcile histogram's count). */
const translatorRuns = async (): Promise<number> => {
  const text = await (await fetch(`${translatorHttp}/metrics`)).text();
  return [...text.matchAll(/^bosun_gateway_reconcile_duration_seconds_count\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
};

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'apps/api', 'apps/ipam', 'apps/gateway-translator'], { cwd: ROOT, stdio: 'inherit' });
  await dropStaleSchemas('gwtr');
  schema = testSchemaName('gwtr');
  dir = mkdtempSync(join(tmpdir(), 'bosun-gwtr-'));
  const apiPort = await freePort();
  const server = `http://127.0.0.1:${apiPort}`;
  client = new BosunClient({ server, token: 'unused' });
  const api = start('api', { BOSUN_API_LISTEN: `127.0.0.1:${apiPort}`, BOSUN_API_SCHEMA: `${schema}_api`, BOSUN_SECRET_KEY: randomBytes(32).toString('hex') });
  await ready(api, `${server}/readyz`, 'the API');
  const ipamPort = await freePort();
  const ipam = start('ipam', { BOSUN_HTTP_LISTEN: `127.0.0.1:${ipamPort}`, BOSUN_IPAM_INSTANCE: `gwtr-${randomBytes(3).toString('hex')}` });
  const gwPort = await freePort();
  translatorHttp = `http://127.0.0.1:${gwPort}`;
  const translator = start('gateway-translator', { BOSUN_SERVER: server, BOSUN_TOKEN: 'unused', BOSUN_HTTP_LISTEN: `127.0.0.1:${gwPort}` });
  await ready(ipam, `http://127.0.0.1:${ipamPort}/readyz`, 'ipam');
  await ready(translator, `${translatorHttp}/readyz`, 'the gateway-translator');
}, 180_000);

afterAll(async () => {
  for (const p of [...procs].reverse()) await p.stop(5000).catch(() => undefined);
  client?.close();
  if (schema) {
    await dropSchema(`${schema}_api`).catch(() => undefined);
    await dropSchema(schema).catch(() => undefined);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('gateway-translator: the talk through the API, ipam and the translator', () => {
  it('installs the default GatewayClass cilium and accepts it', async () => {
    const gc = await waitFor(async () => {
      const o = await get('gatewayclasses', 'cilium');
      return cond(o, 'Accepted')?.status === 'True' ? o : undefined;
    }, { description: 'GatewayClass cilium accepted', timeoutMs: 30_000 });
    expect(gc.spec.controllerName).toBe('io.cilium/gateway-controller');
    expect(cond(gc, 'Accepted')).toMatchObject({ reason: 'Accepted', observedGeneration: 1 });
  });

  it('every seed manifest applied one by one (Gateway first, pool late) → cilium-gateway-gateway-blue gets 20.0.10.1 and the Gateway is Programmed', async () => {
    for (const file of ORDER) for (const o of seed(file)) await retry504(() => client.apply(o, { fieldManager: 'kubectl' }));

    const svc = await waitFor(async () => {
      const s = await get('services', 'cilium-gateway-gateway-blue', 'tenant-blue');
      return s?.status?.loadBalancer?.ingress?.[0]?.ip ? s : undefined;
    }, { description: 'the gateway Service with an address', timeoutMs: 60_000, intervalMs: 200 }).catch((e) => {
      throw new Error(`${(e as Error).message}\n${logs()}`);
    });
    expect(svc.status.loadBalancer.ingress[0].ip).toBe('20.0.10.1');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.metadata!.labels).toEqual({ color: 'blue', 'io.cilium.gateway/owning-gateway': 'gateway-blue', 'gateway.networking.k8s.io/gateway-name': 'gateway-blue' });
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'port-80', port: 80, protocol: 'TCP' })]);
    const gwObj = await get('gateways', 'gateway-blue', 'tenant-blue');
    expect((svc.metadata as any).ownerReferences).toEqual([{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'gateway-blue', uid: gwObj!.metadata!.uid, controller: true }]);
    expect(((svc.metadata as any).managedFields ?? []).map((m: any) => m.manager)).toContain('gateway-translator');
    expect(cond(svc, 'cilium.io/IPAMRequestSatisfied')).toMatchObject({ status: 'True', reason: 'satisfied' });

    const gw = await waitFor(async () => {
      const g = await get('gateways', 'gateway-blue', 'tenant-blue');
      return cond(g, 'Programmed')?.status === 'True' ? g : undefined;
    }, { description: 'gateway-blue Programmed', timeoutMs: 30_000, intervalMs: 200 });
    expect(cond(gw, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted', observedGeneration: 1 });
    expect(cond(gw, 'Programmed')).toMatchObject({ status: 'True', reason: 'Programmed', message: 'address(es) 20.0.10.1 assigned to Service tenant-blue/cilium-gateway-gateway-blue' });
    expect(gw.status.addresses).toEqual([{ type: 'IPAddress', value: '20.0.10.1' }]);
    expect(gw.status.listeners).toEqual([
      {
        name: 'gateway-blue-http',
        supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
        attachedRoutes: 0,
        conditions: [
          expect.objectContaining({ type: 'Accepted', status: 'True', reason: 'Accepted' }),
          expect.objectContaining({ type: 'Programmed', status: 'True', reason: 'Programmed' }),
          expect.objectContaining({ type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs' }),
          expect.objectContaining({ type: 'Conflicted', status: 'False', reason: 'NoConflicts' }),
        ],
      },
    ]);
    // The Programmed=False it had before the pool existed said why.
    const history = await client.history('gateways', 'gateway-blue', 'tenant-blue');
    expect(history.map((h) => h.type)).toContain('resource.StatusUpdated');

    // kubectl's columns (the CRD's printer columns): class, address, programmed.
    const table = await client.table('gateways', { namespace: 'tenant-blue' });
    const cols = table.columnDefinitions.map((c) => c.name);
    const row = table.rows[0]!.cells;
    expect(row[cols.indexOf('Class')]).toBe('cilium');
    expect(row[cols.indexOf('Address')]).toBe('20.0.10.1');
    expect(row[cols.indexOf('Programmed')]).toBe('True');
  });

  it('service-blue gets no address and says no_pool; the translator leaves it alone', async () => {
    const s = await waitFor(async () => {
      const o = await get('services', 'service-blue', 'blue');
      return cond(o, 'cilium.io/IPAMRequestSatisfied') ? o : undefined;
    }, { description: 'service-blue IPAM condition', timeoutMs: 30_000 });
    expect(s.status.loadBalancer?.ingress ?? []).toEqual([]);
    expect(cond(s, 'cilium.io/IPAMRequestSatisfied')).toMatchObject({ status: 'False', reason: 'no_pool', message: 'There are no enabled CiliumLoadBalancerIPPools that match this service' });
    expect(((s.metadata as any).managedFields ?? []).map((m: any) => m.manager)).not.toContain('gateway-translator');
  });

  it('writes nothing when nothing changed: an unrelated change makes a run that leaves the Gateway and its Service as they are', async () => {
    const before = { gw: (await get('gateways', 'gateway-blue', 'tenant-blue'))!.metadata!.resourceVersion, svc: (await get('services', 'cilium-gateway-gateway-blue', 'tenant-blue'))!.metadata!.resourceVersion };
    const runs = await translatorRuns();
    await retry504(() => client.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'unrelated', namespace: 'blue' }, spec: { ports: [{ port: 81 }] } } as Obj));
    await waitFor(async () => (await translatorRuns()) > runs, { description: 'a translator run after the change', timeoutMs: 30_000 });
    expect((await get('gateways', 'gateway-blue', 'tenant-blue'))!.metadata!.resourceVersion).toBe(before.gw);
    expect((await get('services', 'cilium-gateway-gateway-blue', 'tenant-blue'))!.metadata!.resourceVersion).toBe(before.svc);
  });

  it('a restarted translator rebuilds its view and writes nothing that is already right', async () => {
    const before = { gw: (await get('gateways', 'gateway-blue', 'tenant-blue'))!.metadata!.resourceVersion, svc: (await get('services', 'cilium-gateway-gateway-blue', 'tenant-blue'))!.metadata!.resourceVersion, gc: (await get('gatewayclasses', 'cilium'))!.metadata!.resourceVersion };
    const old = procs.find((p) => p.command.some((c) => c.includes('gateway-translator')))!;
    await old.stop(5000);
    procs.splice(procs.indexOf(old), 1);
    const port = Number(new URL(translatorHttp).port);
    const again = start('gateway-translator', { BOSUN_SERVER: `http://127.0.0.1:${new URL((client.config.server)).port}`, BOSUN_TOKEN: 'unused', BOSUN_HTTP_LISTEN: `127.0.0.1:${port}` });
    await ready(again, `${translatorHttp}/readyz`, 'the restarted gateway-translator');
    await waitFor(async () => (await translatorRuns()) > 0, { description: 'a run of the restarted translator', timeoutMs: 30_000 });
    expect((await get('gateways', 'gateway-blue', 'tenant-blue'))!.metadata!.resourceVersion).toBe(before.gw);
    expect((await get('services', 'cilium-gateway-gateway-blue', 'tenant-blue'))!.metadata!.resourceVersion).toBe(before.svc);
    expect((await get('gatewayclasses', 'cilium'))!.metadata!.resourceVersion).toBe(before.gc);
  });

  it('HTTPRoutes: attached from the Gateway namespace (RefNotPermitted until a ReferenceGrant), refused from another namespace (from: Same)', async () => {
    const routeTo = (name: string, ns: string): Obj => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace: ns },
      spec: { parentRefs: [{ name: 'gateway-blue', namespace: 'tenant-blue' }], rules: [{ backendRefs: [{ name: 'service-blue', namespace: 'blue', port: 80 }] }] },
    });
    await retry504(() => client.apply(routeTo('web', 'tenant-blue')));
    await retry504(() => client.apply(routeTo('intruder', 'blue')));
    const parentOf = async (name: string, ns: string) => ((await get('httproutes', name, ns))?.status?.parents ?? []).find((p: any) => p.controllerName === 'io.cilium/gateway-controller');

    const web = await waitFor(() => parentOf('web', 'tenant-blue'), { description: 'route web status', timeoutMs: 30_000 });
    expect(web.conditions).toEqual([
      expect.objectContaining({ type: 'Accepted', status: 'True', reason: 'Accepted' }),
      expect.objectContaining({ type: 'ResolvedRefs', status: 'False', reason: 'RefNotPermitted' }),
    ]);
    const intruder = await waitFor(() => parentOf('intruder', 'blue'), { description: 'route intruder status', timeoutMs: 30_000 });
    expect(intruder.conditions[0]).toMatchObject({ type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners' });
    await waitFor(async () => (await get('gateways', 'gateway-blue', 'tenant-blue'))?.status?.listeners?.[0]?.attachedRoutes === 1, { description: 'attachedRoutes 1', timeoutMs: 30_000 });

    await retry504(() =>
      client.apply({
        apiVersion: 'gateway.networking.k8s.io/v1beta1',
        kind: 'ReferenceGrant',
        metadata: { name: 'routes-from-tenant-blue', namespace: 'blue' },
        spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'tenant-blue' }], to: [{ group: '', kind: 'Service', name: 'service-blue' }] },
      } as Obj),
    );
    await waitFor(async () => (await parentOf('web', 'tenant-blue'))?.conditions?.[1]?.status === 'True', { description: 'ResolvedRefs after the grant', timeoutMs: 30_000 });
  });

  it('HTTPS listeners: the referenced Secret is read and checked (a valid pair resolves; a broken one says InvalidCertificateRef), values never show in status', async () => {
    const pems = await generate([{ name: 'commonName', value: 'secure.example.com' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as never);
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    // Opaque: the API refuses `kubernetes.io/tls` Secrets today (its writer validates them after
    // moving the values out); the translator only looks at the tls.crt/tls.key keys either way.
    const tlsSecret = (name: string, key: string): Obj => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'tenant-blue' }, type: 'Opaque', data: { 'tls.crt': b64(pems.cert), 'tls.key': b64(key) } } as Obj);
    await retry504(() => client.create(tlsSecret('good-cert', pems.private)));
    await retry504(() => client.create(tlsSecret('bad-cert', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')));
    await retry504(() =>
      client.apply({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'secure', namespace: 'tenant-blue' },
        spec: {
          gatewayClassName: 'cilium',
          listeners: [
            { name: 'good', port: 443, protocol: 'HTTPS', hostname: 'good.example.com', tls: { certificateRefs: [{ name: 'good-cert' }] } },
            { name: 'bad', port: 443, protocol: 'HTTPS', hostname: 'bad.example.com', tls: { certificateRefs: [{ name: 'bad-cert' }] } },
          ],
        },
      } as Obj),
    );
    const gw = await waitFor(async () => {
      const g = await get('gateways', 'secure', 'tenant-blue');
      return g?.status?.listeners?.length === 2 ? g : undefined;
    }, { description: 'the secure Gateway status', timeoutMs: 30_000 });
    const l = (n: string) => gw.status.listeners.find((x: any) => x.name === n);
    expect(l('good').conditions.find((c: any) => c.type === 'ResolvedRefs')).toMatchObject({ status: 'True' });
    expect(l('bad').conditions.find((c: any) => c.type === 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'InvalidCertificateRef', message: 'tls.certificateRefs[0]: Secret tenant-blue/bad-cert: tls.key is not a PEM private key' });
    expect(cond(gw, 'Accepted')).toMatchObject({ status: 'True', reason: 'ListenersNotValid' });
    expect(JSON.stringify(gw.status)).not.toContain('PRIVATE KEY');
    const svc = await waitFor(() => get('services', 'cilium-gateway-secure', 'tenant-blue'), { description: 'the secure Gateway Service', timeoutMs: 30_000 });
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'port-443', port: 443, protocol: 'TCP' })]);
  });

  it('deleting the Gateway removes its Service (ownerReference cascade)', async () => {
    await retry504(() => client.delete('gateways', 'gateway-blue', 'tenant-blue'));
    await waitFor(async () => (await get('services', 'cilium-gateway-gateway-blue', 'tenant-blue')) === undefined, { description: 'the gateway Service gone', timeoutMs: 30_000, intervalMs: 200 });
    // and the route's entry for it goes with it
    await waitFor(async () => ((await get('httproutes', 'web', 'tenant-blue'))?.status?.parents ?? []).length === 0, { description: 'the route status entry removed', timeoutMs: 30_000 });
  });
});
