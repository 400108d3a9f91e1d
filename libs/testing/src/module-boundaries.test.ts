import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Domain libraries stay pure: no NestJS, Postgres, TypeORM or NATS in them, and no imports of
 * infrastructure libraries that would bring those in. (`npm run lint` enforces the same through
 * @nx/enforce-module-boundaries; this test needs no lint run.)
 */
const root = resolve(__dirname, '../../..');
const DOMAIN_LIBS = ['contracts', 'resources', 'ipam', 'bgp', 'bgp-control-plane', 'l2'];
const BANNED = [/^@nestjs\//, /^pg(\/|$)/, /^pg-/, /^typeorm(\/|$)/, /^@nats-io\//, /^nats$/];

const tagsOf = (lib: string): string[] => JSON.parse(readFileSync(join(root, 'libs', lib, 'project.json'), 'utf8')).tags ?? [];
const isPure = (lib: string) => tagsOf(lib).some((t) => t === 'type:domain' || t === 'type:contracts');

const sourceFiles = (dir: string): string[] => {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (e !== 'node_modules' && e !== 'dist') out.push(...sourceFiles(p));
    } else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(e) && !/\.test\.ts$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
};

/** Module specifiers of static imports/exports, dynamic imports and requires (comments stripped). */
export const importsOf = (code: string): string[] => {
  const text = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  for (const re of [/\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const m of text.matchAll(re)) specs.push(m[1]!);
  }
  return specs;
};

describe('module boundaries', () => {
  const libs = readdirSync(join(root, 'libs')).filter((d) => existsSync(join(root, 'libs', d, 'project.json')));

  it('tags every named domain library as domain or contracts', () => {
    for (const lib of DOMAIN_LIBS.filter((l) => libs.includes(l))) expect(isPure(lib), `libs/${lib} tags`).toBe(true);
  });

  it.each(libs.filter(isPure))('libs/%s imports no NestJS, pg, typeorm, @nats-io, nor infrastructure libraries', (lib) => {
    const violations: string[] = [];
    for (const file of sourceFiles(join(root, 'libs', lib, 'src'))) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const rel = file.slice(root.length + 1);
        if (BANNED.some((b) => b.test(spec))) violations.push(`${rel}: ${spec}`);
        const m = /^@bosun\/([^/]+)/.exec(spec);
        if (m && libs.includes(m[1]!) && !isPure(m[1]!)) violations.push(`${rel}: ${spec} (an infrastructure library)`);
      }
      // A dependency declared in the library's package.json counts as well.
    }
    const pkg = join(root, 'libs', lib, 'package.json');
    const deps = existsSync(pkg) ? Object.keys({ ...(JSON.parse(readFileSync(pkg, 'utf8')).dependencies ?? {}) }) : [];
    for (const d of deps) if (BANNED.some((b) => b.test(d))) violations.push(`libs/${lib}/package.json: depends on ${d}`);
    expect(violations).toEqual([]);
  });

  it('finds the imports it is meant to catch', () => {
    const code = `import { Injectable } from '@nestjs/common';\nimport type { Pool } from "pg";\nexport * from 'typeorm';\nconst x = require('@nats-io/jetstream');\nawait import('pg/lib/client');\n// import { no } from '@nestjs/core';\nimport './side-effect';`;
    expect(importsOf(code)).toEqual(['@nestjs/common', 'pg', 'typeorm', './side-effect', 'pg/lib/client', '@nats-io/jetstream']);
    expect(importsOf(code).filter((s) => BANNED.some((b) => b.test(s)))).toHaveLength(5);
  });
});
