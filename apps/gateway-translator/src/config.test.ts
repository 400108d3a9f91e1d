import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { loadConfig } from './config';
import { summarizeTlsSecret } from './secrets';

describe('configuration', () => {
  it('defaults: 127.0.0.1:9105, class cilium, Cilium controller name, field manager gateway-translator', () => {
    expect(loadConfig({})).toEqual({
      httpListen: '127.0.0.1:9105',
      server: undefined,
      defaultClass: 'cilium',
      controllerName: 'io.cilium/gateway-controller',
      fieldManager: 'gateway-translator',
      minIntervalMs: 25,
    });
    expect(loadConfig({ BOSUN_GATEWAY_DEFAULT_CLASS: 'none', BOSUN_HTTP_LISTEN: '0.0.0.0:9105', BOSUN_SERVER: 'unix:/run/api.sock' })).toMatchObject({ defaultClass: null, httpListen: '0.0.0.0:9105', server: 'unix:/run/api.sock' });
  });

  it('refuses bad values with the variable name and the reason', () => {
    expect(() => loadConfig({ BOSUN_GATEWAY_DEFAULT_CLASS: 'Cilium_Class' })).toThrow('BOSUN_GATEWAY_DEFAULT_CLASS: "Cilium_Class" is not a valid GatewayClass name (a DNS subdomain), nor "none"');
    expect(() => loadConfig({ BOSUN_GATEWAY_MIN_INTERVAL_MS: 'soon' })).toThrow('BOSUN_GATEWAY_MIN_INTERVAL_MS: "soon" must be an integer in 0..60000');
  });
});

describe('TLS Secret summaries (values are checked, never kept or echoed)', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secret = (data: Record<string, string>) => ({ metadata: { namespace: 'ns', name: 'cert' }, type: 'kubernetes.io/tls', data });

  it('a certificate and its key are valid; a key of another pair, garbage or a missing key are not, with the reason', async () => {
    const pems = await generate([{ name: 'commonName', value: 'gw.example.com' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as never);
    expect(summarizeTlsSecret(secret({ 'tls.crt': b64(pems.cert), 'tls.key': b64(pems.private) }))).toEqual({ namespace: 'ns', name: 'cert', type: 'kubernetes.io/tls', validTLS: true });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const mismatch = summarizeTlsSecret(secret({ 'tls.crt': b64(pems.cert), 'tls.key': b64(other) }));
    expect(mismatch).toMatchObject({ validTLS: false, problem: 'tls.key is not the private key of the certificate in tls.crt' });
    expect(summarizeTlsSecret(secret({ 'tls.crt': b64('not a cert'), 'tls.key': b64(other) }))).toMatchObject({ validTLS: false, problem: 'tls.crt is not a PEM certificate' });
    expect(summarizeTlsSecret(secret({ 'tls.crt': b64(pems.cert), 'tls.key': b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----') }))).toMatchObject({ validTLS: false, problem: 'tls.key is not a PEM private key' });
    expect(summarizeTlsSecret(secret({ 'tls.crt': b64(pems.cert) }))).toMatchObject({ validTLS: false, problem: 'no tls.key in the Secret' });
    for (const s of [mismatch]) expect(JSON.stringify(s)).not.toContain('PRIVATE');
  });
});
