import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { openStore } from '../../src/db/data-source';

/**
 * A fresh, migrated store for one test file: an SQLite file in a temp dir, or, when
 * DATABASE_URL names a MySQL/MariaDB server, a new database on it (dropped afterwards).
 */
export interface TestStore {
  ds: DataSource;
  databaseUrl: string | undefined;
  sqliteFile: string;
  dataDir: string;
  kind: 'mysql' | 'sqlite';
  drop(): Promise<void>;
}

export const usingMysql = !!process.env.DATABASE_URL;

export async function freshDatabaseUrl(): Promise<string> {
  const base = new URL(process.env.DATABASE_URL!);
  const name = `pg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const conn = await createConnection({ host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) });
  try {
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await conn.end();
  }
  base.pathname = '/' + name;
  return base.toString();
}

export async function dropDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const conn = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${u.pathname.slice(1)}\``);
  } finally {
    await conn.end();
  }
}

/** `sqlite`: an SQLite file whatever DATABASE_URL says (for what only SQLite has). */
export async function createTestStore(options: { sqlite?: boolean } = {}): Promise<TestStore> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'purposegate-test-'));
  const sqliteFile = path.join(dataDir, 'test.sqlite');
  const mysql = usingMysql && !options.sqlite;
  const databaseUrl = mysql ? await freshDatabaseUrl() : undefined;
  const ds = await openStore({ databaseUrl, sqliteFile });
  return {
    ds, databaseUrl, sqliteFile, dataDir, kind: mysql ? 'mysql' : 'sqlite',
    async drop() {
      if (ds.isInitialized) await ds.destroy();
      if (databaseUrl) await dropDatabase(databaseUrl);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The environment of a gateway process (bench/server-process.ts) on a test store: its SQLite file,
 * or its MySQL/MariaDB URL, a test pseudonym secret, any port, no rate limit (load is what such
 * tests put on it); `extra` overrides.
 */
export function storeProcessEnv(store: TestStore, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789',
    RATE_LIMIT_PER_SECOND: '0', DATA_DIR: store.dataDir, SQLITE_FILE: path.basename(store.sqliteFile), ...extra,
  };
  if (store.databaseUrl) env.DATABASE_URL = store.databaseUrl;
  else delete env.DATABASE_URL;
  return env;
}
