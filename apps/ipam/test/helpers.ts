import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { resourceStreamId, type EventEnvelope } from '@bosun/contracts';
import type { EventStore } from '@bosun/event-store';
import { admit } from '@bosun/resources';

/**
 * Writes resources into the event store the way the API does (admitted, stored in v2/v1,
 * `resource.Applied` on `resource-<group>.<kind>-<ns>.<name>`), and reads LB IPAM's events back.
 */

let uidSeq = 0;
const uids = new Map<string, string>();
const gens = new Map<string, number>();

export const admitted = (manifest: unknown): Record<string, unknown> => {
  const r = admit(manifest, { operation: 'create' });
  if (!r.ok) throw new Error(`not admitted: ${JSON.stringify(r.causes)}`);
  return r.object;
};

export const seedManifest = (file: string): Record<string, unknown> =>
  admitted(parse(readFileSync(join(__dirname, '..', '..', '..', 'examples', 'talk', file), 'utf8')));

const refOf = (object: Record<string, unknown>) => {
  const md = object['metadata'] as { name: string; namespace?: string };
  const apiVersion = String(object['apiVersion']);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  const kind = String(object['kind']);
  const key = `${group}/${kind}/${md.namespace ?? ''}/${md.name}`;
  let uid = uids.get(key);
  if (!uid) uids.set(key, (uid = `00000000-0000-4000-8000-${String(++uidSeq).padStart(12, '0')}`));
  return { key, ref: { group, kind, namespace: md.namespace ?? '', name: md.name, uid } };
};

export const applyEvent = (object: Record<string, unknown>) => {
  const { key, ref } = refOf(object);
  const generation = (gens.get(key) ?? 0) + 1;
  gens.set(key, generation);
  const md = object['metadata'] as Record<string, unknown>;
  const stored = { ...object, metadata: { ...md, uid: ref.uid, generation, creationTimestamp: md['creationTimestamp'] ?? '2026-01-01T00:00:00Z' } };
  return { streamId: resourceStreamId(ref), event: { type: 'resource.Applied', data: { ref, apiVersion: String(object['apiVersion']), generation, object: stored } } };
};

export const apply = async (store: EventStore, object: Record<string, unknown>): Promise<void> => {
  const { streamId, event } = applyEvent(object);
  await store.append(streamId, 'any', [event]);
};

export const remove = async (store: EventStore, object: Record<string, unknown>): Promise<void> => {
  const { ref } = refOf(object);
  await store.append(resourceStreamId(ref), 'any', [{ type: 'resource.Deleted', data: { ref } }]);
};

export const lbService = (ns: string, name: string, extra: { labels?: Record<string, string>; spec?: Record<string, unknown> } = {}) =>
  admitted({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: extra.labels ?? {} },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], ...extra.spec },
  });

export const pool = (name: string, blocks: Array<Record<string, string>>, extra: Record<string, unknown> = {}) =>
  admitted({ apiVersion: 'cilium.io/v2', kind: 'CiliumLoadBalancerIPPool', metadata: { name }, spec: { blocks, ...extra } });

export const ipamEvents = async (store: EventStore): Promise<EventEnvelope[]> => {
  const out: EventEnvelope[] = [];
  let after;
  for (;;) {
    const page = await store.readAll({ ...(after ? { after } : {}), limit: 5000, streamPrefixes: ['ipam-'] });
    out.push(...page.events);
    after = page.checkpoint;
    if (page.caughtUp) return out;
  }
};

export interface AllocationLog {
  /** service → addresses it holds now */
  readonly holds: Map<string, Set<string>>;
  /** service → every address it was ever given */
  readonly given: Map<string, string[]>;
  readonly releases: number;
  /** Problems found: an address given while another Service held it without sharing. */
  readonly duplicates: string[];
  readonly conditions: Map<string, { status: string; reason: string }>;
}

/** Folds the ipam events: who holds what, and whether any address was ever given twice. */
export const foldAllocations = (events: readonly EventEnvelope[]): AllocationLog => {
  const holds = new Map<string, Set<string>>();
  const given = new Map<string, string[]>();
  const holders = new Map<string, Map<string, string | undefined>>();
  const duplicates: string[] = [];
  const conditions = new Map<string, { status: string; reason: string }>();
  let releases = 0;
  for (const e of events) {
    const d = e.data as { service?: { namespace: string; name: string; uid: string }; ip?: string; sharingKey?: string; status?: string; reason?: string };
    const svc = d.service ? `${d.service.namespace}/${d.service.name}` : '';
    if (e.type === 'ipam.LoadBalancerIPAllocated') {
      const cur = holders.get(d.ip!) ?? new Map<string, string | undefined>();
      for (const [other, key] of cur) if (other !== svc && (key === undefined || key !== d.sharingKey)) duplicates.push(`${d.ip} given to ${svc} while ${other} held it`);
      cur.set(svc, d.sharingKey);
      holders.set(d.ip!, cur);
      if (!holds.has(svc)) holds.set(svc, new Set());
      holds.get(svc)!.add(d.ip!);
      given.set(svc, [...(given.get(svc) ?? []), d.ip!]);
    } else if (e.type === 'ipam.LoadBalancerIPReleased') {
      releases++;
      holders.get(d.ip!)?.delete(svc);
      holds.get(svc)?.delete(d.ip!);
    } else if (e.type === 'ipam.ServiceIPAMConditionChanged') {
      conditions.set(svc, { status: d.status!, reason: d.reason! });
    } else if (e.type === 'ipam.ServiceIPAMConditionRemoved') {
      conditions.delete(svc);
    }
  }
  return { holds, given, releases, duplicates, conditions };
};
