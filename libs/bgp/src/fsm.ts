import { parseIPv4 } from './address.js';
import { CeaseSubcode, ErrorCode, FsmSubcode, errorCodeName, errorSubcodeName } from './constants.js';
import { bgpError } from './codec.js';
import type { BgpError, NotificationMessage, OpenMessage } from './messages.js';
import { buildOpen, negotiate, type NegotiatedSession, type SessionParameters } from './negotiation.js';

/**
 * The BGP finite state machine of RFC 4271 §8, pure: `transition(state, event, config)` returns
 * the next state and the actions the session shell must carry out (connect, send, close, timers).
 *
 * A peer may briefly have two TCP connections (one we opened, one the peer opened); each is
 * tracked with its own phase, and the collision is resolved by BGP identifier (§6.8). The
 * session's RFC state is derived from the most advanced connection.
 */

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export type ConnectionPhase = 'connecting' | 'open-sent' | 'open-confirm' | 'established';

export interface FsmConnection {
  readonly id: number;
  readonly direction: 'outbound' | 'inbound';
  readonly phase: ConnectionPhase;
  readonly negotiated?: NegotiatedSession;
}

/** Why a session went down or failed, as operators read it. */
export interface SessionError {
  /** `sent`/`received`: a NOTIFICATION; `local`: e.g. the TCP connection closed. */
  readonly direction: 'sent' | 'received' | 'local';
  readonly code?: number;
  readonly subcode?: number;
  readonly data?: Uint8Array;
  readonly reason: string;
}

export interface FsmState {
  /** ManualStart was given and no ManualStop since. */
  readonly enabled: boolean;
  /** Waiting for the IdleHoldTimer after a failure (backoff). */
  readonly idleHolding: boolean;
  readonly connections: readonly FsmConnection[];
  readonly connectRetryCounter: number;
  /** Failures since the last Established: drives the idle hold backoff. */
  readonly consecutiveFailures: number;
  readonly nextConnectionId: number;
  readonly lastError?: SessionError;
}

export interface FsmConfig {
  readonly params: SessionParameters;
  /** Never open connections, only accept them. */
  readonly passive: boolean;
  readonly connectRetryTimeSeconds: number;
  /** First idle hold after a failure; doubles per consecutive failure up to the maximum. */
  readonly idleHoldTimeSeconds: number;
  readonly maxIdleHoldTimeSeconds: number;
  /** Hold timer while waiting for the peer's OPEN (RFC 4271 suggests 4 minutes). */
  readonly openHoldTimeSeconds: number;
}

export type TimerName = 'ConnectRetry' | 'IdleHold' | 'Hold' | 'Keepalive';

export type FsmEvent =
  | { readonly type: 'ManualStart' }
  /** Without `notification` the connections are closed silently (graceful restart: the peer keeps our routes). */
  | { readonly type: 'ManualStop'; readonly notification?: { readonly code: number; readonly subcode: number; readonly data?: Uint8Array } }
  | { readonly type: 'IdleHoldTimerExpires' }
  | { readonly type: 'ConnectRetryTimerExpires' }
  | { readonly type: 'TcpConnectionConfirmed'; readonly conn: number }
  | { readonly type: 'TcpIncomingConnection' }
  | { readonly type: 'TcpConnectionFails'; readonly conn: number; readonly reason?: string }
  | { readonly type: 'OpenReceived'; readonly conn: number; readonly open: OpenMessage }
  | { readonly type: 'KeepaliveReceived'; readonly conn: number }
  | { readonly type: 'UpdateReceived'; readonly conn: number }
  | { readonly type: 'RouteRefreshReceived'; readonly conn: number }
  | { readonly type: 'NotificationReceived'; readonly conn: number; readonly notification: NotificationMessage }
  | { readonly type: 'MessageError'; readonly conn: number; readonly error: BgpError }
  | { readonly type: 'HoldTimerExpires'; readonly conn: number }
  | { readonly type: 'KeepaliveTimerExpires'; readonly conn: number };

