import { ApiStatusError, Informer, type BosunClient, type KindRef, type KubeObject } from '@bosun/client';
import type { ClusterState, Gateway, GatewayClass, HTTPRoute, Namespace, ReferenceGrant, SecretSummary, Service } from '@bosun/gateway';
import type { Logger } from '@bosun/telemetry';
import { summarizeTlsSecret } from './secrets';

const GW = 'gateway.networking.k8s.io';
const kind = (apiVersion: string, k: string): KindRef => ({ apiVersion, kind: k });

/**
 * The translator's view of the API: list+watch informers for GatewayClasses, Gateways,
 * HTTPRoutes, ReferenceGrants, Services, Namespaces (allowedRoutes selectors) and Secrets
 * (metadata only: watch events carry no values). A Secret an HTTPS listener references is read
 * with a GET when its resourceVersion changes, checked, and only its summary kept.
 */
export class ApiCluster {
  private readonly listeners: Array<() => void> = [];
  private readonly informers: {
    classes: Informer;
    gateways: Informer;
    routes: Informer;
    grants: Informer;
    services: Informer;
    namespaces: Informer;
    secrets: Informer;
  };
  private readonly secretSummaries = new Map<string, { resourceVersion: string; summary: SecretSummary }>();
  lastError: string | undefined;

  constructor(
    readonly client: BosunClient,
    private readonly log: Logger,
  ) {
    const changed = (): void => {
      for (const l of this.listeners) l();
    };
    const opts = {
      onAdd: changed,
      onUpdate: changed,
      onDelete: changed,
      onError: (err: unknown) => {
        this.lastError = err instanceof Error ? err.message : String(err);
        this.log.warn('watch interrupted (retrying)', { error: this.lastError });
      },
    };
    this.informers = {
      classes: new Informer(client, kind(`${GW}/v1`, 'GatewayClass'), opts),
      gateways: new Informer(client, kind(`${GW}/v1`, 'Gateway'), opts),
      routes: new Informer(client, kind(`${GW}/v1`, 'HTTPRoute'), opts),
      grants: new Informer(client, kind(`${GW}/v1beta1`, 'ReferenceGrant'), opts),
      services: new Informer(client, kind('v1', 'Service'), opts),
      namespaces: new Informer(client, kind('v1', 'Namespace'), opts),
      secrets: new Informer(client, kind('v1', 'Secret'), opts),
    };
  }

  start(): this {
    for (const i of Object.values(this.informers)) i.start();
    return this;
  }

  get synced(): boolean {
    return Object.values(this.informers).every((i) => i.isSynced);
  }

  async whenSynced(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.synced));
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.stop()));
  }

  gatewayClass(name: string): KubeObject | undefined {
    return this.informers.classes.get(name);
  }

  /** The cluster for one translation; Secrets referenced by HTTPS listeners are (re)read when changed. */
  async snapshot(): Promise<ClusterState> {
    const gateways = this.informers.gateways.list() as unknown as Gateway[];
    const wanted = new Set<string>();
    for (const g of gateways) {
      for (const l of g.spec?.listeners ?? []) {
        if (l.protocol !== 'HTTPS') continue;
        for (const r of l.tls?.certificateRefs ?? []) if ((r.group ?? '') === '' && (r.kind ?? 'Secret') === 'Secret') wanted.add(`${r.namespace ?? g.metadata.namespace}/${r.name}`);
      }
    }
    const secrets: SecretSummary[] = [];
    await Promise.all(
      [...wanted].map(async (key) => {
        const [ns, name] = key.split('/') as [string, string];
        const meta = this.informers.secrets.get(name, ns);
        if (!meta) {
          this.secretSummaries.delete(key);
          return;
        }
        const rv = String(meta.metadata?.resourceVersion ?? '');
        let cached = this.secretSummaries.get(key);
        if (cached?.resourceVersion !== rv) {
          try {
            const full = await this.client.get<KubeObject & { type?: string; data?: Record<string, string> }>(kind('v1', 'Secret'), name, ns);
            cached = { resourceVersion: rv, summary: summarizeTlsSecret(full) };
            this.secretSummaries.set(key, cached);
          } catch (err) {
            if (err instanceof ApiStatusError && err.code === 404) return;
            throw err;
          }
        }
        secrets.push(cached.summary);
      }),
    );
    for (const key of this.secretSummaries.keys()) if (!wanted.has(key)) this.secretSummaries.delete(key);
    return {
      gatewayClasses: this.informers.classes.list() as unknown as GatewayClass[],
      gateways,
      httpRoutes: this.informers.routes.list() as unknown as HTTPRoute[],
      services: this.informers.services.list() as unknown as Service[],
      namespaces: this.informers.namespaces.list() as unknown as Namespace[],
      referenceGrants: this.informers.grants.list() as unknown as ReferenceGrant[],
      secrets,
    };
  }
}
