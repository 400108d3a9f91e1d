import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { SecretSummary } from '@bosun/gateway';

/**
 * What the translator keeps of a Secret an HTTPS listener references: whether `tls.crt` and
 * `tls.key` hold a PEM certificate and its private key. The values are read, checked and
 * dropped here; problems name the key and the reason, never a value.
 */
export const summarizeTlsSecret = (s: { metadata?: { namespace?: string; name?: string }; type?: string; data?: Record<string, string> }): SecretSummary => {
  const base = { namespace: s.metadata?.namespace ?? '', name: s.metadata?.name ?? '', ...(s.type ? { type: s.type } : {}) };
  const value = (k: string): string | undefined => {
    const v = s.data?.[k];
    return typeof v === 'string' && v !== '' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
  };
  const crt = value('tls.crt');
  const key = value('tls.key');
  if (!crt) return { ...base, validTLS: false, problem: 'no tls.crt in the Secret (or its values are not readable with the translator token)' };
  if (!key) return { ...base, validTLS: false, problem: 'no tls.key in the Secret' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(crt);
  } catch {
    return { ...base, validTLS: false, problem: 'tls.crt is not a PEM certificate' };
  }
  let pkey;
  try {
    pkey = createPrivateKey(key);
  } catch {
    return { ...base, validTLS: false, problem: 'tls.key is not a PEM private key' };
  }
  if (!cert.checkPrivateKey(pkey)) return { ...base, validTLS: false, problem: 'tls.key is not the private key of the certificate in tls.crt' };
  return { ...base, validTLS: true };
};
