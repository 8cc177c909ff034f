import type { Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource, DataSourceOptions, QueryRunner } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { statementCounter } from './statement-counter';

export interface StoreLocation {
  databaseUrl?: string;
  sqliteFile: string;
}

export function isMysql(ds: DataSource): boolean {
  return ds.options.type === 'mysql';
}

/** The embedded store's one connection (TypeORM's better-sqlite3 driver shares it): statements on it run synchronously. */
export function sqliteConnection(ds: DataSource): Database {
  const db = ds.isInitialized ? (ds.driver as unknown as { databaseConnection?: Database }).databaseConnection : undefined;
  if (!db || !db.open) throw new Error('the store is closed');
  return db;
}

/**
 * SQLite: the log size (pages) past which a commit on the gateway's connection checkpoints the
 * write-ahead log itself, on the event loop. A backstop, four times SQLite's default: in the
 * gateway the audit projection's worker checkpoints well before that, off the event loop
 * (WORKER_CHECKPOINT_RECORDS in src/audit/projection-sqlite.ts); this one only runs when the
 * log grows without the worker (its worker failed, a CLI's long write).
 */
export const GATEWAY_AUTOCHECKPOINT_PAGES = 4000;

/** The DataSource for either store: MySQL/MariaDB when a URL is given, the embedded SQLite file otherwise. */
export function dataSourceOptions(where: StoreLocation): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logger: statementCounter,
    logging: ['query', 'error'] as ('query' | 'error')[],
  };
  if (where.databaseUrl) {
    return {
      ...common,
      type: 'mysql',
      url: where.databaseUrl,
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      extra: { connectionLimit: 10, connectTimeout: 5000 },
    };
  }
  mkdirSync(path.dirname(where.sqliteFile), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: where.sqliteFile,
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      db.pragma(`wal_autocheckpoint = ${GATEWAY_AUTOCHECKPOINT_PAGES}`);
    },
  };
}

export function createDataSource(where: StoreLocation): DataSource {
  const ds = new DataSource(dataSourceOptions(where));
  if (!where.databaseUrl) immediateTransactions(ds);
  return ds;
}

/**
 * SQLite: TypeORM's transactions start with a deferred BEGIN, which takes the write lock only at
 * the first write. Between a transaction's first read and its first write, a commit by another
 * connection to the file (the audit projection's worker, another gateway process, a CLI) makes
 * that write fail at once with SQLITE_BUSY ("database is locked"): a snapshot that is no longer
 * the latest cannot become a write transaction, and the busy timeout does not apply. Seen as a
 * client registration failing while the projection committed. So TypeORM's transactions here
 * begin IMMEDIATE: the write lock is taken at BEGIN, waiting up to busy_timeout for it like any
 * other write. (The driver shares one query runner, created on demand; each one it hands out is
 * adjusted once.)
 */
function immediateTransactions(ds: DataSource): void {
  const driver = ds.driver as unknown as { createQueryRunner(mode?: string): QueryRunner };
  const create = driver.createQueryRunner.bind(driver);
  const adjusted = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode?: string) => {
    const runner = create(mode);
    if (!adjusted.has(runner)) {
      adjusted.add(runner);
      const query = runner.query.bind(runner) as (sql: string, ...rest: unknown[]) => Promise<unknown>;
      (runner as { query: typeof query }).query = (sql: string, ...rest: unknown[]) => query(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql, ...rest);
    }
    return runner;
  };
}

/** Connect and bring the schema up to date (migrations only; never synchronize). */
export async function openStore(where: StoreLocation): Promise<DataSource> {
  const ds = createDataSource(where);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}
