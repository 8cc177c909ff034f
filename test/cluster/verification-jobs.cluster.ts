import { DataSource } from 'typeorm';
import { AuditWriter } from '../../src/audit/writer';
import { createAuditStore } from '../../src/audit';
import { createDataSource, runMigrationsLocked } from '../../src/db/data-source';
import { ChainVerifications } from '../../src/review';
import { disclosure, manyRecords } from '../audit/fixtures';
import { caughtUp, clusterDatabase, sleep } from './cluster';

/**
 * The console's "verify now" behind a load balancer: started on the replica on node 1, polled
 * through the replica on node 2 (jobs are rows in verification_jobs, not a process's memory);
 * a second start on node 3 while it runs joins it.
 */
jest.setTimeout(120_000);

test('a verification started on one replica is seen, joined and finished from the others', async () => {
  const db = await clusterDatabase('pgc_jobs');
  const nodes: DataSource[] = [];
  try {
    for (const url of db.urls) {
      const ds = createDataSource({ databaseUrl: url, sqliteFile: '' });
      await ds.initialize();
      nodes.push(ds);
    }
    await runMigrationsLocked(nodes[0]);
    const w = new AuditWriter(createAuditStore(nodes[0]));
    for (let i = 0; i < 40; i++) await w.commit(disclosure({ records: manyRecords(50) }));
    await w.close();
    await caughtUp(0);

    const [one, two, three] = nodes.map((ds) => new ChainVerifications(ds, { pageSize: 5 }));
    const job = await one.startShared('security-console');
    await caughtUp(0); // a read on another node sees a commit once that node applied it (milliseconds)
    const joined = await three.startShared('someone-else');
    expect(joined.id).toBe(job.id);
    expect(joined.startedBy).toBe('security-console');
    let polled = await two.get(job.id);
    expect(polled).toMatchObject({ id: job.id, startedBy: 'security-console' });
    for (const deadline = Date.now() + 30_000; polled!.state === 'RUNNING' && Date.now() < deadline;) {
      await sleep(100);
      polled = await two.get(job.id);
    }
    expect(polled).toMatchObject({ state: 'PASSED', ok: true, checked: 2000, total: 2000 });
    expect(polled!.chains).toHaveLength(1);
    expect(await two.get('no-such-job')).toBeNull();
  } finally {
    await Promise.all(nodes.map((ds) => ds.destroy()));
    await db.drop();
  }
});