export type FsmAction =
  | { readonly type: 'Connect'; readonly conn: number }
  | { readonly type: 'AcceptIncoming'; readonly conn: number }
  | { readonly type: 'RejectIncoming' }
  | { readonly type: 'SendOpen'; readonly conn: number; readonly open: OpenMessage }
  | { readonly type: 'SendKeepalive'; readonly conn: number }
  | { readonly type: 'SendNotification'; readonly conn: number; readonly code: number; readonly subcode: number; readonly data: Uint8Array }
  | { readonly type: 'CloseConnection'; readonly conn: number }
  | { readonly type: 'StartTimer'; readonly timer: TimerName; readonly conn?: number; readonly seconds: number }
  | { readonly type: 'StopTimer'; readonly timer: TimerName; readonly conn?: number }
  | { readonly type: 'SessionEstablished'; readonly conn: number; readonly negotiated: NegotiatedSession }
  | { readonly type: 'SessionDown'; readonly conn: number; readonly error?: SessionError; readonly graceful: boolean }
  | { readonly type: 'StateChanged'; readonly from: SessionState; readonly to: SessionState };

export const initialFsmState: FsmState = {
  enabled: false,
  idleHolding: false,
  connections: [],
  connectRetryCounter: 0,
  consecutiveFailures: 0,
  nextConnectionId: 1,
};

/** The RFC 4271 state of the session, from its connections. */
export function sessionState(s: FsmState): SessionState {
  if (s.connections.some((c) => c.phase === 'established')) return 'Established';
  if (s.connections.some((c) => c.phase === 'open-confirm')) return 'OpenConfirm';
  if (s.connections.some((c) => c.phase === 'open-sent')) return 'OpenSent';
  if (!s.enabled || s.idleHolding) return 'Idle';
  if (s.connections.some((c) => c.direction === 'outbound' && c.phase === 'connecting')) return 'Connect';
  return 'Active';
}

/** The established connection, if any. */
export function establishedConnection(s: FsmState): FsmConnection | undefined {
  return s.connections.find((c) => c.phase === 'established');
}

export function describeNotification(direction: 'sent' | 'received', n: { code: number; subcode: number; data?: Uint8Array }, extra?: string): SessionError {
  const inner = n.code === ErrorCode.CEASE && n.subcode === CeaseSubcode.HARD_RESET && n.data && n.data.length >= 2 ? ` (${errorCodeName(n.data[0]!)} / ${errorSubcodeName(n.data[0]!, n.data[1]!)})` : '';
  const text = `${errorCodeName(n.code)} / ${errorSubcodeName(n.code, n.subcode)}${inner}`;
  return { direction, code: n.code, subcode: n.subcode, data: n.data, reason: extra ? `${text}: ${extra}` : text };
}

/** Cease subcodes that mean "forget my routes" (RFC 8538 §5, as FRR and GoBGP apply it). */
const HARD_RESET_CEASES: ReadonlySet<number> = new Set([CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, CeaseSubcode.PEER_DECONFIGURED, CeaseSubcode.BFD_DOWN]);

/**
 * RFC 8538: once both sides sent the N bit, a graceful-restart peer keeps our routes across every
 * NOTIFICATION except Cease / Hard Reset. A stop meant to take them away (shutdown, peer removed)
 * therefore goes as Hard Reset, with the original code, subcode and data as its data.
 */
export function withHardReset(n: { code: number; subcode: number; data?: Uint8Array }, negotiated: NegotiatedSession | undefined): { code: number; subcode: number; data?: Uint8Array } {
  if (!negotiated?.gracefulRestart || !negotiated.peerGracefulRestart?.notification) return n;
  if (n.code !== ErrorCode.CEASE || !HARD_RESET_CEASES.has(n.subcode)) return n;
  const data = new Uint8Array(2 + (n.data?.length ?? 0));
  data[0] = n.code;
  data[1] = n.subcode;
  if (n.data) data.set(n.data, 2);
  return { code: ErrorCode.CEASE, subcode: CeaseSubcode.HARD_RESET, data };
}

/** Idle hold before the next attempt after `failures` consecutive failures. */
export function idleHoldSeconds(config: FsmConfig, failures: number): number {
  const exp = Math.min(Math.max(failures - 1, 0), 16);
  return Math.min(config.idleHoldTimeSeconds * 2 ** exp, config.maxIdleHoldTimeSeconds);
}

const idNumber = (id: string): number => {
  const b = parseIPv4(id);
  return b ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : 0;
};

interface Builder {
  state: FsmState;
  actions: FsmAction[];
}

const without = (s: FsmState, id: number): FsmState => ({ ...s, connections: s.connections.filter((c) => c.id !== id) });
const withConn = (s: FsmState, c: FsmConnection): FsmState => ({ ...s, connections: s.connections.map((x) => (x.id === c.id ? c : x)) });

