import { randomBytes } from 'node:crypto';
import { exec, execIn, type ExecOptions, type ExecResult } from './exec.js';
import { spawnManaged, type ManagedProcess, type SpawnOptions } from './process.js';

/** `undefined` is the root (host) namespace. */
export type NamespaceName = string | undefined;

/** Lowercase alphanumeric suffix of `length` characters. */
export function randomAlnum(length = 6): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

function ip(namespace: NamespaceName, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
  return namespace ? exec('ip', ['-n', namespace, ...args], options) : exec('ip', args, options);
}

/** A network namespace created by a test; `delete()` kills whatever still runs inside and removes it. */
export interface NetNamespace {
  readonly name: string;
  exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  spawn(file: string, args: readonly string[], options?: SpawnOptions): ManagedProcess;
  delete(): Promise<void>;
}

// Names are `<prefix>-<creator pid base36>-<random>`: a stale namespace is one whose creator is gone.
const namePattern = /^(.*)-([0-9a-z]+)-([0-9a-z]+)$/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `<prefix>-<pid>-<random>` with `lo` up. Call `cleanupStaleNamespaces(prefix)` first in `beforeAll`. */
export async function createNamespace(prefix: string): Promise<NetNamespace> {
  if (!/^[a-z][a-z0-9]*$/.test(prefix)) throw new Error(`namespace prefix "${prefix}" must be lowercase alphanumeric`);
  const name = `${prefix}-${process.pid.toString(36)}-${randomAlnum(5)}`;
  await exec('ip', ['netns', 'add', name]);
  await ip(name, ['link', 'set', 'lo', 'up']);
  return namespaceHandle(name);
}

/** A handle for an existing namespace (e.g. one created elsewhere). */
export function namespaceHandle(name: string): NetNamespace {
  return {
    name,
    exec: (file, args, options) => execIn(name, file, args, options),
    spawn: (file, args, options) => spawnManaged(name, file, args, options),
    delete: () => deleteNamespace(name),
  };
}

/** Lists network namespace names. */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await exec('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.length > 0);
}

/** Kills every process in the namespace, then deletes it (its veth ends, also those in other namespaces, go with it). */
export async function deleteNamespace(name: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pids = (await exec('ip', ['netns', 'pids', name], { allowFailure: true })).stdout
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await exec('ip', ['netns', 'del', name], { allowFailure: true });
}

/**
 * Deletes namespaces named `<prefix>-<pid>-<random>` whose creating process is no longer alive
 * (leftovers of a killed run). Namespaces of live runs are left alone.
 */
export async function cleanupStaleNamespaces(prefix: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await listNamespaces()) {
    const m = namePattern.exec(name);
    if (!m || m[1] !== prefix) continue;
    const creator = parseInt(m[2]!, 36);
    if (creator === process.pid || pidAlive(creator)) continue;
    await deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}

export interface LinkEnd {
  /** Namespace of this end; `undefined` = root namespace. */
  readonly namespace: NamespaceName;
  /** Interface name, at most 15 characters. */
  readonly name: string;
}

function checkIfName(name: string): void {
  if (name.length === 0 || name.length > 15 || /[\s/]/.test(name)) throw new Error(`interface name "${name}" must be 1–15 characters without spaces or slashes`);
}

/** Creates a veth pair whose ends live in the given namespaces (both left down). */
export async function createVethPair(a: LinkEnd, b: LinkEnd): Promise<void> {
  checkIfName(a.name);
  checkIfName(b.name);
  const args = ['link', 'add', a.name];
  if (a.namespace) args.push('netns', a.namespace);
  args.push('type', 'veth', 'peer', 'name', b.name);
  if (b.namespace) args.push('netns', b.namespace);
  await exec('ip', args);
}

/** Creates a Linux bridge (left down). */
export async function createBridge(namespace: NamespaceName, name: string): Promise<void> {
  checkIfName(name);
  await ip(namespace, ['link', 'add', name, 'type', 'bridge']);
}

/** Enslaves an interface to a bridge. */
export async function setMaster(namespace: NamespaceName, ifname: string, bridge: string): Promise<void> {
  await ip(namespace, ['link', 'set', ifname, 'master', bridge]);
}

