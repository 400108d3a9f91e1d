import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/**
 * The API's serving certificate: from BOSUN_API_TLS_CERT_FILE / BOSUN_API_TLS_KEY_FILE, or a
 * self-signed one for localhost (written to those paths when given, so clients can trust it).
 * kubectl sends bearer tokens only over TLS, so the API always speaks TLS too.
 */
export const loadOrCreateTls = async (certFile?: string, keyFile?: string): Promise<TlsMaterial> => {
  if (certFile && keyFile && existsSync(certFile) && existsSync(keyFile)) {
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  }
  const notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'bosun-api' }], {
    // ECDSA P-256: as widely accepted as RSA and generated in milliseconds, not seconds.
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  } as never);
  if (certFile && keyFile) {
    mkdirSync(dirname(certFile), { recursive: true });
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    writeFileSync(certFile, pems.cert);
  }
  return { cert: pems.cert, key: pems.private };
};
