import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveClientConfig } from './config';
import { BosunClient, kindOf } from './client';

describe('client configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-client-'));
  mkdirSync(join(dir, '.bosun'));
  writeFileSync(join(dir, '.bosun', 'admin.token'), 'from-file\n');
  const noConfig = { BOSUN_CONFIG: join(dir, 'none.yaml') };

  it('explicit options, then BOSUN_SERVER/BOSUN_TOKEN, then the config file, then .bosun/admin.token', () => {
    expect(resolveClientConfig({ cwd: dir, env: noConfig })).toEqual({ server: 'http://127.0.0.1:8080', token: 'from-file' });
    expect(resolveClientConfig({ cwd: dir, env: { ...noConfig, BOSUN_SERVER: 'unix:/run/api.sock', BOSUN_TOKEN: 'env' } })).toEqual({ server: 'unix:/run/api.sock', token: 'env' });
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, 'server: https://api.example:8443\ntoken: cfg\n');
    expect(resolveClientConfig({ cwd: dir, env: { BOSUN_CONFIG: cfg } })).toEqual({ server: 'https://api.example:8443', token: 'cfg' });
    expect(resolveClientConfig({ cwd: dir, env: { BOSUN_CONFIG: cfg }, server: 'http://x:1', token: 't' })).toMatchObject({ server: 'http://x:1', token: 't' });
  });

  it('builds Kubernetes paths for namespaced, cluster-scoped and versioned kinds', () => {
    const c = new BosunClient({ server: 'http://127.0.0.1:1', token: 't' });
    expect(c.path('svc', { namespace: 'blue', name: 'web' })).toBe('/api/v1/namespaces/blue/services/web');
    expect(c.path('ippools', { name: 'p', subresource: 'status' })).toBe('/apis/cilium.io/v2/ciliumloadbalancerippools/p/status');
    expect(c.path({ apiVersion: 'cilium.io/v2alpha1', kind: 'CiliumLoadBalancerIPPool' })).toBe('/apis/cilium.io/v2alpha1/ciliumloadbalancerippools');
    expect(() => kindOf('nonsense')).toThrow(/doesn't have a resource type/);
    c.close();
  });
});
