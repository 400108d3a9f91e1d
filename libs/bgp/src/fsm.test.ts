import { describe, expect, it } from 'vitest';
import { idleHoldSeconds, initialFsmState, sessionState, transition, type FsmAction, type FsmConfig, type FsmEvent, type FsmState } from './fsm.js';
import type { OpenMessage } from './messages.js';
import { buildOpen, type SessionParameters } from './negotiation.js';

// Given/when/then over the pure FSM: events in, state and actions out.

const params: SessionParameters = {
  localASN: 65000,
  routerID: '10.0.0.1',
  peerASN: 65001,
  holdTimeSeconds: 9,
  keepAliveTimeSeconds: 3,
  families: ['ipv4-unicast', 'ipv6-unicast'],
  extendedNextHop: false,
};
const config: FsmConfig = { params, passive: false, connectRetryTimeSeconds: 5, idleHoldTimeSeconds: 5, maxIdleHoldTimeSeconds: 60, openHoldTimeSeconds: 240 };

const peerOpen = (over: Partial<OpenMessage> = {}, gr = false): OpenMessage => ({
  ...buildOpen({ ...params, localASN: 65001, routerID: '10.0.0.2', ...(gr ? { gracefulRestart: { restartTimeSeconds: 120, restarting: false } } : {}) }),
  holdTimeSeconds: 90,
  ...over,
});

function given(events: FsmEvent[], cfg: FsmConfig = config): FsmState {
  let s = initialFsmState;
  for (const e of events) s = transition(s, e, cfg).state;
  return s;
}
function when(s: FsmState, e: FsmEvent, cfg: FsmConfig = config): { state: FsmState; actions: FsmAction[] } {
  return transition(s, e, cfg);
}
const types = (actions: FsmAction[]): string[] => actions.map((a) => a.type);

const toEstablished: FsmEvent[] = [{ type: 'ManualStart' }, { type: 'TcpConnectionConfirmed', conn: 1 }, { type: 'OpenReceived', conn: 1, open: peerOpen() }, { type: 'KeepaliveReceived', conn: 1 }];

describe('FSM: the path to Established (RFC 4271 §8)', () => {
  it('ManualStart → Connect: connect and start ConnectRetry', () => {
    const { state, actions } = when(initialFsmState, { type: 'ManualStart' });
    expect(sessionState(state)).toBe('Connect');
    expect(actions).toEqual([{ type: 'Connect', conn: 1 }, { type: 'StartTimer', timer: 'ConnectRetry', seconds: 5 }, { type: 'StateChanged', from: 'Idle', to: 'Connect' }]);
  });
  it('passive ManualStart → Active, no connection attempt', () => {
    const { state, actions } = when(initialFsmState, { type: 'ManualStart' }, { ...config, passive: true });
    expect(sessionState(state)).toBe('Active');
    expect(types(actions)).toEqual(['StateChanged']);
  });
  it('TCP connected → OpenSent: OPEN sent, hold timer at the large value', () => {
    const { state, actions } = when(given([{ type: 'ManualStart' }]), { type: 'TcpConnectionConfirmed', conn: 1 });
    expect(sessionState(state)).toBe('OpenSent');
    expect(actions).toContainEqual({ type: 'SendOpen', conn: 1, open: buildOpen(params) });
    expect(actions).toContainEqual({ type: 'StartTimer', timer: 'Hold', conn: 1, seconds: 240 });
    expect(actions).toContainEqual({ type: 'StopTimer', timer: 'ConnectRetry' });
  });
  it('valid OPEN → OpenConfirm: KEEPALIVE sent, negotiated hold (the smaller) and keepalive timers', () => {
    const { state, actions } = when(given(toEstablished.slice(0, 2)), { type: 'OpenReceived', conn: 1, open: peerOpen() });
    expect(sessionState(state)).toBe('OpenConfirm');
    expect(types(actions)).toEqual(['SendKeepalive', 'StartTimer', 'StartTimer', 'StateChanged']);
    expect(actions).toContainEqual({ type: 'StartTimer', timer: 'Hold', conn: 1, seconds: 9 });
    expect(actions).toContainEqual({ type: 'StartTimer', timer: 'Keepalive', conn: 1, seconds: 3 });
  });
  it('KEEPALIVE in OpenConfirm → Established', () => {
    const { state, actions } = when(given(toEstablished.slice(0, 3)), { type: 'KeepaliveReceived', conn: 1 });
    expect(sessionState(state)).toBe('Established');
    expect(types(actions)).toContain('SessionEstablished');
  });
  it('hold time 0 on either side → no hold or keepalive timers', () => {
    const { actions } = when(given(toEstablished.slice(0, 2)), { type: 'OpenReceived', conn: 1, open: peerOpen({ holdTimeSeconds: 0 }) });
    expect(actions.filter((a) => a.type === 'StartTimer')).toEqual([]);
  });
});

