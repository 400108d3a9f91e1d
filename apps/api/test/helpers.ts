import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export const ROOT = resolve(__dirname, '..', '..', '..');
/** The talk's manifests, kept in the repository (examples/talk). */
export const SEED = resolve(ROOT, 'examples', 'talk');
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const SCHEMA_PREFIX = 'api_t_';

const run = promisify(execFile);

/** Drops this area's test schemas (also leftovers of a killed run). */
export const dropSchemas = async (names?: string[]): Promise<void> => {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    const rows = names
      ? names.map((n) => ({ nspname: n }))
      : (await c.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE '${SCHEMA_PREFIX}%'`)).rows;
    for (const r of rows) await c.query(`DROP SCHEMA IF EXISTS "${r.nspname}" CASCADE`);
  } finally {
    await c.end();
  }
};

export const sql = async <R = any>(text: string, params: unknown[] = []): Promise<R[]> => {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as R[];
  } finally {
    await c.end();
  }
};

export interface Fixture {
  readonly dir: string;
  readonly schema: string;
  readonly apiSchema: string;
  readonly tokensFile: string;
  readonly keyFile: string;
  readonly tokens: { admin: string; viewer: string; editor: string };
}

export const fixture = (): Fixture => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-api-test-'));
  const schema = `${SCHEMA_PREFIX}${randomBytes(4).toString('hex')}`;
  const tokens = { admin: randomBytes(12).toString('hex'), viewer: randomBytes(12).toString('hex'), editor: randomBytes(12).toString('hex') };
  const tokensFile = join(dir, 'tokens.csv');
  writeFileSync(tokensFile, `# token,user,role,namespaces\n${tokens.admin},alice,admin\n${tokens.viewer},bob,viewer\n${tokens.editor},carol,editor,blue;green\n`);
  const keyFile = join(dir, 'secret.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'));
  return { dir, schema, apiSchema: `${schema}_api`, tokensFile, keyFile, tokens };
};

export { freePort } from '@bosun/testing';

export const apiEnv = (f: Fixture, listen: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  DATABASE_URL,
  BOSUN_EVENTSTORE_SCHEMA: f.schema,
  BOSUN_API_SCHEMA: f.apiSchema,
  BOSUN_API_LISTEN: listen,
  BOSUN_TOKENS_FILE: f.tokensFile,
  BOSUN_SECRET_KEY_FILE: f.keyFile,
  BOSUN_API_TLS_CERT_FILE: join(f.dir, 'api.crt'),
  BOSUN_API_TLS_KEY_FILE: join(f.dir, 'api.key'),
  LOG_LEVEL: 'warn',
  OTEL_SDK_DISABLED: 'true',
  ...extra,
});

/** Runs the built API (`apps/api/dist/main.js`) as a child process; resolves when /readyz is OK. */
export const spawnApi = async (env: NodeJS.ProcessEnv, httpBase: string): Promise<ChildProcess> => {
  const child = spawn(process.execPath, [join(ROOT, 'apps/api/dist/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += String(d)));
  child.stderr!.on('data', (d) => (output += String(d)));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}): ${output}`);
    try {
      const r = await fetch(`${httpBase}/readyz`);
      if (r.ok) return child;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the API did not become ready: ${output}`);
};

/** Runs the built `bosun` CLI. */
export const bosun = async (args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> => {
  return new Promise((resolveP) => {
    const child = spawn(process.execPath, [join(ROOT, 'apps/cli/bin/bosun.js'), ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolveP({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
};

export const kubectl = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const r = await run('/usr/bin/kubectl', args, { timeout: 60_000, env: { ...process.env, KUBECONFIG: '/dev/null', HOME: tmpdir() } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(e) };
  }
};
