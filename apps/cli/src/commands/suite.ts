import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { bosunHome } from '@bosun/client';

/**
 * `bosun up` / `bosun down`: the local suite as background processes. Every app in apps/ with a
 * built `dist/main.js` and the service role (package.json `bosun.role`, default by name: per-node
 * agents and the CLI are not started here) runs with logs in `.bosun/logs/<app>.log` and its pid
 * in `.bosun/run/<app>.pid`; the API first, then the others, each waited for on `/readyz`.
 */
type Role = 'service' | 'agent' | 'cli';
const DEFAULT_ROLES: Record<string, Role> = { cli: 'cli', 'bgp-speaker': 'agent', 'l2-announcer': 'agent', 'gateway-proxy': 'agent', policy: 'agent' };
/** Where each service answers `/readyz` (CONTRIBUTING's BOSUN_HTTP_LISTEN defaults). */
const HEALTH_PORTS: Record<string, number> = { ipam: 9101, observability: 9102, 'bgp-speaker': 9103, 'l2-announcer': 9104, 'gateway-translator': 9105 };

export const API_HTTP = '127.0.0.1:8080';
export const API_HTTPS = '127.0.0.1:8443';

const repoRoot = (): string => resolve(__dirname, '..', '..', '..', '..');

interface AppEntry {
  readonly name: string;
  readonly main: string;
  readonly role: Role;
}

export const discoverApps = (root = repoRoot()): AppEntry[] => {
  const dir = join(root, 'apps');
  const out: AppEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    const main = join(dir, name, 'dist', 'main.js');
    if (!existsSync(main)) continue;
    let role: Role = DEFAULT_ROLES[name] ?? 'service';
    try {
      const pkg = JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')) as { bosun?: { role?: Role } };
      if (pkg.bosun?.role) role = pkg.bosun.role;
    } catch {
      /* no package.json: default role */
    }
    out.push({ name, main, role });
  }
  // api first: every other service talks to it
  return out.sort((a, b) => (a.name === 'api' ? -1 : b.name === 'api' ? 1 : 0));
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const pidOf = (home: string, app: string): number | undefined => {
  const f = join(home, 'run', `${app}.pid`);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
};

const httpOk = (opts: { host?: string; port?: number; socketPath?: string; path: string }): Promise<boolean> =>
  new Promise((res) => {
    const req = request({ ...opts, method: 'GET', timeout: 1000 }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => {
      req.destroy();
      res(false);
    });
    req.end();
  });

