import { BosunClient, Informer, type KubeObject } from '@bosun/client';
import { kindByGroupKind, type KindInfo } from '@bosun/resources';
import type { EndpointSlice, L2AnnouncementPolicy, Node, Service } from '@bosun/l2';
import type { Logger } from '@bosun/telemetry';
import type { ClusterSnapshot, ClusterView } from './cluster-view';

const kind = (group: string, k: string): KindInfo => {
  const info = kindByGroupKind(group, k);
  if (!info) throw new Error(`the API kind registry has no ${group || 'core'}/${k}`);
  return info;
};

/**
 * The cluster as the API serves it, through list+watch informers (Nodes, Services, L2
 * announcement policies, EndpointSlices). `BOSUN_SERVER` may be `unix:/path.sock`, so an agent
 * inside a node's network namespace reaches the API through the filesystem.
 */
export class ApiClusterView implements ClusterView {
  private readonly client: BosunClient;
  private readonly informers: { nodes: Informer; services: Informer; policies: Informer; slices: Informer };
  private readonly listeners: (() => void)[] = [];
  synced = false;

  constructor(server: string, private readonly log: Logger) {
    this.client = new BosunClient({ server });
    const changed = () => {
      if (this.synced) for (const l of this.listeners) l();
    };
    const opts = { onAdd: changed, onUpdate: changed, onDelete: changed, onError: (e: unknown) => this.log.debug('watch interrupted (retrying)', { error: e }) };
    this.informers = {
      nodes: new Informer(this.client, kind('', 'Node'), opts),
      services: new Informer(this.client, kind('', 'Service'), opts),
      policies: new Informer(this.client, kind('cilium.io', 'CiliumL2AnnouncementPolicy'), opts),
      slices: new Informer(this.client, kind('discovery.k8s.io', 'EndpointSlice'), opts),
    };
  }

  async start(): Promise<void> {
    const all = Object.values(this.informers);
    for (const i of all) i.start();
    await Promise.all(all.map((i) => i.synced));
    this.synced = true;
    for (const l of this.listeners) l();
  }

  snapshot(): ClusterSnapshot {
    const list = <T>(i: Informer): T[] => i.list() as KubeObject[] as unknown as T[];
    return {
      nodes: list<Node>(this.informers.nodes),
      services: list<Service>(this.informers.services),
      policies: list<L2AnnouncementPolicy>(this.informers.policies),
      endpointSlices: list<EndpointSlice>(this.informers.slices),
    };
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.stop()));
    this.client.close();
  }
}