function stopConnTimers(b: Builder, id: number): void {
  b.actions.push({ type: 'StopTimer', timer: 'Hold', conn: id }, { type: 'StopTimer', timer: 'Keepalive', conn: id });
}

function startConnecting(b: Builder, config: FsmConfig): void {
  if (config.passive) return; // Active: wait for the peer to connect.
  const id = b.state.nextConnectionId;
  b.state = {
    ...b.state,
    nextConnectionId: id + 1,
    connections: [...b.state.connections, { id, direction: 'outbound', phase: 'connecting' }],
  };
  b.actions.push({ type: 'Connect', conn: id }, { type: 'StartTimer', timer: 'ConnectRetry', seconds: config.connectRetryTimeSeconds });
}

/** Drops a connection (after any NOTIFICATION was queued); if it was the last one, backs off in Idle. */
function dropConnection(b: Builder, config: FsmConfig, id: number, error: SessionError | undefined, countAsFailure: boolean): void {
  const conn = b.state.connections.find((c) => c.id === id);
  if (!conn) return;
  stopConnTimers(b, id);
  b.actions.push({ type: 'CloseConnection', conn: id });
  if (conn.phase === 'established') b.actions.push({ type: 'SessionDown', conn: id, error, graceful: false });
  b.state = without(b.state, id);
  if (error) b.state = { ...b.state, lastError: error };
  if (b.state.connections.length > 0) {
    // Only an outbound attempt left: let the ConnectRetry timer govern it again.
    if (b.state.connections.every((c) => c.phase === 'connecting')) b.actions.push({ type: 'StartTimer', timer: 'ConnectRetry', seconds: config.connectRetryTimeSeconds });
    return;
  }
  if (!countAsFailure) {
    // A TCP connect that failed: RFC 4271 Connect → Active, retry when ConnectRetry expires.
    b.actions.push({ type: 'StartTimer', timer: 'ConnectRetry', seconds: config.connectRetryTimeSeconds });
    return;
  }
  const failures = b.state.consecutiveFailures + 1;
  b.state = { ...b.state, consecutiveFailures: failures, idleHolding: true };
  b.actions.push({ type: 'StopTimer', timer: 'ConnectRetry' }, { type: 'StartTimer', timer: 'IdleHold', seconds: idleHoldSeconds(config, failures) });
}

function sendAndDrop(b: Builder, config: FsmConfig, id: number, err: BgpError): void {
  b.actions.push({ type: 'SendNotification', conn: id, code: err.code, subcode: err.subcode, data: err.data });
  dropConnection(b, config, id, describeNotification('sent', err, err.reason), true);
}

const fsmError = (phase: ConnectionPhase, what: string): BgpError => {
  const subcode =
    phase === 'open-sent' ? FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENSENT : phase === 'open-confirm' ? FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENCONFIRM : phase === 'established' ? FsmSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED : FsmSubcode.UNSPECIFIED;
  return bgpError(ErrorCode.FSM, subcode, `${what} in ${phase}`);
};

const collisionError = (): BgpError => bgpError(ErrorCode.CEASE, CeaseSubcode.CONNECTION_COLLISION_RESOLUTION, 'connection collision resolution');

/** One step of the FSM. Unknown connection ids (already closed) are ignored. */
export function transition(state: FsmState, event: FsmEvent, config: FsmConfig): { state: FsmState; actions: FsmAction[] } {
  const before = sessionState(state);
  const b: Builder = { state, actions: [] };
  apply(b, event, config);
  const after = sessionState(b.state);
  if (before !== after) b.actions.push({ type: 'StateChanged', from: before, to: after });
  return b;
}

