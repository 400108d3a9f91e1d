import { randomUUID } from 'node:crypto';
import type { NewEvent, ObjectRef } from '@bosun/contracts';
import { resourceStreamId } from '@bosun/contracts';
import { WrongExpectedVersionError, type EventStore, type Transaction } from '@bosun/event-store';
import { apiVersionOf, type FieldValidation, type KindInfo } from '@bosun/resources';
import { admitObject, convertObject, normalizeAliases } from '../admission';
import type { User } from '../auth/auth';
import { ApiError, alreadyExists, badRequest, conflict, invalid, notFound } from '../k8s/errors';
import type { LiveObjectView } from '../objects/live-view';
import { objectKey, type StoredObject } from '../objects/projection';
import { renderObject } from '../objects/render';
import { secretContentHash, type SecretStore, type SecretValues } from '../secrets/secret-store';
import { assignClusterIPs, type ServiceIPAllocator } from '../service-ips';
import { GroupCommitter } from './group-commit';
import { strategicMergePatch } from './strategic-merge';
import { conflictError, getPath, serverSideApply, updateManagedFields, type SsaResult } from './managed-fields';
import { clone, deepEqual, jsonPatch, mergePatch } from './patch';

type Obj = Record<string, unknown>;

export interface WriteContext {
  readonly user: User;
  readonly fieldManager?: string;
  readonly dryRun?: boolean;
  readonly correlationId?: string;
  readonly fieldValidation?: FieldValidation;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

/** The outcome of one write: the object as the API now shows it, and whether anything changed. */
export interface WriteResult {
  readonly object: Obj;
  readonly created: boolean;
  readonly changed: boolean;
  readonly warnings: readonly string[];
}

interface Plan {
  readonly info: KindInfo;
  readonly key: string;
  readonly ref: ObjectRef;
  readonly streamId: string;
  readonly expected: number;
  readonly event?: NewEvent;
  readonly secret?: { readonly values: SecretValues; readonly sha256: string } | 'delete';
  readonly reserved: readonly string[];
  /** What the object will look like (for dry runs and no-ops). */
  readonly preview: StoredObject | undefined;
  readonly created: boolean;
  readonly warnings: readonly string[];
  readonly version: string;
}

const metaOf = (o: Obj | undefined): Obj => ((o?.metadata as Obj | undefined) ?? {}) as Obj;
const specOf = (body: Obj): Obj => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = body;
  return rest;
};
const withoutTimes = (body: Obj): Obj => {
  const meta = metaOf(body);
  const mf = Array.isArray(meta.managedFields) ? (meta.managedFields as Obj[]).map(({ time: _t, ...e }) => e) : undefined;
  return { ...body, metadata: { ...meta, ...(mf ? { managedFields: mf } : {}) } };
};
/** Decides SSA conflicts on the admitted object: a contested field conflicts only if its value changes. */
const ssaOwnership =
  (ssa: SsaResult, old: Obj | undefined, force: boolean) =>
  (admitted: Obj): unknown[] => {
    const conflicts = ssa.contested.filter((c) => !deepEqual(getPath(admitted, c.path), getPath(old, c.path)));
    if (conflicts.length > 0 && !force) throw conflictError(conflicts);
    return ssa.finalize(conflicts);
  };
const withWarnings = (r: WriteResult, extra: readonly string[]): WriteResult =>
  extra.length ? { ...r, warnings: [...new Set([...extra, ...r.warnings])] } : r;
const isSecretKind = (info: KindInfo): boolean => info.group === '' && info.kind === 'Secret';
const nowIso = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * Every change to an object goes through here: admission, comparison with the stored object
 * (identical writes append nothing), one append with the stream's expected version, then a wait
 * until the object view has the new event (read-your-writes).
 */
export class ResourceWriter {
  private readonly group: GroupCommitter;

  constructor(
    private readonly store: EventStore,
    private readonly view: LiveObjectView,
    private readonly secrets: SecretStore,
    private readonly clusterIPs: ServiceIPAllocator,
  ) {
    this.group = new GroupCommitter(store);
  }

