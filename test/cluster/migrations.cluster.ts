import { DataSource } from 'typeorm';
import { createDataSource, MIGRATION_LOCK_TABLE, runMigrationsLocked } from '../../src/db/data-source';
import { MIGRATIONS } from '../../src/db/migrations';
import { caughtUp, clusterDatabase } from './cluster';

/**
 * Replicas starting together migrate once: the migration lock is a row in pg_migration_lock
 * (GET_LOCK is not replicated by Galera), taken by INSERT on any node, released by DELETE, with a
 * lease a crashed holder cannot keep. And the schema is fit for Galera: every table InnoDB, with
 * a primary key.
 */
jest.setTimeout(180_000);

async function open(url: string): Promise<DataSource> {
  const ds = createDataSource({ databaseUrl: url, sqliteFile: '' });
  await ds.initialize();
  return ds;
}

test('six stores on three nodes migrate one fresh database together: each migration runs once, one holder at a time', async () => {
  const db = await clusterDatabase('pgc_mig');
  const stores: DataSource[] = [];
  try {
    for (const n of [0, 1, 2, 0, 1, 2]) stores.push(await open(db.urls[n]));
    const holders: number[] = [];
    await Promise.all(stores.map((ds) => runMigrationsLocked(ds, {
      onLocked: async () => { holders.push((await ds.query(`SELECT holder FROM ${MIGRATION_LOCK_TABLE}`)).length); },
    })));
    expect(holders).toEqual([1, 1, 1, 1, 1, 1]); // each took its turn, the row its own
    await caughtUp(0);
    for (const ds of stores.slice(0, 3)) {
      const ran: { name: string; n: number }[] = await ds.query('SELECT name, COUNT(*) AS n FROM migrations GROUP BY name ORDER BY name');
      expect(ran.map((r) => [r.name, Number(r.n)])).toEqual(MIGRATIONS.map((m) => [m.name, 1]).sort());
      expect(await ds.query(`SELECT * FROM ${MIGRATION_LOCK_TABLE}`)).toEqual([]);
      const [{ n }] = await ds.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name IN ('audit_batches', 'verification_jobs')", [db.name]);
      expect(Number(n)).toBe(2);
    }
    // Galera replicates InnoDB only, and needs a primary key on every table (certification keys, row apply).
    const noKey = await stores[0].query(
      `SELECT t.table_name AS name FROM information_schema.tables t
         LEFT JOIN information_schema.table_constraints c ON c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY'
        WHERE t.table_schema = ? AND c.constraint_name IS NULL`, [db.name]);
    expect(noKey).toEqual([]);
    const notInnodb = await stores[0].query("SELECT table_name AS name, engine FROM information_schema.tables WHERE table_schema = ? AND engine <> 'InnoDB'", [db.name]);
    expect(notInnodb).toEqual([]);
  } finally {
    await Promise.all(stores.map((ds) => ds.destroy()));
    await db.drop();
  }
});

test('a crashed holder\'s expired lease is taken over; a live one is waited for', async () => {
  const db = await clusterDatabase('pgc_lease');
  let a: DataSource | undefined;
  let b: DataSource | undefined;
  try {
    a = await open(db.urls[0]);
    b = await open(db.urls[1]);
    await runMigrationsLocked(a);
    // A holder that died mid-migration: its lease ran out a second ago.
    await a.query(`INSERT INTO ${MIGRATION_LOCK_TABLE} (name, holder, expires_at) VALUES ('migrations', 'crashed', ?)`, [Date.now() - 1000]);
    await caughtUp(0);
    let t = Date.now();
    await runMigrationsLocked(b, { waitMs: 10_000 });
    expect(Date.now() - t).toBeLessThan(2000);
    // A live holder (on another node): waited for until its lease ends.
    await a.query(`INSERT INTO ${MIGRATION_LOCK_TABLE} (name, holder, expires_at) VALUES ('migrations', 'slow', ?)`, [Date.now() + 2500]);
    await caughtUp(0);
    t = Date.now();
    await runMigrationsLocked(b, { waitMs: 10_000 });
    expect(Date.now() - t).toBeGreaterThanOrEqual(2000);
    // Within its wait, a lock that stays taken is an error, not a silent start on a half-migrated schema.
    await a.query(`INSERT INTO ${MIGRATION_LOCK_TABLE} (name, holder, expires_at) VALUES ('migrations', 'stuck', ?)`, [Date.now() + 60_000]);
    await caughtUp(0);
    await expect(runMigrationsLocked(b, { waitMs: 500 })).rejects.toThrow(/migration lock stayed taken/);
  } finally {
    await a?.destroy();
    await b?.destroy();
    await db.drop();
  }
});
