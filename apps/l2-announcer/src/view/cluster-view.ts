import type { EndpointSlice, L2AnnouncementPolicy, Node, Service } from '@bosun/l2';

/** What the announcer reads about the cluster (the inputs of `selectAnnouncements`). */
export interface ClusterSnapshot {
  readonly nodes: readonly Node[];
  readonly services: readonly Service[];
  readonly policies: readonly L2AnnouncementPolicy[];
  readonly endpointSlices: readonly EndpointSlice[];
}

export const EMPTY_SNAPSHOT: ClusterSnapshot = { nodes: [], services: [], policies: [], endpointSlices: [] };

/**
 * A live view of the cluster: the API through list+watch informers in normal operation, or a
 * manifest file (standalone mode). Level-triggered: listeners are told "something changed" and
 * read the whole snapshot.
 */
export interface ClusterView {
  /** Resolves once the first complete snapshot is in. */
  start(): Promise<void>;
  readonly synced: boolean;
  snapshot(): ClusterSnapshot;
  onChange(listener: () => void): void;
  stop(): Promise<void>;
}

/** Sorts API objects into the snapshot by kind (others are ignored). */
export const snapshotOf = (objects: readonly Record<string, unknown>[]): ClusterSnapshot => {
  const nodes: Node[] = [];
  const services: Service[] = [];
  const policies: L2AnnouncementPolicy[] = [];
  const endpointSlices: EndpointSlice[] = [];
  const add = (o: Record<string, unknown>) => {
    const kind = o.kind;
    const meta = o.metadata as { name?: unknown } | undefined;
    if (typeof meta?.name !== 'string') return;
    switch (kind) {
      case 'Node':
        nodes.push(o as unknown as Node);
        break;
      case 'Service':
        services.push(o as unknown as Service);
        break;
      case 'CiliumL2AnnouncementPolicy':
        policies.push(o as unknown as L2AnnouncementPolicy);
        break;
      case 'EndpointSlice':
        endpointSlices.push(o as unknown as EndpointSlice);
        break;
      default:
        break;
    }
  };
  for (const o of objects) {
    if (o && typeof o === 'object' && Array.isArray((o as { items?: unknown }).items) && String(o.kind ?? '').endsWith('List')) {
      for (const i of (o as { items: Record<string, unknown>[] }).items) add(i);
    } else if (o && typeof o === 'object') add(o);
  }
  return { nodes, services, policies, endpointSlices };
};
