import type { DataSource } from 'typeorm';
import type { AuditProjection, FollowerSql, ProjectionFollower } from '../audit';
import { isMysql } from '../db/data-source';
import { backgroundRows } from '../db/background-rows';
import { logBackground } from '../db/statement-counter';
import { backgroundLoop, type BackgroundLoop } from '../background-loop';

/**
 * The Clients view's hourly counts, kept beside the audit so that a month of one client is a few
 * thousand rows to add up instead of hundreds of thousands of records to group.
 *
 * audit_activity_hours holds, per chain, client, UTC hour, decision, category and reason, how
 * many records there are; audit_activity_progress holds, per chain, the last seq counted. A
 * chain's projected records (audit_projection_progress.projected_seq: the records the audit projection has
 * put in audit_events, which moves in the same transaction as those rows) never change, so
 * counting a chain from its last counted seq to its projected seq is exact, whenever and by
 * whichever gateway process it happens: the progress row is locked (MySQL) or the transaction is
 * the only writer (SQLite), and the counts and the new progress commit together. Reads add the
 * records past the progress (clientActivity), so a count is never late.
 *
 * Who counts: the counts follow the audit projection (ACTIVITY_FOLLOWER, a ProjectionFollower
 * that app.ts hands to createAudit): each projection step, at its end and in its transaction,
 * lets them catch up on what it unfolded, so that the counts move with the records; on SQLite
 * that is in the projection's worker thread, so that counting never runs on the event loop while
 * requests are served (measured: counting there took ~0.4 ms of the event loop per 1 000-record
 * request under 16 connections). startActivityRollup's loop, from the projection's progress,
 * then finds nothing to count unless counts were left behind (records projected by a process
 * whose projection had no follower, a CLI, or before the counts existed): it catches up on those.
 */

/** Hour bucket of a stored time, as stored in audit_activity_hours.hour. */
export const HOUR_SQL = { mysql: `DATE_FORMAT(at, '%Y-%m-%d %H:00:00')`, sqlite: `substr(at, 1, 13) || ':00:00.000'` };

const COLUMNS = '(chain_id, client_id, hour, decision, category, reason, n)';

/**
 * One chain's records in a seq range (exclusive, inclusive], grouped as audit_activity_hours
 * counts them, with `hour` the dialect's hour bucket: what the counting statement inserts (with
 * the chain id, its first column) and what reads add for the records not yet counted (without).
 */
function groupedRecordsSql(hour: string, withChain: boolean, extra = ''): string {
  const keys = `${withChain ? 'chain_id, ' : ''}client_id, hour, decision, category, reason`;
  return `SELECT ${withChain ? 'chain_id, ' : ''}client_id, ${hour} AS hour, decision, category, reason, COUNT(*) AS n
  FROM audit_events
 WHERE chain_id = ? AND seq > ? AND seq <= ?${extra}
 GROUP BY ${keys}`;
}

/** The counting statement in a dialect: its hour bucket and its upsert clause. */
const countSql = (hour: string, upsert: string) => `INSERT INTO audit_activity_hours ${COLUMNS}
${groupedRecordsSql(hour, true)}
${upsert}`;

/** SQLite: the transaction is the only writer. */
const SQLITE_SQL: FollowerSql = {
  rolled: 'SELECT rolled_seq FROM audit_activity_progress WHERE chain_id = ?',
  count: countSql(HOUR_SQL.sqlite, 'ON CONFLICT (client_id, hour, decision, category, reason, chain_id) DO UPDATE SET n = n + excluded.n'),
  progress: 'INSERT INTO audit_activity_progress (chain_id, rolled_seq) VALUES (?, ?) ON CONFLICT (chain_id) DO UPDATE SET rolled_seq = excluded.rolled_seq',
};

/**
 * MySQL/MariaDB, in the projection's READ COMMITTED transaction: the progress row is locked
 * before it is read (so that the rollup loop and other processes' steps count each record once),
 * and the records are read without a lock.
 */
