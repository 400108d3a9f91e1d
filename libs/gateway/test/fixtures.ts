import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { admit } from '@bosun/resources';
import {
  defaultGatewayClass,
  translate,
  type Gateway,
  type GatewayClass,
  type HTTPRoute,
  type Namespace,
  type ReferenceGrant,
  type SecretSummary,
  type Service,
  type Translation,
} from '@bosun/gateway';

export const T0 = '2026-01-01T00:00:00Z';
export const T1 = '2026-01-01T00:01:00Z';

type Obj = Record<string, any>;

/** A manifest as the API stores it: admitted (CRD defaults, validation), with uid and generation. */
let uidSeq = 0;
export const admitted = (manifest: Obj): Obj => {
  const r = admit(manifest, { operation: 'create' });
  if (!r.ok) throw new Error(`not admitted: ${JSON.stringify(r.causes)}`);
  const o = r.object as Obj;
  return { ...o, metadata: { uid: `uid-${++uidSeq}`, generation: 1, creationTimestamp: T0, ...o.metadata } };
};

export const seed = (file: string): Obj[] =>
  parseAllDocuments(readFileSync(join(__dirname, 'seed', file), 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter(Boolean)
    .map(admitted);

export const yaml = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj).filter(Boolean).map(admitted);
export const one = (text: string): Obj => admitted(parse(text) as Obj);

export const gateway = (name: string, namespace: string, listeners: Obj[], spec: Obj = {}): Obj =>
  admitted({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace }, spec: { gatewayClassName: 'cilium', listeners, ...spec } });

export const http = (name: string, port = 80, extra: Obj = {}): Obj => ({ name, port, protocol: 'HTTP', ...extra });
export const https = (name: string, port = 443, certs: Obj[] = [{ name: 'cert' }], extra: Obj = {}): Obj => ({ name, port, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: certs }, ...extra });

export const route = (name: string, namespace: string, spec: Obj): Obj =>
  admitted({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace }, spec });

export const service = (name: string, namespace: string, extra: Obj = {}): Obj =>
  admitted({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, ...(extra.metadata ?? {}) }, spec: { ports: [{ port: 80 }], ...(extra.spec ?? {}) } });

export const namespace = (name: string, labels: Record<string, string> = {}): Obj => admitted({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

export const grant = (name: string, namespace: string, from: Obj[], to: Obj[]): Obj =>
  admitted({ apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name, namespace }, spec: { from, to } });

/**
 * A small cluster for given/when/then tests: objects by kind and key; `translate()` runs the
 * pure core; `settle()` stores the statuses and Services as the API would after the writes.
 */
export class World {
  private readonly objects = new Map<string, Obj>();
  readonly serviceErrors = new Map<string, string>();
  secrets: SecretSummary[] = [];

  static withDefaultClass(): World {
    return new World().given(admitted(defaultGatewayClass('cilium')));
  }

  given(...objs: (Obj | Obj[])[]): this {
    for (const o of objs.flat()) this.objects.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
    return this;
  }

  remove(kind: string, namespace: string, name: string): this {
    this.objects.delete(`${kind}/${namespace}/${name}`);
    return this;
  }

  get(kind: string, namespace: string, name: string): Obj | undefined {
    return this.objects.get(`${kind}/${namespace}/${name}`);
  }

  private of<T>(kind: string): T[] {
    return [...this.objects.values()].filter((o) => o.kind === kind) as T[];
  }

  translate(now = T0): Translation {
    return translate(
      {
        gatewayClasses: this.of<GatewayClass>('GatewayClass'),
        gateways: this.of<Gateway>('Gateway'),
        httpRoutes: this.of<HTTPRoute>('HTTPRoute'),
        services: this.of<Service>('Service'),
        namespaces: this.of<Namespace>('Namespace'),
        referenceGrants: this.of<ReferenceGrant>('ReferenceGrant'),
        secrets: this.secrets,
        serviceErrors: this.serviceErrors,
      },
      { now, fieldManager: 'gateway-translator' },
    );
  }

  /** Writes what the translation asks for, as the API would (status replaced, Service applied). */
  settle(t: Translation): this {
    for (const c of t.classes) this.patchStatus('GatewayClass', '', c.name, c.status);
    for (const g of t.gateways) {
      const [ns, name] = g.key.split('/') as [string, string];
      this.patchStatus('Gateway', ns, name, g.status);
      if (g.service) {
        const prev = this.get('Service', g.service.metadata.namespace, g.service.metadata.name);
        const applied = admitted({ ...g.service, metadata: { ...g.service.metadata, ...(prev ? { uid: prev.metadata.uid } : {}) } });
        this.given({ ...applied, metadata: { ...applied.metadata, managedFields: [{ manager: 'gateway-translator' }] }, ...(prev?.status ? { status: prev.status } : {}) });
      }
    }
    for (const r of t.routes) {
      const [ns, name] = r.key.split('/') as [string, string];
      this.patchStatus('HTTPRoute', ns, name, r.status);
    }
    return this;
  }

  /** What ipam would write: an address on the Service's status (or a no_pool condition). */
  assignAddress(namespace: string, name: string, ip: string | null, reason = 'no_pool', message = 'There are no enabled CiliumLoadBalancerIPPools that match this service'): this {
    const svc = this.get('Service', namespace, name);
    if (!svc) throw new Error(`no Service ${namespace}/${name}`);
    const cond = ip
      ? { type: 'cilium.io/IPAMRequestSatisfied', status: 'True', reason: 'satisfied', message: '', lastTransitionTime: T0 }
      : { type: 'cilium.io/IPAMRequestSatisfied', status: 'False', reason, message, lastTransitionTime: T0 };
    return this.given({ ...svc, status: { loadBalancer: ip ? { ingress: [{ ip, ipMode: 'VIP' }] } : {}, conditions: [cond] } });
  }

  private patchStatus(kind: string, ns: string, name: string, status: Obj): void {
    const o = this.get(kind, ns, name);
    if (o) this.given({ ...o, status });
  }
}

/** A condition by type from a list. */
export const cond = (list: readonly { type: string }[] | undefined, type: string): Obj | undefined => list?.find((c) => c.type === type) as Obj | undefined;
