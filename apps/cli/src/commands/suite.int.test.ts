import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@bosun/testing';

// `bosun up --only api` / `bosun down` in a scratch folder, with its own schema and ports.
const ROOT = resolve(__dirname, '..', '..', '..', '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const dir = mkdtempSync(join(tmpdir(), 'bosun-up-'));
const schema = `api_t_up_${Math.random().toString(36).slice(2, 8)}`;

const bosun = (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> =>
  new Promise((res) => {
    const c = spawn(process.execPath, [join(ROOT, 'apps/cli/bin/bosun.js'), ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += String(d)));
    c.stderr.on('data', (d) => (out += String(d)));
    c.on('close', (code) => res({ code: code ?? -1, out }));
  });

const dropSchemas = async (): Promise<void> => {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    for (const s of [schema, `${schema}_api`]) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await c.end();
  }
};

let env: NodeJS.ProcessEnv = {};
afterAll(async () => {
  await bosun(['down'], env);
  await dropSchemas();
});

describe('bosun up / down', () => {
  it('starts the API in the background with a local admin token, serves the CLI and kubectl, then stops', async () => {
    const [http, https] = [await freePort(), await freePort()];
    const sock = join(dir, '.bosun', 'run', 'api.sock');
    env = { BOSUN_EVENTSTORE_SCHEMA: schema, BOSUN_API_LISTEN: `127.0.0.1:${http},https://127.0.0.1:${https},unix:${sock}`, BOSUN_SERVER: '', BOSUN_TOKEN: '', BOSUN_HOME: '' };
    const up = await bosun(['up', '--only', 'api'], env);
    expect(up.code, up.out).toBe(0);
    expect(up.out).toContain(`API:          http://127.0.0.1:${http}`);
    expect(up.out).toContain(join(dir, '.bosun', 'admin.token'));
    for (const f of ['admin.token', 'secret.key', 'tokens.yaml', 'tls/api.crt', 'run/api.pid', 'logs/api.log']) expect(existsSync(join(dir, '.bosun', f)), f).toBe(true);
    const token = readFileSync(join(dir, '.bosun', 'admin.token'), 'utf8').trim();

    // The CLI finds the token in .bosun/admin.token; without it the API says 401.
    const cliEnv = { ...env, BOSUN_SERVER: `http://127.0.0.1:${http}` };
    const apply = await bosun(['apply', '-f', join(ROOT, 'examples', 'talk', '05-lb-ip-pool.yaml')], cliEnv);
    expect(apply.out).toContain('ciliumloadbalancerippool.cilium.io/ip-pool-blue created');
    const viaSocket = await bosun(['get', 'ippools'], { ...env, BOSUN_SERVER: `unix:${sock}` });
    expect(viaSocket.out).toMatch(/ip-pool-blue\s+20\.0\.10\.0\/24/);
    const anon = await fetch(`http://127.0.0.1:${http}/apis/cilium.io/v2/ciliumloadbalancerippools`);
    expect(anon.status).toBe(401);
    const kc = await new Promise<string>((res) => {
      const c = spawn('/usr/bin/kubectl', ['--server', `https://127.0.0.1:${https}`, '--certificate-authority', join(dir, '.bosun', 'tls', 'api.crt'), '--token', token, 'get', 'ippools'], {
        env: { ...process.env, KUBECONFIG: '/dev/null', HOME: dir },
      });
      let out = '';
      c.stdout.on('data', (d) => (out += String(d)));
      c.stderr.on('data', (d) => (out += String(d)));
      c.on('close', () => res(out));
    });
    expect(kc).toMatch(/ip-pool-blue\s+20\.0\.10\.0\/24/);

    const again = await bosun(['up', '--only', 'api'], env);
    expect(again.out).toMatch(/api: already running/);
    const pid = Number(readFileSync(join(dir, '.bosun', 'run', 'api.pid'), 'utf8'));
    const down = await bosun(['down'], env);
    expect(down.out).toContain('api: stopped');
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
