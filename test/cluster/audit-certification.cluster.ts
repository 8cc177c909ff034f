import { DataSource } from 'typeorm';
import { createAuditStore } from '../../src/audit';
import { DEADLOCK_RETRIES } from '../../src/audit/mysql';
import { verifyChains } from '../../src/audit/verify';
import { AuditUnavailableError, AuditWriter } from '../../src/audit/writer';
import { createDataSource, runMigrationsLocked } from '../../src/db/data-source';
import { disclosure, manyRecords } from '../audit/fixtures';
import { caughtUp, clusterDatabase, sleep } from './cluster';

/**
 * The audit's write path under Galera: each writer appends to a chain of its own (its own
 * audit_chains row, its own batch rows), so writers on different nodes never touch the same row.
 * What can still touch a writer's chain row from another node (a projector advancing
 * projected_batch, a verification stamping last_verified_*) makes its commit fail certification
 * (1213); the store runs such a transaction again, a bounded number of times, then the requests
 * get AUDIT_UNAVAILABLE.
 */
jest.setTimeout(180_000);

let db: Awaited<ReturnType<typeof clusterDatabase>>;
let nodes: DataSource[];

beforeAll(async () => {
  db = await clusterDatabase('pgc_cert');
  nodes = [];
  for (const url of db.urls) {
    const ds = createDataSource({ databaseUrl: url, sqliteFile: '' });
    await ds.initialize();
    nodes.push(ds);
  }
  await runMigrationsLocked(nodes[0]);
  await caughtUp(0);
});

afterAll(async () => {
  await Promise.all((nodes ?? []).map((ds) => ds.destroy()));
  await db?.drop();
});

test('writers on three nodes, their chain rows updated from other nodes meanwhile: every commit lands once, deadlocks retried, chains verify', async () => {
  const stores = nodes.map((ds) => createAuditStore(ds) as ReturnType<typeof createAuditStore> & { deadlocksRetried: number });
  const writers = stores.map((s) => new AuditWriter(s));
  // One commit each first, so that every chain is registered.
  await Promise.all(writers.map((w) => w.commit(disclosure({ records: manyRecords(3) }))));
  await caughtUp(0);
  const chains: string[] = (await nodes[0].query('SELECT chain_id FROM audit_chains ORDER BY chain_id')).map((r: { chain_id: string }) => r.chain_id);
  expect(chains).toHaveLength(3);
  // Another node's statements on the chains' rows, as fast as they go (what a verification or a projector does).
  let stamping = true;
  let stamps = 0;
  const stampers = nodes.map(async (ds, i) => {
    while (stamping) {
      await ds.query('UPDATE audit_chains SET last_verified_at = NOW(6), last_verified_detail = ? WHERE chain_id = ?', [`stamp ${i}`, chains[stamps++ % 3]]).catch(() => undefined);
    }
  });
  const requests: string[] = [];
  const results = await Promise.allSettled(writers.flatMap((w) => Array.from({ length: 150 }, async (_, i) => {
    await sleep(i * 3);
    const d = disclosure({ records: manyRecords(5) });
    requests.push(d.requestId);
    await w.commit(d);
  })));
  stamping = false;
  await Promise.all(stampers);
  expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
  const retried = stores.reduce((n, s) => n + s.deadlocksRetried, 0);
  process.stdout.write(`\n${requests.length} commits on 3 nodes with ${stamps} conflicting updates: ${retried} certification failures retried\n`);
  expect(retried).toBeGreaterThan(0);
  await Promise.all(writers.map((w) => w.close()));
  await caughtUp(0);
  for (const ds of nodes) {
    const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM audit_batches');
    expect(Number(n)).toBe(3 + requests.length);
    expect(await ds.query('SELECT request_id FROM audit_batches GROUP BY request_id HAVING COUNT(*) > 1')).toEqual([]);
    const reports = await verifyChains(ds);
    expect(reports.map((r) => r.ok)).toEqual([true, true, true]);
  }
});

test('a deadlock that keeps coming: retried DEADLOCK_RETRIES times, then AUDIT_UNAVAILABLE', async () => {
  const store = createAuditStore(nodes[1]) as ReturnType<typeof createAuditStore> & { appendOnce: (...a: unknown[]) => Promise<unknown> };
  let attempts = 0;
  store.appendOnce = async () => {
    attempts++;
    throw Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });
  };
  const w = new AuditWriter(store);
  await expect(w.commit(disclosure())).rejects.toBeInstanceOf(AuditUnavailableError);
  expect(attempts).toBe(DEADLOCK_RETRIES + 1);
  await w.close();
});
