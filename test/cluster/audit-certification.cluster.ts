import { DataSource } from 'typeorm';
import { createAuditStore, createProjection } from '../../src/audit';
import { DEADLOCK_RETRIES } from '../../src/audit/mysql';
import { verifyChains } from '../../src/audit/verify';
import { AuditUnavailableError, AuditWriter } from '../../src/audit/writer';
import { createDataSource, runMigrationsLocked } from '../../src/db/data-source';
import { disclosure, manyRecords } from '../audit/fixtures';
import { caughtUp, clusterDatabase, sleep } from './cluster';

/**
 * The audit's write path under Galera: each writer appends to a chain of its own (its own
 * audit_chains row, its own batch rows), and nothing but that writer writes them: the projection
 * keeps its progress in audit_projection_progress, a verification its outcome in
 * audit_chain_verifications (migration 1765000000000). So projectors and verifications running
 * on other nodes never fail a writer's certification. What can still touch a writer's row (a
 * statement somebody runs on audit_chains by hand) makes its commit fail certification (1213);
 * the store runs such a transaction again, a bounded number of times, then the requests get
 * AUDIT_UNAVAILABLE.
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

type CountingStore = ReturnType<typeof createAuditStore> & { deadlocksRetried: number };

/** A request refused, with its cause (the store's error), so that a failure says which error it was. */
interface Refusal {
  reason: Error;
  text: string;
}

/** 150 commits from each node's writer, paced: the requests acknowledged, and those refused. */
async function commitFromEveryNode(writers: AuditWriter[]): Promise<{ acknowledged: string[]; refused: Refusal[] }> {
  const acknowledged: string[] = [];
  const refused: Refusal[] = [];
  await Promise.all(writers.flatMap((w) => Array.from({ length: 150 }, async (_, i) => {
    await sleep(i * 3);
    const d = disclosure({ records: manyRecords(5) });
    try {
      await w.commit(d);
      acknowledged.push(d.requestId);
    } catch (e) {
      refused.push({ reason: e as Error, text: `${String(e)} (${String((e as Error).cause)})` });
    }
  })));
  return { acknowledged, refused };
}

/** Until every node has applied what any node had committed when called. */
async function allCaughtUp(): Promise<void> {
  for (const from of [0, 1, 2]) await caughtUp(from);
}

/** On every node: each acknowledged request's batch exactly once, no request twice, every chain verifies. */
async function everyNodeHolds(acknowledged: readonly string[]): Promise<void> {
  await allCaughtUp();
  for (const ds of nodes) {
    const held: { request_id: string; n: unknown }[] = await ds.query(
      `SELECT request_id, COUNT(*) AS n FROM audit_batches WHERE request_id IN (${acknowledged.map(() => '?').join(', ')}) GROUP BY request_id`, [...acknowledged]);
    expect(held.length).toBe(acknowledged.length);
    expect(held.filter((r) => Number(r.n) !== 1)).toEqual([]);
    expect(await ds.query('SELECT request_id FROM audit_batches GROUP BY request_id HAVING COUNT(*) > 1')).toEqual([]);
    const reports = await verifyChains(ds, undefined, { record: false });
    expect(reports.filter((r) => !r.ok)).toEqual([]);
  }
}

