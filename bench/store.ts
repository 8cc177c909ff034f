import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { openStore } from '../src/db/data-source';
import { User } from '../src/db/entities';
import { loadDemoData } from '../seeds/demo';
import { generateUsers } from '../seeds/generate';

export const BENCH_USERS = Number(process.env.BENCH_USERS ?? 10_000);

export interface BenchStore {
  ds: DataSource;
  kind: 'sqlite' | 'mysql';
  databaseUrl?: string;
  sqliteFile: string;
}

/**
 * The benchmark's store: DATABASE_URL (MySQL/MariaDB) or bench/.data/bench.sqlite, with the
 * demo data and BENCH_USERS generated users (what `npm run seed -- --users 10000` loads),
 * seeded once and reused across runs.
 */
export async function openBenchStore(): Promise<BenchStore> {
  const dir = path.resolve(__dirname, '..', '..', 'bench', '.data');
  mkdirSync(dir, { recursive: true });
  const sqliteFile = path.join(dir, 'bench.sqlite');
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const ds = await openStore({ databaseUrl, sqliteFile });
  await loadDemoData(ds);
  const have = await ds.getRepository(User).count();
  if (have < BENCH_USERS + 5) {
    process.stderr.write(`seeding ${BENCH_USERS + 5 - have} users (10 orders each)…\n`);
    await generateUsers(ds, BENCH_USERS + 5 - have, { ordersPerUser: 10 });
  }
  return { ds, kind: databaseUrl ? 'mysql' : 'sqlite', databaseUrl, sqliteFile };
}
