import { describe, expect, it } from 'vitest';
import { parseSpeakerConfig, routesByPeer } from './speaker-config.js';

const base = {
  localASN: 65000,
  routerID: '10.0.0.1',
  listen: { address: '0.0.0.0', port: 179 },
  peers: [
    {
      name: 'tor1',
      peerAddress: '10.0.0.2',
      peerASN: 65001,
      password: 's3cret',
      holdTimeSeconds: 9,
      keepAliveTimeSeconds: 3,
      connectRetryTimeSeconds: 5,
      ebgpMultihop: 1,
      families: ['ipv4-unicast', 'ipv6-unicast'],
      nextHop: { ipv4: '10.0.0.1', ipv6: 'fd00::1' },
    },
  ],
  prefixes: [
    { prefix: '20.0.10.1/32', communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'], localPreference: 200 },
    { prefix: 'fd00:20::1/128' },
  ],
};

describe('speaker configuration file', () => {
  it('accepts the documented example and maps prefixes to peers by family', () => {
    const c = parseSpeakerConfig(base);
    const r = routesByPeer(c).get('tor1')!;
    expect([...r.get('ipv4-unicast')!.keys()]).toEqual(['20.0.10.1/32']);
    expect(r.get('ipv4-unicast')!.get('20.0.10.1/32')).toEqual({ communities: ['65000:100', 'no-export'], largeCommunities: ['65000:1:2'], localPreference: 200 });
    expect([...r.get('ipv6-unicast')!.keys()]).toEqual(['fd00:20::1/128']);
  });
  it.each([
    [{ ...base, localASN: 0 }, /^localASN: must be an integer in 1\.\.4294967295/],
    [{ ...base, routerID: 'x' }, /^routerID: "x" is not a non-zero IPv4 address/],
    [{ ...base, listen: { port: 70000 } }, /^listen\.port: must be an integer in 1\.\.65535/],
    [{ ...base, peers: [{ ...base.peers[0], holdTimeSeconds: 2 }] }, /^peers\[0\]\.holdTimeSeconds: must be 0 or at least 3/],
    [{ ...base, peers: [{ ...base.peers[0], keepAliveTimeSeconds: 10 }] }, /^peers\[0\]\.keepAliveTimeSeconds: must not exceed holdTimeSeconds/],
    [{ ...base, peers: [{ ...base.peers[0], families: ['l2vpn-evpn'] }] }, /^peers\[0\]\.families\[0\]: "l2vpn-evpn" is not/],
    [{ ...base, peers: [{ ...base.peers[0], peerAdress: '1.2.3.4' }] }, /^peers\[0\]\.peerAdress: unknown field/],
    [{ ...base, peers: [{ ...base.peers[0], nextHop: { ipv4: 'fd00::1' } }] }, /^peers\[0\]\.nextHop\.ipv4: "fd00::1" is not an IPv4 address/],
    [{ ...base, peers: [base.peers[0], base.peers[0]] }, /^peers\[1\]\.name: "tor1" is used by another peer/],
    [{ ...base, prefixes: [{ prefix: '20.0.10.1/33' }] }, /^prefixes\[0\]\.prefix: invalid prefix/],
    [{ ...base, prefixes: [{ prefix: '20.0.10.1/32', communities: ['65000:70000'] }] }, /^prefixes\[0\]\.communities\[0\]: "65000:70000": both halves/],
    [{ ...base, prefixes: [{ prefix: '20.0.10.1/32', largeCommunities: ['1:2'] }] }, /^prefixes\[0\]\.largeCommunities\[0\]/],
    [{ ...base, prefixes: [{ prefix: '20.0.10.1/32' }, { prefix: '20.0.10.1/32' }] }, /^prefixes\[1\]\.prefix: 20\.0\.10\.1\/32 is listed twice/],
  ])('rejects bad input with the field path (%#)', (doc, message) => {
    expect(() => parseSpeakerConfig(doc)).toThrow(message);
  });
});
