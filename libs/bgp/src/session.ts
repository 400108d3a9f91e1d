import * as net from 'node:net';
import { canonicalAddress, parseIPv4, parseIPv6, type Prefix } from './address.js';
import { AdjRibOut, AttributesTooLargeError, packUpdates, prefixKey, type UpdateEncoding } from './adj-rib-out.js';
import type { NormalizedAttributes } from './attributes.js';
import { decodeMessage, encodeEndOfRib, encodeKeepalive, encodeNotification, encodeOpen, encodePathAttributes, endOfRibFamily, MessageFramer, readShutdownCommunication, routeChanges } from './codec.js';
import { establishedConnection, initialFsmState, sessionState, transition, type FsmAction, type FsmConfig, type FsmEvent, type FsmState, type SessionError, type SessionState, type TimerName } from './fsm.js';
import type { BgpMessage, OpenMessage, PathAttributes, UpdateMessage } from './messages.js';
import { capabilityNames, familyAfiSafi, familyOf, type Family, type NegotiatedSession } from './negotiation.js';
import type { ResolvedPeerConfig } from './peer-config.js';
import { bindSocket, closeFd, createTcpSocket, familyOfAddress, setMd5Key, setTtl } from './sockets.js';

/** Session states as Cilium's CiliumBGPNodeConfig status and `cilium bgp peers` spell them. */
export type PeeringState = 'idle' | 'connect' | 'active' | 'open_sent' | 'open_confirm' | 'established';

export const peeringState = (s: SessionState): PeeringState =>
  (({ Idle: 'idle', Connect: 'connect', Active: 'active', OpenSent: 'open_sent', OpenConfirm: 'open_confirm', Established: 'established' }) as const)[s];

export interface RouteCount {
  readonly family: Family;
  readonly afi: 'ipv4' | 'ipv6';
  readonly safi: 'unicast';
  readonly received: number;
  readonly advertised: number;
}

/** Per-peer status (what CiliumBGPNodeConfig.status and `cilium bgp peers` show, and more). */
export interface PeerStatus {
  readonly name: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly localASN: number;
  /** The configured ASN, or once learned from the OPEN, the peer's. */
  readonly peerASN: number;
  readonly state: SessionState;
  readonly peeringState: PeeringState;
  readonly establishedTime?: Date;
  readonly appliedHoldTimeSeconds?: number;
  readonly appliedKeepaliveSeconds?: number;
  readonly peerRouterID?: string;
  /** Local address/port of the established connection. */
  readonly localAddress?: string;
  readonly localPort?: number;
  /** Negotiated families when established; configured ones otherwise. */
  readonly families: readonly Family[];
  readonly localCapabilities: readonly string[];
  readonly remoteCapabilities: readonly string[];
  readonly routeCounts: readonly RouteCount[];
  readonly lastError?: SessionError & { readonly at: Date; readonly shutdownCommunication?: string };
  readonly connectRetryCount: number;
  readonly gracefulRestart: { readonly advertised: boolean; readonly peerAdvertised: boolean; readonly restartState: boolean };
  readonly messages: { readonly sent: MessageCounters; readonly received: MessageCounters };
}

