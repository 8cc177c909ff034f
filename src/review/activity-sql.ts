/**
 * The SQL of the console's hourly counts (src/review/activity-rollup.ts) that the audit
 * projection runs too (src/audit/projection.ts): a module with no imports, so that both can use
 * it, and so that the SQLite projection's worker thread can be handed its SQL.
 */

/** Hour bucket of a stored time, as stored in audit_activity_hours.hour. */
export const HOUR_SQL = { mysql: `DATE_FORMAT(at, '%Y-%m-%d %H:00:00')`, sqlite: `substr(at, 1, 13) || ':00:00.000'` };

const COLUMNS = '(chain_id, client_id, hour, decision, category, reason, n)';

/**
 * One rollup step in SQL, as the audit projection runs it at the end of each of its steps, in
 * the same transaction (src/audit/projection.ts; on SQLite in the projection's worker thread,
 * off the event loop): the counts follow the records they count without a step of their own.
 */
export interface RollupSql {
  /** (chain_id): the chain's progress row, so that `rolled` can lock it (MySQL, outside the transaction; a duplicate is ignored). */
  ensure?: string;
  /** (chain_id) → rolled_seq, if the chain has counts; locks the progress row on MySQL. */
  rolled: string;
  /** (chain_id, after seq, up to seq): the chain's records (after, upTo] added to the counts, by the database itself. */
  count: string;
  /** (chain_id, rolled_seq) */
  progress: string;
}

/** RollupSql.count in a dialect: its hour bucket and its upsert clause. */
const countSql = (hour: string, upsert: string) => `INSERT INTO audit_activity_hours ${COLUMNS}
SELECT chain_id, client_id, ${hour} AS hour, decision, category, reason, COUNT(*)
  FROM audit_events
 WHERE chain_id = ? AND seq > ? AND seq <= ?
 GROUP BY chain_id, client_id, hour, decision, category, reason
${upsert}`;

/** SQLite: the transaction is the only writer. */
export const SQLITE_ROLLUP_SQL: RollupSql = {
  rolled: 'SELECT rolled_seq FROM audit_activity_progress WHERE chain_id = ?',
  count: countSql(HOUR_SQL.sqlite, 'ON CONFLICT (client_id, hour, decision, category, reason, chain_id) DO UPDATE SET n = n + excluded.n'),
  progress: 'INSERT INTO audit_activity_progress (chain_id, rolled_seq) VALUES (?, ?) ON CONFLICT (chain_id) DO UPDATE SET rolled_seq = excluded.rolled_seq',
};

/**
 * MySQL/MariaDB, in the projection's READ COMMITTED transaction: the progress row is locked
 * before it is read (so that the rollup loop of activity-rollup.ts and other processes' steps count each record once),
 * and the records are read without a lock.
 */
export const MYSQL_ROLLUP_SQL: RollupSql = {
  ensure: 'INSERT IGNORE INTO audit_activity_progress (chain_id, rolled_seq) VALUES (?, 0)',
  rolled: 'SELECT rolled_seq FROM audit_activity_progress WHERE chain_id = ? FOR UPDATE',
  count: countSql(HOUR_SQL.mysql, 'ON DUPLICATE KEY UPDATE n = audit_activity_hours.n + VALUES(n)'),
  progress: 'INSERT INTO audit_activity_progress (chain_id, rolled_seq) VALUES (?, ?) ON DUPLICATE KEY UPDATE rolled_seq = VALUES(rolled_seq)',
};

/** Records a rollup step counts at most per chain, alongside a projection step of maxRecords (it catches up on counts left behind). */
export const rollupAlongside = (maxRecords: number): number => Math.max(maxRecords, 1000) * 5;

/**
 * MySQL/MariaDB: count a chain's records after its counted progress, up to projectedSeq and at
 * most `limit` of them, inside the caller's READ COMMITTED transaction (the progress row exists:
 * MYSQL_ROLLUP_SQL.ensure, outside it). How many it counted. The projection's steps and the
 * rollup loop both count this way; SQLite's synchronous twin is in createSqliteProjector (it
 * runs in the worker, from its source).
 */
export async function countRecordsMysql(q: (sql: string, params: unknown[]) => Promise<unknown>, chainId: string, projectedSeq: number, limit: number): Promise<number> {
  const [r] = (await q(MYSQL_ROLLUP_SQL.rolled, [chainId])) as { rolled_seq: unknown }[];
  const rolled = Number(r?.rolled_seq ?? 0);
  const upTo = Math.min(projectedSeq, rolled + limit);
  if (upTo <= rolled) return 0;
  await q(MYSQL_ROLLUP_SQL.count, [chainId, rolled, upTo]);
  await q(MYSQL_ROLLUP_SQL.progress, [chainId, upTo]);
  return upTo - rolled;
}
