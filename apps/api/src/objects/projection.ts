import type { EventEnvelope, HistoryEntry, ObjectRef } from '@bosun/contracts';
import { kindByGroupKind, type KindInfo } from '@bosun/resources';
import type { StatusProjector } from '../status/status-projector';

/** An object as the API holds it: the stored body (storage version) plus its projected status. */
export interface StoredObject {
  readonly info: KindInfo;
  /** `<group>/<kind>/<namespace>/<name>` */
  readonly key: string;
  readonly streamId: string;
  /** Version of the object's resource stream (expected version of the next write); 0 for projected kinds. */
  readonly streamVersion: number;
  /** The object in its storage version, without `status` and `metadata.resourceVersion`. */
  readonly body: Record<string, unknown>;
  readonly status: Record<string, unknown> | undefined;
  /** Global position of the last event that changed the object. */
  readonly resourceVersion: number;
  readonly history: readonly HistoryEntry[];
  /** Secrets: key names and content hash (values live in the secret store). */
  readonly secret?: { readonly keys: readonly string[]; readonly sha256: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  readonly type: WatchEventType;
  /** The object after the change (for DELETED: its last state, with the deletion's resourceVersion). */
  readonly obj: StoredObject;
  /** The object before the change (undefined for ADDED). */
  readonly prev: StoredObject | undefined;
}

export const HISTORY_LIMIT = 20;

export const objectKey = (group: string, kind: string, namespace: string, name: string): string => `${group}/${kind}/${namespace}/${name}`;
export const kindKey = (info: Pick<KindInfo, 'group' | 'kind'>): string => `${info.group}/${info.kind}`;

const metaOf = (body: Record<string, unknown>): Record<string, unknown> => (body.metadata as Record<string, unknown>) ?? {};

/**
 * The API's object view: folds the event log into objects. Pure (no I/O): the live view feeds it
 * from the event-store subscription, and a scratch copy replays history for old watch resumes.
 */
export class ObjectProjection {
  private readonly objects = new Map<string, StoredObject>();
  private readonly byKind = new Map<string, Map<string, StoredObject>>();
  private readonly projectorsByType = new Map<string, StatusProjector[]>();
  /** uids of deleted objects: dependents pointing at them are garbage (ownerReferences). */
  readonly deletedUids = new Set<string>();
  /** Deleted Namespaces: the objects in them are garbage (until the namespace is created again). */
  readonly deletedNamespaces = new Set<string>();
  /** Stream version of deleted objects' streams (the expected version when re-creating them). */
  readonly tombstones = new Map<string, number>();
  lastPosition = 0;
  eventCount = 0;

  constructor(projectors: readonly StatusProjector[] = []) {
    for (const p of projectors) {
      for (const t of p.eventTypes) {
        const list = this.projectorsByType.get(t) ?? [];
        list.push(p);
        this.projectorsByType.set(t, list);
      }
    }
  }

  get(key: string): StoredObject | undefined {
    return this.objects.get(key);
  }

  list(info: Pick<KindInfo, 'group' | 'kind'>): Iterable<StoredObject> {
    return this.byKind.get(kindKey(info))?.values() ?? [];
  }

  size(): number {
    return this.objects.size;
  }

  all(): Iterable<StoredObject> {
    return this.objects.values();
  }

  /** Applies one event; returns the object changes it caused (possibly none). */
  apply(event: EventEnvelope): Change[] {
    this.lastPosition = event.position;
    this.eventCount++;
    switch (event.type) {
      case 'resource.Applied':
        return this.applied(event, event.data as AppliedData);
      case 'resource.SecretApplied':
        return this.secretApplied(event, event.data as SecretAppliedData);
      case 'resource.Deleted':
        return this.deleted(event, (event.data as { ref: ObjectRef }).ref);
      case 'resource.StatusUpdated':
        return this.statusUpdated(event, event.data as { ref: ObjectRef; status: Record<string, unknown> });
      default:
        return this.projected(event);
    }
  }

  private put(obj: StoredObject): void {
    this.objects.set(obj.key, obj);
    const k = kindKey(obj.info);
    let m = this.byKind.get(k);
    if (!m) this.byKind.set(k, (m = new Map()));
    m.set(obj.key, obj);
  }

  private remove(obj: StoredObject): void {
    this.objects.delete(obj.key);
    this.byKind.get(kindKey(obj.info))?.delete(obj.key);
  }

  private entry(event: EventEnvelope): HistoryEntry {
    const user = (event.data as { user?: unknown } | null)?.user;
    const message = this.projectorsByType.get(event.type)?.map((p) => p.summarize?.(event)).find((m) => m);
    return {
      position: event.position,
      type: event.type,
      occurredAt: event.occurredAt,
      correlationId: event.correlationId,
      ...(typeof user === 'string' ? { user } : {}),
      ...(message ? { message } : {}),
    };
  }

  private withHistory(prev: readonly HistoryEntry[] | undefined, event: EventEnvelope): HistoryEntry[] {
    const h = [...(prev ?? []), this.entry(event)];
    return h.length > HISTORY_LIMIT ? h.slice(h.length - HISTORY_LIMIT) : h;
  }

