import { z } from 'zod';
import { defineEvent, type EventDefinition } from '../catalogue';

/** Identifies a stored object: group ('' for core), kind, namespace ('' when cluster-scoped), name. */
export const ObjectRef = z.object({
  group: z.string(),
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
});
export type ObjectRef = z.infer<typeof ObjectRef>;

/**
 * The API accepted a new or changed object (spec or metadata). `object` is the full object in
 * its storage version, without `status` and without `metadata.resourceVersion` (that is the
 * event's position). Secrets never appear here: see `resource.SecretApplied`.
 */
export const ResourceApplied = defineEvent({
  type: 'resource.Applied',
  version: 1,
  schema: z.object({
    ref: ObjectRef,
    apiVersion: z.string(),
    generation: z.number().int().positive(),
    object: z.record(z.string(), z.unknown()),
    fieldManager: z.string().optional(),
    /** The authenticated user who made the change (audit). */
    user: z.string().optional(),
  }),
});

export const ResourceDeleted = defineEvent({
  type: 'resource.Deleted',
  version: 1,
  schema: z.object({ ref: ObjectRef, reason: z.string().optional(), user: z.string().optional() }),
});

/** A client wrote the `status` subresource of an object the API owns. */
export const ResourceStatusUpdated = defineEvent({
  type: 'resource.StatusUpdated',
  version: 1,
  schema: z.object({ ref: ObjectRef, status: z.record(z.string(), z.unknown()), user: z.string().optional() }),
});

/** A Secret was stored in the secret store: the event carries only the reference and a hash. */
export const SecretApplied = defineEvent({
  type: 'resource.SecretApplied',
  version: 1,
  schema: z.object({
    ref: ObjectRef,
    /** Secret metadata without data; keys of `data` are listed, values never. */
    object: z.record(z.string(), z.unknown()),
    keys: z.array(z.string()),
    sha256: z.string(),
    generation: z.number().int().positive(),
    user: z.string().optional(),
  }),
});

export const resourceEvents: EventDefinition[] = [ResourceApplied, ResourceDeleted, ResourceStatusUpdated, SecretApplied];

/** `resource-<group>.<kind>-<namespace>.<name>`, namespace omitted for cluster-scoped objects. */
export const resourceStreamId = (ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>): string =>
  `resource-${ref.group || 'core'}.${ref.kind}-${ref.namespace ? `${ref.namespace}.` : ''}${ref.name}`;
