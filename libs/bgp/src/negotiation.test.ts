import { describe, expect, it } from 'vitest';
import { AS_TRANS } from './constants.js';
import type { OpenMessage } from './messages.js';
import { buildOpen, negotiate, type SessionParameters } from './negotiation.js';

const local: SessionParameters = { localASN: 4200000000, routerID: '10.0.0.1', peerASN: 0, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, families: ['ipv4-unicast', 'ipv6-unicast'], extendedNextHop: true, gracefulRestart: { restartTimeSeconds: 120, restarting: true } };
const remote = (over: Partial<OpenMessage>): OpenMessage => ({ type: 'open', version: 4, myAS: 65001, holdTimeSeconds: 90, bgpIdentifier: '10.0.0.2', capabilities: [], ...over });

describe('OPEN building and negotiation', () => {
  it('announces AS_TRANS with the real ASN in capability 65, R and F bits when restarting', () => {
    const open = buildOpen(local);
    expect(open.myAS).toBe(AS_TRANS);
    expect(open.capabilities).toContainEqual({ kind: 'four-octet-as', asn: 4200000000 });
    expect(open.capabilities).toContainEqual({ kind: 'graceful-restart', restartState: true, notification: true, restartTimeSeconds: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }, { afi: 2, safi: 1, forwardingPreserved: true }] });
    expect(open.capabilities).toContainEqual({ kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] });
  });
  it('a peer without multiprotocol capabilities speaks IPv4 unicast only; peerASN 0 learns the AS', () => {
    const r = negotiate(local, buildOpen(local), remote({}));
    expect(r.ok && r.session).toMatchObject({ families: ['ipv4-unicast'], peerASN: 65001, fourOctetAs: false, holdTimeSeconds: 9, keepaliveSeconds: 3 });
  });
  it('families are the intersection; hold the smaller; keepalive at most a third of it', () => {
    const r = negotiate({ ...local, keepAliveTimeSeconds: 30, holdTimeSeconds: 90 }, buildOpen(local), remote({ holdTimeSeconds: 6, capabilities: [{ kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'four-octet-as', asn: 65001 }] }));
    expect(r.ok && r.session).toMatchObject({ families: ['ipv6-unicast'], holdTimeSeconds: 6, keepaliveSeconds: 2, fourOctetAs: true });
  });
  it('My AS disagreeing with the 4-octet capability → Bad Peer AS', () => {
    const r = negotiate(local, buildOpen(local), remote({ myAS: 65002, capabilities: [{ kind: 'four-octet-as', asn: 65001 }] }));
    expect(!r.ok && [r.error.code, r.error.subcode]).toEqual([2, 2]);
  });
  it('iBGP peer with our BGP identifier → Bad BGP Identifier', () => {
    const r = negotiate({ ...local, localASN: 65001 }, buildOpen(local), remote({ bgpIdentifier: '10.0.0.1' }));
    expect(!r.ok && [r.error.code, r.error.subcode]).toEqual([2, 3]);
  });
  it('extended next hop is used only if both sides advertise it', () => {
    const yes = negotiate(local, buildOpen(local), remote({ capabilities: [{ kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] }] }));
    const no = negotiate(local, buildOpen(local), remote({}));
    expect(yes.ok && yes.session.extendedNextHopIPv4).toBe(true);
    expect(no.ok && no.session.extendedNextHopIPv4).toBe(false);
  });
});