export interface MessageCounters {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** What a session needs from its speaker. */
export interface SessionHost {
  readonly localASN: number;
  readonly routerID: string;
  readonly idleHoldTimeSeconds: number;
  readonly maxIdleHoldTimeSeconds: number;
  /** Advertise the R bit (this speaker restarted) until the peer's first Established. */
  readonly restarting: boolean;
  ribOut(peer: string, family: Family): AdjRibOut;
  stateChanged(session: PeerSession, from: SessionState, to: SessionState): void;
  countsChanged(session: PeerSession): void;
  log: Logger;
}

interface Connection {
  readonly id: number;
  readonly socket: net.Socket;
  readonly framer: MessageFramer;
  readonly outbound: boolean;
  sentOpen?: OpenMessage;
  closed: boolean;
  lastSocketError?: string;
}

const jitter = (seconds: number): number => seconds * 1000 * (0.75 + Math.random() * 0.25);
const newCounters = (): MessageCounters => ({ open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 });

/** A socket's fd (libuv handle), to set options on accepted connections. */
function socketFd(s: net.Socket): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * One peer: the FSM driven by sockets and timers, the Adj-RIB-Out toward the peer packed into
 * UPDATEs, and received routes counted (never installed).
 */
export class PeerSession {
  private fsm: FsmState = initialFsmState;
  private fsmConfig: FsmConfig;
  private conns = new Map<number, Connection>();
  private pendingIncoming: net.Socket | undefined;
  private timers = new Map<string, NodeJS.Timeout>();
  private queue: FsmEvent[] = [];
  private dispatching = false;
  private received = new Map<Family, Set<string>>();
  private eorSent = new Set<Family>();
  private eorReceived = new Set<Family>();
  private encodings = new Map<Family, UpdateEncoding | undefined>();
  private attrCache = new Map<NormalizedAttributes, { head: Uint8Array; tail: Uint8Array }>();
  private establishedAt: Date | undefined;
  private negotiated: NegotiatedSession | undefined;
  private establishedLocal: { address: string; port: number } | undefined;
  private hadEstablished = false;
  private flushScheduled = false;
  private lastError: PeerStatus['lastError'];
  private lastErrorSource: SessionError | undefined;
  private closing = new Set<Promise<void>>();
  private sentCounters = newCounters();
  private receivedCounters = newCounters();
  private lastCountsKey = '';

  constructor(
    private config: ResolvedPeerConfig,
    private readonly host: SessionHost,
  ) {
    this.fsmConfig = this.buildFsmConfig();
  }

  get name(): string {
    return this.config.name;
  }
  get peerAddress(): string {
    return this.config.peerAddress;
  }
  get resolvedConfig(): ResolvedPeerConfig {
    return this.config;
  }
  get state(): SessionState {
    return sessionState(this.fsm);
  }

  private buildFsmConfig(): FsmConfig {
    const c = this.config;
    return {
      params: {
        localASN: this.host.localASN,
        routerID: this.host.routerID,
        peerASN: c.peerASN,
        holdTimeSeconds: c.holdTimeSeconds,
        keepAliveTimeSeconds: c.keepAliveTimeSeconds,
        families: c.families,
        ...(c.gracefulRestart ? { gracefulRestart: { restartTimeSeconds: c.gracefulRestart.restartTimeSeconds, restarting: this.host.restarting && !this.hadEstablished } } : {}),
        extendedNextHop: c.extendedNextHop,
      },
      passive: c.passive,
      connectRetryTimeSeconds: c.connectRetryTimeSeconds,
      idleHoldTimeSeconds: this.host.idleHoldTimeSeconds,
      maxIdleHoldTimeSeconds: this.host.maxIdleHoldTimeSeconds,
      openHoldTimeSeconds: 240,
    };
  }

  /** Applies a change that does not need a new session (next hops, connect-retry time): routes are re-sent if next hops changed. */
  updateConfig(config: ResolvedPeerConfig): void {
    const nextHopChanged = JSON.stringify(config.nextHop) !== JSON.stringify(this.config.nextHop);
    this.config = config;
    this.fsmConfig = this.buildFsmConfig();
    if (nextHopChanged && this.negotiated) {
      this.computeEncodings();
      for (const f of this.negotiated.families) this.host.ribOut(this.name, f).refreshAll();
      this.scheduleFlush();
    }
  }

  start(): void {
    this.dispatch({ type: 'ManualStart' });
  }

