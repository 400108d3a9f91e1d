import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { EventEnvelope } from '@bosun/contracts';
import type { BgpInputs, KubeObject, NodeDesiredState } from '@bosun/bgp-control-plane';
import { createLogger } from '@bosun/telemetry';
import { createTestEventStore, dropStaleSchemas, SEED_DIR as SEED, type TestEventStore } from '@bosun/testing';
import type { EnginePeerStatus, PeerStateChange, RouterEngine } from './engine';
import { NodeEventRecorder } from './recorder';
import { BgpReconciler, type InputSource, type NodeConfigStore } from './reconciler';

/**
 * The reconcile loop against the real event store, with an in-memory engine that records what
 * it is asked to do (the wire is covered by the interop tests with BIRD).
 */

const seed = (): KubeObject[] =>
  readdirSync(SEED)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(SEED, f), 'utf8')).map((d) => d.toJS() as KubeObject));

class MemorySource implements InputSource {
  private listeners: Array<() => void> = [];
  constructor(public inputs: BgpInputs) {}
  snapshot(): BgpInputs {
    return this.inputs;
  }
  onChange(l: () => void): void {
    this.listeners.push(l);
  }
  set(patch: Partial<BgpInputs>): void {
    this.inputs = { ...this.inputs, ...patch };
    for (const l of this.listeners) l();
  }
}

/** Records syncs; every configured peer is established at once. */
class RecordingEngine implements RouterEngine {
  syncs: Array<{ desired: NodeDesiredState; reset: string[] }> = [];
  private listener: ((c: PeerStateChange) => void) | undefined;
  private desired: NodeDesiredState | undefined;
  async sync(desired: NodeDesiredState, reset: ReadonlySet<string>): Promise<void> {
    await new Promise((r) => setTimeout(r, 5)); // an UPDATE batch takes a little time
    const before = new Set(this.status().map((s) => s.key));
    this.syncs.push({ desired, reset: [...reset] });
    this.desired = desired;
    for (const s of this.status()) if (!before.has(s.key)) this.listener?.({ status: s, previous: 'idle' });
  }
  status(): EnginePeerStatus[] {
    return (this.desired?.instances ?? []).flatMap((i) =>
      i.peers.map((p) => ({
        key: `${i.name}/${p.name}`,
        instance: i.name,
        peer: p.name,
        peerAddress: p.peerAddress,
        peerPort: p.peerPort,
        localASN: i.localASN,
        peerASN: p.peerASN,
        state: 'established' as const,
        establishedAt: '2025-01-01T00:00:00.000Z',
        appliedHoldTimeSeconds: p.timers.holdTimeSeconds,
        appliedKeepaliveSeconds: p.timers.keepAliveTimeSeconds,
        routeCount: p.routes.map((r) => ({ afi: r.family.afi, safi: r.family.safi, advertised: r.routes.length, received: 0 })),
      })),
    );
  }
  onPeerState(l: (c: PeerStateChange) => void): void {
    this.listener = l;
  }
  onCountsChanged(): void {}
  setRestarting(): void {}
  async stop(): Promise<void> {}
}

class MemoryNodeConfigs implements NodeConfigStore {
  applied: KubeObject[] = [];
  deleted: string[] = [];
  async apply(obj: KubeObject): Promise<void> {
    this.applied.push(obj);
  }
  async delete(name: string): Promise<void> {
    this.deleted.push(name);
  }
}

const node = { name: 'node-1', labels: { rack: 'rack0' }, addresses: [{ type: 'InternalIP', address: '10.99.0.11' }, { type: 'InternalIP', address: 'fd00:10::11' }], podCIDRs: [] };
const svc = (i: number, labels: Record<string, string> = { bgp: 'blue', color: 'blue' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `svc-${i}`, namespace: 'tenant', labels },
  spec: { type: 'LoadBalancer' },
  status: { loadBalancer: { ingress: [{ ip: `20.0.${10 + Math.floor(i / 250)}.${(i % 250) + 1}` }] } },
});
const baseInputs = (): BgpInputs => {
  const objs = seed();
  return {
    node,
    clusterConfigs: objs.filter((o) => o.kind === 'CiliumBGPClusterConfig').map((o) => ({ ...o, metadata: { ...o.metadata, uid: 'uid-cc' } })),
    peerConfigs: objs.filter((o) => o.kind === 'CiliumBGPPeerConfig'),
    advertisements: objs.filter((o) => o.kind === 'CiliumBGPAdvertisement'),
    nodeConfigOverrides: [],
    services: [svc(0)],
    endpointSlices: [],
    secrets: new Map([['bgp-auth-secret', { namespace: 'kube-system', name: 'bgp-auth-secret', data: { password: 'pw' } }]]),
  };
};

