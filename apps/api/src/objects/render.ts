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
  return v === info.storageVersion ? out : convertObject(info, out, apiVersionOf(info.group, v));
};

const defaultStatus = (info: KindInfo): Record<string, unknown> | undefined =>
  info.kind === 'Namespace' && info.group === '' ? { phase: 'Active' } : undefined;
