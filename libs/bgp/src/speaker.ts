import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { canonicalAddress, parseIPv4 } from './address.js';
import { AdjRibOut } from './adj-rib-out.js';
import type { NormalizedAttributes, RouteAttributes } from './attributes.js';
import { CeaseSubcode, ErrorCode } from './constants.js';
import { shutdownCommunication } from './codec.js';
import type { SessionState } from './fsm.js';
import { FAMILIES, type Family } from './negotiation.js';
import { ConfigError, resolvePeerConfig, sessionAffectingChange, type PeerConfig, type ResolvedPeerConfig } from './peer-config.js';
import { PeerSession, type Logger, type PeerStatus } from './session.js';
import { closeFd, createListenerSocket, setMd5Key } from './sockets.js';
import type { AddressFamily, Prefix } from './address.js';

export interface BgpSpeakerOptions {
  /** 1..4294967295. */
  readonly localASN: number;
  /** BGP identifier (IPv4 form, non-zero). */
  readonly routerID: string;
  /** Accept connections here; without it the speaker is active only (Cilium: no `localPort`). */
  readonly listen?: { readonly address?: string; readonly port?: number };
  /**
   * This speaker restarted within the peers' graceful-restart time: OPENs carry the R bit and
   * forwarding-preserved flags until each peer's first Established (RFC 4724).
   */
  readonly restarting?: boolean;
  /** First wait after a session failure (default 5 s, doubling to `maxIdleHoldTimeSeconds`, default 120). */
  readonly idleHoldTimeSeconds?: number;
  readonly maxIdleHoldTimeSeconds?: number;
  readonly logger?: Logger;
}

export interface SpeakerEvents {
  /** A peer's RFC 4271 state changed. */
  peerStateChanged: [status: PeerStatus, from: SessionState, to: SessionState];
  /** Received or advertised route counts of a peer changed. */
  routeCountsChanged: [status: PeerStatus];
}

export interface StopOptions {
  /**
   * Close the TCP connections without a NOTIFICATION, so that graceful-restart peers keep our
   * routes (stale) until we come back and send End-of-RIB (RFC 4724 §4).
   */
  readonly graceful?: boolean;
  /** RFC 9003 shutdown communication sent with Cease / Administrative Shutdown. */
  readonly reason?: string;
}

/**
 * A BGP-4 speaker: peers configured as a desired set, routes per peer and family as a desired set,
 * each session's Adj-RIB-Out diffed into packed UPDATEs.
 *
 * ```ts
 * const speaker = new BgpSpeaker({ localASN: 65000, routerID: '10.0.0.1', listen: { port: 1790 } });
 * await speaker.start();
 * speaker.setPeers([{ name: 'tor', peerAddress: '10.0.0.2', peerASN: 65001 }]);
 * speaker.setRoutes('tor', 'ipv4-unicast', new Map([['20.0.10.1/32', { communities: ['65000:100'] }]]));
 * ```
 */
export class BgpSpeaker extends EventEmitter<SpeakerEvents> {
  private readonly sessions = new Map<string, PeerSession>();
  private readonly ribs = new Map<string, Map<Family, AdjRibOut>>();
  private server: net.Server | undefined;
  private listenFd: { fd: number; family: AddressFamily } | undefined;
  private listenKeys = new Map<string, string>();
  private started = false;
  private stopped = false;
  private readonly log: Logger;
  readonly localASN: number;
  readonly routerID: string;

  constructor(private readonly options: BgpSpeakerOptions) {
    super();
    if (!Number.isInteger(options.localASN) || options.localASN < 1 || options.localASN > 4294967295) throw new ConfigError('localASN', `must be an integer in 1..4294967295 (got ${JSON.stringify(options.localASN)})`);
    if (!parseIPv4(options.routerID ?? '') || options.routerID === '0.0.0.0') throw new ConfigError('routerID', `"${String(options.routerID)}" is not a non-zero IPv4 address`);
    if (options.listen?.address !== undefined && !canonicalAddress(options.listen.address)) throw new ConfigError('listen.address', `"${options.listen.address}" is not an IP address`);
    const port = options.listen?.port;
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ConfigError('listen.port', `must be an integer in 0..65535 (got ${port})`);
    this.localASN = options.localASN;
    this.routerID = canonicalAddress(options.routerID)!;
    this.log = options.logger ?? (() => undefined);
  }

