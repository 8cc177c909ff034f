import type { Database } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource, DataSourceOptions, QueryRunner } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { statementCounter } from './statement-counter';
import { log } from '../log';

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
 * (WORKER_CHECKPOINT_RECORDS in src/audit/sqlite/projection.ts); this one only runs when the
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

/** Connect and bring the schema up to date (migrations only; never synchronize), under the migration lock. */
export async function openStore(where: StoreLocation): Promise<DataSource> {
  const ds = createDataSource(where);
  await ds.initialize();
  try {
    await runMigrationsLocked(ds);
  } catch (e) {
    await ds.destroy().catch(() => undefined);
    throw e;
  }
  return ds;
}

/** The migration lock's table: one row while a process migrates (docs/scale-out.md, "Migrations"). */
export const MIGRATION_LOCK_TABLE = 'pg_migration_lock';

export interface MigrationLockOptions {
  /** How long a holder's claim lasts unless renewed (it is renewed every third of it while migrations run). */
  leaseMs?: number;
  /** How long a process waits for another's migrations before it gives up. */
  waitMs?: number;
  /** Called once the lock is held (tests). */
  onLocked?: () => void | Promise<void>;
}

const LOCK_NAME = 'migrations';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Another holder won the row: its INSERT came first (duplicate key), or, on Galera, first in the cluster's order (certification failure, 1213). */
function lostTheRace(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string; driverError?: { code?: string; errno?: number } };
  const code = err.driverError?.code ?? err.code;
  const errno = err.driverError?.errno ?? err.errno;
  return code === 'ER_DUP_ENTRY' || code === 'ER_LOCK_DEADLOCK' || errno === 1062 || errno === 1213
    || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}

/**
 * Run the pending migrations while holding the migration lock, so that replicas starting together
 * migrate once. The lock is a ROW, not GET_LOCK: Galera does not replicate GET_LOCK (each node
 * would grant it), while a row with a primary key is certified cluster-wide — of two INSERTs of the
 * same key on two nodes one commits and the other fails (duplicate key, or certification failure
 * 1213). The same statements serve SQLite (several processes on one file). The holder's claim is
 * a lease (`expires_at`, ms since the epoch, renewed while it migrates), so a holder that crashed
 * stops blocking the others once its lease runs out: the next one deletes the expired row and takes
 * it. Released by DELETE. Waiting processes poll; once they hold it, they find nothing pending.
 */
export async function runMigrationsLocked(ds: DataSource, options: MigrationLockOptions = {}): Promise<void> {
  const leaseMs = options.leaseMs ?? 30_000;
  const waitMs = options.waitMs ?? 15 * 60_000;
  await ds.query(`CREATE TABLE IF NOT EXISTS ${MIGRATION_LOCK_TABLE} (name VARCHAR(32) NOT NULL PRIMARY KEY, holder VARCHAR(64) NOT NULL, expires_at BIGINT NOT NULL)`);
  const holder = randomUUID();
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      // A crashed holder's lease ran out: clear it (conditional, so a live claim is never removed).
      await ds.query(`DELETE FROM ${MIGRATION_LOCK_TABLE} WHERE name = ? AND expires_at < ?`, [LOCK_NAME, Date.now()]);
      await ds.query(`INSERT INTO ${MIGRATION_LOCK_TABLE} (name, holder, expires_at) VALUES (?, ?, ?)`, [LOCK_NAME, holder, Date.now() + leaseMs]);
      break;
    } catch (e) {
      if (!lostTheRace(e)) throw e;
    }
    if (Date.now() > deadline) throw new Error(`the migration lock stayed taken for ${waitMs} ms (${MIGRATION_LOCK_TABLE})`);
    if (!told) log.info('waiting for another process\'s migrations (migration lock held)');
    told = true;
    await sleep(100 + Math.floor(Math.random() * 150));
  }
  const renew = setInterval(() => {
    void ds.query(`UPDATE ${MIGRATION_LOCK_TABLE} SET expires_at = ? WHERE name = ? AND holder = ?`, [Date.now() + leaseMs, LOCK_NAME, holder]).catch(() => undefined);
  }, Math.max(100, Math.floor(leaseMs / 3)));
  renew.unref();
  try {
    await options.onLocked?.();
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    clearInterval(renew);
    await ds.query(`DELETE FROM ${MIGRATION_LOCK_TABLE} WHERE name = ? AND holder = ?`, [LOCK_NAME, holder]).catch(() => undefined);
  }
}
