import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { nodeInfoFromObject, type BgpInputs, type KubeObject, type NodeInfo, type NodeInterface, type SecretValue } from '@bosun/bgp-control-plane';
import { ApiStatusError, Informer, type BosunClient, type KindRef } from '@bosun/client';
import type { Logger } from '@bosun/telemetry';
import type { SpeakerConfig } from './config';
import type { InputSource, NodeConfigStore } from './reconciler';

const CILIUM = 'cilium.io/v2';
const kind = (apiVersion: string, k: string): KindRef => ({ apiVersion, kind: k });

/**
 * The speaker's view of the API: informers (list + watch) for its Node and NodeConfig (by field
 * selector, as Cilium's agent watches only its own), the BGP resources, Services, EndpointSlices
 * and the Secrets of the BGP secrets namespace. Secret values do not travel on watches: a
 * Secret's value is fetched (GET) when its resourceVersion changes, and kept in memory only.
 */
export class ApiInputSource implements InputSource {
  private readonly listeners: Array<() => void> = [];
  private readonly secretValues = new Map<string, { resourceVersion: string; data: Record<string, string> }>();
  private readonly secretFetches = new Map<string, Promise<void>>();
  private readonly node: Informer;
  private readonly nodeConfig: Informer;
  private readonly clusterConfigs: Informer;
  private readonly peerConfigs: Informer;
  private readonly advertisements: Informer;
  private readonly overrides: Informer;
  private readonly services: Informer;
  private readonly endpointSlices: Informer;
  private readonly secrets: Informer;
  private readonly all: Informer[];
  private resyncTimer: NodeJS.Timeout | undefined;
  readonly synced: Promise<void>;

  constructor(
    private readonly client: BosunClient,
    private readonly config: SpeakerConfig,
    private readonly log: Logger,
  ) {
    const byName = `metadata.name=${config.node}`;
    const changed = (): void => this.changed();
    const common = { onAdd: changed, onUpdate: changed, onDelete: changed, onError: (err: unknown) => this.log.warn('informer error; retrying', { err }) };
    // All Nodes: the cluster-wide conditions (NoMatchingNode, ConflictingClusterConfig) need them.
    this.node = new Informer(client, kind('v1', 'Node'), common);
    this.nodeConfig = new Informer(client, kind(CILIUM, 'CiliumBGPNodeConfig'), { ...common, fieldSelector: byName });
    this.clusterConfigs = new Informer(client, kind(CILIUM, 'CiliumBGPClusterConfig'), common);
    this.peerConfigs = new Informer(client, kind(CILIUM, 'CiliumBGPPeerConfig'), common);
    this.advertisements = new Informer(client, kind(CILIUM, 'CiliumBGPAdvertisement'), common);
    this.overrides = new Informer(client, kind(CILIUM, 'CiliumBGPNodeConfigOverride'), common);
    this.services = new Informer(client, kind('v1', 'Service'), common);
    this.endpointSlices = new Informer(client, kind('discovery.k8s.io/v1', 'EndpointSlice'), common);
    this.secrets = new Informer(client, kind('v1', 'Secret'), {
      ...common,
      namespace: config.secretsNamespace,
      onAdd: (s) => this.secretChanged(s),
      onUpdate: (s) => this.secretChanged(s),
      onDelete: (s) => {
        this.secretValues.delete(s.metadata?.name ?? '');
        this.changed();
      },
    });
    const all = [this.node, this.nodeConfig, this.clusterConfigs, this.peerConfigs, this.advertisements, this.overrides, this.services, this.endpointSlices, this.secrets];
    this.all = all;
    this.synced = (async () => {
      await Promise.all(all.map((i) => i.synced));
      await Promise.all(this.secretFetches.values());
    })();
  }