export interface AddressOptions {
  /** IPv6: skip duplicate address detection so the address is usable at once (default true). */
  readonly nodad?: boolean;
}

/** Adds an address in CIDR form (`10.0.0.1/30`, `fd00::1/64`). */
export async function addAddress(namespace: NamespaceName, ifname: string, cidr: string, options: AddressOptions = {}): Promise<void> {
  const v6 = cidr.includes(':');
  const args = [v6 ? '-6' : '-4', 'addr', 'add', cidr, 'dev', ifname];
  if (v6 && options.nodad !== false) args.push('nodad');
  await ip(namespace, args);
}

export async function setLinkUp(namespace: NamespaceName, ifname: string): Promise<void> {
  await ip(namespace, ['link', 'set', ifname, 'up']);
}

export async function setLinkDown(namespace: NamespaceName, ifname: string): Promise<void> {
  await ip(namespace, ['link', 'set', ifname, 'down']);
}

/** Deletes a link (a veth pair goes away with either end). Missing links are ignored. */
export async function deleteLink(namespace: NamespaceName, ifname: string): Promise<void> {
  await ip(namespace, ['link', 'del', ifname], { allowFailure: true });
}

/** Sets a sysctl inside a namespace, e.g. `net.ipv6.conf.all.forwarding`. */
export async function setSysctl(namespace: NamespaceName, key: string, value: string | number): Promise<void> {
  const args = ['-q', '-w', `${key}=${value}`];
  if (namespace) await execIn(namespace, 'sysctl', args);
  else await exec('sysctl', args);
}

/** Adds a route: `addRoute(ns, '0.0.0.0/0', { via: '10.0.0.1' })`. */
export async function addRoute(namespace: NamespaceName, destination: string, target: { via?: string; dev?: string }): Promise<void> {
  const args = [destination.includes(':') ? '-6' : '-4', 'route', 'add', destination];
  if (target.via) args.push('via', target.via);
  if (target.dev) args.push('dev', target.dev);
  await ip(namespace, args);
}

/** Addresses of an interface, as CIDR strings (`ip -j addr show`). */
export async function listAddresses(namespace: NamespaceName, ifname: string): Promise<string[]> {
  const { stdout } = await ip(namespace, ['-j', 'addr', 'show', 'dev', ifname]);
  const parsed = JSON.parse(stdout) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
  return parsed.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
}

export interface PointToPointLink {
  readonly a: LinkEnd;
  readonly b: LinkEnd;
}

/**
 * Connects two namespaces (either may be the root namespace) with a veth pair, assigns the given
 * addresses (IPv6 without DAD) and brings both ends up.
 */
export async function connectNamespaces(
  a: LinkEnd & { readonly addresses?: readonly string[] },
  b: LinkEnd & { readonly addresses?: readonly string[] },
): Promise<PointToPointLink> {
  await createVethPair(a, b);
  for (const end of [a, b]) {
    for (const cidr of end.addresses ?? []) await addAddress(end.namespace, end.name, cidr);
    await setLinkUp(end.namespace, end.name);
  }
  return { a: { namespace: a.namespace, name: a.name }, b: { namespace: b.namespace, name: b.name } };
}

/**
 * TCP/IP counters of a namespace from `/proc/net/netstat` and `/proc/net/snmp` (e.g.
 * `TcpExt.TCPMD5Failure`, `TcpExt.TCPMD5NotFound`, `Tcp.ActiveOpens`).
 */
export async function netstatCounters(namespace: NamespaceName): Promise<Record<string, number>> {
  const read = async (file: string): Promise<string> => (namespace ? (await execIn(namespace, 'cat', [file])).stdout : (await exec('cat', [file])).stdout);
  const out: Record<string, number> = {};
  for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
    const lines = (await read(file)).split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.trim().split(/\s+/);
      const values = lines[i + 1]!.trim().split(/\s+/);
      const group = names[0]!.replace(/:$/, '');
      for (let j = 1; j < names.length; j++) out[`${group}.${names[j]}`] = Number(values[j]);
    }
  }
  return out;
}