/** Creates `.bosun/` state: secret key, admin token and tokens file, TLS paths. Idempotent. */
export const prepareHome = (home: string): { adminToken: string; tokenFile: string; tokensFile: string; secretKeyFile: string; certFile: string; keyFile: string } => {
  for (const d of ['logs', 'run', 'tls']) mkdirSync(join(home, d), { recursive: true });
  const secretKeyFile = join(home, 'secret.key');
  if (!existsSync(secretKeyFile)) writeFileSync(secretKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const tokenFile = join(home, 'admin.token');
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  const adminToken = readFileSync(tokenFile, 'utf8').trim();
  const tokensFile = join(home, 'tokens.yaml');
  if (!existsSync(tokensFile)) {
    writeFileSync(tokensFile, `# bearer tokens of the local API (token → user, role: admin | viewer | editor + namespaces)\ntokens:\n  - token: ${adminToken}\n    user: admin\n    role: admin\n`, { mode: 0o600 });
  }
  return { adminToken, tokenFile, tokensFile, secretKeyFile, certFile: join(home, 'tls', 'api.crt'), keyFile: join(home, 'tls', 'api.key') };
};

export const register = (program: Command): void => {
  program
    .command('up')
    .description('Start the local Bosun suite in the background (api first), wait until ready')
    .option('--only <apps>', 'comma-separated apps to start (e.g. api,ipam)')
    .option('--timeout <seconds>', 'readiness wait per app', '60')
    .action(async (opts: { only?: string; timeout: string }) => {
      const home = bosunHome();
      const st = prepareHome(home);
      const only = opts.only ? new Set(opts.only.split(',').map((s) => s.trim()).filter(Boolean)) : undefined;
      const apps = discoverApps().filter((a) => (only ? only.has(a.name) : a.role === 'service'));
      if (only) for (const n of only) if (!apps.some((a) => a.name === n)) throw new Error(`no built app "${n}" (run npm run build)`);
      const sock = join(home, 'run', 'api.sock');
      const listen = process.env.BOSUN_API_LISTEN ?? `${API_HTTP},https://${API_HTTPS},unix:${sock}`;
      const specs = listen.split(',').map((x) => x.trim());
      const httpAddr = specs.find((x) => !x.startsWith('unix:') && !x.startsWith('https://'))?.replace(/^http:\/\//, '');
      const httpsAddr = specs.find((x) => x.startsWith('https://'))?.slice('https://'.length);
      const apiSock = specs.find((x) => x.startsWith('unix:'))?.slice('unix:'.length);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        BOSUN_HOME: home,
        BOSUN_SERVER: apiSock ? `unix:${apiSock}` : `http://${httpAddr ?? API_HTTP}`,
        BOSUN_TOKEN: st.adminToken,
      };
      for (const app of apps) {
        const running = pidOf(home, app.name);
        if (running) {
          process.stdout.write(`${app.name}: already running (pid ${running})\n`);
          continue;
        }
        const appEnv: NodeJS.ProcessEnv =
          app.name === 'api'
            ? {
                ...env,
                BOSUN_API_LISTEN: listen,
                BOSUN_TOKENS_FILE: process.env.BOSUN_TOKENS_FILE ?? st.tokensFile,
                BOSUN_SECRET_KEY_FILE: process.env.BOSUN_SECRET_KEY_FILE ?? st.secretKeyFile,
                BOSUN_API_TLS_CERT_FILE: process.env.BOSUN_API_TLS_CERT_FILE ?? st.certFile,
                BOSUN_API_TLS_KEY_FILE: process.env.BOSUN_API_TLS_KEY_FILE ?? st.keyFile,
              }
            : env;
        const logFile = join(home, 'logs', `${app.name}.log`);
        const fd = openSync(logFile, 'a');
        const child = spawn(process.execPath, [app.main], { env: appEnv, detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd() });
        closeSync(fd);
        child.unref();
        writeFileSync(join(home, 'run', `${app.name}.pid`), `${child.pid}\n`);
        const deadline = Date.now() + Number(opts.timeout) * 1000;
        let ready = false;
        while (Date.now() < deadline) {
          if (!alive(child.pid!)) break;
          if (app.name === 'api') {
            if (apiSock) ready = await httpOk({ socketPath: apiSock, path: '/readyz' });
            else if (httpAddr) {
              const [h, p] = [httpAddr.slice(0, httpAddr.lastIndexOf(':')), Number(httpAddr.slice(httpAddr.lastIndexOf(':') + 1))];
              ready = await httpOk({ host: h.replace(/^\[|\]$/g, ''), port: p, path: '/readyz' });
            } else ready = true;
          }
          else if (HEALTH_PORTS[app.name]) ready = await httpOk({ host: '127.0.0.1', port: HEALTH_PORTS[app.name]!, path: '/readyz' });
          else ready = true;
          if (ready) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        if (!ready) {
          process.stderr.write(`${app.name}: not ready (see ${logFile})\n`);
          process.exitCode = 1;
          if (app.name === 'api') return;
          continue;
        }
        process.stdout.write(`${app.name}: ready (pid ${child.pid}, log ${logFile})\n`);
      }
      if (apps.some((a) => a.name === 'api')) {
        const others = [httpsAddr ? `https://${httpsAddr}` : undefined, apiSock ? `unix:${apiSock}` : undefined].filter(Boolean);
        process.stdout.write(
          `\nAPI:          ${httpAddr ? `http://${httpAddr}` : others[0]}${others.length ? `  (${others.join(', ')})` : ''}\n` +
            `Admin token:  ${st.tokenFile}\n` +
            (httpsAddr ? `kubectl:      kubectl --server https://${httpsAddr} --certificate-authority ${st.certFile} --token "$(cat ${st.tokenFile})" get svc -A\n` : ''),
        );
      }
    });

  program
    .command('down')
    .description('Stop the local Bosun suite started by bosun up')
    .action(async () => {
      const home = bosunHome();
      const runDir = join(home, 'run');
      if (!existsSync(runDir)) return;
      const pids = readdirSync(runDir)
        .filter((f) => f.endsWith('.pid'))
        .map((f) => ({ app: f.slice(0, -4), file: join(runDir, f), pid: Number(readFileSync(join(runDir, f), 'utf8').trim()) }))
        .sort((a, b) => (a.app === 'api' ? 1 : b.app === 'api' ? -1 : 0)); // api last
      for (const p of pids) {
        if (Number.isInteger(p.pid) && p.pid > 0 && alive(p.pid)) {
          process.kill(p.pid, 'SIGTERM');
          const deadline = Date.now() + 10_000;
          while (alive(p.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
          if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
          process.stdout.write(`${p.app}: stopped\n`);
        }
        rmSync(p.file, { force: true });
      }
    });
};