describe('FSM: failures', () => {
  it('TCP connect fails → Active, ConnectRetry restarted; its expiry → Connect again', () => {
    const a = when(given([{ type: 'ManualStart' }]), { type: 'TcpConnectionFails', conn: 1 });
    expect(sessionState(a.state)).toBe('Active');
    expect(a.actions).toContainEqual({ type: 'StartTimer', timer: 'ConnectRetry', seconds: 5 });
    const b = when(a.state, { type: 'ConnectRetryTimerExpires' });
    expect(sessionState(b.state)).toBe('Connect');
    expect(b.actions).toContainEqual({ type: 'Connect', conn: 2 });
    expect(b.state.connectRetryCounter).toBe(1);
  });
  it('ConnectRetry expiry in Connect drops the attempt and tries again', () => {
    const { actions } = when(given([{ type: 'ManualStart' }]), { type: 'ConnectRetryTimerExpires' });
    expect(types(actions)).toEqual(['CloseConnection', 'Connect', 'StartTimer']);
  });
  it('hold timer expires in Established → NOTIFICATION 4, session down, Idle with backoff', () => {
    const { state, actions } = when(given(toEstablished), { type: 'HoldTimerExpires', conn: 1 });
    expect(sessionState(state)).toBe('Idle');
    expect(actions[0]).toMatchObject({ type: 'SendNotification', conn: 1, code: 4, subcode: 0 });
    expect(types(actions)).toEqual(['SendNotification', 'StopTimer', 'StopTimer', 'CloseConnection', 'SessionDown', 'StopTimer', 'StartTimer', 'StateChanged']);
    expect(actions).toContainEqual({ type: 'StartTimer', timer: 'IdleHold', seconds: 5 });
    expect(state.lastError).toMatchObject({ direction: 'sent', code: 4, reason: expect.stringMatching(/^Hold Timer Expired/) });
  });
  it('idle hold doubles per consecutive failure, up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 10].map((n) => idleHoldSeconds(config, n))).toEqual([5, 10, 20, 40, 60, 60]);
  });
  it('IdleHold expiry → Connect again', () => {
    const down = given([...toEstablished, { type: 'HoldTimerExpires', conn: 1 }]);
    const { state, actions } = when(down, { type: 'IdleHoldTimerExpires' });
    expect(sessionState(state)).toBe('Connect');
    expect(actions).toContainEqual({ type: 'Connect', conn: 2 });
  });
  it('OPEN with the wrong AS → NOTIFICATION 2/2 Bad Peer AS', () => {
    const { state, actions } = when(given(toEstablished.slice(0, 2)), { type: 'OpenReceived', conn: 1, open: peerOpen({ capabilities: [{ kind: 'four-octet-as', asn: 65099 }], myAS: 65099 }) });
    expect(actions[0]).toMatchObject({ type: 'SendNotification', code: 2, subcode: 2 });
    expect(sessionState(state)).toBe('Idle');
  });
  it('OPEN with hold time 1 or 2 → 2/6; zero BGP identifier → 2/3', () => {
    expect(when(given(toEstablished.slice(0, 2)), { type: 'OpenReceived', conn: 1, open: peerOpen({ holdTimeSeconds: 2 }) }).actions[0]).toMatchObject({ code: 2, subcode: 6 });
    expect(when(given(toEstablished.slice(0, 2)), { type: 'OpenReceived', conn: 1, open: peerOpen({ bgpIdentifier: '0.0.0.0' }) }).actions[0]).toMatchObject({ code: 2, subcode: 3 });
  });
  it('messages out of order → FSM error 5/1, 5/2, 5/3 (RFC 6608)', () => {
    expect(when(given(toEstablished.slice(0, 2)), { type: 'UpdateReceived', conn: 1 }).actions[0]).toMatchObject({ code: 5, subcode: 1 });
    expect(when(given(toEstablished.slice(0, 2)), { type: 'KeepaliveReceived', conn: 1 }).actions[0]).toMatchObject({ code: 5, subcode: 1 });
    expect(when(given(toEstablished.slice(0, 3)), { type: 'UpdateReceived', conn: 1 }).actions[0]).toMatchObject({ code: 5, subcode: 2 });
    expect(when(given(toEstablished), { type: 'OpenReceived', conn: 1, open: peerOpen() }).actions[0]).toMatchObject({ code: 5, subcode: 3 });
  });
  it('NOTIFICATION received → Idle, recorded as received', () => {
    const { state } = when(given(toEstablished), { type: 'NotificationReceived', conn: 1, notification: { type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) } });
    expect(sessionState(state)).toBe('Idle');
    expect(state.lastError).toMatchObject({ direction: 'received', code: 6, subcode: 2, reason: 'Cease / Administrative Shutdown' });
  });
  it('a decoding error → the NOTIFICATION the decoder named', () => {
    const { actions } = when(given(toEstablished), { type: 'MessageError', conn: 1, error: { code: 3, subcode: 1, data: new Uint8Array(0), reason: 'x' } });
    expect(actions[0]).toMatchObject({ type: 'SendNotification', code: 3, subcode: 1 });
  });
  it('UPDATE and KEEPALIVE in Established restart the hold timer', () => {
    expect(when(given(toEstablished), { type: 'UpdateReceived', conn: 1 }).actions).toEqual([{ type: 'StartTimer', timer: 'Hold', conn: 1, seconds: 9 }]);
  });
});

