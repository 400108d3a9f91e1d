import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiStatusError, BosunClient } from '@bosun/client';
import { startApiServer, type ApiServer } from '../src/api-server';
import { configFromEnv } from '../src/config';
import { SEED, apiEnv, bosun, dropSchemas, fixture, freePort, kubectl, sql, type Fixture } from './helpers';

// The API in-process (real Postgres in its own schema), driven through the bosun CLI, kubectl
// and the client library.
let f: Fixture;
let api: ApiServer;
let http: string;
let https: string;
let sock: string;
let admin: BosunClient;
const seedFiles = readdirSync(SEED).filter((n) => n.endsWith('.yaml')).sort();

const eventCount = async (): Promise<number> => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM "${f.schema}".events`))[0]!.n);

beforeAll(async () => {
  await dropSchemas();
  f = fixture();
  const port = await freePort();
  const tlsPort = await freePort();
  sock = join(f.dir, 'api.sock');
  const env = apiEnv(f, `127.0.0.1:${port},https://127.0.0.1:${tlsPort},unix:${sock}`);
  api = await startApiServer(configFromEnv(env));
  http = `http://127.0.0.1:${port}`;
  https = `https://127.0.0.1:${tlsPort}`;
  admin = new BosunClient({ server: http, token: f.tokens.admin });
});

afterAll(async () => {
  admin?.close();
  await api?.close();
  await dropSchemas([f.schema, f.apiSchema]);
});

const cli = (args: string[], token = f.tokens.admin, input?: string) => bosun(args, { BOSUN_SERVER: http, BOSUN_TOKEN: token }, input);
const kc = (args: string[], token = f.tokens.admin) => kubectl(['--server', https, '--token', token, '--insecure-skip-tls-verify', ...args]);