  private applied(event: EventEnvelope, d: AppliedData): Change[] {
    const info = kindByGroupKind(d.ref.group, d.ref.kind);
    if (!info) return [];
    const key = objectKey(d.ref.group, d.ref.kind, d.ref.namespace, d.ref.name);
    const prev = this.objects.get(key);
    this.tombstones.delete(key);
    if (info.group === '' && info.kind === 'Namespace') this.deletedNamespaces.delete(d.ref.name);
    const obj: StoredObject = {
      info,
      key,
      streamId: event.streamId,
      streamVersion: event.streamVersion,
      body: d.object,
      status: prev?.status,
      resourceVersion: event.position,
      history: this.withHistory(prev?.history, event),
    };
    this.put(obj);
    return [{ type: prev ? 'MODIFIED' : 'ADDED', obj, prev }];
  }

  private secretApplied(event: EventEnvelope, d: SecretAppliedData): Change[] {
    const info = kindByGroupKind(d.ref.group, d.ref.kind);
    if (!info) return [];
    const key = objectKey(d.ref.group, d.ref.kind, d.ref.namespace, d.ref.name);
    const prev = this.objects.get(key);
    const obj: StoredObject = {
      info,
      key,
      streamId: event.streamId,
      streamVersion: event.streamVersion,
      body: d.object,
      status: undefined,
      resourceVersion: event.position,
      history: this.withHistory(prev?.history, event),
      secret: { keys: d.keys, sha256: d.sha256 },
    };
    this.tombstones.delete(key);
    this.put(obj);
    return [{ type: prev ? 'MODIFIED' : 'ADDED', obj, prev }];
  }

  private deleted(event: EventEnvelope, ref: ObjectRef): Change[] {
    const key = objectKey(ref.group, ref.kind, ref.namespace, ref.name);
    const prev = this.objects.get(key);
    if (!prev) return [];
    this.remove(prev);
    this.tombstones.set(key, event.streamVersion);
    if (prev.info.group === '' && prev.info.kind === 'Namespace') this.deletedNamespaces.add(ref.name);
    const uid = metaOf(prev.body).uid;
    if (typeof uid === 'string') this.deletedUids.add(uid);
    const obj: StoredObject = { ...prev, streamVersion: event.streamVersion, resourceVersion: event.position, history: this.withHistory(prev.history, event) };
    return [{ type: 'DELETED', obj, prev }];
  }

  private statusUpdated(event: EventEnvelope, d: { ref: ObjectRef; status: Record<string, unknown> }): Change[] {
    const key = objectKey(d.ref.group, d.ref.kind, d.ref.namespace, d.ref.name);
    const prev = this.objects.get(key);
    if (!prev) return [];
    const obj: StoredObject = { ...prev, streamVersion: event.streamVersion, status: d.status, resourceVersion: event.position, history: this.withHistory(prev.history, event) };
    this.put(obj);
    return [{ type: 'MODIFIED', obj, prev }];
  }

  /**
   * Another context's event: its projectors turn it into status changes. For read-only
   * projected kinds (e.g. Leases) the "status" a projector returns is the object's content
   * besides metadata (`{ spec: … }`); returning undefined removes the object.
   */
  private projected(event: EventEnvelope): Change[] {
    const projectors = this.projectorsByType.get(event.type);
    if (!projectors) return [];
    const changes: Change[] = [];
    for (const p of projectors) {
      let statusChanges;
      try {
        statusChanges = p.project(event);
      } catch {
        // A faulty projector must not stop the object view; the event is skipped for it.
        continue;
      }
      for (const sc of statusChanges) {
        const info = kindByGroupKind(sc.key.group, sc.key.kind);
        if (!info) continue;
        const key = objectKey(sc.key.group, sc.key.kind, sc.key.namespace, sc.key.name);
        const prev = this.objects.get(key);
        if (info.projected) {
          const current = prev ? contentOf(prev.body) : undefined;
          const next = sc.update(current);
          if (next === current) continue;
          if (next === undefined) {
            if (!prev) continue;
            this.remove(prev);
            changes.push({ type: 'DELETED', obj: { ...prev, resourceVersion: event.position, history: this.withHistory(prev.history, event) }, prev });
            continue;
          }
          const creation = prev ? metaOf(prev.body) : { uid: uidFromEvent(event.id, key), creationTimestamp: event.occurredAt.replace(/\.\d+Z$/, 'Z') };
          const body: Record<string, unknown> = {
            ...next,
            metadata: {
              ...creation,
              name: sc.key.name,
              ...(info.namespaced ? { namespace: sc.key.namespace } : {}),
            },
          };
          const obj: StoredObject = {
            info,
            key,
            streamId: event.streamId,
            streamVersion: 0,
            body,
            status: undefined,
            resourceVersion: event.position,
            history: this.withHistory(prev?.history, event),
          };
          this.put(obj);
          changes.push({ type: prev ? 'MODIFIED' : 'ADDED', obj, prev });
          continue;
        }
        if (!prev) continue;
        const next = sc.update(prev.status);
        if (next === prev.status) continue;
        const obj: StoredObject = { ...prev, status: next, resourceVersion: event.position, history: this.withHistory(prev.history, event) };
        this.put(obj);
        changes.push({ type: 'MODIFIED', obj, prev });
      }
    }
    return changes;
  }
}

const contentOf = (body: Record<string, unknown>): Record<string, unknown> => {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = body;
  return rest;
};

/** A stable uid for a projected object (derived from the creating event, so replays agree). */
const uidFromEvent = (eventId: string, _key: string): string => eventId;

interface AppliedData {
  ref: ObjectRef;
  apiVersion: string;
  generation: number;
  object: Record<string, unknown>;
  fieldManager?: string;
}

interface SecretAppliedData {
  ref: ObjectRef;
  object: Record<string, unknown>;
  keys: string[];
  sha256: string;
  generation: number;
}