describe('FSM: incoming connections and collisions (RFC 4271 §6.8)', () => {
  it('Idle refuses incoming connections', () => {
    expect(when(initialFsmState, { type: 'TcpIncomingConnection' }).actions).toEqual([{ type: 'RejectIncoming' }]);
  });
  it('Active accepts: OPEN sent on the new connection', () => {
    const s = given([{ type: 'ManualStart' }], { ...config, passive: true });
    const { state, actions } = when(s, { type: 'TcpIncomingConnection' }, { ...config, passive: true });
    expect(sessionState(state)).toBe('OpenSent');
    expect(types(actions)).toEqual(['AcceptIncoming', 'StopTimer', 'SendOpen', 'StartTimer', 'StateChanged']);
  });
  const bothOpen = (localId: string): FsmState => {
    const cfg = { ...config, params: { ...params, routerID: localId } };
    return given([{ type: 'ManualStart' }, { type: 'TcpConnectionConfirmed', conn: 1 }, { type: 'TcpIncomingConnection' }, { type: 'OpenReceived', conn: 1, open: peerOpen() }], cfg);
  };
  it('our BGP identifier lower: the connection the peer opened survives', () => {
    const cfg = { ...config, params: { ...params, routerID: '10.0.0.1' } };
    const { state, actions } = when(bothOpen('10.0.0.1'), { type: 'OpenReceived', conn: 2, open: peerOpen() }, cfg);
    expect(actions[0]).toMatchObject({ type: 'SendNotification', conn: 1, code: 6, subcode: 7 });
    expect(state.connections.map((c) => [c.id, c.direction, c.phase])).toEqual([[2, 'inbound', 'open-confirm']]);
  });
  it('our BGP identifier higher: our connection survives, the new one is closed', () => {
    const cfg = { ...config, params: { ...params, routerID: '10.0.0.9' } };
    const { state, actions } = when(bothOpen('10.0.0.9'), { type: 'OpenReceived', conn: 2, open: peerOpen() }, cfg);
    expect(actions[0]).toMatchObject({ type: 'SendNotification', conn: 2, code: 6, subcode: 7 });
    expect(state.connections.map((c) => [c.id, c.direction, c.phase])).toEqual([[1, 'outbound', 'open-confirm']]);
  });
  it('a new OPEN while Established with graceful restart: the peer restarted, the old session goes', () => {
    const s = given([{ type: 'ManualStart' }, { type: 'TcpConnectionConfirmed', conn: 1 }, { type: 'OpenReceived', conn: 1, open: peerOpen({}, true) }, { type: 'KeepaliveReceived', conn: 1 }, { type: 'TcpIncomingConnection' }], {
      ...config,
      params: { ...params, gracefulRestart: { restartTimeSeconds: 120, restarting: false } },
    });
    const { state, actions } = when(s, { type: 'OpenReceived', conn: 2, open: peerOpen({}, true) }, { ...config, params: { ...params, gracefulRestart: { restartTimeSeconds: 120, restarting: false } } });
    expect(types(actions)).toContain('SessionDown');
    expect(state.connections.map((c) => [c.id, c.phase])).toEqual([[2, 'open-confirm']]);
  });
  it('a new OPEN while Established without graceful restart: the new connection is closed', () => {
    const s = given([...toEstablished, { type: 'TcpIncomingConnection' }]);
    const { state, actions } = when(s, { type: 'OpenReceived', conn: 2, open: peerOpen() });
    expect(actions[0]).toMatchObject({ type: 'SendNotification', conn: 2, code: 6, subcode: 7 });
    expect(sessionState(state)).toBe('Established');
  });
  it('reaching Established closes the other connections', () => {
    const s = given([{ type: 'ManualStart' }, { type: 'TcpIncomingConnection' }, { type: 'OpenReceived', conn: 2, open: peerOpen() }]);
    const { state, actions } = when(s, { type: 'KeepaliveReceived', conn: 2 });
    expect(actions).toContainEqual({ type: 'CloseConnection', conn: 1 });
    expect(state.connections.map((c) => c.id)).toEqual([2]);
  });
});