  private current(info: KindInfo, namespace: string, name: string): StoredObject | undefined {
    return this.view.projection.get(objectKey(info.group, info.kind, info.namespaced ? namespace : '', name));
  }

  /** The object as a client of `version` sees it, with secret values when the caller gets them. */
  private async currentView(obj: StoredObject | undefined, version: string): Promise<Obj | undefined> {
    if (!obj) return undefined;
    let data: Record<string, string> | undefined;
    if (isSecretKind(obj.info)) data = (await this.secrets.get(obj.streamId))?.data;
    return renderObject(obj, version, data);
  }

  private checkTarget(info: KindInfo, version: string, namespace: string, name: string | undefined, body: Obj): void {
    if (info.projected) throw new ApiError(405, 'MethodNotAllowed', `${info.plural}${info.group ? `.${info.group}` : ''} are read-only: they are projected from the services' events`);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the request body must be an object');
    const apiVersion = apiVersionOf(info.group, version);
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`);
    if (body.kind !== undefined && body.kind !== info.kind) throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${info.kind})`);
    const meta = metaOf(body);
    if (name !== undefined && meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    if (info.namespaced && meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace)
      throw badRequest(`the namespace of the provided object does not match the namespace sent on the request`);
  }

  /** Turns a full desired object (in `version`) into an event, or a no-op. */
  private async plan(
    info: KindInfo,
    version: string,
    namespace: string,
    desiredIn: Obj,
    current: StoredObject | undefined,
    ctx: WriteContext,
    managedFieldsFor: unknown[] | ((admittedInRequestVersion: Obj) => unknown[]),
  ): Promise<Plan> {
    const desired = clone(desiredIn);
    desired.apiVersion = apiVersionOf(info.group, version);
    desired.kind = info.kind;
    const dmeta = { ...metaOf(desired) };
    if (!info.namespaced) delete dmeta.namespace;
    else dmeta.namespace = namespace;
    if (!dmeta.name && typeof dmeta.generateName === 'string' && !current) dmeta.name = `${dmeta.generateName}${randomUUID().slice(0, 5)}`;
    const name = String(dmeta.name ?? '');
    delete dmeta.resourceVersion;
    delete dmeta.managedFields;
    delete dmeta.selfLink;
    desired.metadata = dmeta;
    delete desired.status;

    // Secrets: the values leave the object here and go to the secret store only.
    let secretValues: SecretValues | undefined;
    if (isSecretKind(info)) {
      const data: Record<string, string> = {};
      const raw = (desired.data ?? {}) as Record<string, unknown>;
      const causes: { field: string; reason: 'FieldValueInvalid'; message: string }[] = [];
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) causes.push({ field: `data[${k}]`, reason: 'FieldValueInvalid', message: 'Invalid value: must be base64-encoded' });
        else data[k] = v;
      }
      for (const [k, v] of Object.entries((desired.stringData ?? {}) as Record<string, unknown>)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      if (causes.length) throw invalid('', 'Secret', name, causes);
      delete desired.data;
      delete desired.stringData;
      secretValues = { data };
    }

    const admitted = admitObject(info, desired, {
      operation: current ? 'update' : 'create',
      ...(current ? { old: current.body } : {}),
      ...(ctx.fieldValidation ? { fieldValidation: ctx.fieldValidation } : {}),
      clusterIPFamilies: this.clusterIPs.families(),
    });
    if (!admitted.ok) throw invalid(info.group, info.kind, name, admitted.causes);
    const body = clone(admitted.object);
    const managedFields = typeof managedFieldsFor === 'function' ? managedFieldsFor(convertObject(info, admitted.object, apiVersionOf(info.group, version))) : managedFieldsFor;
    const meta = { ...metaOf(body) };
    const oldMeta = metaOf(current?.body);
    meta.name = name;
    if (info.namespaced) meta.namespace = namespace;
    meta.uid = oldMeta.uid ?? randomUUID();
    meta.creationTimestamp = oldMeta.creationTimestamp ?? nowIso();
    if (managedFields.length > 0) meta.managedFields = managedFields;
    else delete meta.managedFields;
    delete meta.resourceVersion;
    delete meta.generation;
    body.metadata = meta;
    delete body.status;
    delete body.data;
    delete body.stringData;

