import type { LabelSelector } from '@bosun/resources';
import type { KubeObject } from './model';

/**
 * Defensive readers for objects that came through the API (already admitted) or from older
 * versions: a wrong shape yields `undefined` plus a problem naming the field, never a throw.
 */

export type Problems = string[];

export const nameOf = (o: KubeObject | undefined): string => o?.metadata?.name ?? '';
export const labelsOf = (o: KubeObject | undefined): Record<string, string> => ({ ...(o?.metadata?.labels ?? {}) });

/** `CiliumBGPPeerConfig/cilium-peer` */
export const objectRef = (o: KubeObject, fallbackKind = 'object'): string => {
  const ns = o.metadata?.namespace;
  return `${o.kind ?? fallbackKind}/${ns ? `${ns}/` : ''}${nameOf(o)}`;
};

export const isRecord = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const readInt = (
  v: unknown,
  where: string,
  problems: Problems,
  range: { min: number; max: number },
): number | undefined => {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    problems.push(`${where}: must be an integer, got ${JSON.stringify(v)}`);
    return undefined;
  }
  if (n < range.min || n > range.max) {
    problems.push(`${where}: must be between ${range.min} and ${range.max}, got ${n}`);
    return undefined;
  }
  return n;
};

export const readString = (v: unknown, where: string, problems: Problems): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    problems.push(`${where}: must be a string, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
};

export const readArray = (v: unknown, where: string, problems: Problems): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    problems.push(`${where}: must be a list`);
    return [];
  }
  return v;
};

/** A label selector field: `undefined` when absent (which Cilium reads as "selects nothing" in adverts). */
export const readSelector = (v: unknown, where: string, problems: Problems): LabelSelector | undefined => {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) {
    problems.push(`${where}: must be a label selector`);
    return undefined;
  }
  const ops = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);
  for (const [i, req] of (Array.isArray(v.matchExpressions) ? v.matchExpressions : []).entries()) {
    if (!isRecord(req) || !ops.has(req.operator as string)) {
      problems.push(`${where}.matchExpressions[${i}].operator: must be one of In, NotIn, Exists, DoesNotExist`);
      return undefined;
    }
  }
  return v as LabelSelector;
};

/** Version of a Cilium object: `v2` or `v2alpha1` (unknown versions read as v2). */
export const ciliumVersionOf = (o: KubeObject): 'v2' | 'v2alpha1' => (o.apiVersion?.endsWith('/v2alpha1') ? 'v2alpha1' : 'v2');
