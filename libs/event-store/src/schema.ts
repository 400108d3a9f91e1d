import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store's tables, in one Postgres schema per store (`eventstore` by default; tests
 * use their own). Plain SQL: TypeORM cannot model `xid8`, and nothing here needs entities.
 *
 * Ordering (emmett's design): every event records the id of the transaction that wrote it
 * (`transaction_id xid8 DEFAULT pg_current_xact_id()`); readers take only events of
 * transactions older than the oldest one still running (`pg_snapshot_xmin`), in
 * (transaction_id, global_position) order. A slow transaction's events are therefore read
 * after it commits, never skipped, even though its global positions are lower.
 */

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Schema names we accept: plain lower-case identifiers (they also name the NOTIFY channel). */
export const validateSchemaName = (schema: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(schema)) {
    throw new Error(`event store schema: "${schema}" is not a plain lower-case identifier (a-z, 0-9, _; at most 48 characters)`);
  }
  return schema;
};

/** LISTEN/NOTIFY channel on which appends in `schema` are announced. */
export const notifyChannel = (schema: string): string => `bosun_events_${schema}`;

/**
 * Session settings of every connection the store reads on. The reads are ordered index range
 * scans that stop after a page; Postgres' default random_page_cost (4, for spinning disks)
 * makes the planner prefer a bitmap scan that sorts everything after the checkpoint instead
 * (measured: 100 ms instead of 6 ms for a 5,000-event page of a 32k-event log before the first
 * ANALYZE). The log's recent pages are cached, so random reads cost about what sequential do.
 */
export const READER_SESSION_OPTIONS = '-c random_page_cost=1.1';

/** SQLSTATE raised by `append_events` on a version conflict (custom class "BS"). */
export const WRONG_EXPECTED_VERSION_SQLSTATE = 'BS409';