const log = createLogger('bgp-speaker-test');

describe('bgp-speaker reconciler (event store: real Postgres)', () => {
  let es: TestEventStore;
  beforeAll(async () => {
    await dropStaleSchemas('bgpspk');
    es = await createTestEventStore('bgpspk');
  });
  afterAll(async () => {
    await es?.cleanup();
  });

  const stream = async (node = 'node-1'): Promise<EventEnvelope[]> => es.store.readStream(`bgp-node-${node}`);
  const make = async (source: MemorySource, engine: RecordingEngine, nodeConfigs = new MemoryNodeConfigs(), nodeName = 'node-1') => {
    const recorder = new NodeEventRecorder(es.store, nodeName, log);
    await recorder.load();
    const r = new BgpReconciler({ node: nodeName, sources: source, engine, recorder, nodeConfigs, log, statusIntervalMs: 0 });
    return { r, recorder, nodeConfigs };
  };

  it('given the seed and one labelled Service, when started, then the NodeConfig is applied, the route advertised and the status reported', async () => {
    const source = new MemorySource(baseInputs());
    const engine = new RecordingEngine();
    const { r, nodeConfigs } = await make(source, engine);
    r.start();
    await r.idle();
    await r.reportStatus();
    expect(nodeConfigs.applied.map((o) => [o.kind, o.metadata?.name, o.metadata?.ownerReferences?.[0]?.name])).toEqual([['CiliumBGPNodeConfig', 'node-1', 'cilium-bgp']]);
    const events = await stream();
    const types = events.map((e) => e.type);
    expect(types).toContain('bgp.RouteAdvertised');
    expect(types).toContain('bgp.PeerStateChanged');
    expect(types).toContain('bgp.NodeStatusReported');
    const adv = events.find((e) => e.type === 'bgp.RouteAdvertised')!.data as Record<string, unknown>;
    expect(adv).toMatchObject({ node: 'node-1', peer: 'peer-65000-tor1', peerAddress: 'fd00:10::1', afi: 'ipv4', prefixes: ['20.0.10.1/32'], nextHop: '10.99.0.11' });
    const status = events.filter((e) => e.type === 'bgp.NodeStatusReported').at(-1)!.data as any;
    expect(status.bgpInstances[0].peers[0]).toMatchObject({
      peeringState: 'established',
      timers: { appliedHoldTimeSeconds: 9, appliedKeepaliveSeconds: 3 },
      routeCount: [{ afi: 'ipv4', safi: 'unicast', advertised: 1, received: 0 }],
    });
    expect(JSON.stringify(events)).not.toContain('"pw"'); // the password never enters an event
    await r.stop(true);
  });

  it('given a running speaker, when 1000 Services arrive one by one, then a few engine syncs carry them all and the events say exactly that', async () => {
    const source = new MemorySource(baseInputs());
    const engine = new RecordingEngine();
    const { r } = await make(source, engine);
    r.start();
    await r.idle();
    const syncsBefore = engine.syncs.length;
    const services: KubeObject[] = [];
    for (let i = 0; i < 1000; i++) {
      services.push(svc(i));
      source.set({ services: [...services] });
      if (i % 100 === 99) await new Promise((res) => setTimeout(res, 1)); // arrivals spread over time
    }
    await r.idle();
    const syncs = engine.syncs.length - syncsBefore;
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThan(50); // coalesced: not one per change
    const last = engine.syncs.at(-1)!.desired.instances[0]!.peers[0]!.routes[0]!.routes;
    expect(last).toHaveLength(1000);
    expect(engine.syncs.slice(syncsBefore).every((s) => s.reset.length === 0)).toBe(true); // no session reset
    // the recorded Adj-RIB-Out is exactly the 1000 prefixes
    const { foldBgpNodeEvents } = await import('@bosun/bgp-control-plane');
    const folded = foldBgpNodeEvents('node-1', await stream());
    expect([...folded.advertised.values()][0]!.prefixes.size).toBe(1000);
    await r.stop(true);
  });

  it('given the same inputs, when the speaker restarts (replaying its stream), then no route event is appended', async () => {
    const services = Array.from({ length: 1000 }, (_, i) => svc(i));
    const source = new MemorySource({ ...baseInputs(), services });
    const before = (await stream()).length;
    const engine = new RecordingEngine();
    const { r } = await make(source, engine);
    r.start();
    await r.idle();
    await r.reportStatus();
    const added = (await stream()).slice(before).map((e) => e.type);
    expect(added.filter((t) => t === 'bgp.RouteAdvertised' || t === 'bgp.RouteWithdrawn')).toEqual([]);
    await r.stop(true);
  });

  it('given the auth Secret is deleted, when reconciled, then the peer is blocked, an event and a condition say why, and routes are withdrawn', async () => {
    const source = new MemorySource({ ...baseInputs(), services: [svc(0)] });
    const engine = new RecordingEngine();
    const { r } = await make(source, engine);
    r.start();
    await r.idle();
    const before = (await stream()).length;
    source.set({ secrets: new Map() });
    await r.idle();
    await r.reportStatus();
    const added = (await stream()).slice(before);
    expect(engine.syncs.at(-1)!.desired.instances[0]!.peers).toEqual([]); // never an unauthenticated session
    const blocked = added.find((e) => e.type === 'bgp.PeerBlocked')!.data as Record<string, unknown>;
    expect(blocked).toMatchObject({ reason: 'MissingAuthSecret', authSecretRef: 'bgp-auth-secret', peer: 'peer-65000-tor1' });
    expect(added.some((e) => e.type === 'bgp.RouteWithdrawn')).toBe(true);
    const status = added.filter((e) => e.type === 'bgp.NodeStatusReported').at(-1)!.data as any;
    expect(status.conditions.find((c: any) => c.type === 'cilium.io/MissingAuthSecret')).toMatchObject({ status: 'True' });
    expect(status.bgpInstances[0].peers[0]).toMatchObject({ name: 'peer-65000-tor1', peeringState: 'idle' });
    // the Secret comes back: unblocked
    source.set({ secrets: baseInputs().secrets });
    await r.idle();
    expect((await stream()).some((e) => e.type === 'bgp.PeerUnblocked')).toBe(true);
    await r.stop(true);
  });

  it('given the hold time changes, when reconciled, then only that session is reset, with the reason recorded', async () => {
    const source = new MemorySource({ ...baseInputs(), services: [svc(0)] });
    const engine = new RecordingEngine();
    const { r } = await make(source, engine);
    r.start();
    await r.idle();
    const pc = baseInputs().peerConfigs[0]!;
    source.set({ peerConfigs: [{ ...pc, spec: { ...pc.spec, timers: { ...pc.spec.timers, holdTimeSeconds: 30 } } }] });
    await r.idle();
    expect(engine.syncs.at(-1)!.reset).toEqual(['instance-65000/peer-65000-tor1']);
    const reset = (await stream()).filter((e) => e.type === 'bgp.PeerSessionReset').at(-1)!.data as Record<string, unknown>;
    expect(reset).toMatchObject({ peer: 'peer-65000-tor1', reasons: ['holdTimeSeconds 9 → 30'] });
    await r.stop(true);
  });

  it('given the engine fails, when reconciled, then the error is recorded, counted and retried', async () => {
    const source = new MemorySource({ ...baseInputs(), node: { ...node, name: 'node-9' } });
    const engine = new RecordingEngine();
    let fail = 1;
    const sync = engine.sync.bind(engine);
    engine.sync = async (d, reset) => {
      if (fail-- > 0) throw new Error('listen EADDRINUSE');
      return sync(d, reset);
    };
    const { r } = await make(source, engine, new MemoryNodeConfigs(), 'node-9');
    r.start();
    await new Promise((res) => setTimeout(res, 100));
    expect(r.lastError).toBe('listen EADDRINUSE');
    await new Promise((res) => setTimeout(res, 1200)); // first retry after ~0.5 s
    await r.idle();
    expect(r.lastError).toBeUndefined();
    const events = await stream('node-9');
    expect(events.find((e) => e.type === 'bgp.ReconcileFailed')!.data).toEqual({ node: 'node-9', error: 'listen EADDRINUSE' });
    const { metricsRegistry } = await import('@bosun/telemetry');
    expect(await metricsRegistry.getSingleMetricAsString('cilium_bgp_control_plane_reconcile_errors_total')).toMatch(/reconcile_errors_total\{vrouter=""\} [1-9]/);
    await r.stop(true);
  });
});
