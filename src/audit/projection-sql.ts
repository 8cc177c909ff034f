import { INSERT_COLUMNS } from './columns';
import type { FollowLimit, ProjectionProgress } from './projection-step';
import { projectionSelect, UnfoldDialect } from './record';

/**
 * The projection in SQL, the part both stores share: the statements of a step around the one
 * that unfolds batches into audit_events rows, which each store writes in its dialect from
 * RECORD_COLUMNS (unfoldSql: MariaDB/MySQL JSON_TABLE in src/audit/mysql, SQLite json_each in
 * src/audit/sqlite), exactly as decodeRecords does (verify compares the two).
 *
 * Each row: the batch's header fields, seq = first_seq + ordinal, entity_id = the subject id
 * when left out, prev_hash/hash = the batch's (which batch of the chain holds the record).
 * Inserted in (batch seq, ordinal) order, so that ids follow seq within a chain.
 */

/** A chain's projection progress: the last batch projected and its last record. */
export const PROGRESS_SQL = 'SELECT projected_batch, projected_seq FROM audit_projection_progress WHERE chain_id = ?';

/** The next batches to project (seq, first record, record count), in order. */
export const NEXT_BATCHES_SQL = 'SELECT seq, first_seq, record_count FROM audit_batches WHERE chain_id = ? AND seq > ? ORDER BY seq LIMIT ?';

/** Optimistic: moves only if no other projector moved it since it was read. */
export const ADVANCE_SQL = 'UPDATE audit_projection_progress SET projected_batch = ?, projected_seq = ? WHERE chain_id = ? AND projected_batch = ?';

/** Chains with committed batches not yet projected (any process's, a stopped one's too). */
export const PENDING_SQL = `SELECT c.chain_id, c.head_batch FROM audit_chains c JOIN audit_projection_progress p ON p.chain_id = c.chain_id
                             WHERE p.projected_batch < c.head_batch ORDER BY c.chain_id`;

/**
 * `INSERT INTO audit_events … SELECT <every record column> FROM <source>`: the store's `source`
 * makes one row per entry of the batches (chain_id, after seq, up to seq], named as `dialect` says
 * (`before`: a WITH clause it needs).
 */
export function unfoldSql(dialect: UnfoldDialect, source: string, before = ''): string {
  return `${before}INSERT INTO audit_events (${INSERT_COLUMNS.join(', ')})\nSELECT ${projectionSelect(dialect)}\n${source}`;
}

/**
 * A table that follows the projection chain by chain (the console's hourly counts,
 * src/review/activity-rollup.ts): each step lets it catch up on the records it unfolds, in the
 * step's transaction, so that it needs no pass of its own (on SQLite: off the event loop, in the
 * projection's worker). Handed to createAudit by whoever owns the table: the audit knows only
 * its statements, each taking the parameters the step gives (FollowerSql).
 */
export interface ProjectionFollower {
  /** Its statements' prefix (one word). */
  name: string;
  mysql: FollowerSql;
  sqlite: FollowerSql;
  /** Records it catches up at most per chain alongside a step of maxRecords (it also catches up on records left behind). */
  perStep(maxRecords: number): number;
}

export interface FollowerSql {
  /** (chain_id): its progress row, so that `rolled` can lock it (MySQL, outside the transaction; a duplicate is ignored). */
  ensure?: string;
  /** (chain_id) → rolled_seq, if the chain has one; locks the progress row on MySQL. */
  rolled: string;
  /** (chain_id, after seq, up to seq): the chain's records (after, upTo] added, by the database itself. */
  count: string;
  /** (chain_id, rolled_seq) */
  progress: string;
}

/** Every statement a step may name (projection-step.ts), in a store's dialect. */
export function stepStatements(project: string, followers: readonly ProjectionFollower[], dialect: 'mysql' | 'sqlite'): Record<string, string> {
  const out: Record<string, string> = { progress: PROGRESS_SQL, nextBatches: NEXT_BATCHES_SQL, project, advance: ADVANCE_SQL };
  for (const f of followers) {
    const sql = f[dialect];
    out[`${f.name}.rolled`] = sql.rolled;
    out[`${f.name}.count`] = sql.count;
    out[`${f.name}.progress`] = sql.progress;
  }
  return out;
}

/** Statements that return rows (the others' outcome is the number of rows they changed). */
export const READS = new Set(['progress', 'nextBatches']);
export const isRead = (name: string): boolean => READS.has(name) || name.endsWith('.rolled');

export interface PendingChain {
  chainId: string;
  headBatch: number;
}

/** One database's projection steps (in this thread, in a worker thread, or over a pooled connection). */
export interface ProjectionBackend {
  /** Its steps run synchronously on the caller's event loop (SQLite without the worker): their time is not the requests'. */
  readonly onEventLoop?: boolean;
  /** Project the next batches of a chain, up to maxRecords records (at least one batch), in one transaction; null if the chain is not registered. */
  step(chainId: string, maxRecords: number, followers: readonly FollowLimit[]): Promise<ProjectionProgress | null>;
  /** A follower alone catches up to the chain's projected records, at most `f.limit` of them, in a transaction of its own; how many it counted. */
  catchUp(chainId: string, f: FollowLimit): Promise<number>;
  pending(): Promise<PendingChain[]>;
  close(): Promise<void>;
}

/** A projection that cannot go on (a gap in the batches, a batch that does not unfold into its record count, rows in its way): verify names the cause. */
export class ProjectionError extends Error {
  constructor(message: string, readonly code: 'AUDIT_PROJECTION_GAP' | 'AUDIT_PROJECTION_COUNT' | 'AUDIT_PROJECTION_CONFLICT') {
    super(message);
  }
}

/** An error from a step (thrown as a plain Error with a code, e.g. across the worker) as a ProjectionError where it is one. */
export function asProjectionError(e: unknown): unknown {
  const code = (e as { code?: unknown })?.code;
  return code === 'AUDIT_PROJECTION_GAP' || code === 'AUDIT_PROJECTION_COUNT' ? new ProjectionError((e as Error).message, code) : e;
}

export type { FollowLimit, ProjectionProgress };