    const key = objectKey(info.group, info.kind, info.namespaced ? namespace : '', name);
    let reserved: string[] = [];
    if (info.group === '' && info.kind === 'Service' && body.spec && typeof body.spec === 'object') {
      const spec = { ...(body.spec as Obj) };
      reserved = assignClusterIPs(this.clusterIPs, key, spec, current?.body.spec as Obj | undefined);
      body.spec = spec;
    }

    const oldGen = typeof oldMeta.generation === 'number' ? oldMeta.generation : 0;
    const sha256 = secretValues ? secretContentHash(secretValues.data, String(body.type ?? 'Opaque')) : undefined;
    const sameBody = current !== undefined && deepEqual(withoutTimes({ ...body, metadata: { ...meta, generation: oldGen } }), withoutTimes(current.body));
    const unchanged = sameBody && (!secretValues || current?.secret?.sha256 === sha256);
    const ref: ObjectRef = { group: info.group, kind: info.kind, namespace: info.namespaced ? namespace : '', name, uid: String(meta.uid) };
    const streamId = current?.streamId ?? resourceStreamId(ref);
    const expected = current ? current.streamVersion : (this.view.projection.tombstones.get(key) ?? 0);
    if (unchanged) {
      this.clusterIPs.release(reserved, key);
      return { info, key, ref, streamId, expected, reserved: [], preview: current, created: false, warnings: admitted.warnings, version };
    }
    const generation = current && deepEqual(specOf(body), specOf(current.body)) ? oldGen || 1 : oldGen + 1;
    meta.generation = generation;
    const event: NewEvent = secretValues
      ? {
          type: 'resource.SecretApplied',
          data: { ref, object: body, keys: Object.keys(secretValues.data).sort(), sha256: sha256!, generation, user: ctx.user.name },
        }
      : {
          type: 'resource.Applied',
          data: { ref, apiVersion: String(body.apiVersion), generation, object: body, user: ctx.user.name, ...(ctx.fieldManager ? { fieldManager: ctx.fieldManager } : {}) },
        };
    const preview: StoredObject = {
      info,
      key,
      streamId,
      streamVersion: expected + 1,
      body,
      status: current?.status,
      resourceVersion: current?.resourceVersion ?? 0,
      history: current?.history ?? [],
      ...(secretValues ? { secret: { keys: Object.keys(secretValues.data).sort(), sha256: sha256! } } : {}),
    };
    return {
      info,
      key,
      ref,
      streamId,
      expected,
      event,
      ...(secretValues ? { secret: { values: secretValues, sha256: sha256! } } : {}),
      reserved,
      preview,
      created: !current,
      warnings: admitted.warnings,
      version,
    };
  }

  private manager(ctx: WriteContext, fallback: string): string {
    return ctx.fieldManager || fallback;
  }

  /** Appends the plans (one transaction when more than one or when secrets are involved). */
  private async commit(plans: readonly Plan[], ctx: WriteContext): Promise<void> {
    const writes = plans.filter((p) => p.event);
    if (writes.length === 0) return;
    const opts = ctx.correlationId ? { correlationId: ctx.correlationId } : {};
    let last = 0;
    try {
      if (writes.length === 1 && !writes[0]!.secret) {
        const p = writes[0]!;
        last = await this.group.append(p.streamId, p.expected, [p.event!], opts);
      } else {
        last = await this.store.transaction(async (tx: Transaction) => {
          let pos = 0;
          for (const p of writes) {
            if (p.secret === 'delete') await this.secrets.remove(tx, p.streamId);
            else if (p.secret) await this.secrets.put(tx, p.streamId, p.secret.values, p.secret.sha256);
            pos = (await this.store.append(p.streamId, p.expected, [p.event!], { ...opts, tx })).lastPosition;
          }
          return pos;
        });
      }
    } catch (e) {
      for (const p of writes) this.clusterIPs.release(p.reserved, p.key);
      if (e instanceof WrongExpectedVersionError) {
        const p = writes.find((w) => w.streamId === e.streamId) ?? writes[0]!;
        if (p.created) throw alreadyExists(p.info.group, p.info.plural, p.ref.name);
        throw conflict(p.info.group, p.info.plural, p.ref.name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      throw e;
    }
    try {
      await this.view.waitFor(last);
    } catch {
      throw new ApiError(504, 'Timeout', 'the write was stored, but the object view did not catch up in time');
    }
  }

  private result(p: Plan, ctx: WriteContext): WriteResult {
    if (ctx.dryRun || !p.event) {
      this.clusterIPs.release(p.reserved, p.key);
      return { object: renderObject(p.preview!, p.version, p.secret && p.secret !== 'delete' ? p.secret.values.data : undefined), created: p.created, changed: Boolean(p.event), warnings: p.warnings };
    }
    const now = this.view.projection.get(p.key);
    if (!now) throw new ApiError(409, 'Conflict', `${p.info.kind} "${p.ref.name}" was deleted concurrently`);
    return { object: renderObject(now, p.version, p.secret && p.secret !== 'delete' ? p.secret.values.data : undefined), created: p.created, changed: true, warnings: p.warnings };
  }

  private async withRetries<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof ApiError) || e.code !== 409 || e.reason !== 'Conflict' || attempt >= 4 || (e.details?.causes?.length ?? 0) > 0) throw e;
        this.view.poke();
        await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
      }
    }
  }

  async create(info: KindInfo, version: string, namespace: string, body: Obj, ctx: WriteContext): Promise<WriteResult> {
    this.checkTarget(info, version, namespace, undefined, body);
    const name = String(metaOf(body).name ?? '');
    const current = name ? this.current(info, namespace, name) : undefined;
    if (current) throw alreadyExists(info.group, info.plural, name);
    const mf = updateManagedFields(undefined, body, this.manager(ctx, 'unknown'), apiVersionOf(info.group, version), nowIso());
    const plan = await this.plan(info, version, namespace, body, undefined, ctx, mf);
    if (!ctx.dryRun) await this.commit([plan], ctx);
    return this.result(plan, ctx);
  }

  async update(info: KindInfo, version: string, namespace: string, name: string, body: Obj, ctx: WriteContext): Promise<WriteResult> {
    this.checkTarget(info, version, namespace, name, body);
    const current = this.current(info, namespace, name);
    if (!current) throw notFound(info.group, info.plural, name, info.kind);
    const rv = metaOf(body).resourceVersion;
    if (rv !== undefined && rv !== '' && String(rv) !== String(current.resourceVersion))
      throw conflict(info.group, info.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
    const old = await this.currentView(current, version);
    const mf = updateManagedFields(old, body, this.manager(ctx, 'unknown'), apiVersionOf(info.group, version), nowIso());
    const plan = await this.plan(info, version, namespace, { ...body, metadata: { ...metaOf(body), name } }, current, ctx, mf);
    if (!ctx.dryRun) await this.commit([plan], ctx);
    return this.result(plan, ctx);
  }

  async patch(info: KindInfo, version: string, namespace: string, name: string, type: PatchType, patch: unknown, ctx: WriteContext & { force?: boolean }): Promise<WriteResult> {
    return this.withRetries(async () => {
      const current = this.current(info, namespace, name);
      const old = await this.currentView(current, version);
      const apiVersion = apiVersionOf(info.group, version);
      let desired: Obj;
      let mf: unknown[] | ((admitted: Obj) => unknown[]);
      const norm = normalizeAliases(info, patch);
      patch = norm.object;
      if (type === 'apply') {
        const applied = patch as Obj;
        this.checkTarget(info, version, namespace, name, applied);
        if (!ctx.fieldManager) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
        const { status: _s, ...appliedSpec } = applied;
        const ssa = serverSideApply(old, { ...appliedSpec, metadata: { ...metaOf(applied), name } }, ctx.fieldManager, apiVersion, nowIso());
        desired = ssa.object;
        mf = ssaOwnership(ssa, old, ctx.force ?? false);
      } else {
        if (!current || !old) throw notFound(info.group, info.plural, name, info.kind);
        this.checkTarget(info, version, namespace, name, {});
        // Strategic merge is a core-types feature (kube-apiserver answers 415 for CRDs; kubectl then sends merge patches).
        const patched = type === 'json' ? jsonPatch(old, patch) : type === 'strategic' && info.group === '' ? strategicMergePatch(old, patch) : mergePatch(old, patch);
        if (!patched || typeof patched !== 'object' || Array.isArray(patched)) throw badRequest('the patch does not produce an object');
        desired = patched as Obj;
        const rv = metaOf(patch as Obj).resourceVersion;
        if (type !== 'json' && rv !== undefined && rv !== null && String(rv) !== String(current.resourceVersion))
          throw conflict(info.group, info.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
        mf = updateManagedFields(old, desired, this.manager(ctx, 'unknown'), apiVersion, nowIso());
      }
      const plan = await this.plan(info, version, namespace, desired, current, ctx, mf);
      if (!ctx.dryRun) await this.commit([plan], ctx);
      return withWarnings(this.result(plan, ctx), norm.warnings);
    });
  }

  /** Writes the `status` subresource: `update(status)` computes the new status from the current one. */
  async writeStatus(info: KindInfo, version: string, namespace: string, name: string, make: (current: Obj) => unknown, ctx: WriteContext): Promise<WriteResult> {
    if (!info.hasStatus || info.projected) throw notFound(info.group, `${info.plural}/status`, name);
    return this.withRetries(async () => {
      const current = this.current(info, namespace, name);
      if (!current) throw notFound(info.group, info.plural, name, info.kind);
      const view = renderObject(current, version);
      const next = make(view);
      if (!next || typeof next !== 'object' || Array.isArray(next)) throw badRequest('the status must be an object');
      const status = next as Obj;
      const rv = metaOf(status as Obj & { metadata?: Obj }).resourceVersion;
      void rv;
      if (deepEqual(status, current.status ?? {}) || (current.status === undefined && Object.keys(status).length === 0)) {
        return { object: view, created: false, changed: false, warnings: [] };
      }
      if (ctx.dryRun) return { object: { ...view, status }, created: false, changed: true, warnings: [] };
      const ref: ObjectRef = { group: info.group, kind: info.kind, namespace: info.namespaced ? namespace : '', name, uid: String(metaOf(current.body).uid ?? '') };
      const plan: Plan = {
        info,
        key: current.key,
        ref,
        streamId: current.streamId,
        expected: current.streamVersion,
        event: { type: 'resource.StatusUpdated', data: { ref, status, user: ctx.user.name } },
        reserved: [],
        preview: current,
        created: false,
        warnings: [],
        version,
      };
      await this.commit([plan], ctx);
      return this.result(plan, ctx);
    });
  }

  async delete(
    info: KindInfo,
    version: string,
    namespace: string,
    name: string,
    ctx: WriteContext & { preconditions?: { uid?: string; resourceVersion?: string }; reason?: string; propagationPolicy?: string },
  ): Promise<Obj> {
    if (info.projected) throw new ApiError(405, 'MethodNotAllowed', `${info.plural}${info.group ? `.${info.group}` : ''} are read-only: they are projected from the services' events`);
    const current = this.current(info, namespace, name);
    if (!current) throw notFound(info.group, info.plural, name, info.kind);
    const meta = metaOf(current.body);
    if (ctx.preconditions?.uid && ctx.preconditions.uid !== meta.uid)
      throw conflict(info.group, info.plural, name, `Precondition failed: UID in precondition: ${ctx.preconditions.uid}, UID in object meta: ${String(meta.uid)}`);
    if (ctx.preconditions?.resourceVersion && ctx.preconditions.resourceVersion !== String(current.resourceVersion))
      throw conflict(info.group, info.plural, name, `Precondition failed: ResourceVersion in precondition: ${ctx.preconditions.resourceVersion}, ResourceVersion in object meta: ${current.resourceVersion}`);
    const rendered = renderObject(current, version);
    if (ctx.dryRun) return rendered;
    const ref: ObjectRef = { group: info.group, kind: info.kind, namespace: info.namespaced ? namespace : '', name, uid: String(meta.uid ?? '') };
    const plan: Plan = {
      info,
      key: current.key,
      ref,
      streamId: current.streamId,
      expected: current.streamVersion,
      event: { type: 'resource.Deleted', data: { ref, user: ctx.user.name, ...(ctx.reason ? { reason: ctx.reason } : {}) } },
      ...(isSecretKind(info) ? { secret: 'delete' as const } : {}),
      reserved: [],
      preview: current,
      created: false,
      warnings: [],
      version,
    };
    // Orphan: the dependents lose their reference to this owner, in the same transaction, so the
    // garbage collector leaves them alone. (Background, the default, deletes them after the owner.)
    const orphans: Plan[] = [];
    if (ctx.propagationPolicy === 'Orphan' && meta.uid) {
      for (const dep of this.view.projection.all()) {
        const refs = (metaOf(dep.body).ownerReferences ?? []) as Array<{ uid?: string }>;
        if (dep.info.projected || !refs.some((r) => r.uid === meta.uid)) continue;
        const depMeta = metaOf(dep.body);
        const view = (await this.currentView(dep, dep.info.storageVersion))!;
        const kept = refs.filter((r) => r.uid !== meta.uid);
        const { ownerReferences: _o, ...restMeta } = metaOf(view);
        const desired = { ...view, metadata: { ...restMeta, ...(kept.length ? { ownerReferences: kept } : {}) } };
        const mf = updateManagedFields(view, desired, 'garbage-collector', apiVersionOf(dep.info.group, dep.info.storageVersion), nowIso());
        orphans.push(await this.plan(dep.info, dep.info.storageVersion, String(depMeta.namespace ?? ''), desired, dep, ctx, mf));
      }
    }
    await this.commit([...orphans, plan], ctx);
    return rendered;
  }

  /**
   * All-or-nothing apply of many documents (`bosun apply -f` with several objects): every
   * document is admitted first; only if all pass are their events appended, in one transaction.
   * Documents are applied with server-side apply semantics under `fieldManager`.
   */
  async applyBatch(
    docs: readonly { info: KindInfo; version: string; namespace: string; name: string; object: Obj }[],
    ctx: WriteContext & { force?: boolean },
  ): Promise<{ results: WriteResult[] } | { errors: { index: number; error: ApiError }[] }> {
    const manager = ctx.fieldManager || 'bosun';
    const seen = new Set<string>();
    const plans: Plan[] = [];
    const errors: { index: number; error: ApiError }[] = [];
    for (const [index, d] of docs.entries()) {
      try {
        this.checkTarget(d.info, d.version, d.namespace, d.name, d.object);
        const key = objectKey(d.info.group, d.info.kind, d.info.namespaced ? d.namespace : '', d.name);
        if (seen.has(key)) throw badRequest(`${d.info.kind} "${d.name}" appears more than once in the request`);
        seen.add(key);
        const current = this.current(d.info, d.namespace, d.name);
        const old = await this.currentView(current, d.version);
        const { status: _s, ...applied } = normalizeAliases(d.info, d.object).object as Obj;
        const ssa = serverSideApply(old, { ...applied, metadata: { ...metaOf(applied), name: d.name } }, manager, apiVersionOf(d.info.group, d.version), nowIso());
        plans.push(await this.plan(d.info, d.version, d.namespace, ssa.object, current, { ...ctx, fieldManager: manager }, ssaOwnership(ssa, old, ctx.force ?? false)));
      } catch (e) {
        errors.push({ index, error: e instanceof ApiError ? e : new ApiError(500, 'InternalError', e instanceof Error ? e.message : String(e)) });
      }
    }
    if (errors.length > 0) {
      for (const p of plans) this.clusterIPs.release(p.reserved, p.key);
      return { errors };
    }
    if (!ctx.dryRun) await this.commit(plans, { ...ctx, fieldManager: manager });
    return { results: plans.map((p) => this.result(p, ctx)) };
  }
}