const v1 = (schema: string): string => {
  const s = quoteIdent(schema);
  const channel = notifyChannel(schema).replace(/'/g, "''");
  return `
CREATE TABLE IF NOT EXISTS ${s}.streams (
  stream_id   text PRIMARY KEY,
  stream_type text NOT NULL,
  version     bigint NOT NULL CHECK (version > 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE IF NOT EXISTS ${s}.events_global_position_seq AS bigint;

-- The events table is also the outbox: the relay publishes from it by the same read rule.
-- No foreign key to streams: append_events keeps the two consistent, and the FK check would
-- cost every insert an extra index probe.
CREATE TABLE IF NOT EXISTS ${s}.events (
  stream_id       text   NOT NULL,
  stream_position bigint NOT NULL,
  global_position bigint NOT NULL DEFAULT nextval('${schema}.events_global_position_seq'),
  transaction_id  xid8   NOT NULL DEFAULT pg_current_xact_id(),
  event_id        uuid   NOT NULL,
  event_type      text   NOT NULL,
  schema_version  int    NOT NULL DEFAULT 1,
  data            jsonb  NOT NULL,
  metadata        jsonb  NOT NULL DEFAULT '{}'::jsonb,
  correlation_id  text   NOT NULL,
  causation_id    text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, stream_position),
  CONSTRAINT events_event_id_key UNIQUE (event_id),
  CONSTRAINT events_global_position_key UNIQUE (global_position)
);
ALTER SEQUENCE ${s}.events_global_position_seq OWNED BY ${s}.events.global_position;

CREATE INDEX IF NOT EXISTS events_read_order ON ${s}.events (transaction_id, global_position);
CREATE INDEX IF NOT EXISTS events_correlation ON ${s}.events (correlation_id);

CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
  subscriber_id        text PRIMARY KEY,
  last_transaction_id  xid8   NOT NULL DEFAULT '0',
  last_global_position bigint NOT NULL DEFAULT 0,
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Idempotent consumers of NATS messages record the message ids they applied.
CREATE TABLE IF NOT EXISTS ${s}.inbox (
  consumer     text NOT NULL,
  message_id   text NOT NULL,
  subject      text,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);

-- Wake readers once per inserting statement (NOTIFY folds duplicates within a transaction).
CREATE OR REPLACE FUNCTION ${s}.notify_events() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('${channel}', '');
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS events_notify ON ${s}.events;
CREATE TRIGGER events_notify AFTER INSERT ON ${s}.events FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_events();

-- Append a batch to one stream with optimistic concurrency, in one round trip.
-- p_expected_kind: 'exact' (p_expected = the version the stream must have, 0 = new stream),
-- 'no_stream', 'stream_exists' or 'any'. A conflict raises SQLSTATE ${WRONG_EXPECTED_VERSION_SQLSTATE} with the
-- actual version (or -1 when the stream does not exist) in DETAIL.
CREATE OR REPLACE FUNCTION ${s}.append_events(
  p_stream_id text,
  p_stream_type text,
  p_expected_kind text,
  p_expected bigint,
  p_ids_given boolean,
  p_event_ids uuid[],
  p_types text[],
  p_schema_versions int[],
  p_data jsonb[],
  p_metadata jsonb[],
  p_correlation_id text,
  p_causation_id text
) RETURNS TABLE (event_id uuid, stream_position bigint, global_position bigint, transaction_id text, created_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
  n bigint := cardinality(p_event_ids);
  v_prev bigint;
  v_actual bigint;
BEGIN
  IF n IS NULL OR n = 0 THEN
    RAISE EXCEPTION 'append to %: no events', p_stream_id USING ERRCODE = '22023';
  END IF;

  -- A retried append whose events (ids chosen by the caller) are already stored is a no-op.
  IF p_ids_given AND EXISTS (SELECT 1 FROM ${s}.events e WHERE e.event_id = p_event_ids[1] AND e.stream_id = p_stream_id) THEN
    RETURN QUERY SELECT e.event_id, e.stream_position, e.global_position, e.transaction_id::text, e.created_at
      FROM ${s}.events e WHERE e.event_id = ANY (p_event_ids) ORDER BY e.stream_position;
    RETURN;
  END IF;

  IF p_expected_kind = 'no_stream' OR (p_expected_kind = 'exact' AND p_expected = 0) THEN
    INSERT INTO ${s}.streams AS st (stream_id, stream_type, version) VALUES (p_stream_id, p_stream_type, n)
      ON CONFLICT (stream_id) DO NOTHING;
    IF NOT FOUND THEN
      SELECT st.version INTO v_actual FROM ${s}.streams st WHERE st.stream_id = p_stream_id;
      RAISE EXCEPTION 'stream %: expected no stream, actual version %', p_stream_id, v_actual
        USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}', DETAIL = coalesce(v_actual, -1)::text;
    END IF;
    v_prev := 0;
  ELSIF p_expected_kind = 'exact' THEN
    UPDATE ${s}.streams st SET version = st.version + n, updated_at = now()
      WHERE st.stream_id = p_stream_id AND st.version = p_expected;
    IF NOT FOUND THEN
      SELECT st.version INTO v_actual FROM ${s}.streams st WHERE st.stream_id = p_stream_id;
      RAISE EXCEPTION 'stream %: expected version %, actual %', p_stream_id, p_expected, coalesce(v_actual::text, 'none')
        USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}', DETAIL = coalesce(v_actual, -1)::text;
    END IF;
    v_prev := p_expected;
  ELSIF p_expected_kind = 'stream_exists' THEN
    UPDATE ${s}.streams st SET version = st.version + n, updated_at = now()
      WHERE st.stream_id = p_stream_id RETURNING st.version - n INTO v_prev;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stream %: expected an existing stream, it does not exist', p_stream_id
        USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}', DETAIL = '-1';
    END IF;
  ELSIF p_expected_kind = 'any' THEN
    INSERT INTO ${s}.streams AS st (stream_id, stream_type, version) VALUES (p_stream_id, p_stream_type, n)
      ON CONFLICT (stream_id) DO UPDATE SET version = st.version + n, updated_at = now()
      RETURNING st.version - n INTO v_prev;
  ELSE
    RAISE EXCEPTION 'append to %: unknown expected version kind %', p_stream_id, p_expected_kind USING ERRCODE = '22023';
  END IF;

  RETURN QUERY
    INSERT INTO ${s}.events AS e (stream_id, stream_position, event_id, event_type, schema_version, data, metadata, correlation_id, causation_id)
    SELECT p_stream_id, v_prev + t.ord, t.id, t.typ, t.ver, t.dat, coalesce(t.meta, '{}'::jsonb), p_correlation_id, p_causation_id
      FROM unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata) WITH ORDINALITY AS t(id, typ, ver, dat, meta, ord)
      ORDER BY t.ord
    RETURNING e.event_id, e.stream_position, e.global_position, e.transaction_id::text, e.created_at;
END
$fn$;
`;
};

/**
 * `append_events`: a batch to one stream with optimistic concurrency, in one round trip.
 * p_expected_kind: 'exact' (p_expected = the version the stream must have, 0 = new stream),
 * 'no_stream', 'stream_exists' or 'any'. p_events: a JSON array of {id, type, version, data}
 * (one parameter: cheaper to send than five arrays). A conflict raises SQLSTATE
 * WRONG_EXPECTED_VERSION_SQLSTATE with `detail(actual)` in DETAIL (actual = -1: no stream).
 */
const appendEventsFunction = (schema: string, detail: (actual: string) => string): string => {
  const s = quoteIdent(schema);
  return `
CREATE OR REPLACE FUNCTION ${s}.append_events(
  p_stream_id text,
  p_stream_type text,
  p_expected_kind text,
  p_expected bigint,
  p_ids_given boolean,
  p_events jsonb,
  p_metadata jsonb,
  p_correlation_id text,
  p_causation_id text
) RETURNS TABLE (event_id uuid, stream_position bigint, global_position bigint, transaction_id text, created_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
  n bigint := jsonb_array_length(p_events);
  v_first uuid;
  v_prev bigint;
  v_actual bigint;
BEGIN
  IF n IS NULL OR n = 0 THEN
    RAISE EXCEPTION 'append to %: no events', p_stream_id USING ERRCODE = '22023';
  END IF;

  -- A retried append whose events (ids chosen by the caller) are already stored is a no-op.
  IF p_ids_given THEN
    v_first := (p_events -> 0 ->> 'id')::uuid;
    IF EXISTS (SELECT 1 FROM ${s}.events e WHERE e.event_id = v_first AND e.stream_id = p_stream_id) THEN
      RETURN QUERY SELECT e.event_id, e.stream_position, e.global_position, e.transaction_id::text, e.created_at
        FROM ${s}.events e
        WHERE e.event_id IN (SELECT (x ->> 'id')::uuid FROM jsonb_array_elements(p_events) AS x)
        ORDER BY e.stream_position;
      RETURN;
    END IF;
  END IF;

  IF p_expected_kind = 'no_stream' OR (p_expected_kind = 'exact' AND p_expected = 0) THEN
    INSERT INTO ${s}.streams AS st (stream_id, stream_type, version) VALUES (p_stream_id, p_stream_type, n)
      ON CONFLICT (stream_id) DO NOTHING;
    IF NOT FOUND THEN
      SELECT st.version INTO v_actual FROM ${s}.streams st WHERE st.stream_id = p_stream_id;
      RAISE EXCEPTION 'stream %: expected no stream, actual version %', p_stream_id, v_actual
        USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}', DETAIL = ${detail('coalesce(v_actual, -1)')};
    END IF;
    v_prev := 0;
  ELSIF p_expected_kind = 'exact' THEN
    UPDATE ${s}.streams st SET version = st.version + n, updated_at = now()
      WHERE st.stream_id = p_stream_id AND st.version = p_expected;
    IF NOT FOUND THEN
      SELECT st.version INTO v_actual FROM ${s}.streams st WHERE st.stream_id = p_stream_id;
      RAISE EXCEPTION 'stream %: expected version %, actual %', p_stream_id, p_expected, coalesce(v_actual::text, 'none')
        USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}', DETAIL = ${detail('coalesce(v_actual, -1)')};
    END IF;
    v_prev := p_expected;
  ELSIF p_expected_kind = 'stream_exists' THEN
    UPDATE ${s}.streams st SET version = st.version + n, updated_at = now()
      WHERE st.stream_id = p_stream_id RETURNING st.version - n INTO v_prev;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stream %: expected an existing stream, it does not exist', p_stream_id
        USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}', DETAIL = ${detail('-1')};
    END IF;
  ELSIF p_expected_kind = 'any' THEN
    INSERT INTO ${s}.streams AS st (stream_id, stream_type, version) VALUES (p_stream_id, p_stream_type, n)
      ON CONFLICT (stream_id) DO UPDATE SET version = st.version + n, updated_at = now()
      RETURNING st.version - n INTO v_prev;
  ELSE
    RAISE EXCEPTION 'append to %: unknown expected version kind %', p_stream_id, p_expected_kind USING ERRCODE = '22023';
  END IF;

  RETURN QUERY
    INSERT INTO ${s}.events AS e (stream_id, stream_position, event_id, event_type, schema_version, data, metadata, correlation_id, causation_id)
    SELECT p_stream_id, v_prev + t.ord, t.id, t.type, t.version, t.data, p_metadata, p_correlation_id, p_causation_id
      FROM ROWS FROM (jsonb_to_recordset(p_events) AS (id uuid, type text, version int, data jsonb)) WITH ORDINALITY AS t(id, type, version, data, ord)
      ORDER BY t.ord
    RETURNING e.event_id, e.stream_position, e.global_position, e.transaction_id::text, e.created_at;
END
$fn$;
`;
};

/** v2: append_events takes the batch as one JSON parameter (cheaper to encode than five arrays). */
const v2 = (schema: string): string => `
DROP FUNCTION IF EXISTS ${quoteIdent(schema)}.append_events(text, text, text, bigint, boolean, uuid[], text[], int[], jsonb[], jsonb[], text, text);
${appendEventsFunction(schema, (actual) => `(${actual})::text`)}`;

/**
 * v3: the NOTIFY trigger stays quiet for the store's own connections (they set
 * `bosun.skip_notify=on` and announce appends after commit, out of band). A NOTIFY inside the
 * appending transaction holds Postgres' global notify lock through the commit's WAL flush, which
 * serialises every appending commit (no group commit): 2-4x fewer appends per second.
 */
const v3 = (schema: string): string => {
  const s = quoteIdent(schema);
  const channel = notifyChannel(schema).replace(/'/g, "''");
  return `
CREATE OR REPLACE FUNCTION ${s}.notify_events() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF coalesce(current_setting('bosun.skip_notify', true), '') <> 'on' THEN
    PERFORM pg_notify('${channel}', '');
  END IF;
  RETURN NULL;
END
$fn$;
`;
};

/**
 * v4: appends to several streams in one statement (`append_events_many`), all or nothing: a
 * batch of writers (the API's group commit, ipam's pool and services streams) costs one round
 * trip instead of one per stream plus BEGIN/COMMIT. A conflict names its stream in DETAIL
 * (JSON: {"stream": …, "actual": …}), since the caller cannot tell which append of the batch
 * failed otherwise.
 */
const v4 = (schema: string): string => {
  const s = quoteIdent(schema);
  const detail = (actual: string) => `json_build_object('stream', p_stream_id, 'actual', ${actual})::text`;
  return `
${appendEventsFunction(schema, detail)}
-- Several appends (each as append_events takes it) in one statement, in the order given.
CREATE OR REPLACE FUNCTION ${s}.append_events_many(p_appends jsonb)
RETURNS TABLE (append_index int, event_id uuid, stream_position bigint, global_position bigint, transaction_id text, created_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
  a jsonb;
  i int := 0;
BEGIN
  FOR a IN SELECT x FROM jsonb_array_elements(p_appends) AS x LOOP
    RETURN QUERY SELECT i, r.event_id, r.stream_position, r.global_position, r.transaction_id, r.created_at
      FROM ${s}.append_events(a ->> 'stream_id', a ->> 'stream_type', a ->> 'kind', (a ->> 'expected')::bigint, (a ->> 'ids_given')::boolean,
                              a -> 'events', a -> 'metadata', a ->> 'correlation_id', a ->> 'causation_id') AS r;
    i := i + 1;
  END LOOP;
END
$fn$;
`;
};

/** TypeORM migrations for one schema (the schema name is part of every statement). */
export const eventStoreMigrations = (schema: string): Array<new () => MigrationInterface> => {
  class EventStoreInitial1764115200000 implements MigrationInterface {
    readonly name = 'EventStoreInitial1764115200000';
    async up(qr: QueryRunner): Promise<void> {
      await qr.query(v1(schema));
    }
    async down(qr: QueryRunner): Promise<void> {
      await qr.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    }
  }
  class EventStoreAppendJson1764201600000 implements MigrationInterface {
    readonly name = 'EventStoreAppendJson1764201600000';
    async up(qr: QueryRunner): Promise<void> {
      await qr.query(v2(schema));
    }
    async down(): Promise<void> {
      throw new Error('EventStoreAppendJson: no way down (drop the schema instead)');
    }
  }
  class EventStoreOutOfBandNotify1764288000000 implements MigrationInterface {
    readonly name = 'EventStoreOutOfBandNotify1764288000000';
    async up(qr: QueryRunner): Promise<void> {
      await qr.query(v3(schema));
    }
    async down(): Promise<void> {
      throw new Error('EventStoreOutOfBandNotify: no way down (drop the schema instead)');
    }
  }
  class EventStoreAppendMany1764374400000 implements MigrationInterface {
    readonly name = 'EventStoreAppendMany1764374400000';
    async up(qr: QueryRunner): Promise<void> {
      await qr.query(v4(schema));
    }
    async down(): Promise<void> {
      throw new Error('EventStoreAppendMany: no way down (drop the schema instead)');
    }
  }
  return [EventStoreInitial1764115200000, EventStoreAppendJson1764201600000, EventStoreOutOfBandNotify1764288000000, EventStoreAppendMany1764374400000];
};