  /** Opens the listener (if configured). Peers set before or after start. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.options.listen) {
      const address = this.options.listen.address ?? '::';
      const port = this.options.listen.port ?? 179;
      const l = createListenerSocket(address, port);
      this.listenFd = l;
      const server = net.createServer((socket) => this.onIncoming(socket));
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ fd: l.fd }, () => {
          server.off('error', reject);
          resolve();
        });
      }).catch((e: unknown) => {
        closeFd(l.fd);
        this.listenFd = undefined;
        throw e;
      });
      server.on('error', (e) => this.log('error', `listener error: ${e.message}`));
      for (const s of this.sessions.values()) this.syncListenKey(s.resolvedConfig);
      this.log('info', `listening on ${address} port ${this.listenAddress?.port}`);
    }
    for (const s of this.sessions.values()) s.start();
  }

  /** Where the listener is bound (the port is useful when 0 was asked for). */
  get listenAddress(): { address: string; port: number } | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? { address: a.address, port: a.port } : undefined;
  }

  /**
   * Replaces the set of peers (by name). New peers start; removed ones are closed with Cease /
   * Peer De-configured; a changed peer is reset only if the change affects its session (address,
   * ASN, port, password, timers, families, multihop, graceful restart). All peers are validated
   * before any is applied.
   */
  setPeers(peers: readonly PeerConfig[]): void {
    const resolved = peers.map((p, i) => resolvePeerConfig(p, `peers[${i}]`));
    const names = new Set<string>();
    const addresses = new Map<string, string>();
    resolved.forEach((p, i) => {
      if (names.has(p.name)) throw new ConfigError(`peers[${i}].name`, `"${p.name}" is used by another peer`);
      names.add(p.name);
      const other = addresses.get(p.peerAddress);
      if (other) throw new ConfigError(`peers[${i}].peerAddress`, `${p.peerAddress} is also the address of peer "${other}"`);
      addresses.set(p.peerAddress, p.name);
      if (p.passive && !this.options.listen) throw new ConfigError(`peers[${i}].passive`, 'a passive peer needs the speaker to listen');
    });
    for (const [name, s] of [...this.sessions]) {
      if (names.has(name)) continue;
      this.sessions.delete(name);
      this.ribs.delete(name);
      this.removeListenKey(s.peerAddress);
      void s.stop({ notification: { code: ErrorCode.CEASE, subcode: CeaseSubcode.PEER_DECONFIGURED } });
      this.log('info', `peer ${name} removed`);
    }
    for (const p of resolved) {
      const existing = this.sessions.get(p.name);
      if (existing && !sessionAffectingChange(existing.resolvedConfig, p)) {
        existing.updateConfig(p);
        continue;
      }
      if (existing) {
        this.log('info', `peer ${p.name}: session-affecting change, resetting the session`);
        this.removeListenKey(existing.resolvedConfig.peerAddress);
        void existing.stop({ notification: { code: ErrorCode.CEASE, subcode: CeaseSubcode.OTHER_CONFIGURATION_CHANGE } });
      }
      this.createSession(p);
    }
  }

  /** Hard-resets one peer's session (Cease / Administrative Reset), keeping its configuration and routes. */
  resetPeer(name: string): void {
    const existing = this.sessions.get(name);
    if (!existing) throw new ConfigError('peer', `no peer named "${name}"`);
    this.log('info', `peer ${name}: reset requested`);
    void existing.stop({ notification: { code: ErrorCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_RESET } });
    this.createSession(existing.resolvedConfig);
  }

  private createSession(p: ResolvedPeerConfig): void {
    const s = new PeerSession(p, {
      localASN: this.localASN,
      routerID: this.routerID,
      idleHoldTimeSeconds: this.options.idleHoldTimeSeconds ?? 5,
      maxIdleHoldTimeSeconds: this.options.maxIdleHoldTimeSeconds ?? 120,
      restarting: this.options.restarting ?? false,
      ribOut: (peer, family) => this.rib(peer, family),
      stateChanged: (session, from, to) => {
        if (this.sessions.get(session.name) === session) this.emit('peerStateChanged', session.status(), from, to);
      },
      countsChanged: (session) => {
        if (this.sessions.get(session.name) === session) this.emit('routeCountsChanged', session.status());
      },
      log: this.log,
    });
    this.sessions.set(p.name, s);
    this.syncListenKey(p);
    if (this.started && !this.stopped) s.start();
  }

  private rib(peer: string, family: Family): AdjRibOut {
    let m = this.ribs.get(peer);
    if (!m) this.ribs.set(peer, (m = new Map()));
    let r = m.get(family);
    if (!r) m.set(family, (r = new AdjRibOut(family)));
    return r;
  }

  /**
   * Replaces the routes advertised to `peer` for `family` (prefix text → attributes). Validated as
   * a whole (a bad entry changes nothing). Calls in a burst are coalesced into one diff; only the
   * differences are sent, withdrawals first. Allowed before the peer exists.
   */
  setRoutes(peer: string, family: Family, routes: ReadonlyMap<string, RouteAttributes> | Iterable<readonly [string, RouteAttributes]>): void {
    if (!FAMILIES.includes(family)) throw new ConfigError('family', `"${String(family)}" is not ipv4-unicast or ipv6-unicast`);
    this.rib(peer, family).setDesired(routes);
    this.sessions.get(peer)?.routesChanged();
  }

  /** The routes currently desired toward `peer` (what `setRoutes` last set). */
  desiredRoutes(peer: string, family: Family): Array<[Prefix, NormalizedAttributes]> {
    const r = this.ribs.get(peer)?.get(family);
    return r ? [...r.desiredRoutes()] : [];
  }

  peerStatus(name: string): PeerStatus | undefined {
    return this.sessions.get(name)?.status();
  }

  peerStatuses(): PeerStatus[] {
    return [...this.sessions.values()].map((s) => s.status());
  }

  /**
   * Stops every session and the listener. Default: NOTIFICATION Cease / Administrative Shutdown
   * (peers drop our routes). `graceful: true`: TCP closed without NOTIFICATION.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const notification = options.graceful
      ? undefined
      : { code: ErrorCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, ...(options.reason ? { data: shutdownCommunication(options.reason) } : {}) };
    this.server?.close();
    await Promise.all([...this.sessions.values()].map((s) => s.stop(options.graceful ? { graceful: true } : { notification: notification! })));
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
    this.listenFd = undefined;
  }

  private onIncoming(socket: net.Socket): void {
    const remote = socket.remoteAddress ? canonicalAddress(socket.remoteAddress) : undefined;
    const session = [...this.sessions.values()].find((s) => s.peerAddress === remote);
    if (!session || this.stopped) {
      this.log('info', `refused a connection from ${socket.remoteAddress ?? '?'}: not a configured peer`);
      socket.destroy();
      return;
    }
    session.handleIncoming(socket);
  }

  private syncListenKey(p: ResolvedPeerConfig): void {
    if (!this.listenFd) return;
    const { fd, family } = this.listenFd;
    if (family === 'ipv4' && !parseIPv4(p.peerAddress)) return;
    const current = this.listenKeys.get(p.peerAddress);
    if (current === p.password) return;
    try {
      // RFC 2385: inbound SYNs are checked against the listener's per-peer key.
      setMd5Key(fd, family, p.peerAddress, p.password);
      if (p.password) this.listenKeys.set(p.peerAddress, p.password);
      else this.listenKeys.delete(p.peerAddress);
    } catch (e) {
      this.log('error', `peer ${p.name}: cannot set the TCP MD5 key on the listener: ${(e as Error).message}`);
    }
  }

  private removeListenKey(address: string): void {
    if (!this.listenFd || !this.listenKeys.has(address)) return;
    try {
      setMd5Key(this.listenFd.fd, this.listenFd.family, address, undefined);
    } catch {
      /* the listener may be closing */
    }
    this.listenKeys.delete(address);
  }
}
