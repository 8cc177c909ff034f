import type { DataSource } from 'typeorm';
import { isMysql, sqliteConnection } from './data-source';
import { backgroundQueryRunner, logBackground } from './statement-counter';

/**
 * The rows of a read that is background work (a loop of the gateway's own, not a request's):
 * counted apart in the statement log (StatementCounter.background), so that what a request costs
 * is not blurred by it. MySQL/MariaDB: on a query runner of its own, marked as background;
 * SQLite: straight on the one connection, logged as background.
 */
export async function backgroundRows<T>(ds: DataSource, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  if (isMysql(ds)) {
    const runner = backgroundQueryRunner(ds);
    try {
      return (await runner.query(sql, [...params])) as T[];
    } finally {
      await runner.release();
    }
  }
  logBackground(ds, sql, [...params]);
  return sqliteConnection(ds).prepare(sql).all(...params) as T[];
}
