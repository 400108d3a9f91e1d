/** Given the talk's manifests, when admitted, then each is accepted, defaulted and stored in its storage version. */
import { describe, expect, it } from 'vitest';
import { admit, convert, kindByGroupKind, parseApiVersion } from '../src';
import { SEED, clone } from './fixtures';

describe('seed manifests admit cleanly', () => {
  it.each(Object.entries(SEED))('%s', (_file, manifest) => {
    const before = clone(manifest);
    const r = admit(manifest, { operation: 'create', fieldValidation: 'Strict' });
    if (!r.ok) throw new Error(JSON.stringify(r.causes, null, 1));
    expect(manifest).toEqual(before); // the input is never modified
    const { group } = parseApiVersion(String(manifest.apiVersion));
    const info = kindByGroupKind(group, String(manifest.kind))!;
    expect(r.object.apiVersion).toBe(group ? `${group}/${info.storageVersion}` : info.storageVersion);
    expect(r.warnings.filter((w) => w.startsWith('unknown field'))).toEqual([]);
    // Reading back in the version it was written in gives a manifest that admits to the same object.
    const back = convert(r.object, String(manifest.apiVersion));
    const again = admit(back, { operation: 'create', fieldValidation: 'Strict' });
    expect(again.ok && again.object).toEqual(r.object);
  });

  it('stores the talk pool as v2 blocks', () => {
    const r = admit(SEED['05-lb-ip-pool.yaml'], { operation: 'create' });
    expect(r.ok && r.object).toMatchObject({ apiVersion: 'cilium.io/v2', spec: { blocks: [{ cidr: '20.0.10.0/24' }], disabled: false } });
    expect(r.ok && (r.object.spec as any).cidrs).toBeUndefined();
    expect(r.ok && r.warnings).toContain('spec.cidrs is deprecated; use spec.blocks');
  });

  it('keeps the talk peer timers and graceful restart, and defaults the rest', () => {
    const r = admit(SEED['02-bgp-peer-config.yaml'], { operation: 'create' });
    expect(r.ok && r.object.spec).toEqual({
      timers: { connectRetryTimeSeconds: 12, holdTimeSeconds: 9, keepAliveTimeSeconds: 3 },
      authSecretRef: 'bgp-auth-secret',
      gracefulRestart: { enabled: true, restartTimeSeconds: 15 },
      families: [{ afi: 'ipv4', safi: 'unicast', advertisements: { matchLabels: { advertise: 'bgp' } } }],
      ebgpMultihop: 1,
    });
  });
});
