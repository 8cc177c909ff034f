import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
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
    },
  };
}

export function createDataSource(where: StoreLocation): DataSource {
  return new DataSource(dataSourceOptions(where));
}

/** Connect and bring the schema up to date (migrations only; never synchronize). */
export async function openStore(where: StoreLocation): Promise<DataSource> {
  const ds = createDataSource(where);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}
