import { ApiStatusError, type BosunClient, type KindRef, type KubeObject } from '@bosun/client';
import {
  defaultGatewayClass,
  rfc3339,
  serviceDrifted,
  translate,
  type GatewayService,
  type Translation,
} from '@bosun/gateway';
import { withSpan, type Logger } from '@bosun/telemetry';
import type { ApiCluster } from './cluster';
import type { TranslatorConfig } from './config';
import * as metrics from './metrics';

const GW = 'gateway.networking.k8s.io';
const kind = (apiVersion: string, k: string): KindRef => ({ apiVersion, kind: k });
const BACKOFF_MS = [200, 500, 1000, 2000, 5000, 10_000];

type WriteObject = 'Service' | 'ServiceDelete' | 'GatewayClass' | 'GatewayClassStatus' | 'GatewayStatus' | 'HTTPRouteStatus';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The translator's level-triggered, coalesced loop: any change marks the state dirty; one run
 * at a time reads the whole cluster view, translates it (`@bosun/gateway`), and writes only
 * what differs: the Gateways' Services (server-side apply, field manager `gateway-translator`),
 * the status of GatewayClasses, Gateways and HTTPRoutes (status subresource, with the
 * resourceVersion read, so a concurrent change is a conflict and a new run), and deletes
 * Services whose Gateway is gone. A failing write never stops the loop: it is retried with
 * backoff; an API refusal of a Service (422) is shown on the Gateway's Programmed condition.
 */
export class TranslatorReconciler {
  private running = false;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRunEnd = 0;
  private failures = 0;
  private stopped = false;
  /** The last Service applied per Gateway (its JSON): a change of what we own is applied even if the view has not caught up. */
  private readonly appliedServices = new Map<string, string>();
  /** Why the last apply of a Gateway's Service was refused (422), by Gateway key. */
  private readonly serviceErrors = new Map<string, string>();
  private defaultClassChecked = false;
  runs = 0;
  lastRunError: string | undefined;
  lastTranslation: Translation | undefined;

  constructor(
    private readonly cluster: ApiCluster,
    private readonly client: BosunClient,
    private readonly config: TranslatorConfig,
    private readonly log: Logger,
  ) {
    cluster.onChange(() => this.trigger());
  }

