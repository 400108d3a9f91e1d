import type { LabelSelector, LabelSelectorRequirement, Labels } from '@bosun/resources';
import { selectorMatches } from '@bosun/resources';
import { badRequest } from './errors';

/**
 * Parses the `labelSelector` query syntax (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) into the
 * structured selector `selectorMatches` evaluates. Returns undefined for an empty selector.
 */
export const parseLabelSelector = (s: string | undefined): LabelSelector | undefined => {
  if (!s || !s.trim()) return undefined;
  const matchExpressions: LabelSelectorRequirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) throw badRequest(`unable to parse requirement: empty requirement in "${s}"`);
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      matchExpressions.push({ key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = p.match(/^([^\s!=()]+)\s*!=\s*([^\s!=()]*)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'NotIn', values: [m[2]!] });
    } else if ((m = p.match(/^([^\s!=()]+)\s*==?\s*([^\s!=()]*)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'In', values: [m[2]!] });
    } else if ((m = p.match(/^!\s*([^\s!=()]+)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'DoesNotExist' });
    } else if ((m = p.match(/^([^\s!=()]+)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'Exists' });
    } else throw badRequest(`unable to parse requirement: "${p}"`);
  }
  return { matchExpressions };
};

export interface FieldSelector {
  readonly name?: { readonly value: string; readonly negate: boolean };
  readonly namespace?: { readonly value: string; readonly negate: boolean };
}

/** Field selectors on `metadata.name` and `metadata.namespace` (`=`, `==`, `!=`). */
export const parseFieldSelector = (s: string | undefined): FieldSelector | undefined => {
  if (!s || !s.trim()) return undefined;
  const out: { name?: { value: string; negate: boolean }; namespace?: { value: string; negate: boolean } } = {};
  for (const raw of s.split(',')) {
    const m = raw.trim().match(/^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid field selector: "${raw}"`);
    const term = { value: m[3]!.trim(), negate: m[2] === '!=' };
    if (m[1] === 'metadata.name') out.name = term;
    else if (m[1] === 'metadata.namespace') out.namespace = term;
    else throw badRequest(`field label not supported: ${m[1]}`);
  }
  return out;
};

export const matchesSelectors = (
  meta: { name?: unknown; namespace?: unknown; labels?: unknown },
  labels: LabelSelector | undefined,
  fields: FieldSelector | undefined,
): boolean => {
  if (fields?.name && (meta.name === fields.name.value) === fields.name.negate) return false;
  if (fields?.namespace && ((meta.namespace ?? '') === fields.namespace.value) === fields.namespace.negate) return false;
  if (labels && !selectorMatches(labels, (meta.labels as Labels) ?? {}, true)) return false;
  return true;
};
