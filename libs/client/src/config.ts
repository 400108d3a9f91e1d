import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** Where a client finds the API and its token. */
export interface ClientConfig {
  /** `http://host:port`, `https://host:port` or `unix:/path.sock`. */
  readonly server: string;
  readonly token?: string;
  /** PEM CA bundle (or the self-signed serving certificate) to trust for https. */
  readonly ca?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

export interface ClientConfigOptions {
  readonly server?: string;
  readonly token?: string;
  readonly caFile?: string;
  readonly insecureSkipTlsVerify?: boolean;
  /** Folder holding `.bosun/` (default: the current directory). */
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** The local state folder of `bosun up` (`.bosun/` under the working directory, or BOSUN_HOME). */
export const bosunHome = (cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string => resolve(env.BOSUN_HOME || join(cwd, '.bosun'));

const readIf = (p: string): string | undefined => (existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined);

/**
 * Resolution order: explicit options, then `BOSUN_SERVER` / `BOSUN_TOKEN`, then the config file
 * (`BOSUN_CONFIG` or `~/.config/bosun/config.yaml`: `server`, `token`, `tokenFile`, `caFile`), then
 * the local suite's `.bosun/admin.token`, then `http://127.0.0.1:8080`.
 */
export const resolveClientConfig = (opts: ClientConfigOptions = {}): ClientConfig => {
  const env = opts.env ?? process.env;
  const home = bosunHome(opts.cwd, env);
  // Empty variables count as unset.
  const file = env.BOSUN_CONFIG || join(homedir(), '.config', 'bosun', 'config.yaml');
  let fromFile: { server?: string; token?: string; tokenFile?: string; caFile?: string; insecureSkipTlsVerify?: boolean } = {};
  if (existsSync(file)) {
    const parsed = parseYaml(readFileSync(file, 'utf8')) as unknown;
    if (parsed && typeof parsed === 'object') fromFile = parsed as typeof fromFile;
  }
  const server = opts.server || env.BOSUN_SERVER || fromFile.server || DEFAULT_SERVER;
  const token =
    opts.token ||
    env.BOSUN_TOKEN ||
    fromFile.token ||
    (fromFile.tokenFile ? readIf(fromFile.tokenFile) : undefined) ||
    readIf(join(home, 'admin.token'));
  const caFile = opts.caFile || env.BOSUN_CA_FILE || fromFile.caFile || (existsSync(join(home, 'tls', 'api.crt')) ? join(home, 'tls', 'api.crt') : undefined);
  const ca = caFile ? readIf(caFile) : undefined;
  const insecure = opts.insecureSkipTlsVerify ?? fromFile.insecureSkipTlsVerify;
  return { server, ...(token ? { token } : {}), ...(ca ? { ca } : {}), ...(insecure ? { insecureSkipTlsVerify: true } : {}) };
};
