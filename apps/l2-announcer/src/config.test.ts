import { describe, expect, it } from 'vitest';
import { loadConfig, parseDurationMs } from './config';
import { snapshotOf } from './view/cluster-view';

describe('l2-announcer configuration', () => {
  it('defaults: 3 s / 2 s / 500 ms, schema l2, dummy bosun-l2, events on, :9104', () => {
    const c = loadConfig({ BOSUN_NODE_NAME: 'worker-1' });
    expect(c).toMatchObject({
      node: 'worker-1',
      timings: { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 },
      leaseSchema: 'l2',
      vipDevice: 'bosun-l2',
      recordEvents: true,
      httpListen: '127.0.0.1:9104',
      handoverAfterMs: 10_000,
      staticView: null,
    });
  });

  it('reads durations in ms, s and m', () => {
    expect(parseDurationMs('X', '250ms')).toBe(250);
    expect(parseDurationMs('X', '1.5s')).toBe(1500);
    expect(parseDurationMs('X', '2m')).toBe(120_000);
    expect(parseDurationMs('X', '40')).toBe(40);
    expect(() => parseDurationMs('BOSUN_L2_RETRY_PERIOD', 'soon')).toThrow('BOSUN_L2_RETRY_PERIOD: "soon" is not a duration');
  });

  it('refuses unsafe timings naming the variable', () => {
    expect(() => loadConfig({ BOSUN_L2_LEASE_DURATION: '1s', BOSUN_L2_RENEW_DEADLINE: '1s' })).toThrow(/^BOSUN_L2_RENEW_DEADLINE: must be shorter than leaseDurationMs/);
    expect(() => loadConfig({ BOSUN_L2_RETRY_PERIOD: '2s' })).toThrow(/^BOSUN_L2_RETRY_PERIOD:/);
    expect(() => loadConfig({ BOSUN_L2_SCHEMA: 'Drop Table' })).toThrow(/BOSUN_L2_SCHEMA/);
  });

  it('turns the VIP device and events off on request', () => {
    expect(loadConfig({ BOSUN_L2_VIP_DEVICE: 'none', BOSUN_L2_RECORD_EVENTS: 'false' })).toMatchObject({ vipDevice: null, recordEvents: false });
  });

  it('sorts manifests (and Lists) into the view by kind', () => {
    const snap = snapshotOf([
      { kind: 'Node', metadata: { name: 'a' } },
      { kind: 'List', items: [{ kind: 'Service', metadata: { name: 's', namespace: 'x' } }, { kind: 'ConfigMap', metadata: { name: 'ignored' } }] },
      { kind: 'CiliumL2AnnouncementPolicy', metadata: { name: 'p' } },
      { kind: 'EndpointSlice', metadata: { name: 'e', namespace: 'x' } },
      { kind: 'Service' },
    ]);
    expect([snap.nodes.length, snap.services.length, snap.policies.length, snap.endpointSlices.length]).toEqual([1, 1, 1, 1]);
  });
});