describe('seed manifests', () => {
  it('apply through bosun apply -f (one request, all or nothing) and read back through bosun get', async () => {
    const r = await cli(['apply', '-f', SEED]);
    // Only warnings, as kubectl prints them: the seed's v2alpha1 kinds are deprecated versions.
    expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('Warning: '))).toEqual([]);
    expect(r.stderr).toContain('Warning: ciliumloadbalancerippool.cilium.io/ip-pool-blue: cilium.io/v2alpha1 CiliumLoadBalancerIPPool is deprecated; use cilium.io/v2 CiliumLoadBalancerIPPool');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ciliumloadbalancerippool.cilium.io/ip-pool-blue created');
    expect(r.stdout).toContain('service/service-blue created');
    expect(r.stdout).toContain('gateway.gateway.networking.k8s.io/gateway-blue created');
    const pools = await cli(['get', 'ippools']);
    expect(pools.stdout.split('\n')[0]).toMatch(/^NAME\s+CIDRS\s+DISABLED\s+CONFLICTING\s+IPS AVAILABLE\s+AGE$/);
    expect(pools.stdout).toMatch(/ip-pool-blue\s+20\.0\.10\.0\/24\s+false/);
    const svcs = await cli(['get', 'svc', '-A']);
    expect(svcs.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    expect(svcs.stdout).toMatch(/blue\s+service-blue\s+LoadBalancer\s+10\.96\.\d+\.\d+\s+<pending>\s+80\/TCP/);
    const gw = await cli(['get', 'gateway', 'gateway-blue', '-n', 'tenant-blue', '-o', 'json']);
    expect(JSON.parse(gw.stdout).spec.infrastructure.labels).toEqual({ color: 'blue' });
  });

  it('re-applying identical manifests appends no event and does not bump generation', async () => {
    const before = await eventCount();
    const gen = ((await admin.get('ippools', 'ip-pool-blue')) as any).metadata.generation;
    const r = await cli(['apply', '-f', SEED]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').every((l) => l.endsWith(' unchanged'))).toBe(true);
    expect(await eventCount()).toBe(before);
    expect(((await admin.get('ippools', 'ip-pool-blue')) as any).metadata.generation).toBe(gen);
  });

  it('apply through kubectl apply --server-side and read back through kubectl get', async () => {
    for (const file of seedFiles) {
      const r = await kc(['apply', '--server-side', '-f', join(SEED, file)]);
      expect(r.stderr.replace(/^Warning:.*\n/gm, ''), file).toBe('');
      expect(r.stdout, file).toMatch(/serverside-applied/);
    }
    const pools = await kc(['get', 'ciliumloadbalancerippools']);
    expect(pools.stdout).toMatch(/^NAME\s+CIDRS\s+DISABLED\s+CONFLICTING\s+IPS AVAILABLE\s+AGE/);
    expect(pools.stdout).toMatch(/ip-pool-blue\s+20\.0\.10\.0\/24\s+false/);
    const svc = await kc(['get', 'services', '-n', 'blue', 'service-blue', '-o', 'json']);
    expect(JSON.parse(svc.stdout).spec.type).toBe('LoadBalancer');
    const all = await kc(['get', 'svc', '-A']);
    expect(all.stdout).toMatch(/blue\s+service-blue\s+LoadBalancer/);
    for (const [kind, name, ns] of [
      ['ciliumbgpclusterconfigs', 'cilium-bgp'],
      ['ciliumbgppeerconfigs', 'cilium-peer'],
      ['ciliumbgpadvertisements', 'bgp-advertisements'],
      ['ciliuml2announcementpolicies', 'policy1'],
      ['gateways', 'gateway-blue', 'tenant-blue'],
    ] as const) {
      const r = await kc(['get', kind, name, ...(ns ? ['-n', ns] : []), '-o', 'name']);
      expect(r.stdout.trim(), kind).toContain(`/${name}`);
    }
  });

  it('kubectl create (protobuf bodies): namespace, the BGP auth secret, a service', async () => {
    expect((await kc(['create', 'namespace', 'kc-demo'])).stdout).toContain('namespace/kc-demo created');
    const s = await kc(['create', 'secret', 'generic', 'kc-secret', '-n', 'kc-demo', '--from-literal=password=from-kubectl']);
    expect(s.stdout, s.stderr).toContain('secret/kc-secret created');
    const got = (await admin.get('secrets', 'kc-secret', 'kc-demo')) as any;
    expect(Buffer.from(got.data.password, 'base64').toString()).toBe('from-kubectl');
    const svc = await kc(['create', 'service', 'loadbalancer', 'kc-web', '-n', 'kc-demo', '--tcp=80:8080']);
    expect(svc.stdout, svc.stderr).toContain('service/kc-web created');
    expect(((await admin.get('svc', 'kc-web', 'kc-demo')) as any).spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080, protocol: 'TCP' });
  });

  it('kubectl client-side apply, label and patch (strategic merge patches) of a core kind', async () => {
    const v1 = join(f.dir, 'smp-v1.yaml');
    const v2 = join(f.dir, 'smp-v2.yaml');
    const base = (ports: string, labels: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: smp, namespace: blue, labels: ${labels}}\nspec:\n  ports:\n${ports}`;
    writeFileSync(v1, base('  - {name: http, port: 80, targetPort: 8080}\n  - {name: https, port: 443}\n', '{a: b}'));
    writeFileSync(v2, base('  - {name: http, port: 80, targetPort: 9090}\n  - {name: dns, port: 53, protocol: UDP}\n', '{c: d}'));
    expect((await kc(['apply', '-f', v1])).stdout).toContain('service/smp created');
    const r = await kc(['apply', '-f', v2]);
    expect(r.stdout, r.stderr).toContain('service/smp configured');
    expect((await kc(['label', 'svc', '-n', 'blue', 'smp', 'e=f'])).stdout).toContain('labeled');
    const o = (await admin.get('svc', 'smp', 'blue')) as any;
    expect(o.metadata.labels).toEqual({ c: 'd', e: 'f' });
    expect(o.spec.ports.map((p: any) => `${p.name}:${p.port}/${p.protocol}->${p.targetPort}`)).toEqual(['http:80/TCP->9090', 'dns:53/UDP->53']);
  });

  it('kubectl and bosun show the same columns', async () => {
    const a = (await kc(['get', 'ippools'])).stdout.split('\n')[0]!.split(/\s{2,}/);
    const b = (await cli(['get', 'ippools'])).stdout.split('\n')[0]!.split(/\s{2,}/);
    expect(a).toEqual(b);
  });
});

describe('validation', () => {
  it('a multi-document apply with one invalid document stores nothing', async () => {
    const before = await eventCount();
    const docs = `apiVersion: v1
kind: Service
metadata: {name: good-one, namespace: blue}
spec: {ports: [{port: 81}]}
---
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: bad-pool}
spec:
  blocks:
  - cidr: 20.0.300.0/24
---
apiVersion: v1
kind: Service
metadata: {name: good-two, namespace: blue}
spec: {ports: [{port: 82}]}
`;
    const r = await cli(['apply', '-f', '-'], f.tokens.admin, docs);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Invalid/);
    expect(r.stderr).toContain('spec.blocks[0].cidr');
    expect(await eventCount()).toBe(before);
    expect(await admin.tryGet('svc', 'good-one', 'blue')).toBeUndefined();
    expect(await admin.tryGet('svc', 'good-two', 'blue')).toBeUndefined();
  });

  it('invalid manifests come back as 422 Invalid naming the fields', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ apiVersion: 'cilium.io/v2', kind: 'CiliumLoadBalancerIPPool', metadata: { name: 'p1' }, spec: { blocks: [{ cidr: 'not-a-cidr' }] } }, 'spec.blocks[0].cidr'],
      [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's1', namespace: 'blue' }, spec: { type: 'Bogus', ports: [{ port: 80 }] } }, 'spec.type'],
      [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's2', namespace: 'blue' }, spec: { ports: [{ port: 70000 }] } }, 'spec.ports[0].port'],
      [
        { apiVersion: 'cilium.io/v2', kind: 'CiliumBGPPeerConfig', metadata: { name: 'pc' }, spec: { timers: { holdTimeSeconds: 9, keepAliveTimeSeconds: 30 } } },
        'spec.timers',
      ],
    ];
    for (const [obj, field] of cases) {
      const e = await admin.create(obj).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e, field).toBeInstanceOf(ApiStatusError);
      const err = e as ApiStatusError;
      expect(err.code, field).toBe(422);
      expect(err.reason).toBe('Invalid');
      expect(err.causes.map((c) => c.field).join(' '), JSON.stringify(err.causes)).toContain(field);
    }
  });
});

describe('objects', () => {
  it('delete appends an event, returns the object, and the object leaves LIST', async () => {
    await admin.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'doomed', namespace: 'blue' }, spec: { ports: [{ port: 80 }] } });
    const before = await eventCount();
    const gone = (await admin.delete('svc', 'doomed', 'blue')) as any;
    expect(gone.metadata.name).toBe('doomed');
    expect(await eventCount()).toBe(before + 1);
    const list = await admin.list('svc', { namespace: 'blue' });
    expect(list.items.map((o) => o.metadata?.name)).not.toContain('doomed');
    const del = await cli(['get', 'svc', 'doomed', '-n', 'blue']);
    expect(del.code).toBe(1);
    expect(del.stderr).toMatch(/NotFound/);
  });

  it('generation bumps on spec changes only; labels change resourceVersion but not generation', async () => {
    const a = (await admin.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gen', namespace: 'blue' }, spec: { ports: [{ port: 80 }] } })) as any;
    expect(a.metadata.generation).toBe(1);
    const b = (await admin.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gen', namespace: 'blue', labels: { x: 'y' } }, spec: { ports: [{ port: 80 }] } })) as any;
    expect(b.metadata.generation).toBe(1);
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    const c = (await admin.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gen', namespace: 'blue', labels: { x: 'y' } }, spec: { ports: [{ port: 8080 }] } })) as any;
    expect(c.metadata.generation).toBe(2);
    expect(c.spec.clusterIP).toBe(a.spec.clusterIP);
  });

  it('server-side apply detects conflicts between managers and force takes over', async () => {
    const svc = (port: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ssa', namespace: 'blue' }, spec: { ports: [{ port }] } });
    await admin.apply(svc(80), { fieldManager: 'alpha' });
    const e = await admin.apply(svc(81), { fieldManager: 'beta' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiStatusError);
    expect((e as ApiStatusError).code).toBe(409);
    expect((e as ApiStatusError).message).toContain('conflict with "alpha"');
    const forced = (await admin.apply(svc(81), { fieldManager: 'beta', force: true })) as any;
    expect(forced.spec.ports[0].port).toBe(81);
    const managers = (forced.metadata.managedFields as any[]).map((m) => m.manager);
    expect(managers).toContain('beta');
  });

  it('clusterIPs: a requested IP is honoured, a taken one rejected, updates keep them', async () => {
    const mk = (name: string, ip?: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'green' }, spec: { ...(ip ? { clusterIP: ip } : {}), ports: [{ port: 80 }] } });
    const a = (await admin.create(mk('ip-a', '10.96.200.7'))) as any;
    expect(a.spec.clusterIPs).toEqual(['10.96.200.7']);
    const e = await admin.create(mk('ip-b', '10.96.200.7')).catch((x: unknown) => x);
    expect((e as ApiStatusError).code).toBe(422);
    expect((e as ApiStatusError).causes[0]?.field).toBe('spec.clusterIPs[0]');
    const dual = (await admin.create({ ...mk('ip-c'), spec: { ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80 }] } })) as any;
    expect(dual.spec.ipFamilies).toEqual(['IPv4', 'IPv6']);
    expect(dual.spec.clusterIPs[1]).toMatch(/^fd00:10:96::/);
  });

  it('ownerReferences cascade: dependents are deleted after the owner', async () => {
    const owner = (await admin.create({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw-owner', namespace: 'green' }, spec: { gatewayClassName: 'cilium', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } })) as any;
    await admin.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'cilium-gateway-gw-owner', namespace: 'green', ownerReferences: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'gw-owner', uid: owner.metadata.uid, controller: true }] },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    await admin.delete('gateways', 'gw-owner', 'green');
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await admin.tryGet('svc', 'cilium-gateway-gw-owner', 'green'))) await new Promise((r) => setTimeout(r, 50));
    expect(await admin.tryGet('svc', 'cilium-gateway-gw-owner', 'green')).toBeUndefined();
  });

  it('propagationPolicy=Orphan (kubectl delete --cascade=orphan) keeps the dependents, without the reference', async () => {
    const owner = (await admin.create({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw-orphan', namespace: 'green' }, spec: { gatewayClassName: 'cilium', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } })) as any;
    await admin.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'orphan-svc', namespace: 'green', ownerReferences: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'gw-orphan', uid: owner.metadata.uid }] },
      spec: { ports: [{ port: 80 }] },
    });
    const r = await kc(['delete', 'gateway', 'gw-orphan', '-n', 'green', '--cascade=orphan']);
    expect(r.stdout, r.stderr).toContain('deleted');
    await new Promise((res) => setTimeout(res, 500));
    const svc = (await admin.get('svc', 'orphan-svc', 'green')) as any;
    expect(svc.metadata.ownerReferences).toBeUndefined();
  });

  it('deleting a Namespace deletes the objects in it', async () => {
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'short-lived' } });
    await admin.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'inside', namespace: 'short-lived' }, spec: { ports: [{ port: 80 }] } });
    await admin.delete('namespaces', 'short-lived');
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await admin.tryGet('svc', 'inside', 'short-lived'))) await new Promise((r) => setTimeout(r, 50));
    expect(await admin.tryGet('svc', 'inside', 'short-lived')).toBeUndefined();
  });

  it('status subresource: PUT/PATCH status writes only status; spec writes ignore status', async () => {
    await admin.apply({ apiVersion: 'cilium.io/v2', kind: 'CiliumLoadBalancerIPPool', metadata: { name: 'st' }, spec: { blocks: [{ cidr: '20.0.20.0/24' }] } });
    const p = (await admin.patch('ippools', 'st', { status: { conditions: [{ type: 'cilium.io/IPsAvailable', status: 'True', reason: 'x', message: '254', lastTransitionTime: '2026-01-01T00:00:00Z' }] } }, { subresource: 'status' })) as any;
    expect(p.status.conditions[0].message).toBe('254');
    expect(p.metadata.generation).toBe(1);
    const t = await cli(['get', 'ippools', 'st']);
    expect(t.stdout).toMatch(/st\s+20\.0\.20\.0\/24\s+false\s+254/);
  });

  it('dryRun=All validates and stores nothing', async () => {
    const before = await eventCount();
    const o = (await admin.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'dry', namespace: 'blue' }, spec: { ports: [{ port: 80 }] } }, { dryRun: true })) as any;
    expect(o.metadata.name).toBe('dry');
    expect(await eventCount()).toBe(before);
    expect(await admin.tryGet('svc', 'dry', 'blue')).toBeUndefined();
  });
});

describe('secrets', () => {
  it('values are encrypted outside the event store; only allowed roles read them', async () => {
    await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bgp-auth-secret', namespace: 'blue' }, stringData: { password: 'hunter2-very-secret' } });
    const events = await sql<{ data: unknown }>(`SELECT data FROM "${f.schema}".events`);
    expect(JSON.stringify(events)).not.toContain('hunter2');
    expect(JSON.stringify(events)).not.toContain(Buffer.from('hunter2-very-secret').toString('base64'));
    const stored = await sql<{ ciphertext: Buffer }>(`SELECT ciphertext FROM "${f.apiSchema}".secrets WHERE ref = 'resource-core.Secret-blue.bgp-auth-secret'`);
    expect(stored.length).toBe(1);
    expect(stored[0]!.ciphertext.toString('utf8')).not.toContain('hunter2');
    const ev = events.find((e) => (e.data as { ref?: { kind?: string } }).ref?.kind === 'Secret')?.data as { keys: string[]; sha256: string };
    expect(ev.keys).toEqual(['password']);
    expect(ev.sha256).toMatch(/^[0-9a-f]{64}$/);
    const asAdmin = (await admin.get('secrets', 'bgp-auth-secret', 'blue')) as any;
    expect(Buffer.from(asAdmin.data.password, 'base64').toString()).toBe('hunter2-very-secret');
    const viewer = new BosunClient({ server: http, token: f.tokens.viewer });
    const asViewer = (await viewer.get('secrets', 'bgp-auth-secret', 'blue')) as any;
    expect(asViewer.data).toBeUndefined();
    viewer.close();
    const editor = new BosunClient({ server: `unix:${sock}`, token: f.tokens.editor });
    const asEditor = (await editor.get('secrets', 'bgp-auth-secret', 'blue')) as any;
    expect(asEditor.data.password).toBeDefined();
    editor.close();
  });
});

describe('auth', () => {
  it('401 without or with a wrong token, as a Status', async () => {
    const r = await fetch(`${http}/api/v1/services`);
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const bad = new BosunClient({ server: http, token: 'nope' });
    await expect(bad.list('svc')).rejects.toMatchObject({ code: 401 });
    bad.close();
    const k = await kc(['get', 'svc', '-A'], 'nope');
    expect(k.code).not.toBe(0);
  });

  it('403: a viewer cannot write, an editor writes only in its namespaces', async () => {
    const viewer = new BosunClient({ server: http, token: f.tokens.viewer });
    const e = await viewer.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'v', namespace: 'blue' }, spec: { ports: [{ port: 80 }] } }).catch((x: unknown) => x);
    expect((e as ApiStatusError).code).toBe(403);
    expect((e as ApiStatusError).reason).toBe('Forbidden');
    expect((await viewer.list('svc')).items.length).toBeGreaterThan(0);
    viewer.close();
    const editor = new BosunClient({ server: http, token: f.tokens.editor });
    await editor.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ed', namespace: 'green' }, spec: { ports: [{ port: 80 }] } });
    const e2 = await editor.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ed', namespace: 'red' }, spec: { ports: [{ port: 80 }] } }).catch((x: unknown) => x);
    expect((e2 as ApiStatusError).code).toBe(403);
    const e3 = await editor.apply({ apiVersion: 'cilium.io/v2', kind: 'CiliumLoadBalancerIPPool', metadata: { name: 'ed' }, spec: { blocks: [{ cidr: '20.0.30.0/24' }] } }).catch((x: unknown) => x);
    expect((e3 as ApiStatusError).code).toBe(403);
    editor.close();
  });

  it('mutating requests record the user in the event (audit)', async () => {
    const rows = await sql<{ data: { user?: string } }>(`SELECT data FROM "${f.schema}".events WHERE stream_id LIKE 'resource-core.Service-green.ed'`);
    expect(rows.map((r) => r.data.user)).toContain('carol');
  });
});

describe('describe', () => {
  it('shows spec, status, conditions and the events that touched the object', async () => {
    const r = await cli(['describe', 'ippool', 'st']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name:\s+st$/m);
    expect(r.stdout).toContain('Spec:');
    expect(r.stdout).toContain('Conditions:');
    expect(r.stdout).toContain('cilium.io/IPsAvailable');
    expect(r.stdout).toMatch(/resource\.Applied\s+\d+\s+alice/);
    expect(r.stdout).toMatch(/resource\.StatusUpdated\s+\d+\s+alice/);
  });
});

