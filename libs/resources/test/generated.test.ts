/**
 * The generated schemas match the reference CRDs, every CEL rule in them is implemented by hand
 * (or skipped with a reason), and every pattern compiles.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CEL_RULES, SKIPPED_RULES } from '../src/cel-rules';
import { core, crdKinds } from '../src/generated';
import type { Schema } from '../src/schema';
import { regex } from '../src/structural';
import { KINDS } from '../src';
// @ts-expect-error: plain ESM script without type declarations
import { generate, repoRoot, sharedReference } from '../scripts/gen-schemas.mjs';

const walk = (s: Schema | undefined, visit: (s: Schema) => void): void => {
  if (!s || typeof s !== 'object') return;
  visit(s);
  for (const v of Object.values(s.properties ?? {})) walk(v, visit);
  if (s.items) walk(s.items, visit);
  if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, visit);
  for (const list of [s.oneOf, s.anyOf, s.allOf]) for (const v of list ?? []) walk(v, visit);
  if (s.not) walk(s.not, visit);
};

const allSchemas = (): Schema[] => [...crdKinds.flatMap((k) => Object.values(k.versions)), ...Object.values(core.definitions)];

describe('generated schemas', () => {
  const ref: string = sharedReference();
  it.skipIf(!existsSync(ref))('are up to date with the CRDs in ../shared/reference (run `npm run gen:schemas`)', () => {
    const stale: string[] = [];
    for (const [rel, content] of generate(ref) as Map<string, string>) {
      const path = join(repoRoot, rel);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== content) stale.push(rel);
    }
    expect(stale).toEqual([]);
  });

  it('cover every CRD-backed kind the API serves, in every served version', () => {
    for (const info of KINDS.filter((k) => !k.projected && (k.group === 'cilium.io' || k.group === 'gateway.networking.k8s.io'))) {
      const crd = crdKinds.find((c) => c.group === info.group && c.kind === info.kind);
      expect(crd, info.kind).toBeDefined();
      for (const v of info.versions) expect(crd!.versions[v], `${info.kind} ${v}`).toBeDefined();
      expect(crd!.scope === 'Namespaced').toBe(info.namespaced);
    }
  });

  it('cover every core kind the API serves', () => {
    for (const info of KINDS.filter((k) => !k.projected && k.group !== 'cilium.io' && k.group !== 'gateway.networking.k8s.io'))
      expect(core.kinds.find((c) => c.group === info.group && c.kind === info.kind), info.kind).toBeDefined();
  });

  it('implement or knowingly skip every x-kubernetes-validations rule', () => {
    const missing = new Set<string>();
    for (const s of allSchemas()) walk(s, (n) => n['x-kubernetes-validations']?.forEach((r) => !CEL_RULES.has(r.rule) && !SKIPPED_RULES.has(r.rule) && missing.add(r.rule)));
    expect([...missing]).toEqual([]);
  });

  it('have patterns that compile', () => {
    for (const s of allSchemas()) walk(s, (n) => n.pattern !== undefined && expect(() => regex(n.pattern!)).not.toThrow());
  });
});