  start(): this {
    for (const i of this.all) i.start();
    // Interface addresses and link states have no watch: a periodic resync picks them up.
    this.resyncTimer = setInterval(() => this.changed(), 15_000);
    this.resyncTimer.unref();
    return this;
  }

  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await Promise.all(this.all.map((i) => i.stop()));
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private secretChanged(s: KubeObject): void {
    const name = s.metadata?.name ?? '';
    const rv = String(s.metadata?.resourceVersion ?? '');
    if (this.secretValues.get(name)?.resourceVersion === rv) return;
    const fetch = (async () => {
      try {
        const full = await this.client.get<KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> }>(kind('v1', 'Secret'), name, this.config.secretsNamespace);
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries(full.data ?? {})) data[k] = Buffer.from(String(v), 'base64').toString('utf8');
        for (const [k, v] of Object.entries(full.stringData ?? {})) data[k] = String(v);
        this.secretValues.set(name, { resourceVersion: String(full.metadata?.resourceVersion ?? rv), data });
      } catch (err) {
        if (err instanceof ApiStatusError && err.code === 404) this.secretValues.delete(name);
        else this.log.warn('cannot read a BGP auth Secret; its peers stay blocked until it can be read', { secret: `${this.config.secretsNamespace}/${name}`, error: err instanceof Error ? err.message : String(err) });
      } finally {
        this.secretFetches.delete(name);
        this.changed();
      }
    })();
    this.secretFetches.set(name, fetch);
  }

  /** Every Node (for the ClusterConfig conditions); undefined until synced. */
  allNodes(): NodeInfo[] | undefined {
    return this.node.isSynced ? this.node.list().map((n) => nodeInfoFromObject(n)) : undefined;
  }

  snapshot(): BgpInputs | undefined {
    if (!this.all.every((i) => i.isSynced)) return undefined;
    const node = this.node.get(this.config.node);
    if (!node) {
      // Not registered, or deleted: no ClusterConfig can select it, so no BGP runs on it (and
      // a NodeConfig it had is removed), as when Cilium's node goes away.
      return {
        node: { name: this.config.node, labels: {}, addresses: [], podCIDRs: [] },
        clusterConfigs: [],
        peerConfigs: [],
        advertisements: [],
        nodeConfigOverrides: [],
        ...(this.nodeConfig.get(this.config.node) ? { existingNodeConfig: this.nodeConfig.get(this.config.node)! } : {}),
        services: [],
        endpointSlices: [],
        secrets: new Map(),
        secretsNamespace: this.config.secretsNamespace,
      };
    }
    const secrets = new Map<string, SecretValue>();
    for (const [name, v] of this.secretValues) secrets.set(name, { namespace: this.config.secretsNamespace, name, data: v.data });
    const existing = this.nodeConfig.get(this.config.node);
    return {
      node: nodeInfoFromObject(node, localInterfaces()),
      clusterConfigs: this.clusterConfigs.list(),
      peerConfigs: this.peerConfigs.list(),
      advertisements: this.advertisements.list(),
      nodeConfigOverrides: this.overrides.list(),
      ...(existing ? { existingNodeConfig: existing } : {}),
      services: this.services.list(),
      endpointSlices: this.endpointSlices.list(),
      secrets,
      secretsNamespace: this.config.secretsNamespace,
    };
  }
}

/** The links of this network namespace with their addresses and whether they are up. */
export const localInterfaces = (): NodeInterface[] =>
  Object.entries(networkInterfaces()).map(([name, addrs]) => ({
    name,
    up: linkUp(name),
    addresses: (addrs ?? []).map((a) => a.cidr ?? `${a.address}/${a.family === 'IPv4' ? 32 : 128}`),
  }));

const linkUp = (name: string): boolean => {
  try {
    const oper = readFileSync(`/sys/class/net/${name}/operstate`, 'utf8').trim();
    const flags = Number.parseInt(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim(), 16);
    return (flags & 1) === 1 && (oper === 'up' || oper === 'unknown');
  } catch {
    return false;
  }
};

/** Writes the node's CiliumBGPNodeConfig through the API (server-side apply, field manager `bgp-speaker`). */
export class ApiNodeConfigStore implements NodeConfigStore {
  constructor(private readonly client: BosunClient) {}

  async apply(obj: KubeObject): Promise<void> {
    await this.client.apply(obj as KubeObject & { apiVersion: string; kind: string; metadata: { name: string } }, { fieldManager: 'bgp-speaker', force: true });
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.delete(kind(CILIUM, 'CiliumBGPNodeConfig'), name);
    } catch (err) {
      if (!(err instanceof ApiStatusError && err.code === 404)) throw err;
    }
  }
}
