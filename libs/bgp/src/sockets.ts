import { constants as osConstants } from 'node:os';
import { createRequire } from 'node:module';
import { parseIPv4, parseIPv6, type AddressFamily } from './address.js';

/**
 * Native socket set-up that Node's `net` cannot do: TCP MD5 signatures (RFC 2385) and the IP TTL
 * (eBGP multihop) must be set on the socket before the SYN — on an outbound socket before
 * `connect()`, on the listening socket for inbound ones. The fd is created and configured here
 * through libc (koffi), then handed to `net.Socket` / `net.Server`, which connect / listen on it.
 */

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_IPV6 = 41;
const IP_TTL = 2;
const IPV6_UNICAST_HOPS = 16;
const IPV6_V6ONLY = 26;
const TCP_MD5SIG = 14;
const TCP_MD5SIG_MAXKEYLEN = 80;
const TCP_MD5SIG_SIZE = 216;

export class SocketSetupError extends Error {
  constructor(
    readonly operation: string,
    readonly errno: number,
    readonly code: string,
  ) {
    super(`${operation} failed: ${code} (errno ${errno})`);
    this.name = 'SocketSetupError';
  }
}

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  close(fd: number): number;
  errno(): number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  // koffi is CommonJS; load it lazily so pure users of the library never need the native module.
  const req = createRequire(__filename);
  const koffi = req('koffi') as {
    load(path: string): { func(signature: string): (...args: unknown[]) => number };
    errno(): number;
  };
  const lib = koffi.load('libc.so.6');
  const socket = lib.func('int socket(int, int, int)');
  const setsockopt = lib.func('int setsockopt(int, int, int, const void *, uint32_t)');
  const bind = lib.func('int bind(int, const void *, uint32_t)');
  const close = lib.func('int close(int)');
  libc = {
    socket: (d, t, p) => socket(d, t, p),
    setsockopt: (fd, level, name, value, len) => setsockopt(fd, level, name, value, len),
    bind: (fd, addr, len) => bind(fd, addr, len),
    close: (fd) => close(fd),
    errno: () => koffi.errno(),
  };
  return libc;
}

const errnoNames: Record<number, string> = Object.fromEntries(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

function check(rc: number, operation: string): number {
  if (rc < 0) {
    const errno = load().errno();
    throw new SocketSetupError(operation, errno, errnoNames[errno] ?? `E${errno}`);
  }
  return rc;
}

/** A `sockaddr_in` / `sockaddr_in6` for `address` (an IPv4 address on an IPv6 socket becomes v4-mapped). */
export function sockaddr(address: string, port: number, socketFamily: AddressFamily): Buffer {
  const v4 = parseIPv4(address);
  if (socketFamily === 'ipv4') {
    if (!v4) throw new Error(`"${address}" is not an IPv4 address`);
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(port, 2);
    b.set(v4, 4);
    return b;
  }
  const v6 = v4 ? Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]) : parseIPv6(address);
  if (!v6) throw new Error(`"${address}" is not an IP address`);
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  b.set(v6, 8);
  return b;
}

export function familyOfAddress(address: string): AddressFamily {
  if (parseIPv4(address)) return 'ipv4';
  if (parseIPv6(address)) return 'ipv6';
  throw new Error(`"${address}" is not an IP address`);
}

/** Creates a non-blocking TCP socket fd of a family. */
export function createTcpSocket(family: AddressFamily): number {
  return check(load().socket(family === 'ipv4' ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket()');
}

export function closeFd(fd: number): void {
  load().close(fd);
}

/**
 * Installs (or, with `key` undefined/empty, removes) the TCP MD5 key for `peerAddress` on `fd`
 * (`setsockopt(TCP_MD5SIG)`, struct tcp_md5sig).
 */
export function setMd5Key(fd: number, socketFamily: AddressFamily, peerAddress: string, key: string | undefined): void {
  const keyBytes = Buffer.from(key ?? '', 'utf8');
  if (keyBytes.length > TCP_MD5SIG_MAXKEYLEN) throw new Error(`TCP MD5 key is longer than ${TCP_MD5SIG_MAXKEYLEN} octets`);
  const s = Buffer.alloc(TCP_MD5SIG_SIZE);
  sockaddr(peerAddress, 0, socketFamily).copy(s, 0);
  s.writeUInt16LE(keyBytes.length, 130);
  keyBytes.copy(s, 136);
  const rc = load().setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, s, TCP_MD5SIG_SIZE);
  // Removing a key that was never set is not an error for us.
  if (rc < 0 && keyBytes.length === 0 && load().errno() === osConstants.errno.ENOENT) return;
  check(rc, 'setsockopt(TCP_MD5SIG)');
}

function setIntOption(fd: number, level: number, name: number, value: number, what: string): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  check(load().setsockopt(fd, level, name, b, 4), what);
}

/** Sets the TTL / hop limit of packets we send (eBGP: 1 for directly connected, N for multihop). */
export function setTtl(fd: number, socketFamily: AddressFamily, ttl: number, peerIsIPv4 = socketFamily === 'ipv4'): void {
  if (socketFamily === 'ipv6') setIntOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, 'setsockopt(IPV6_UNICAST_HOPS)');
  // IPv4 traffic of a dual-stack IPv6 socket follows IP_TTL.
  if (socketFamily === 'ipv4' || peerIsIPv4) setIntOption(fd, IPPROTO_IP, IP_TTL, ttl, 'setsockopt(IP_TTL)');
}

/** Binds `fd` to a local address/port (port 0 = any). */
export function bindSocket(fd: number, socketFamily: AddressFamily, address: string, port: number): void {
  const sa = sockaddr(address, port, socketFamily);
  check(load().bind(fd, sa, sa.length), `bind(${address}:${port})`);
}

/**
 * A bound (not yet listening) TCP socket for a BGP listener; `net.Server.listen({ fd })` then
 * listens on it. MD5 keys are added per peer with `setMd5Key` on the same fd.
 */
export function createListenerSocket(address: string, port: number): { fd: number; family: AddressFamily } {
  const family = familyOfAddress(address);
  const fd = createTcpSocket(family);
  try {
    setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, 'setsockopt(SO_REUSEADDR)');
    // `::` serves IPv4 peers too (v4-mapped); a specific IPv6 address only IPv6.
    if (family === 'ipv6') setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, address === '::' ? 0 : 1, 'setsockopt(IPV6_V6ONLY)');
    bindSocket(fd, family, address, port);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  return { fd, family };
}