  /**
   * Stops the session. With a NOTIFICATION (default Cease / Administrative Shutdown) the peer drops
   * our routes; `graceful` closes TCP without one, so a graceful-restart peer keeps them as stale.
   */
  async stop(options: { graceful?: boolean; notification?: { code: number; subcode: number; data?: Uint8Array } } = {}): Promise<void> {
    const notification = options.graceful ? undefined : (options.notification ?? { code: 6, subcode: 2 });
    this.dispatch({ type: 'ManualStop', ...(notification ? { notification } : {}) });
    this.pendingIncoming?.destroy();
    this.pendingIncoming = undefined;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.closing]);
  }

  /** An inbound TCP connection from this peer's address. */
  handleIncoming(socket: net.Socket): void {
    this.pendingIncoming?.destroy();
    this.pendingIncoming = socket;
    this.dispatch({ type: 'TcpIncomingConnection' });
    if (this.pendingIncoming === socket) {
      // Not adopted (Idle): refuse.
      socket.destroy();
      this.pendingIncoming = undefined;
    }
  }

  /** Desired routes changed: send the difference soon (bursts coalesce into one pass). */
  routesChanged(): void {
    this.scheduleFlush();
  }

  // ------------------------------------------------------------------------------------------
  // FSM plumbing

  private dispatch(event: FsmEvent): void {
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (this.queue.length > 0) {
        const e = this.queue.shift()!;
        const r = transition(this.fsm, e, this.fsmConfig);
        this.fsm = r.state;
        if (r.state.lastError && r.state.lastError !== this.lastErrorSource) {
          this.lastErrorSource = r.state.lastError;
          this.recordError(r.state.lastError);
        }
        for (const a of r.actions) this.execute(a);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private recordError(e: SessionError): void {
    const shutdown = e.code === 6 && e.data ? readShutdownCommunication({ code: e.code, subcode: e.subcode ?? 0, data: e.data }) : undefined;
    this.lastError = { ...e, at: new Date(), ...(shutdown ? { shutdownCommunication: shutdown } : {}) };
    this.host.log(e.direction === 'local' ? 'info' : 'warn', `peer ${this.name}: ${e.direction === 'local' ? '' : `NOTIFICATION ${e.direction}: `}${e.reason}`, { peer: this.name });
  }

  private execute(a: FsmAction): void {
    switch (a.type) {
      case 'Connect':
        this.connect(a.conn);
        return;
      case 'AcceptIncoming': {
        const socket = this.pendingIncoming;
        this.pendingIncoming = undefined;
        if (!socket) return;
        this.setupAccepted(socket);
        this.attach(a.conn, socket, false);
        return;
      }
      case 'RejectIncoming':
        this.pendingIncoming?.destroy();
        this.pendingIncoming = undefined;
        return;
      case 'SendOpen': {
        const c = this.conns.get(a.conn);
        if (!c) return;
        c.sentOpen = a.open;
        this.write(c, encodeOpen(a.open), 'open');
        return;
      }
      case 'SendKeepalive': {
        const c = this.conns.get(a.conn);
        if (c) this.write(c, encodeKeepalive(), 'keepalive');
        return;
      }
      case 'SendNotification': {
        const c = this.conns.get(a.conn);
        if (c) this.write(c, encodeNotification(a), 'notification');
        return;
      }
      case 'CloseConnection':
        this.close(a.conn);
        return;
      case 'StartTimer':
        this.startTimer(a.timer, a.conn, a.seconds);
        return;
      case 'StopTimer': {
        const key = `${a.timer}:${a.conn ?? ''}`;
        const t = this.timers.get(key);
        if (t) clearTimeout(t);
        this.timers.delete(key);
        return;
      }
      case 'SessionEstablished':
        this.onEstablished(a.conn, a.negotiated);
        return;
      case 'SessionDown':
        this.onDown(a.error, a.graceful);
        return;
      case 'StateChanged':
        this.host.log('info', `peer ${this.name} (${this.config.peerAddress}): ${a.from} -> ${a.to}`, { peer: this.name, from: a.from, to: a.to });
        this.host.stateChanged(this, a.from, a.to);
        return;
      default: {
        const never: never = a;
        throw new Error(`unhandled FSM action ${JSON.stringify(never)}`);
      }
    }
  }

  private startTimer(timer: TimerName, conn: number | undefined, seconds: number): void {
    const key = `${timer}:${conn ?? ''}`;
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    const ms = timer === 'Hold' ? seconds * 1000 : jitter(seconds);
    const t = setTimeout(() => {
      this.timers.delete(key);
      switch (timer) {
        case 'ConnectRetry':
          this.dispatch({ type: 'ConnectRetryTimerExpires' });
          break;
        case 'IdleHold':
          this.dispatch({ type: 'IdleHoldTimerExpires' });
          break;
        case 'Hold':
          this.dispatch({ type: 'HoldTimerExpires', conn: conn! });
          break;
        case 'Keepalive':
          this.dispatch({ type: 'KeepaliveTimerExpires', conn: conn! });
          break;
        default: {
          const never: never = timer;
          throw new Error(`unknown timer ${String(never)}`);
        }
      }
    }, ms);
    this.timers.set(key, t);
  }

  // ------------------------------------------------------------------------------------------
  // Sockets

  private isEbgp(): boolean {
    const asn = this.negotiated?.peerASN ?? this.config.peerASN;
    return asn !== this.host.localASN;
  }

  private connect(id: number): void {
    const c = this.config;
    const family = familyOfAddress(c.peerAddress);
    let fd: number | undefined;
    try {
      fd = createTcpSocket(family);
      // RFC 2385: the key must be on the socket before the SYN.
      if (c.password) setMd5Key(fd, family, c.peerAddress, c.password);
      if (this.isEbgp()) setTtl(fd, family, c.ebgpMultihop);
      if (c.localAddress) bindSocket(fd, family, c.localAddress, 0);
    } catch (e) {
      if (fd !== undefined) closeFd(fd);
      const reason = `cannot open a connection: ${(e as Error).message}`;
      setImmediate(() => this.dispatch({ type: 'TcpConnectionFails', conn: id, reason }));
      return;
    }
    const socket = new net.Socket({ fd, readable: true, writable: true });
    this.attach(id, socket, true);
    socket.connect(c.peerPort, c.peerAddress);
  }

  private setupAccepted(socket: net.Socket): void {
    const fd = socketFd(socket);
    if (fd === undefined || !this.isEbgp()) return;
    try {
      const fam = socket.localAddress && parseIPv4(socket.localAddress) ? 'ipv4' : 'ipv6';
      setTtl(fd, fam, this.config.ebgpMultihop, parseIPv4(this.config.peerAddress) !== undefined);
    } catch (e) {
      this.host.log('warn', `peer ${this.name}: cannot set TTL on the accepted connection: ${(e as Error).message}`, { peer: this.name });
    }
  }

  private attach(id: number, socket: net.Socket, outbound: boolean): void {
    const conn: Connection = { id, socket, framer: new MessageFramer(), outbound, closed: false };
    this.conns.set(id, conn);
    socket.setNoDelay(true);
    if (outbound) socket.once('connect', () => !conn.closed && this.dispatch({ type: 'TcpConnectionConfirmed', conn: id }));
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      conn.lastSocketError = e.code ?? e.message;
    });
    socket.on('close', () => {
      if (conn.closed) return;
      conn.closed = true;
      this.conns.delete(id);
      const reason = conn.lastSocketError ? `TCP connection failed: ${conn.lastSocketError}` : 'TCP connection closed by the peer';
      this.dispatch({ type: 'TcpConnectionFails', conn: id, reason });
    });
  }

  private write(c: Connection, bytes: Uint8Array, kind: keyof MessageCounters): void {
    if (c.closed || c.socket.destroyed) return;
    c.socket.write(bytes);
    this.sentCounters[kind]++;
  }

  private close(id: number): void {
    const c = this.conns.get(id);
    if (!c) return;
    c.closed = true;
    this.conns.delete(id);
    const s = c.socket;
    const done = new Promise<void>((resolve) => {
      if (s.destroyed) return resolve();
      const kill = setTimeout(() => s.destroy(), 2000);
      s.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      // FIN after whatever is queued (a NOTIFICATION); a connecting socket is simply destroyed.
      if (s.connecting) s.destroy();
      else s.end();
    });
    this.closing.add(done);
    void done.then(() => this.closing.delete(done));
  }

  private onData(c: Connection, chunk: Buffer): void {
    if (c.closed) return;
    c.framer.push(chunk);
    for (;;) {
      if (c.closed) return;
      const next = c.framer.next();
      if (!next) return;
      if ('error' in next) {
        this.dispatch({ type: 'MessageError', conn: c.id, error: next.error });
        return;
      }
      const fsmConn = this.fsm.connections.find((x) => x.id === c.id);
      const result = decodeMessage(next.message, { fourOctetAs: fsmConn?.negotiated?.fourOctetAs ?? true });
      if (!result.ok) {
        this.host.log('warn', `peer ${this.name}: malformed message: ${result.error.reason}`, { peer: this.name });
        this.dispatch({ type: 'MessageError', conn: c.id, error: result.error });
        return;
      }
      this.onMessage(c, result.message);
    }
  }

  private onMessage(c: Connection, m: BgpMessage): void {
    switch (m.type) {
      case 'open':
        this.receivedCounters.open++;
        this.dispatch({ type: 'OpenReceived', conn: c.id, open: m });
        return;
      case 'keepalive':
        this.receivedCounters.keepalive++;
        this.dispatch({ type: 'KeepaliveReceived', conn: c.id });
        return;
      case 'notification':
        this.receivedCounters.notification++;
        this.dispatch({ type: 'NotificationReceived', conn: c.id, notification: m });
        return;
      case 'update':
        this.receivedCounters.update++;
        this.dispatch({ type: 'UpdateReceived', conn: c.id });
        if (this.isEstablishedOn(c.id)) this.onUpdate(m);
        return;
      case 'route-refresh': {
        this.receivedCounters.routeRefresh++;
        this.dispatch({ type: 'RouteRefreshReceived', conn: c.id });
        const family = familyOf(m.afi, m.safi);
        if (this.isEstablishedOn(c.id) && family && this.negotiated?.families.includes(family) && (m.subtype === 0 || m.subtype > 2)) {
          // RFC 2918: re-advertise the family's Adj-RIB-Out.
          this.flushFamily(family, true);
          this.notifyCounts();
        }
        return;
      }
      default: {
        const never: never = m;
        throw new Error(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  private isEstablishedOn(id: number): boolean {
    return establishedConnection(this.fsm)?.id === id;
  }

  private onUpdate(u: UpdateMessage): void {
    const eor = endOfRibFamily(u);
    if (eor) {
      const f = familyOf(eor.afi, eor.safi);
      if (f) this.eorReceived.add(f);
      return;
    }
    if (u.treatAsWithdraw) this.host.log('warn', `peer ${this.name}: UPDATE treated as withdraw (RFC 7606): ${u.treatAsWithdraw.reason}`, { peer: this.name });
    const ch = routeChanges(u);
    const negotiated = this.negotiated?.families ?? [];
    const apply = (list: typeof ch.withdrawn, add: boolean): void => {
      for (const { family, prefixes } of list) {
        const f: Family = family === 'ipv4' ? 'ipv4-unicast' : 'ipv6-unicast';
        if (!negotiated.includes(f)) continue;
        let set = this.received.get(f);
        if (!set) this.received.set(f, (set = new Set()));
        for (const p of prefixes as Prefix[]) {
          if (add) set.add(prefixKey(p));
          else set.delete(prefixKey(p));
        }
      }
    };
    apply(ch.withdrawn, false);
    apply(ch.announced, true);
    this.notifyCounts();
  }

  // ------------------------------------------------------------------------------------------
  // Established / down, Adj-RIB-Out

  private onEstablished(id: number, negotiated: NegotiatedSession): void {
    const c = this.conns.get(id);
    this.negotiated = negotiated;
    this.establishedAt = new Date();
    this.establishedLocal = c?.socket.localAddress ? { address: canonicalAddress(c.socket.localAddress) ?? c.socket.localAddress, port: c.socket.localPort ?? 0 } : undefined;
    if (!this.hadEstablished) {
      this.hadEstablished = true;
      this.fsmConfig = this.buildFsmConfig(); // later sessions no longer carry the R bit
    }
    this.received.clear();
    this.eorSent.clear();
    this.eorReceived.clear();
    for (const f of this.config.families) this.host.ribOut(this.name, f).resetSent();
    this.computeEncodings();
    this.host.log('info', `peer ${this.name}: established (hold ${negotiated.holdTimeSeconds}s, keepalive ${negotiated.keepaliveSeconds}s, families ${negotiated.families.join(',')})`, { peer: this.name });
    // Initial sync right away (then End-of-RIB): the routes were set before or will coalesce.
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private onDown(error: SessionError | undefined, graceful: boolean): void {
    this.negotiated = undefined;
    this.establishedAt = undefined;
    this.establishedLocal = undefined;
    this.encodings.clear();
    this.attrCache.clear();
    this.received.clear();
    for (const f of this.config.families) this.host.ribOut(this.name, f).resetSent();
    this.host.log(graceful ? 'info' : 'warn', `peer ${this.name}: session down${error ? `: ${error.reason}` : ''}`, { peer: this.name });
    this.notifyCounts();
  }

  private computeEncodings(): void {
    this.encodings.clear();
    this.attrCache.clear();
    const n = this.negotiated;
    if (!n) return;
    const local = this.establishedLocal?.address;
    const localV4 = local && parseIPv4(local) ? local : undefined;
    const localV6 = local && !localV4 ? local : undefined;
    const ebgp = n.peerASN !== this.host.localASN;
    const ctx = { fourOctetAs: n.fourOctetAs };
    for (const family of n.families) {
      let classic = false;
      let nextHop: string | undefined;
      let mpNextHop: Uint8Array = new Uint8Array(0);
      if (family === 'ipv4-unicast') {
        const v4 = this.config.nextHop.ipv4 ?? localV4;
        if (v4) {
          classic = true;
          nextHop = v4;
        } else if (n.extendedNextHopIPv4 && (this.config.nextHop.ipv6 ?? localV6)) {
          // RFC 8950: IPv4 NLRI in MP_REACH_NLRI with an IPv6 next hop.
          mpNextHop = parseIPv6(this.config.nextHop.ipv6 ?? localV6!)!;
        } else {
          this.encodings.set(family, undefined);
          this.recordError({ direction: 'local', reason: 'ipv4-unicast not advertised: no IPv4 next hop on this IPv6 session (set nextHop.ipv4, or the peer must support RFC 8950 extended next hop)' });
          continue;
        }
      } else {
        const v6 = this.config.nextHop.ipv6 ?? localV6 ?? (localV4 ? `::ffff:${localV4}` : undefined);
        if (!v6) {
          this.encodings.set(family, undefined);
          this.recordError({ direction: 'local', reason: 'ipv6-unicast not advertised: no IPv6 next hop' });
          continue;
        }
        mpNextHop = parseIPv6(v6)!;
      }
      const localASN = this.host.localASN;
      this.encodings.set(family, {
        family,
        classic,
        mpNextHop,
        attributes: (a: NormalizedAttributes) => {
          let hit = this.attrCache.get(a);
          if (hit && this.attrCacheFamily.get(a) === family) return hit;
          // eBGP: our AS prepended, no LOCAL_PREF; iBGP: empty AS_PATH, LOCAL_PREF (default 100).
          const head: PathAttributes = {
            origin: a.origin,
            asPath: ebgp ? [{ type: 'sequence', asns: [localASN] }] : [],
            ...(classic ? { nextHop } : {}),
            ...(a.med !== undefined ? { med: a.med } : {}),
            ...(!ebgp ? { localPreference: a.localPreference ?? 100 } : {}),
            ...(a.communities.length ? { communities: a.communities } : {}),
          };
          const tail: PathAttributes = a.largeCommunities.length ? { largeCommunities: a.largeCommunities } : {};
          hit = { head: encodePathAttributes(head, ctx), tail: encodePathAttributes(tail, ctx) };
          this.attrCache.set(a, hit);
          this.attrCacheFamily.set(a, family);
          return hit;
        },
      });
    }
  }

  private attrCacheFamily = new Map<NormalizedAttributes, Family>();

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.negotiated || !establishedConnection(this.fsm)) return;
    for (const family of this.negotiated.families) this.flushFamily(family, false);
    this.notifyCounts();
  }

  private flushFamily(family: Family, refresh: boolean): void {
    const est = establishedConnection(this.fsm);
    const c = est ? this.conns.get(est.id) : undefined;
    if (!c) return;
    const rib = this.host.ribOut(this.name, family);
    const enc = this.encodings.get(family);
    if (enc && (refresh || rib.hasPendingChanges)) {
      const plan = refresh ? rib.planRefresh() : rib.plan();
      if (plan.withdraw.length || plan.announce.length) {
        try {
          const { chunks, messages } = packUpdates(plan, enc);
          c.socket.cork();
          for (const chunk of chunks) c.socket.write(chunk);
          c.socket.uncork();
          this.sentCounters.update += messages;
        } catch (e) {
          if (!(e instanceof AttributesTooLargeError)) throw e;
          this.recordError({ direction: 'local', reason: `${family}: ${e.message}` });
          return;
        }
      }
      rib.commit(plan);
    }
    if (!this.eorSent.has(family)) {
      // End-of-RIB after the first full sync (RFC 4724 §2), with or without graceful restart.
      const { afi, safi } = familyAfiSafi(family);
      this.write(c, encodeEndOfRib(afi, safi), 'update');
      this.eorSent.add(family);
    }
  }

  private notifyCounts(): void {
    const key = this.routeCounts()
      .map((r) => `${r.received}/${r.advertised}`)
      .join();
    if (key === this.lastCountsKey) return;
    this.lastCountsKey = key;
    this.host.countsChanged(this);
  }

  routeCounts(): RouteCount[] {
    return this.config.families.map((family) => ({
      family,
      afi: family === 'ipv4-unicast' ? ('ipv4' as const) : ('ipv6' as const),
      safi: 'unicast' as const,
      received: this.received.get(family)?.size ?? 0,
      advertised: this.negotiated?.families.includes(family) ? this.host.ribOut(this.name, family).advertisedCount : 0,
    }));
  }

  /** End-of-RIB received from the peer for these families (in this session). */
  endOfRibReceived(): Family[] {
    return [...this.eorReceived];
  }

  status(): PeerStatus {
    const n = this.negotiated;
    const state = this.state;
    const localCaps = n ? n.localCapabilities : [];
    return {
      name: this.name,
      peerAddress: this.config.peerAddress,
      peerPort: this.config.peerPort,
      localASN: this.host.localASN,
      peerASN: n?.peerASN ?? this.config.peerASN,
      state,
      peeringState: peeringState(state),
      ...(this.establishedAt && state === 'Established' ? { establishedTime: this.establishedAt } : {}),
      ...(n ? { appliedHoldTimeSeconds: n.holdTimeSeconds, appliedKeepaliveSeconds: n.keepaliveSeconds, peerRouterID: n.peerRouterID } : {}),
      ...(this.establishedLocal ? { localAddress: this.establishedLocal.address, localPort: this.establishedLocal.port } : {}),
      families: n ? n.families : this.config.families,
      localCapabilities: capabilityNames(localCaps),
      remoteCapabilities: capabilityNames(n ? n.remoteCapabilities : []),
      routeCounts: this.routeCounts(),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      connectRetryCount: this.fsm.connectRetryCounter,
      gracefulRestart: {
        advertised: this.config.gracefulRestart !== undefined,
        peerAdvertised: n?.peerGracefulRestart !== undefined,
        // The R bit as sent in the current session's OPEN (or as the next OPEN will carry it).
        restartState: n
          ? n.localCapabilities.some((c) => c.kind === 'graceful-restart' && c.restartState)
          : (this.fsmConfig.params.gracefulRestart?.restarting ?? false),
      },
      messages: { sent: { ...this.sentCounters }, received: { ...this.receivedCounters } },
    };
  }
}