describe('FSM: stopping', () => {
  it('graceful stop closes TCP without a NOTIFICATION', () => {
    const { state, actions } = when(given(toEstablished), { type: 'ManualStop' });
    expect(types(actions)).not.toContain('SendNotification');
    expect(actions).toContainEqual({ type: 'CloseConnection', conn: 1 });
    expect(actions).toContainEqual(expect.objectContaining({ type: 'SessionDown', graceful: true }));
    expect(sessionState(state)).toBe('Idle');
  });
  it('stop with a NOTIFICATION sends Cease first', () => {
    const { actions } = when(given(toEstablished), { type: 'ManualStop', notification: { code: 6, subcode: 2 } });
    expect(actions[0]).toMatchObject({ type: 'SendNotification', code: 6, subcode: 2 });
  });
  describe('RFC 8538: with the N bit exchanged, a stop meant to drop our routes goes as Cease / Hard Reset', () => {
    const grConfig: FsmConfig = { ...config, params: { ...params, gracefulRestart: { restartTimeSeconds: 120, restarting: false } } };
    const toEstablishedGR: FsmEvent[] = [{ type: 'ManualStart' }, { type: 'TcpConnectionConfirmed', conn: 1 }, { type: 'OpenReceived', conn: 1, open: peerOpen({}, true) }, { type: 'KeepaliveReceived', conn: 1 }];
    const shutdown = { code: 6, subcode: 2, data: new Uint8Array([4, 0x62, 0x79, 0x65, 0x21]) };
    it.each([
      ['administrative shutdown', 2],
      ['peer de-configured', 3],
      ['maximum prefixes', 1],
    ])('given both sides set N, when stopped for %s, then Hard Reset carries the original code and subcode first', (_n, subcode) => {
      const { actions } = when(given(toEstablishedGR, grConfig), { type: 'ManualStop', notification: { ...shutdown, subcode } }, grConfig);
      expect(actions[0]).toEqual({ type: 'SendNotification', conn: 1, code: 6, subcode: 9, data: new Uint8Array([6, subcode, ...shutdown.data]) });
      expect(actions).toContainEqual(expect.objectContaining({ type: 'SessionDown', error: expect.objectContaining({ reason: expect.stringMatching(/Hard Reset.*\(Cease \/ /) }) }));
    });
    it('given both sides set N, when reset for a configuration change, then the plain Cease goes (the peer keeps our routes until End-of-RIB)', () => {
      const { actions } = when(given(toEstablishedGR, grConfig), { type: 'ManualStop', notification: { code: 6, subcode: 6 } }, grConfig);
      expect(actions[0]).toMatchObject({ type: 'SendNotification', code: 6, subcode: 6 });
    });
    it('given the peer did not advertise graceful restart, when shut down, then the plain Cease goes', () => {
      const { actions } = when(given(toEstablished, grConfig), { type: 'ManualStop', notification: shutdown }, grConfig);
      expect(actions[0]).toMatchObject({ type: 'SendNotification', code: 6, subcode: 2, data: shutdown.data });
    });
  });
  it('events for connections already gone are ignored', () => {
    const { actions } = when(given(toEstablished), { type: 'HoldTimerExpires', conn: 42 });
    expect(actions).toEqual([]);
  });
});
