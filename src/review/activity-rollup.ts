import type { DataSource } from 'typeorm';
import { isMysql, sqliteConnection } from '../db/data-source';
import { auditProjection } from '../audit/projection';
import { backgroundQueryRunner, logBackground } from '../db/statement-counter';
import { log } from '../log';
import { countRecordsMysql, HOUR_SQL, MYSQL_ROLLUP_SQL } from './activity-sql';

/**
 * The Clients view's hourly counts, kept beside the audit so that a month of one client is a few
 * thousand rows to add up instead of hundreds of thousands of records to group.
 *
 * audit_activity_hours holds, per chain, client, UTC hour, decision, category and reason, how
 * many records there are; audit_activity_progress holds, per chain, the last seq counted. A
 * chain's records up to its head are committed and never change (the head moves in the same
 * transaction as the records it covers), so counting a chain from its last counted seq to its
 * head is exact, whenever and by whichever gateway process it happens: the progress row is locked
 * (MySQL) or the transaction is the only writer (SQLite), and the counts and the new progress
 * commit together. Reads add the records past the progress (clientActivity), so a count is never
 * late. ("Its head" here is audit_chains.projected_seq: the records the audit projection has put
 * in audit_events, which moves in the same transaction as those rows; see src/audit/projection.ts.)
 *
 * Who counts: each audit projection step, at its end and in its transaction (RollupSql), so that
 * the counts move with the records; on SQLite that is in the projection's worker thread, so that
 * counting never runs on the event loop while requests are served (measured: counting there took
 * ~0.4 ms of the event loop per 1 000-record request under 16 connections). startActivityRollup's
 * loop then finds nothing to count unless counts were left behind (records projected before they
 * were counted, by an earlier version): it catches up on those.
 */

function hourSql(ds: DataSource): string {
  return isMysql(ds) ? HOUR_SQL.mysql : HOUR_SQL.sqlite;
}

/** The grouped records of one chain's seq range (exclusive, inclusive]. */
export function chainGroupsSql(ds: DataSource, extra = ''): string {
  return `SELECT client_id, ${hourSql(ds)} AS hour, decision, category, reason, COUNT(*) AS n
            FROM audit_events
           WHERE chain_id = ? AND seq > ? AND seq <= ?${extra}
           GROUP BY client_id, hour, decision, category, reason`;
}

export interface RollupOptions {
  /** Records counted per chain per step: bounds one transaction's work. */
  batch?: number;
}

/**
 * Count one step of every registered chain: up to `batch` records past its progress, never past
 * its head. Returns how many records were counted (0: everything is counted).
 */
/**
 * Records per chain per step. SQLite's step runs synchronously where the audit projection runs
 * (its worker thread; the event loop only for a store without one), so it stays small there
 * (5 000 records: a few milliseconds); MySQL's runs on its own connection.
 */
export function rollupBatch(ds: DataSource): number {
  return isMysql(ds) ? 50_000 : 5_000;
}

export async function rollUpActivity(ds: DataSource, options: RollupOptions = {}): Promise<number> {
  const batch = options.batch ?? rollupBatch(ds);
  let counted = 0;
  for (const chainId of await chainIds(ds)) {
    if (isMysql(ds)) {
      counted += await rollUpMysql(ds, chainId, batch);
    } else {
      counted += await rollUpSqlite(ds, chainId, batch);
      await new Promise((resolve) => setImmediate(resolve)); // let requests in between chains
    }
  }
  return counted;
}

/** Every registered chain. Background work: its statements are nobody's request's (see StatementCounter). */
async function chainIds(ds: DataSource): Promise<string[]> {
  const sql = 'SELECT chain_id FROM audit_chains ORDER BY chain_id';
  let rows: { chain_id: string }[];
  if (isMysql(ds)) {
    const runner = backgroundQueryRunner(ds);
    try {
      rows = await runner.query(sql);
    } finally {
      await runner.release();
    }
  } else {
    logBackground(ds, sql);
    rows = sqliteConnection(ds).prepare(sql).all() as { chain_id: string }[];
  }
  return rows.map((r) => String(r.chain_id));
}

async function rollUpMysql(ds: DataSource, chainId: string, batch: number): Promise<number> {
  // The progress row exists before it is locked; INSERT IGNORE is safe here (a duplicate is the only expected refusal).
  const qr = backgroundQueryRunner(ds, 'master');
  try {
    await qr.connect();
    await qr.query(MYSQL_ROLLUP_SQL.ensure!, [chainId]); // autocommit, before the transaction
    // READ COMMITTED, as the projection's steps: the records are read without a lock, so the writer appending past the head is never blocked.
    await qr.startTransaction('READ COMMITTED');
    const [head] = await qr.query('SELECT projected_seq AS head_seq FROM audit_chains WHERE chain_id = ?', [chainId]);
    const counted = await countRecordsMysql((sql, params) => qr.query(sql, params), chainId, Number(head?.head_seq ?? 0), batch);
    await qr.commitTransaction();
    return counted;
  } catch (e) {
    if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
    throw e;
  } finally {
    await qr.release().catch(() => undefined);
  }
}

/** Where the audit projection runs (its worker thread), or on this connection when the store has no projection worker. */
async function rollUpSqlite(ds: DataSource, chainId: string, batch: number): Promise<number> {
  const counted = await auditProjection(ds).rollUp(chainId, batch);
  if (counted === null) throw new Error('the SQLite store has no SQLite projection');
  if (counted > 0) logBackground(ds, 'audit activity rollup', [chainId, counted]);
  return counted;
}

/**
 * Keeps the counts up to date in the background, one step every `intervalMs` (sooner while
 * behind). Every gateway process may run one: they share the work safely.
 */
export function startActivityRollup(ds: DataSource, intervalMs = 5_000, options: RollupOptions = {}): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  let failing = false;
  const tick = () => {
    timer = null;
    running = rollUpActivity(ds, options)
      .then((counted) => {
        if (failing) log.info('audit activity rollup running again');
        failing = false;
        return counted;
      })
      .catch((e: unknown) => {
        if (!failing) log.warn({ err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, 'audit activity rollup failed; retrying');
        failing = true;
        return 0;
      })
      .then((counted) => {
        running = null;
        // Still behind (a whole batch was counted): the next step follows at once.
        if (!stopped && ds.isInitialized) schedule(counted >= (options.batch ?? rollupBatch(ds)) ? 50 : intervalMs);
      });
  };
  const schedule = (ms: number) => {
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  schedule(Math.min(intervalMs, 1_000));
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
