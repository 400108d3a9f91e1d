import type { KindInfo } from '@bosun/resources';
import type { User } from '../auth/auth';
import { ApiError } from '../k8s/errors';
import type { ResourceWriter } from '../write/writer';
import type { LiveObjectView } from './live-view';
import type { StoredObject } from './projection';

const GC_USER: User = { name: 'system:garbage-collector', role: 'admin', namespaces: [] };

/**
 * Background cascading deletion: once an owner's deletion is projected, every object that names
 * the deleted owner's uid (ownerReferences) is deleted after it, and so is every object in a
 * deleted Namespace. Level-triggered and coalesced:
 * each pass scans the view for dependents of any deleted uid, so a crash mid-way is repaired by
 * the pass after the restart.
 */
export class GarbageCollector {
  private running = false;
  private again = false;

  constructor(
    private readonly view: LiveObjectView,
    private readonly writer: ResourceWriter,
    private readonly log: (msg: string, fields?: Record<string, unknown>) => void,
  ) {
    view.onApplied((e, changes) => {
      if (!view.caughtUp) return;
      if (changes.some((c) => c.type === 'DELETED')) this.trigger();
      void e;
    });
  }

  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.trigger();
      }
    });
  }

  private dependents(): StoredObject[] {
    const dead = this.view.projection.deletedUids;
    const deadNs = this.view.projection.deletedNamespaces;
    if (dead.size === 0 && deadNs.size === 0) return [];
    const out: StoredObject[] = [];
    for (const o of this.view.projection.all()) {
      if (o.info.namespaced && !o.info.projected && deadNs.has(String((o.body.metadata as Record<string, unknown> | undefined)?.namespace ?? ''))) {
        out.push(o);
        continue;
      }
      const refs = ((o.body.metadata as Record<string, unknown> | undefined)?.ownerReferences ?? []) as Array<{ uid?: string }>;
      if (refs.length > 0 && refs.every((r) => r.uid && dead.has(r.uid)) && !o.info.projected) out.push(o);
    }
    return out;
  }

  private async run(): Promise<void> {
    for (let pass = 0; pass < 10; pass++) {
      const victims = this.dependents();
      if (victims.length === 0) return;
      for (const o of victims) {
        const meta = o.body.metadata as Record<string, unknown>;
        try {
          await this.writer.delete(o.info as KindInfo, o.info.storageVersion, String(meta.namespace ?? ''), String(meta.name), {
            user: GC_USER,
            reason: 'owner deleted',
            preconditions: { uid: String(meta.uid) },
          });
          this.log('garbage collected dependent', { kind: o.info.kind, namespace: meta.namespace, name: meta.name });
        } catch (e) {
          if (e instanceof ApiError && (e.code === 404 || e.code === 409)) continue;
          this.log('garbage collection failed', { kind: o.info.kind, name: meta.name, error: e instanceof Error ? e.message : String(e) });
        }
      }
    }
  }
}