function apply(b: Builder, event: FsmEvent, config: FsmConfig): void {
  const s = b.state;
  const find = (id: number): FsmConnection | undefined => s.connections.find((c) => c.id === id);
  switch (event.type) {
    case 'ManualStart': {
      if (s.enabled) return;
      b.state = { ...s, enabled: true, idleHolding: false, consecutiveFailures: 0, connectRetryCounter: 0 };
      startConnecting(b, config);
      return;
    }
    case 'ManualStop': {
      for (const c of s.connections) {
        const sent = event.notification ? withHardReset(event.notification, c.negotiated) : undefined;
        if (sent && c.phase !== 'connecting') {
          b.actions.push({ type: 'SendNotification', conn: c.id, code: sent.code, subcode: sent.subcode, data: sent.data ?? new Uint8Array(0) });
        }
        stopConnTimers(b, c.id);
        b.actions.push({ type: 'CloseConnection', conn: c.id });
        if (c.phase === 'established') {
          b.actions.push({
            type: 'SessionDown',
            conn: c.id,
            error: sent ? describeNotification('sent', sent) : { direction: 'local', reason: 'stopped gracefully (no NOTIFICATION)' },
            graceful: !event.notification,
          });
        }
      }
      b.actions.push({ type: 'StopTimer', timer: 'ConnectRetry' }, { type: 'StopTimer', timer: 'IdleHold' });
      b.state = { ...s, enabled: false, idleHolding: false, connections: [], connectRetryCounter: 0 };
      return;
    }
    case 'IdleHoldTimerExpires': {
      if (!s.enabled || !s.idleHolding) return;
      b.state = { ...s, idleHolding: false };
      startConnecting(b, config);
      return;
    }
    case 'ConnectRetryTimerExpires': {
      if (!s.enabled || s.idleHolding) return;
      if (s.connections.some((c) => c.phase !== 'connecting')) return; // a session is progressing
      for (const c of s.connections) b.actions.push({ type: 'CloseConnection', conn: c.id });
      b.state = { ...s, connections: [], connectRetryCounter: s.connectRetryCounter + 1 };
      startConnecting(b, config);
      return;
    }
    case 'TcpConnectionConfirmed': {
      const c = find(event.conn);
      if (!c || c.phase !== 'connecting') return;
      b.state = withConn(s, { ...c, phase: 'open-sent' });
      b.actions.push(
        { type: 'StopTimer', timer: 'ConnectRetry' },
        { type: 'SendOpen', conn: c.id, open: buildOpen(config.params) },
        { type: 'StartTimer', timer: 'Hold', conn: c.id, seconds: config.openHoldTimeSeconds },
      );
      return;
    }
    case 'TcpIncomingConnection': {
      // RFC 4271 §8.2.2: Idle refuses connections.
      if (!s.enabled || s.idleHolding) {
        b.actions.push({ type: 'RejectIncoming' });
        return;
      }
      // A peer that reconnects abandons its previous, unfinished inbound connection.
      const stale = s.connections.find((c) => c.direction === 'inbound' && c.phase !== 'established');
      if (stale) {
        stopConnTimers(b, stale.id);
        b.actions.push({ type: 'CloseConnection', conn: stale.id });
        b.state = without(b.state, stale.id);
      }
      const id = b.state.nextConnectionId;
      b.state = { ...b.state, nextConnectionId: id + 1, connections: [...b.state.connections, { id, direction: 'inbound', phase: 'open-sent' }] };
      b.actions.push(
        { type: 'AcceptIncoming', conn: id },
        { type: 'StopTimer', timer: 'ConnectRetry' },
        { type: 'SendOpen', conn: id, open: buildOpen(config.params) },
        { type: 'StartTimer', timer: 'Hold', conn: id, seconds: config.openHoldTimeSeconds },
      );
      return;
    }
    case 'TcpConnectionFails': {
      const c = find(event.conn);
      if (!c) return;
      const reason = event.reason ?? 'TCP connection closed';
      dropConnection(b, config, c.id, { direction: 'local', reason }, c.phase !== 'connecting');
      return;
    }
    case 'OpenReceived': {
      const c = find(event.conn);
      if (!c) return;
      if (c.phase !== 'open-sent') {
        sendAndDrop(b, config, c.id, fsmError(c.phase, 'OPEN'));
        return;
      }
      const local = buildOpen(config.params);
      const result = negotiate(config.params, local, event.open);
      if (!result.ok) {
        sendAndDrop(b, config, c.id, result.error);
        return;
      }
      const negotiated = result.session;
      const other = s.connections.find((x) => x.id !== c.id && (x.phase === 'open-confirm' || x.phase === 'established'));
      if (other) {
        if (other.phase === 'established') {
          if (other.negotiated?.gracefulRestart) {
            // RFC 4724 §4.2: a new OPEN while Established means the peer restarted.
            stopConnTimers(b, other.id);
            b.actions.push({ type: 'CloseConnection', conn: other.id }, { type: 'SessionDown', conn: other.id, error: { direction: 'local', reason: 'peer restarted (new connection while established)' }, graceful: false });
            b.state = without(b.state, other.id);
          } else {
            b.actions.push({ type: 'SendNotification', conn: c.id, ...collisionError() });
            stopConnTimers(b, c.id);
            b.actions.push({ type: 'CloseConnection', conn: c.id });
            b.state = without(b.state, c.id);
            return;
          }
        } else {
          // RFC 4271 §6.8: the higher BGP identifier's connection survives.
          const keepInbound = idNumber(config.params.routerID) < idNumber(negotiated.peerRouterID);
          const loser = c.direction === other.direction ? c : (c.direction === 'inbound') === keepInbound ? other : c;
          b.actions.push({ type: 'SendNotification', conn: loser.id, ...collisionError() });
          stopConnTimers(b, loser.id);
          b.actions.push({ type: 'CloseConnection', conn: loser.id });
          b.state = without(b.state, loser.id);
          if (loser.id === c.id) return;
        }
      }
      b.state = withConn(b.state, { ...c, phase: 'open-confirm', negotiated });
      b.actions.push({ type: 'SendKeepalive', conn: c.id });
      if (negotiated.holdTimeSeconds > 0) {
        b.actions.push({ type: 'StartTimer', timer: 'Hold', conn: c.id, seconds: negotiated.holdTimeSeconds }, { type: 'StartTimer', timer: 'Keepalive', conn: c.id, seconds: negotiated.keepaliveSeconds });
      } else {
        stopConnTimers(b, c.id);
      }
      return;
    }
    case 'KeepaliveReceived': {
      const c = find(event.conn);
      if (!c) return;
      if (c.phase === 'open-sent' || c.phase === 'connecting') {
        sendAndDrop(b, config, c.id, fsmError(c.phase, 'KEEPALIVE'));
        return;
      }
      if (c.negotiated && c.negotiated.holdTimeSeconds > 0) b.actions.push({ type: 'StartTimer', timer: 'Hold', conn: c.id, seconds: c.negotiated.holdTimeSeconds });
      if (c.phase === 'established') return;
      // OpenConfirm → Established: other connections lose.
      let next: FsmState = { ...s, consecutiveFailures: 0, connectRetryCounter: 0 };
      for (const o of s.connections) {
        if (o.id === c.id) continue;
        if (o.phase !== 'connecting') b.actions.push({ type: 'SendNotification', conn: o.id, ...collisionError() });
        stopConnTimers(b, o.id);
        b.actions.push({ type: 'CloseConnection', conn: o.id });
        next = without(next, o.id);
      }
      const established: FsmConnection = { ...c, phase: 'established' };
      b.state = withConn(next, established);
      b.actions.push({ type: 'StopTimer', timer: 'ConnectRetry' }, { type: 'SessionEstablished', conn: c.id, negotiated: c.negotiated! });
      return;
    }
    case 'UpdateReceived':
    case 'RouteRefreshReceived': {
      const c = find(event.conn);
      if (!c) return;
      if (c.phase !== 'established') {
        sendAndDrop(b, config, c.id, fsmError(c.phase, event.type === 'UpdateReceived' ? 'UPDATE' : 'ROUTE-REFRESH'));
        return;
      }
      if (c.negotiated && c.negotiated.holdTimeSeconds > 0) b.actions.push({ type: 'StartTimer', timer: 'Hold', conn: c.id, seconds: c.negotiated.holdTimeSeconds });
      return;
    }
    case 'NotificationReceived': {
      const c = find(event.conn);
      if (!c) return;
      dropConnection(b, config, c.id, describeNotification('received', event.notification), true);
      return;
    }
    case 'MessageError': {
      const c = find(event.conn);
      if (!c) return;
      sendAndDrop(b, config, c.id, event.error);
      return;
    }
    case 'HoldTimerExpires': {
      const c = find(event.conn);
      if (!c) return;
      sendAndDrop(b, config, c.id, bgpError(ErrorCode.HOLD_TIMER_EXPIRED, 0, 'no message from the peer within the hold time'));
      return;
    }
    case 'KeepaliveTimerExpires': {
      const c = find(event.conn);
      if (!c || (c.phase !== 'open-confirm' && c.phase !== 'established') || !c.negotiated || c.negotiated.keepaliveSeconds === 0) return;
      b.actions.push({ type: 'SendKeepalive', conn: c.id }, { type: 'StartTimer', timer: 'Keepalive', conn: c.id, seconds: c.negotiated.keepaliveSeconds });
      return;
    }
    default: {
      const never: never = event;
      throw new Error(`unhandled FSM event ${JSON.stringify(never)}`);
    }
  }
}