  /** Marks the state dirty; a run starts at least `minIntervalMs` after the previous one ended. */
  trigger(delayMs = 0): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.running || this.timer) return;
    const wait = Math.max(delayMs, this.lastRunEnd + this.config.minIntervalMs - Date.now(), 0);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, wait);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when no run is pending or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running || this.timer) await new Promise((r) => setTimeout(r, 10));
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    if (!this.cluster.synced) return; // the first full view triggers a run
    this.running = true;
    this.dirty = false;
    const started = process.hrtime.bigint();
    let retry = false;
    try {
      retry = await withSpan('gateway-translator reconcile', {}, () => this.runOnce());
      this.lastRunError = undefined;
    } catch (e) {
      retry = true;
      this.lastRunError = message(e);
      this.log.warn('reconcile failed (retrying)', { error: this.lastRunError });
    } finally {
      metrics.reconcileDuration.observe({ outcome: retry ? 'retry' : 'ok' }, Number(process.hrtime.bigint() - started) / 1e9);
      this.runs++;
      this.running = false;
      this.lastRunEnd = Date.now();
    }
    if (retry) {
      const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
      this.failures++;
      this.trigger(delay);
    } else {
      this.failures = 0;
      if (this.dirty) this.trigger();
    }
  }

  /** One run; true when something must be retried. */
  private async runOnce(): Promise<boolean> {
    let retry = false;
    if (!this.defaultClassChecked) retry = (await this.ensureDefaultClass()) || retry;
    const state = await this.cluster.snapshot();
    const t = translate({ ...state, serviceErrors: this.serviceErrors }, { controllerName: this.config.controllerName, now: rfc3339(new Date()), fieldManager: this.config.fieldManager });
    this.lastTranslation = t;

    // Infrastructure first, so the status written after it describes what was applied.
    for (const g of t.gateways) {
      if (!g.service) continue;
      const json = JSON.stringify(g.service);
      if (this.appliedServices.get(g.key) === json && !serviceDrifted(g.service, g.currentService)) continue;
      const before = this.serviceErrors.get(g.key);
      const outcome = await this.applyService(g.key, g.service);
      if (outcome === 'ok') this.appliedServices.set(g.key, json);
      if (outcome === 'retry') retry = true;
      if (this.serviceErrors.get(g.key) !== before) this.dirty = true; // the Gateway's status must show it (next run)
    }
    const live = new Set(t.gateways.map((g) => g.key));
    for (const k of [...this.appliedServices.keys()]) if (!live.has(k)) this.appliedServices.delete(k);
    for (const k of [...this.serviceErrors.keys()]) if (!live.has(k)) this.serviceErrors.delete(k);
    for (const s of t.orphanServices) {
      const ok = await this.write('ServiceDelete', () => this.client.delete(kind('v1', 'Service'), s.metadata.name, s.metadata.namespace));
      if (!ok) retry = true;
      else this.log.info('deleted the Service of a Gateway that is gone', { service: `${s.metadata.namespace}/${s.metadata.name}` });
    }

    for (const c of t.classes) {
      if (!c.statusChanged) continue;
      const obj = this.cluster.gatewayClass(c.name);
      if (obj && !(await this.writeStatus('GatewayClassStatus', kind(`${GW}/v1`, 'GatewayClass'), obj, c.status))) retry = true;
    }
    for (const g of t.gateways) {
      if (g.statusChanged && !(await this.writeStatus('GatewayStatus', kind(`${GW}/v1`, 'Gateway'), g.decision.gateway as unknown as KubeObject, g.status, g.key))) retry = true;
    }
    for (const r of t.routes) {
      if (r.statusChanged && !(await this.writeStatus('HTTPRouteStatus', kind(`${GW}/v1`, 'HTTPRoute'), r.route as unknown as KubeObject, r.status))) retry = true;
    }
    this.publishGauges(t);
    return retry;
  }

  /** Installs the default GatewayClass once, when it is absent (as a Helm install would). */
  private async ensureDefaultClass(): Promise<boolean> {
    const name = this.config.defaultClass;
    if (!name || this.cluster.gatewayClass(name)) {
      this.defaultClassChecked = true;
      return false;
    }
    try {
      await this.client.create(defaultGatewayClass(name, this.config.controllerName) as unknown as KubeObject & { apiVersion: string; kind: string }, { fieldManager: this.config.fieldManager });
      metrics.writes.inc({ object: 'GatewayClass', outcome: 'ok' });
      this.log.info('installed the default GatewayClass', { gatewayClass: name, controllerName: this.config.controllerName });
      this.defaultClassChecked = true;
      return false;
    } catch (e) {
      if (e instanceof ApiStatusError && e.code === 409) {
        this.defaultClassChecked = true;
        return false;
      }
      metrics.writes.inc({ object: 'GatewayClass', outcome: 'error' });
      this.log.warn('cannot install the default GatewayClass (retrying)', { gatewayClass: name, error: message(e) });
      return true;
    }
  }

  private async applyService(gatewayKey: string, svc: GatewayService): Promise<'ok' | 'invalid' | 'retry'> {
    const [ns, name] = gatewayKey.split('/') as [string, string];
    const correlationId = await this.correlationOf(ns, name);
    try {
      await this.client.request('PATCH', this.client.path(kind('v1', 'Service'), { namespace: svc.metadata.namespace, name: svc.metadata.name }), {
        body: svc,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: this.config.fieldManager, force: 'true' },
        ...(correlationId ? { headers: { 'x-correlation-id': correlationId } } : {}),
      });
      metrics.writes.inc({ object: 'Service', outcome: 'ok' });
      this.serviceErrors.delete(gatewayKey);
      this.log.info('applied the Gateway Service', { gateway: gatewayKey, service: `${svc.metadata.namespace}/${svc.metadata.name}`, ports: svc.spec.ports.map((p) => p.port) });
      return 'ok';
    } catch (e) {
      if (e instanceof ApiStatusError && (e.code === 422 || e.code === 400)) {
        // Refused for good (bad labels or annotations from spec.infrastructure…): say so on the Gateway.
        const why = [e.message, ...e.causes.map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`)].filter((x, i, a) => a.indexOf(x) === i).join('; ');
        this.serviceErrors.set(gatewayKey, why);
        metrics.writes.inc({ object: 'Service', outcome: 'invalid' });
        this.log.warn('the API refused the Gateway Service', { gateway: gatewayKey, error: why });
        return 'invalid';
      }
      metrics.writes.inc({ object: 'Service', outcome: e instanceof ApiStatusError && e.code === 409 ? 'conflict' : 'error' });
      this.log.warn('cannot apply the Gateway Service (retrying)', { gateway: gatewayKey, error: message(e) });
      return 'retry';
    }
  }

  /**
   * Writes a status through the status subresource with the resourceVersion the translation
   * read: a 409 means the object changed meanwhile, and the next run decides again.
   */
  private async writeStatus(object: WriteObject, ref: KindRef, obj: KubeObject, status: unknown, gatewayKey?: string): Promise<boolean> {
    const md = obj.metadata ?? {};
    const correlationId = gatewayKey ? await this.correlationOf(md.namespace ?? '', md.name ?? '') : undefined;
    return this.write(object, () =>
      this.client.request('PUT', this.client.path(ref, { ...(md.namespace ? { namespace: md.namespace } : {}), name: md.name!, subresource: 'status' }), {
        body: { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: md.name, ...(md.namespace ? { namespace: md.namespace } : {}), resourceVersion: md.resourceVersion }, status },
        ...(correlationId ? { headers: { 'x-correlation-id': correlationId } } : {}),
      }),
    );
  }

  private async write(object: WriteObject, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      metrics.writes.inc({ object, outcome: 'ok' });
      return true;
    } catch (e) {
      if (e instanceof ApiStatusError && e.code === 404) {
        metrics.writes.inc({ object, outcome: 'ok' }); // gone meanwhile: nothing left to do
        return true;
      }
      const conflict = e instanceof ApiStatusError && e.code === 409;
      metrics.writes.inc({ object, outcome: conflict ? 'conflict' : 'error' });
      if (!conflict) this.log.warn('write failed (retrying)', { object, error: message(e) });
      return false;
    }
  }

  /**
   * The correlation id of the Gateway's last spec change (its history), so the Service it
   * causes and the addresses ipam gives it join the same correlation timeline.
   */
  private async correlationOf(namespace: string, name: string): Promise<string | undefined> {
    try {
      const h = await this.client.history(kind(`${GW}/v1`, 'Gateway'), name, namespace);
      const applied = [...h].reverse().find((e) => e.type === 'resource.Applied') ?? h[h.length - 1];
      return applied?.correlationId;
    } catch {
      return undefined;
    }
  }

  private publishGauges(t: Translation): void {
    metrics.gateways.reset();
    for (const g of t.gateways) {
      const c = (type: string) => (g.status.conditions ?? []).find((x) => x.type === type)?.status ?? 'Unknown';
      metrics.gateways.inc({ accepted: c('Accepted'), programmed: c('Programmed') });
    }
    metrics.routes.reset();
    for (const r of t.routes) for (const p of r.parents) metrics.routes.inc({ accepted: p.accepted ? 'True' : 'False' });
  }
}
