import { MYSQL_ROLLUP_SQL, RollupSql, SQLITE_ROLLUP_SQL } from '../review/activity-sql';
import { INSERT_COLUMNS } from './columns';

/**
 * The projection in SQL: audit_batches rows unfolded into audit_events rows by the database
 * itself (MariaDB/MySQL JSON_TABLE, SQLite json_each), so that the gateway sends one statement
 * per step and never handles the records one by one. Both unfold the encoding of
 * src/audit/batch.ts exactly as decodeRecords does (verify compares the two).
 *
 * Each row: the batch's header fields, seq = first_seq + ordinal, entity_id = the subject id
 * when left out, prev_hash/hash = the batch's (which batch of the chain holds the record).
 * Inserted in (batch seq, ordinal) order, so that ids follow seq within a chain.
 */

const EVENT_COLUMNS = INSERT_COLUMNS.join(', ');

const DECISION = (code: string) => `CASE ${code} WHEN 'A' THEN 'ALLOW' WHEN 'M' THEN 'MASK' WHEN 'D' THEN 'DENY' END`;

/** A batch's records as JSON, stored plain or deflated (src/audit/batch.ts, deflateRecords). */
const MYSQL_RECORDS_JSON = "IF(b.records LIKE 'z%', CONVERT(UNCOMPRESS(FROM_BASE64(SUBSTRING(b.records, 2))) USING utf8mb4), b.records)";

/** The SQL function the SQLite projection registers on its connection (storedRecordsJson). */
export const SQLITE_RECORDS_FUNCTION = 'pg_audit_records';

/** (chain_id, after batch seq, up to batch seq): the batches (after, upTo] of one chain. */
export const MYSQL_PROJECT_SQL = `INSERT INTO audit_events (${EVENT_COLUMNS})
SELECT b.chain_id, b.first_seq + r.o, b.request_id, b.at, b.client_id, b.purpose, b.case_ref,
       r.s, r.e, COALESCE(r.ei, CAST(r.s AS CHAR)), r.f, r.c, ${DECISION('r.d')}, r.m, r.re, r.ba, b.policy_version, r.co, b.prev_hash, b.hash
  FROM audit_batches b
  JOIN JSON_TABLE(${MYSQL_RECORDS_JSON}, '$[*]' COLUMNS (
         e VARCHAR(255) PATH '$[0]', f VARCHAR(255) PATH '$[1]', c VARCHAR(255) PATH '$[2]', d VARCHAR(8) PATH '$[3]',
         m VARCHAR(255) PATH '$[4]', re VARCHAR(255) PATH '$[5]', ba VARCHAR(255) PATH '$[6]',
         NESTED PATH '$[7][*]' COLUMNS (o BIGINT PATH '$[0]', s BIGINT PATH '$[1]', ei VARCHAR(255) PATH '$[2]', co VARCHAR(255) PATH '$[3]'))) r
 WHERE b.chain_id = ? AND b.seq > ? AND b.seq <= ?
 ORDER BY b.seq, r.o`;

// The groups are materialised first: reading a group's fields once per record would parse the
// group's JSON (all its entries) once per record, quadratic in the group's size.
export const SQLITE_PROJECT_SQL = `WITH g AS MATERIALIZED (
  SELECT b.chain_id, b.seq AS batch, b.first_seq, b.request_id, b.at, b.client_id, b.purpose, b.case_ref, b.policy_version, b.prev_hash, b.hash,
         j.value ->> 0 AS entity, j.value ->> 1 AS field, j.value ->> 2 AS category, j.value ->> 3 AS decision, j.value ->> 4 AS mask,
         j.value ->> 5 AS reason, j.value ->> 6 AS basis, j.value -> 7 AS entries
    FROM audit_batches b, json_each(${SQLITE_RECORDS_FUNCTION}(b.records)) j
   WHERE b.chain_id = ? AND b.seq > ? AND b.seq <= ?)
INSERT INTO audit_events (${EVENT_COLUMNS})
SELECT g.chain_id, g.first_seq + (e.value ->> 0), g.request_id, g.at, g.client_id, g.purpose, g.case_ref,
       e.value ->> 1, g.entity, COALESCE(e.value ->> 2, CAST(e.value ->> 1 AS TEXT)), g.field, g.category, ${DECISION('g.decision')},
       g.mask, g.reason, g.basis, g.policy_version, e.value ->> 3, g.prev_hash, g.hash
  FROM g, json_each(g.entries) e
 ORDER BY g.batch, e.value ->> 0`;

