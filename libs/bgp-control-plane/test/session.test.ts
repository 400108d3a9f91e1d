import { describe, expect, it } from 'vitest';
import { computeDesiredState, diffRoutes, planSessions, type DesiredRoute } from '../src';
import { peerConfig, secret, seedInputs, service } from './fixtures';

const blue = (name: string, ip: string) => service('ns', name, { labels: { bgp: 'blue' }, type: 'ClusterIP', clusterIP: ip });
const seedPeerConfig = (spec: Record<string, unknown> = {}) =>
  peerConfig('cilium-peer', {
    timers: { connectRetryTimeSeconds: 12, holdTimeSeconds: 9, keepAliveTimeSeconds: 3 },
    authSecretRef: 'bgp-auth-secret',
    gracefulRestart: { enabled: true, restartTimeSeconds: 15 },
    families: [{ afi: 'ipv4', safi: 'unicast', advertisements: { matchLabels: { advertise: 'bgp' } } }],
    ...spec,
  });

describe('planSessions: which changes reset a session', () => {
  const before = computeDesiredState(seedInputs({ peerConfigs: [seedPeerConfig()], services: [blue('a', '10.96.0.1')] }));

  it.each([
    { when: 'a Service is added', input: { services: [blue('a', '10.96.0.1'), blue('b', '10.96.0.2')] }, reset: [] },
    {
      when: 'connectRetryTimeSeconds changes',
      input: { peerConfigs: [seedPeerConfig({ timers: { connectRetryTimeSeconds: 30, holdTimeSeconds: 9, keepAliveTimeSeconds: 3 } })] },
      reset: ['connectRetryTimeSeconds 12 → 30'],
    },
    { when: 'an advertisement changes', input: { advertisements: [] }, reset: [] },
    {
      when: 'the hold time changes',
      input: { peerConfigs: [seedPeerConfig({ timers: { connectRetryTimeSeconds: 12, holdTimeSeconds: 30, keepAliveTimeSeconds: 3 } })] },
      reset: ['holdTimeSeconds 9 → 30'],
    },
    { when: 'the password changes', input: { secrets: new Map([secret('bgp-auth-secret', 'other')]) }, reset: ['password of Secret bgp-auth-secret changed'] },
    {
      when: 'the families change',
      input: {
        peerConfigs: [
          seedPeerConfig({
            families: [
              { afi: 'ipv4', safi: 'unicast', advertisements: { matchLabels: { advertise: 'bgp' } } },
              { afi: 'ipv6', safi: 'unicast' },
            ],
          }),
        ],
      },
      reset: ['families [ipv4/unicast] → [ipv4/unicast,ipv6/unicast]'],
    },
    {
      when: 'the restart time changes',
      input: { peerConfigs: [seedPeerConfig({ gracefulRestart: { enabled: true, restartTimeSeconds: 60 } })] },
      reset: ['gracefulRestart.restartTimeSeconds 15 → 60'],
    },
  ])('given an established seed session, when $when, then reset $reset', ({ input, reset }) => {
    const after = computeDesiredState(seedInputs({ peerConfigs: [seedPeerConfig()], services: [blue('a', '10.96.0.1')], ...input }));
    const plan = planSessions(before, after);
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.reset.map((r) => r.reasons).flat()).toEqual(reset);
    expect(plan.keep).toHaveLength(reset.length === 0 ? 1 : 0);
  });

  it('given no previous state, when planned, then every peer is added', () => {
    const plan = planSessions(undefined, before);
    expect(plan.add.map((p) => p.key)).toEqual(['instance-65000/peer-65000-tor1']);
  });

  it('given the node is deselected, when planned, then its peer is removed', () => {
    const after = computeDesiredState(seedInputs({ node: { ...seedInputs().node, labels: {} } }));
    expect(planSessions(before, after).remove).toEqual([{ key: 'instance-65000/peer-65000-tor1', instance: 'instance-65000', peer: 'peer-65000-tor1' }]);
  });
});

describe('diffRoutes', () => {
  const r = (prefix: string, communities: string[] = [], localPreference?: number): DesiredRoute => ({
    prefix,
    communities,
    largeCommunities: [],
    ...(localPreference !== undefined ? { localPreference } : {}),
    sources: [],
  });
  it.each([
    { given: 'the same routes', before: [r('10.0.0.1/32')], after: [r('10.0.0.1/32')], withdraw: [], announce: [] },
    { given: 'a new route', before: [], after: [r('10.0.0.1/32')], withdraw: [], announce: ['10.0.0.1/32'] },
    { given: 'a route gone', before: [r('10.0.0.1/32')], after: [], withdraw: ['10.0.0.1/32'], announce: [] },
    { given: 'changed communities', before: [r('10.0.0.1/32', ['1:1'])], after: [r('10.0.0.1/32', ['1:2'])], withdraw: [], announce: ['10.0.0.1/32'] },
    { given: 'changed local preference', before: [r('10.0.0.1/32', [], 100)], after: [r('10.0.0.1/32', [], 200)], withdraw: [], announce: ['10.0.0.1/32'] },
  ])('given $given, when diffed, then withdraw $withdraw and announce $announce', ({ before, after, withdraw, announce }) => {
    const d = diffRoutes(before, after);
    expect(d.withdraw).toEqual(withdraw);
    expect(d.announce.map((x) => x.prefix)).toEqual(announce);
  });
});