test('writers on three nodes, with projections and verifications running on every node meanwhile: no certification failure, every commit lands once, chains verify', async () => {
  const stores = nodes.map((ds) => createAuditStore(ds) as CountingStore);
  const writers = stores.map((s) => new AuditWriter(s));
  // One commit each first, so that every chain is registered.
  await Promise.all(writers.map((w) => w.commit(disclosure({ records: manyRecords(3) }))));
  await caughtUp(0);
  // What a gateway on each node does beside its writer: project every chain it sees committed
  // (advancing audit_projection_progress), and verify every chain (stamping audit_chain_verifications).
  let running = true;
  let projected = 0;
  const verified: boolean[] = [];
  const projections = nodes.map((ds) => createProjection(ds));
  const projectors = projections.map(async (p) => {
    while (running) {
      await p.settled().then(() => projected++, () => undefined);
      await sleep(1);
    }
  });
  const verifiers = nodes.map(async (ds) => {
    while (running) {
      for (const r of await verifyChains(ds).catch(() => [])) verified.push(r.ok);
      await sleep(1);
    }
  });
  const { acknowledged, refused } = await commitFromEveryNode(writers);
  running = false;
  await Promise.all([...projectors, ...verifiers]);
  const retried = stores.reduce((n, s) => n + s.deadlocksRetried, 0);
  process.stdout.write(`\n${acknowledged.length + refused.length} commits on 3 nodes beside ${projected} projection passes and ${verified.length} chain verifications: ${retried} certification failures\n`);
  expect(refused.map((r) => r.text)).toEqual([]);
  expect(retried).toBe(0);
  expect(projected).toBeGreaterThan(0);
  expect(verified.length).toBeGreaterThan(0);
  expect(verified.every(Boolean)).toBe(true); // a verification alongside the writers never reports a sound chain as tampered
  const stamped = await nodes[0].query('SELECT COUNT(*) AS n FROM audit_chain_verifications');
  expect(Number(stamped[0].n)).toBe(3);
  await Promise.all(writers.map((w) => w.close()));
  await everyNodeHolds(acknowledged);
  for (const ds of nodes) expect(Number((await ds.query('SELECT COUNT(*) AS n FROM audit_batches'))[0].n)).toBe(3 + acknowledged.length);
});

test("a statement on a writer's own chain row from other nodes: its commits fail certification and are run again; what was acknowledged lands once", async () => {
  const stores = nodes.map((ds) => createAuditStore(ds) as CountingStore);
  const writers = stores.map((s) => new AuditWriter(s));
  await Promise.all(writers.map((w) => w.commit(disclosure({ records: manyRecords(3) }))));
  await allCaughtUp();
  const chains: { chain_id: string; started_at: Date }[] = await nodes[0].query('SELECT chain_id, started_at FROM audit_chains ORDER BY started_at DESC, chain_id LIMIT 3');
  // Somebody's statement on the chains' rows, from every node, as fast as they go: it moves
  // started_at (a column the writer leaves alone after registering) a second on and back.
  let stamping = true;
  let stamps = 0;
  const stampers = nodes.map(async (ds) => {
    while (stamping) {
      const n = stamps++;
      const chain = chains[n % 3];
      await ds.query('UPDATE audit_chains SET started_at = ? WHERE chain_id = ?', [new Date(chain.started_at.getTime() + (n % 2) * 1000), chain.chain_id]).catch(() => undefined);
    }
  });
  const { acknowledged, refused } = await commitFromEveryNode(writers);
  stamping = false;
  await Promise.all(stampers);
  for (const c of chains) await nodes[0].query('UPDATE audit_chains SET started_at = ? WHERE chain_id = ?', [c.started_at, c.chain_id]);
  const retried = stores.reduce((n, s) => n + s.deadlocksRetried, 0);
  process.stdout.write(`\n${acknowledged.length + refused.length} commits on 3 nodes with ${stamps} statements on their rows: ${retried} certification failures retried, ${refused.length} requests refused${refused.map((r) => `\n  ${r.text}`).join('')}\n`);
  // Real certification failures, recognised as such (ER_LOCK_DEADLOCK) and run again.
  expect(retried).toBeGreaterThan(0);
  // Under statements nobody should run, a request may still be refused (a commit that failed
  // certification more than DEADLOCK_RETRIES times): refused as AUDIT_UNAVAILABLE, fail-closed,
  // never with another error; and what was acknowledged is there, once, on every node.
  expect(refused.filter((r) => !(r.reason instanceof AuditUnavailableError)).map((r) => r.text)).toEqual([]);
  expect(acknowledged.length).toBeGreaterThan(0);
  await Promise.all(writers.map((w) => w.close()));
  await everyNodeHolds(acknowledged);
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
