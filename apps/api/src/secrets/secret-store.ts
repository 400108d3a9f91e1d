import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Transaction } from '@bosun/event-store';

/**
 * Secret values live here, never in the event store: AES-256-GCM ciphertext in a Postgres table
 * owned by the API. Events carry only the reference (the object's stream id), the key names and
 * a sha256 of the content.
 */
export interface SecretValues {
  readonly data: Record<string, string>; // base64 values, as in a Kubernetes Secret
}

export interface Queryable {
  query<R = any>(sql: string, params?: unknown[]): Promise<R[]>;
}

const ident = (s: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/i.test(s)) throw new Error(`invalid SQL identifier ${s}`);
  return `"${s}"`;
};

/** Reads the 32-byte key from BOSUN_SECRET_KEY_FILE or BOSUN_SECRET_KEY (hex or base64). */
export const loadSecretKey = (env: NodeJS.ProcessEnv = process.env): Buffer | undefined => {
  const raw = env.BOSUN_SECRET_KEY_FILE ? readFileSync(env.BOSUN_SECRET_KEY_FILE, 'utf8').trim() : env.BOSUN_SECRET_KEY?.trim();
  if (!raw) return undefined;
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes (64 hex characters or base64)');
  return key;
};

export const secretContentHash = (data: Record<string, string>, type: string): string => {
  const h = createHash('sha256');
  h.update(type);
  for (const k of Object.keys(data).sort()) h.update(`\0${k}\0${data[k]}`);
  return h.digest('hex');
};

export class SecretStore {
  private readonly table: string;

  constructor(
    private readonly db: Queryable,
    schema: string,
    private readonly key: Buffer | undefined,
  ) {
    this.table = `${ident(schema)}.secrets`;
    this.schemaName = schema;
  }
  private readonly schemaName: string;

  async migrate(): Promise<void> {
    await this.db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(this.schemaName)}`);
    await this.db.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         ref text PRIMARY KEY,
         iv bytea NOT NULL,
         tag bytea NOT NULL,
         ciphertext bytea NOT NULL,
         sha256 text NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  }

  get enabled(): boolean {
    return this.key !== undefined;
  }

  private requireKey(): Buffer {
    if (!this.key) throw new Error('no secret key configured (BOSUN_SECRET_KEY_FILE or BOSUN_SECRET_KEY): Secrets cannot be stored');
    return this.key;
  }

  /** Writes inside the caller's transaction, so the value commits with its event. */
  async put(tx: Transaction, ref: string, values: SecretValues, sha256: string): Promise<void> {
    const key = this.requireKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(ref));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(values.data), 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    await tx.query(
      `INSERT INTO ${this.table} (ref, iv, tag, ciphertext, sha256) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (ref) DO UPDATE SET iv = EXCLUDED.iv, tag = EXCLUDED.tag, ciphertext = EXCLUDED.ciphertext, sha256 = EXCLUDED.sha256, updated_at = now()`,
      [ref, iv, tag, ciphertext, sha256],
    );
  }

  async remove(tx: Transaction, ref: string): Promise<void> {
    await tx.query(`DELETE FROM ${this.table} WHERE ref = $1`, [ref]);
  }

  async get(ref: string): Promise<SecretValues | undefined> {
    const rows = await this.db.query<{ iv: Buffer; tag: Buffer; ciphertext: Buffer }>(`SELECT iv, tag, ciphertext FROM ${this.table} WHERE ref = $1`, [ref]);
    const row = rows[0];
    if (!row) return undefined;
    return { data: this.decrypt(ref, row) };
  }

  async getMany(refs: readonly string[]): Promise<Map<string, SecretValues>> {
    const out = new Map<string, SecretValues>();
    if (refs.length === 0) return out;
    const rows = await this.db.query<{ ref: string; iv: Buffer; tag: Buffer; ciphertext: Buffer }>(
      `SELECT ref, iv, tag, ciphertext FROM ${this.table} WHERE ref = ANY($1)`,
      [refs],
    );
    for (const r of rows) out.set(r.ref, { data: this.decrypt(r.ref, r) });
    return out;
  }

  private decrypt(ref: string, row: { iv: Buffer; tag: Buffer; ciphertext: Buffer }): Record<string, string> {
    const decipher = createDecipheriv('aes-256-gcm', this.requireKey(), row.iv);
    decipher.setAAD(Buffer.from(ref));
    decipher.setAuthTag(row.tag);
    const plain = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as Record<string, string>;
  }
}
