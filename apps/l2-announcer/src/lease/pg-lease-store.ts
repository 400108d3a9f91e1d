import { Client } from 'pg';
import type { CandidateView, HolderView, LeaseTimings } from '@bosun/l2';
import { monotonicMs } from '@bosun/l2';

/** Schema names we accept (they are spliced into SQL). */
export const validateLeaseSchema = (schema: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(schema)) throw new Error(`BOSUN_L2_SCHEMA: "${schema}" is not a plain lower-case identifier (a-z, 0-9, _; at most 48 characters)`);
  return schema;
};

export const DEFAULT_LEASE_SCHEMA = 'l2';

/** LISTEN/NOTIFY channel on which releases of leases in `schema` are announced. */
export const releaseChannel = (schema: string): string => `bosun_l2_released_${schema}`;

/** First key of our session-level advisory locks: one per schema, so test schemas never collide. */
export const lockClassFor = (schema: string): number => {
  let h = 0x811c9dc5;
  for (const ch of `bosun-l2-member:${schema}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return (h >>> 0) & 0x7fffffff;
};

// v3: liveness counts only the holder's own (exclusive) lock: contenders wait on it in share mode.
const SCHEMA_VERSION = 3;

const ddl = (s: string, lockClass: number): string => `
CREATE TABLE IF NOT EXISTS ${s}.members (
  member_id   serial PRIMARY KEY,
  node        text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  renewed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at  timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.leases (
  address        text PRIMARY KEY,
  holder_member  int,
  holder_node    text,
  fencing_token  bigint NOT NULL DEFAULT 0,
  transitions    int NOT NULL DEFAULT 0,
  acquired_at    timestamptz,
  released_at    timestamptz,
  interfaces     text NOT NULL DEFAULT '',
  services       text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS leases_holder ON ${s}.leases (holder_member);
CREATE TABLE IF NOT EXISTS ${s}.candidates (
  address    text NOT NULL,
  member_id  int NOT NULL REFERENCES ${s}.members (member_id) ON DELETE CASCADE,
  node       text NOT NULL,
  since      timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (address, member_id)
);
CREATE INDEX IF NOT EXISTS candidates_member ON ${s}.candidates (member_id);

-- Members whose process is alive (session lock held) and whose membership is unexpired: what
-- contenders treat as a valid holder. For operators, tests and benchmarks.
CREATE OR REPLACE VIEW ${s}.live_members AS
  SELECT m.member_id, m.node, m.started_at, m.renewed_at, m.expires_at
    FROM ${s}.members m
   WHERE m.expires_at > clock_timestamp()
     AND EXISTS (SELECT 1 FROM pg_locks pl
                  WHERE pl.locktype = 'advisory' AND pl.classid = ${lockClass}::oid AND pl.objid = m.member_id::oid
                    AND pl.objsubid = 2 AND pl.granted AND pl.mode = 'ExclusiveLock'
                    AND pl.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()));

-- Takes free or dead-held leases for member p_me. Safety against a holder that is renewing at
-- the same moment: lease rows are locked (address order), then the member rows of their holders
-- and our own (id order), so a renewal in flight either commits before we read its expiry or
-- runs after us and fails (renewals require an unexpired membership). The holder checks run in
-- a later statement, so they see the latest committed rows. Every transaction that locks both
-- kinds of rows locks lease rows first, and renewals lock only their own member row: no cycles.
CREATE OR REPLACE FUNCTION ${s}.acquire_leases(p_me int, p_node text, p_addresses text[], p_interfaces text[], p_services text[], p_class int)
RETURNS TABLE (address text, fencing_token bigint, acquired_at timestamptz, transitions int, previous_holder text)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
  v_db oid := (SELECT d.oid FROM pg_database d WHERE d.datname = current_database());
  v_holders int[];
BEGIN
  -- Rows are created and locked in address order by everyone: no deadlocks between contenders.
  INSERT INTO ${s}.leases AS l (address, fencing_token) SELECT a, 0 FROM unnest(p_addresses) AS a ORDER BY a ON CONFLICT DO NOTHING;
  PERFORM 1 FROM ${s}.leases l WHERE l.address = ANY (p_addresses) ORDER BY l.address FOR UPDATE;
  v_holders := ARRAY(SELECT DISTINCT l.holder_member FROM ${s}.leases l WHERE l.address = ANY (p_addresses) AND l.holder_member IS NOT NULL);
  PERFORM 1 FROM ${s}.members m WHERE m.member_id = ANY (v_holders || p_me) ORDER BY m.member_id FOR UPDATE;
  IF NOT EXISTS (SELECT 1 FROM ${s}.members m WHERE m.member_id = p_me AND m.expires_at > clock_timestamp()) THEN
    RETURN;
  END IF;
  RETURN QUERY
  WITH prev AS (SELECT l.address, l.holder_node FROM ${s}.leases l WHERE l.address = ANY (p_addresses))
  UPDATE ${s}.leases l
     SET holder_member = p_me, holder_node = p_node,
         fencing_token = l.fencing_token + 1,
         transitions = l.transitions + CASE WHEN l.fencing_token = 0 THEN 0 ELSE 1 END,
         acquired_at = clock_timestamp(), released_at = NULL,
         interfaces = w.interfaces, services = w.services
    FROM unnest(p_addresses, p_interfaces, p_services) AS w(address, interfaces, services)
   WHERE l.address = w.address
     AND (l.holder_member IS NULL
          OR NOT EXISTS (SELECT 1 FROM ${s}.members m WHERE m.member_id = l.holder_member AND m.expires_at > clock_timestamp())
          OR NOT EXISTS (SELECT 1 FROM pg_locks pl
                          WHERE pl.locktype = 'advisory' AND pl.database = v_db AND pl.classid = p_class::oid
                            AND pl.objid = l.holder_member::oid AND pl.objsubid = 2 AND pl.granted AND pl.mode = 'ExclusiveLock'))
  RETURNING l.address, l.fencing_token, l.acquired_at, l.transitions, (SELECT p.holder_node FROM prev p WHERE p.address = l.address);
END
$fn$;
`;

export interface LeaseGrant {
  readonly address: string;
  readonly fencingToken: number;
  /** Database time of the grant (ISO). */
  readonly acquiredAt: string;
  readonly transitions: number;
  /** The node that held it before (null when free). */
  readonly previousHolder: string | null;
}

export interface Observation {
  readonly holder: HolderView | null;
  readonly candidates: CandidateView[];
}

export interface AcquireRequest {
  readonly address: string;
  readonly interfaces: readonly string[];
  readonly services: readonly string[];
}

export interface PgLeaseStoreOptions {
  readonly connectionString: string;
  readonly schema?: string;
  readonly node: string;
  readonly timings: LeaseTimings;
  /** Called once when the session ends (connection error or close by the server). */
  readonly onSessionLost: (reason: string) => void;
}

/**
 * Leases in Postgres, one row per address, with a fencing token that increments on every change
 * of holder. All of a node's leases hang off its membership row, renewed once per retry period,
 * and off a session-level advisory lock `(class, member_id)` on this store's own connection:
 * Postgres drops it the moment the process dies, so contenders see a dead holder at their next
 * poll instead of after the lease duration. Expiry uses the database clock only.
 */
export class PgLeaseStore {
  private readonly s: string;
  private readonly lockClass: number;
  private memberIdValue: number | null = null;
  private lost = false;
  private closing = false;

  private constructor(
    private readonly client: Client,
    private readonly opts: PgLeaseStoreOptions,
    readonly schema: string,
  ) {
    this.s = `"${schema}"`;
    this.lockClass = lockClassFor(schema);
    const lose = (reason: string) => {
      if (this.lost || this.closing) return;
      this.lost = true;
      opts.onSessionLost(reason);
    };
    client.on('error', (e) => lose(`database session error: ${e.message}`));
    client.on('end', () => lose('database session ended'));
  }

  static async connect(opts: PgLeaseStoreOptions): Promise<PgLeaseStore> {
    const schema = validateLeaseSchema(opts.schema ?? DEFAULT_LEASE_SCHEMA);
    const client = new Client({
      connectionString: opts.connectionString,
      application_name: `bosun-l2-announcer:${opts.node}`.slice(0, 63),
      keepAlive: true,
    });
    await client.connect();
    const store = new PgLeaseStore(client, opts, schema);
    try {
      // Never let the server end our session for idleness: that would release our lock while we live.
      await client.query(`SET idle_session_timeout = 0; SET idle_in_transaction_session_timeout = 0`);
      await store.migrate();
    } catch (e) {
      store.closing = true;
      await client.end().catch(() => undefined);
      throw e;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await this.client.query(`SELECT pg_advisory_xact_lock($1, 0)`, [this.lockClass]);
      await this.client.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      await this.client.query(`CREATE TABLE IF NOT EXISTS ${this.s}.schema_version (version int NOT NULL)`);
      const v = await this.client.query<{ version: number }>(`SELECT max(version) AS version FROM ${this.s}.schema_version`);
      if ((v.rows[0]?.version ?? 0) < SCHEMA_VERSION) {
        await this.client.query(ddl(this.s, this.lockClass));
        await this.client.query(`INSERT INTO ${this.s}.schema_version (version) VALUES ($1)`, [SCHEMA_VERSION]);
      }
      await this.client.query('COMMIT');
    } catch (e) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  get memberId(): number | null {
    return this.memberIdValue;
  }

  get sessionLost(): boolean {
    return this.lost;
  }

  /** Live, unexpired members (their session lock is held): the SQL every check shares. */
  private validMembersCte(): string {
    return `live AS (
      SELECT objid::int8 AS member_id FROM pg_locks
       WHERE locktype = 'advisory' AND classid = ${this.lockClass}::oid AND objsubid = 2 AND granted AND mode = 'ExclusiveLock'
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    ), valid AS (
      SELECT m.member_id, m.node, m.started_at FROM ${this.s}.members m JOIN live l ON l.member_id = m.member_id
       WHERE m.expires_at > clock_timestamp()
    )`;
  }

  /** Registers this process as a member and takes its liveness lock. Returns when the request was sent. */
  async register(): Promise<{ memberId: number; sentAt: number }> {
    const sentAt = monotonicMs();
    const r = await this.client.query<{ member_id: number }>(
      `INSERT INTO ${this.s}.members (node, expires_at) VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond') RETURNING member_id`,
      [this.opts.node, this.opts.timings.leaseDurationMs],
    );
    const memberId = r.rows[0]!.member_id;
    await this.client.query(`SELECT pg_advisory_lock($1, $2)`, [this.lockClass, memberId]);
    this.memberIdValue = memberId;
    return { memberId, sentAt };
  }

  private me(): number {
    if (this.memberIdValue === null) throw new Error('not registered');
    return this.memberIdValue;
  }

  /**
   * Renews the membership (and with it every lease it holds) and returns the leases the
   * database says we hold. A membership that has already expired by the database clock is not
   * renewed (`renewed` false): others may have taken its leases, so we must start over.
   */
  async renew(): Promise<{ sentAt: number; renewed: boolean; held: { address: string; fencingToken: number }[] }> {
    const sentAt = monotonicMs();
    const r = await this.client.query<{ renewed: number; held: [string, string][] }>(
      `WITH me AS (
         UPDATE ${this.s}.members SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + $2 * interval '1 millisecond'
          WHERE member_id = $1 AND expires_at > clock_timestamp() RETURNING member_id)
       SELECT (SELECT count(*) FROM me)::int AS renewed,
              coalesce((SELECT json_agg(json_build_array(address, fencing_token::text)) FROM ${this.s}.leases WHERE holder_member = $1), '[]'::json) AS held`,
      [this.me(), this.opts.timings.leaseDurationMs],
    );
    const row = r.rows[0]!;
    return { sentAt, renewed: row.renewed === 1, held: row.held.map(([address, t]) => ({ address, fencingToken: Number(t) })) };
  }

  /** Records the addresses we compete for (and forgets the others). */
  async setCandidacy(addresses: readonly string[]): Promise<void> {
    await this.client.query(
      `WITH gone AS (DELETE FROM ${this.s}.candidates WHERE member_id = $1 AND NOT (address = ANY($3::text[])))
       INSERT INTO ${this.s}.candidates (address, member_id, node) SELECT a, $1, $2 FROM unnest($3::text[]) a
       ON CONFLICT DO NOTHING`,
      [this.me(), this.opts.node, addresses],
    );
  }

  /** Current holder (valid or not) and live candidates of each address. */
  async observe(addresses: readonly string[]): Promise<Map<string, Observation>> {
    const out = new Map<string, Observation>();
    if (addresses.length === 0) return out;
    const r = await this.client.query<{ address: string; holder_node: string | null; holder_member: number | null; fencing_token: string | null; holder_valid: boolean; candidates: [string, number][] | null }>(
      `WITH ${this.validMembersCte()}
       SELECT a.address, l.holder_node, l.holder_member, l.fencing_token::text, (v.member_id IS NOT NULL) AS holder_valid,
              (SELECT json_agg(json_build_array(c.node, floor(extract(epoch FROM clock_timestamp() - c.since) * 1000)))
                 FROM ${this.s}.candidates c JOIN valid cv ON cv.member_id = c.member_id WHERE c.address = a.address) AS candidates
         FROM unnest($1::text[]) AS a(address)
         LEFT JOIN ${this.s}.leases l ON l.address = a.address
         LEFT JOIN valid v ON v.member_id = l.holder_member`,
      [addresses],
    );
    for (const row of r.rows) {
      const holder: HolderView | null =
        row.holder_member === null || row.holder_node === null
          ? null
          : { node: row.holder_node, memberId: row.holder_member, fencingToken: Number(row.fencing_token), valid: row.holder_valid };
      out.set(row.address, { holder, candidates: (row.candidates ?? []).map(([node, ms]) => ({ node, candidateForMs: Number(ms) })) });
    }
    return out;
  }

  /**
   * Takes the leases that are free or whose holder is dead — its membership expired by the
   * database clock, or its session lock gone (the process died) — in one call of
   * `acquire_leases` (see the DDL for the locking argument). Returns the grants; an address
   * missing from the result went to someone else or our membership has expired.
   */
  async acquire(requests: readonly AcquireRequest[]): Promise<{ sentAt: number; grants: LeaseGrant[] }> {
    const sentAt = monotonicMs();
    if (requests.length === 0) return { sentAt, grants: [] };
    const r = await this.client.query<{ address: string; fencing_token: string; acquired_at: Date; transitions: number; previous_holder: string | null }>(
      `SELECT address, fencing_token::text, acquired_at, transitions, previous_holder FROM ${this.s}.acquire_leases($1, $2, $3::text[], $4::text[], $5::text[], $6)`,
      [this.me(), this.opts.node, requests.map((q) => q.address), requests.map((q) => q.interfaces.join(',')), requests.map((q) => q.services.join(',')), this.lockClass],
    );
    return {
      sentAt,
      grants: r.rows.map((row) => ({
        address: row.address,
        fencingToken: Number(row.fencing_token),
        acquiredAt: row.acquired_at.toISOString(),
        transitions: row.transitions,
        previousHolder: row.previous_holder,
      })),
    };
  }

  /** Gives leases up (after we stopped answering for them): contenders may take them at once. */
  async release(leases: readonly { address: string; fencingToken: number }[]): Promise<void> {
    if (leases.length === 0) return;
    await this.client.query(
      `UPDATE ${this.s}.leases l SET holder_member = NULL, holder_node = NULL, released_at = clock_timestamp()
         FROM unnest($2::text[], $3::bigint[]) AS r(address, token)
        WHERE l.address = r.address AND l.fencing_token = r.token AND l.holder_member = $1`,
      [this.me(), leases.map((l) => l.address), leases.map((l) => l.fencingToken)],
    );
    await this.notifyReleased();
  }

  /** Wakes contenders (they LISTEN on `releaseChannel`) instead of letting them wait for their next round. */
  private async notifyReleased(): Promise<void> {
    await this.client.query(`SELECT pg_notify($1, $2)`, [releaseChannel(this.schema), this.opts.node]);
  }

  /** Forgets members that died more than a minute ago (their candidacies go with them). */
  async collectGarbage(): Promise<number> {
    const r = await this.client.query(
      `WITH ${this.validMembersCte()}
       DELETE FROM ${this.s}.members m WHERE m.member_id NOT IN (SELECT member_id FROM live) AND m.expires_at < clock_timestamp() - interval '1 minute'`,
    );
    return r.rowCount ?? 0;
  }

  /**
   * Leaves cleanly: releases every lease we hold and deletes our membership (callers stop
   * answering first), so others take over at their next poll; then closes the session.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      if (this.memberIdValue !== null && !this.lost) {
        await this.client.query(`UPDATE ${this.s}.leases SET holder_member = NULL, holder_node = NULL, released_at = clock_timestamp() WHERE holder_member = $1`, [this.memberIdValue]);
        await this.client.query(`DELETE FROM ${this.s}.members WHERE member_id = $1`, [this.memberIdValue]);
        await this.notifyReleased();
      }
    } catch {
      /* the session is going anyway */
    } finally {
      await this.client.end().catch(() => undefined);
    }
  }

  /** Ends the session without cleaning up (tests: behave like a crash of the database link). */
  async abandon(): Promise<void> {
    this.closing = true;
    await this.client.end().catch(() => undefined);
  }
}