/** A chain's projection progress: the last batch projected and its last record. */
export const PROGRESS_SQL = 'SELECT projected_batch, projected_seq FROM audit_chains WHERE chain_id = ?';

/** The next batches to project (seq, first record, record count), in order. */
export const NEXT_BATCHES_SQL = 'SELECT seq, first_seq, record_count FROM audit_batches WHERE chain_id = ? AND seq > ? ORDER BY seq LIMIT ?';

/** Optimistic: moves only if no other projector moved it since it was read. */
export const ADVANCE_SQL = 'UPDATE audit_chains SET projected_batch = ?, projected_seq = ? WHERE chain_id = ? AND projected_batch = ?';

/** Chains with committed batches not yet projected (any process's, a stopped one's too). */
export const PENDING_SQL = 'SELECT chain_id, head_batch FROM audit_chains WHERE projected_batch < head_batch ORDER BY chain_id';

export interface ProjectionSql {
  progress: string;
  nextBatches: string;
  project: string;
  advance: string;
  pending: string;
  /** The SQL function `project` calls to read stored records, which the connection must register (SQLite). */
  recordsFunction?: string;
  /** The console's hourly counts, moved in the step's transaction (src/review/activity-rollup.ts). */
  rollup: RollupSql;
}

export const SQLITE_PROJECTION_SQL: ProjectionSql = {
  progress: PROGRESS_SQL, nextBatches: NEXT_BATCHES_SQL, project: SQLITE_PROJECT_SQL, advance: ADVANCE_SQL, pending: PENDING_SQL, recordsFunction: SQLITE_RECORDS_FUNCTION, rollup: SQLITE_ROLLUP_SQL,
};
export const MYSQL_PROJECTION_SQL: ProjectionSql = { progress: PROGRESS_SQL, nextBatches: NEXT_BATCHES_SQL, project: MYSQL_PROJECT_SQL, advance: ADVANCE_SQL, pending: PENDING_SQL, rollup: MYSQL_ROLLUP_SQL };

/** Where one projection step left a chain; `records` −1: another projector moved it first (read again). */
export interface ProjectionProgress {
  batch: number;
  seq: number;
  records: number;
}

export interface PendingChain {
  chainId: string;
  headBatch: number;
}

/** One database's projection steps (in this thread, in a worker thread, or over a pooled connection). */
export interface ProjectionBackend {
  /** Its steps run synchronously on the caller's event loop (SQLite without the worker): their time is not the requests'. */
  readonly onEventLoop?: boolean;
  /** Project the next batches of a chain, up to maxRecords records (at least one batch), in one transaction; null if the chain is not registered. */
  step(chainId: string, maxRecords: number): Promise<ProjectionProgress | null>;
  /** SQLite: count up to maxRecords of a chain's projected records the console's hourly counts have not counted, in a transaction of its own; how many it counted. */
  rollUp?(chainId: string, maxRecords: number): Promise<number>;
  pending(): Promise<PendingChain[]>;
  close(): Promise<void>;
}

/** A projection that cannot go on (a gap in the batches, a batch that does not unfold into its record count, rows in its way): verify names the cause. */
export class ProjectionError extends Error {
  constructor(message: string, readonly code: 'AUDIT_PROJECTION_GAP' | 'AUDIT_PROJECTION_COUNT' | 'AUDIT_PROJECTION_CONFLICT') {
    super(message);
  }
}
