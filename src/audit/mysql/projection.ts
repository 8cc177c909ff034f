import type { DataSource } from 'typeorm';
import { FollowLimit, isRead, PendingChain, PENDING_SQL, ProjectionBackend, ProjectionFollower, ProjectionProgress, stepStatements, unfoldSql } from '../projection-sql';
import { projectionSteps } from '../projection-step';
import { RECORD_COLUMNS } from '../record';
import { isDeadlock } from './store';

/** A batch's records as JSON, stored plain or deflated (src/audit/batch.ts, deflateRecords). */
const RECORDS_JSON = "IF(b.records LIKE 'z%', CONVERT(UNCOMPRESS(FROM_BASE64(SUBSTRING(b.records, 2))) USING utf8mb4), b.records)";

const GROUP_FIELDS = RECORD_COLUMNS.filter((c) => c.from === 'group');
const ENTRY_FIELDS = RECORD_COLUMNS.filter((c) => c.from === 'entry');
const sqlType = (int: boolean) => (int ? 'BIGINT' : 'VARCHAR(255)');

/** (chain_id, after batch seq, up to batch seq): the batches (after, upTo] of one chain, unfolded by JSON_TABLE. */
export const MYSQL_PROJECT_SQL = unfoldSql(
  {
    batch: (column) => `b.${column}`,
    group: (at) => `r.g${at}`,
    entry: (at) => `r.e${at}`,
    text: (expr) => `CAST(${expr} AS CHAR)`,
  },
  `  FROM audit_batches b
  JOIN JSON_TABLE(${RECORDS_JSON}, '$[*]' COLUMNS (
         ${GROUP_FIELDS.map((c) => `g${c.at} ${sqlType(false)} PATH '$[${c.at}]'`).join(', ')},
         NESTED PATH '$[${GROUP_FIELDS.length}][*]' COLUMNS (e0 BIGINT PATH '$[0]', ${ENTRY_FIELDS.map((c) => `e${c.at} ${sqlType(c.type === 'int')} PATH '$[${c.at}]'`).join(', ')}))) r
 WHERE b.chain_id = ? AND b.seq > ? AND b.seq <= ?
 ORDER BY b.seq, r.e0`,
);

/** A pooled MySQL connection as mysql2 hands it out (callback API, as TypeORM creates the pool). */
interface PoolConnection {
  query(sql: string, params: unknown[], cb: (err: (Error & { code?: string }) | null, result: unknown) => void): void;
  release(): void;
  destroy(): void;
}

const run = <T>(conn: PoolConnection, sql: string, params: unknown[] = []): Promise<T> =>
  new Promise((resolve, reject) => conn.query(sql, params, (err, result) => (err ? reject(err) : resolve(result as T))));

/**
 * MySQL/MariaDB: the server unfolds the batches (JSON_TABLE); the gateway sends one INSERT …
 * SELECT per step. READ COMMITTED, so that reading the batches takes no gap lock that would
 * hold up the writer appending the next ones. On a pooled connection of its own, outside
 * TypeORM's statement log: the statements of a request are those it runs itself.
 */
export class MysqlProjectionBackend implements ProjectionBackend {
  private readonly statements: Record<string, string>;
  private readonly steps = projectionSteps();
  /** Chains whose followers' progress rows this process has seen exist (created outside the step's transaction). */
  private readonly ensured = new Set<string>();

  constructor(private readonly ds: DataSource, private readonly followers: readonly ProjectionFollower[]) {
    this.statements = stepStatements(MYSQL_PROJECT_SQL, followers, 'mysql');
  }

  private async connection(): Promise<PoolConnection> {
    if (!this.ds.isInitialized) throw new Error('the audit store is closed');
    return (this.ds.driver as unknown as { obtainMasterConnection(): Promise<PoolConnection> }).obtainMasterConnection();
  }

  /**
   * One transaction running a step's statements (projection-step.ts); a step that returns
   * `records` −1 is rolled back. Another projector inserting the same rows first (ER_DUP_ENTRY),
   * or, under Galera, another node's commit winning certification on a row of it (1213, rolled
   * back whole) is reported as −1 too: read again.
   */
  private async transaction<T>(chainId: string, names: readonly string[], g: Generator<[string, unknown[]], T, unknown>, moved: (r: T) => boolean, conflict: T): Promise<T> {
    const conn = await this.connection();
    const q = <R>(s: string, p?: unknown[]) => run<R>(conn, s, p);
    let reusable = false;
    try {
      for (const name of names) {
        const ensure = this.followers.find((f) => f.name === name)?.mysql.ensure;
        // Outside the transaction: inside, its shared lock and the FOR UPDATE of `rolled` could deadlock with another step's.
        if (ensure && !this.ensured.has(`${name} ${chainId}`)) {
          await q(ensure, [chainId]);
          this.ensured.add(`${name} ${chainId}`);
        }
      }
      await q('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await q('START TRANSACTION');
      let r = g.next();
      while (!r.done) {
        const [name, params] = r.value;
        const out = await q<unknown>(this.statements[name], params);
        r = g.next(isRead(name) ? out : (out as { affectedRows: number }).affectedRows);
      }
      await q(moved(r.value) ? 'ROLLBACK' : 'COMMIT');
      reusable = true;
      return r.value;
    } catch (e) {
      await q('ROLLBACK').then(() => { reusable = true; }, () => undefined);
      if ((e as { code?: string }).code === 'ER_DUP_ENTRY' || isDeadlock(e)) return conflict;
      throw e;
    } finally {
      if (reusable) conn.release();
      else conn.destroy();
    }
  }

  step(chainId: string, maxRecords: number, followers: readonly FollowLimit[]): Promise<ProjectionProgress | null> {
    return this.transaction(chainId, followers.map((f) => f.name), this.steps.step(chainId, maxRecords, followers), (r) => r !== null && r.records < 0, { batch: 0, seq: 0, records: -1 });
  }

  catchUp(chainId: string, f: FollowLimit): Promise<number> {
    return this.transaction(chainId, [f.name], this.steps.catchUp(chainId, f), () => false, 0);
  }

  async pending(): Promise<PendingChain[]> {
    const conn = await this.connection();
    try {
      const rows = await run<{ chain_id: string; head_batch: number }[]>(conn, PENDING_SQL);
      conn.release();
      return rows.map((r) => ({ chainId: String(r.chain_id), headBatch: Number(r.head_batch) }));
    } catch (e) {
      conn.destroy();
      throw e;
    }
  }

  async close(): Promise<void> {}
}