const MYSQL_SQL: FollowerSql = {
  ensure: 'INSERT IGNORE INTO audit_activity_progress (chain_id, rolled_seq) VALUES (?, 0)',
  rolled: 'SELECT rolled_seq FROM audit_activity_progress WHERE chain_id = ? FOR UPDATE',
  count: countSql(HOUR_SQL.mysql, 'ON DUPLICATE KEY UPDATE n = audit_activity_hours.n + VALUES(n)'),
  progress: 'INSERT INTO audit_activity_progress (chain_id, rolled_seq) VALUES (?, ?) ON DUPLICATE KEY UPDATE rolled_seq = VALUES(rolled_seq)',
};

/** The hourly counts as a follower of the audit projection: up to 5 × a step's records each step, so that it also catches up on counts left behind. */
export const ACTIVITY_FOLLOWER: ProjectionFollower = { name: 'activity', mysql: MYSQL_SQL, sqlite: SQLITE_SQL, perStep: (maxRecords) => Math.max(maxRecords, 1000) * 5 };

function hourSql(ds: DataSource): string {
  return isMysql(ds) ? HOUR_SQL.mysql : HOUR_SQL.sqlite;
}

/** The grouped records of one chain's seq range (exclusive, inclusive], not yet counted: `extra` narrows them (client, time). */
export function chainGroupsSql(ds: DataSource, extra = ''): string {
  return groupedRecordsSql(hourSql(ds), false, extra);
}

export interface RollupOptions {
  /** Records counted per chain per step: bounds one transaction's work. */
  batch?: number;
}

/**
 * Records per chain per step. SQLite's step runs synchronously where the audit projection runs
 * (its worker thread; the event loop only for a store without one), so it stays small there
 * (5 000 records: a few milliseconds); MySQL's runs on its own connection.
 */
export function rollupBatch(ds: DataSource): number {
  return isMysql(ds) ? 50_000 : 5_000;
}

/**
 * Count one step of every registered chain: up to `batch` records past its progress, never past
 * its head. Returns how many records were counted (0: everything is counted).
 */
export async function rollUpActivity(ds: DataSource, projection: AuditProjection, options: RollupOptions = {}): Promise<number> {
  const batch = options.batch ?? rollupBatch(ds);
  let counted = 0;
  for (const chainId of await chainIds(ds)) {
    // Where the projection runs its steps (MySQL: its pooled connection; SQLite: its worker thread).
    const n = await projection.catchUp(ACTIVITY_FOLLOWER.name, chainId, batch);
    counted += n;
    if (!isMysql(ds)) {
      if (n > 0) logBackground(ds, 'audit activity rollup', [chainId, n]);
      await new Promise((resolve) => setImmediate(resolve)); // let requests in between chains
    }
  }
  return counted;
}

/** Every registered chain. Background work: its statements are nobody's request's (see StatementCounter). */
async function chainIds(ds: DataSource): Promise<string[]> {
  const rows = await backgroundRows<{ chain_id: string }>(ds, 'SELECT chain_id FROM audit_chains ORDER BY chain_id');
  return rows.map((r) => String(r.chain_id));
}

/**
 * Keeps the counts up to date in the background, one step every `intervalMs` (sooner while
 * behind). Every gateway process may run one: they share the work safely.
 */
export function startActivityRollup(ds: DataSource, projection: AuditProjection, intervalMs = 5_000, options: RollupOptions = {}): BackgroundLoop {
  return backgroundLoop('audit activity rollup', () => rollUpActivity(ds, projection, options), {
    firstDelayMs: Math.min(intervalMs, 1_000),
    // Still behind (a whole batch was counted): the next step follows at once.
    next: (counted) => ((counted ?? 0) >= (options.batch ?? rollupBatch(ds)) ? 50 : intervalMs),
    alive: () => ds.isInitialized,
  });
}
