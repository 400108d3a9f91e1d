import { apiVersionOf, type KindInfo } from '@bosun/resources';
import { convertObject } from '../admission';
import type { StoredObject } from './projection';

/** The API representation of a stored object in `version` (default: the storage version). */
export const renderObject = (obj: StoredObject, version?: string, secretData?: Record<string, string>): Record<string, unknown> => {
  const info = obj.info;
  const meta = { ...((obj.body.metadata as Record<string, unknown>) ?? {}), resourceVersion: String(obj.resourceVersion) };
  const out: Record<string, unknown> = { ...obj.body, apiVersion: apiVersionOf(info.group, info.storageVersion), kind: info.kind, metadata: meta };
  if (info.kind === 'Secret' && info.group === '') {
    if (secretData) out.data = secretData;
  }
  const status = obj.status ?? defaultStatus(info);
  if (status !== undefined) out.status = status;
  const v = version ?? info.storageVersion;
  return ordered(v === info.storageVersion ? out : convertObject(info, out, apiVersionOf(info.group, v)));
};

/** apiVersion, kind, metadata first and status last, as kube-apiserver prints objects. */
const ordered = (o: Record<string, unknown>): Record<string, unknown> => {
  const { apiVersion, kind, metadata, status, ...rest } = o;
  return { apiVersion, kind, metadata, ...rest, ...(status !== undefined ? { status } : {}) };
};

const defaultStatus = (info: KindInfo): Record<string, unknown> | undefined =>
  info.kind === 'Namespace' && info.group === '' ? { phase: 'Active' } : undefined;
