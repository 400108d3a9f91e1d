import { withPgClient } from '../postgres';

/**
 * Reads the l2-announcer's lease tables (schema `BOSUN_L2_SCHEMA`), as tests and benchmarks need
 * them: who holds an address now, and who could take it over.
 */

/** The node holding a valid lease for `address` (its process alive, membership unexpired), or null. */
export const l2LeaseHolder = (schema: string, address: string): Promise<string | null> =>
  withPgClient(async (c) => {
    const r = await c.query<{ holder_node: string | null; valid: boolean }>(
      `SELECT l.holder_node, (lm.member_id IS NOT NULL) AS valid
         FROM "${schema}".leases l LEFT JOIN "${schema}".live_members lm ON lm.member_id = l.holder_member
        WHERE l.address = $1`,
      [address],
    );
    return r.rows[0]?.valid ? r.rows[0].holder_node : null;
  });

/** How many nodes other than `except` are live candidates for `address`. */
export const l2LiveCandidates = (schema: string, address: string, except: string): Promise<number> =>
  withPgClient(async (c) => {
    const r = await c.query<{ n: number }>(
      `SELECT count(DISTINCT lm.node)::int AS n FROM "${schema}".live_members lm JOIN "${schema}".candidates c ON c.member_id = lm.member_id
        WHERE c.address = $1 AND lm.node <> $2`,
      [address, except],
    );
    return r.rows[0]!.n;
  });

/** How many addresses `node` holds with a valid lease. */
export const l2LeasesHeldBy = (schema: string, node: string): Promise<number> =>
  withPgClient(async (c) => {
    const r = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".leases l JOIN "${schema}".live_members lm ON lm.member_id = l.holder_member WHERE lm.node = $1`,
      [node],
    );
    return r.rows[0]!.n;
  });
