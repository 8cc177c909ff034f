import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config';
import { openStore } from '../db/data-source';

/** Open the configured store (migrated) for a command, and close it whatever happens. */
export async function withStore<T>(fn: (ds: DataSource) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...process.env, PSEUDONYM_SECRET: process.env.PSEUDONYM_SECRET || 'cli-does-not-pseudonymise' });
  const ds = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

/** Run a command's main: a clear message and exit code 1 on failure, never a stack trace. */
export function runCli(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exit(1);
  });
}
