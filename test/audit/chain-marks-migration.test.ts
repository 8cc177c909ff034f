import { createAudit } from '../../src/audit';
import { listChains, verifyChains } from '../../src/audit/verify';
import { createTestStore, TestStore } from '../helpers/store';
import { disclosure, manyRecords } from './fixtures';

/**
 * Migration 1765000000000: a chain's audit_chains row becomes its writer's alone. The projection's
 * progress and the last verification's outcome, which lived on that row, move to rows of their
 * own (audit_projection_progress, audit_chain_verifications) with their values, and back on undo;
 * what the writer, the projection, verify and the console's Integrity view read is the same
 * across the move.
 */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store?.drop();
});

const columns = async (table: string): Promise<string[]> => {
  const rows: Record<string, unknown>[] = store.kind === 'mysql'
    ? await store.ds.query('SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position', [table])
    : await store.ds.query(`SELECT name FROM pragma_table_info('${table}')`);
  return rows.map((r) => String(r.name ?? r.NAME));
};

test('progress and verification outcomes move with their values, back on undo and forward again; the chains verify throughout', async () => {
  const audit = createAudit(store.ds);
  for (let i = 0; i < 4; i++) await audit.commit(disclosure({ records: manyRecords(5) }));
  await audit.settled();
  await audit.close();
  const [ok] = await verifyChains(store.ds);
  expect(ok).toMatchObject({ ok: true, length: 20, batches: 4 });
  const before = await listChains(store.ds);
  expect(before).toHaveLength(1);
  expect(before[0]).toMatchObject({ headSeq: 20, headBatch: 4, projectedSeq: 20, lastVerifiedOk: true, lastVerifiedDetail: '20 records' });
  expect(await columns('audit_chains')).toEqual(['chain_id', 'started_at', 'head_seq', 'head_hash', 'head_batch']);

  // Undone (with the migrations after it): the values are back on audit_chains, the tables gone.
  const last = async () => String((await store.ds.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1'))[0].name);
  while ((await last()) !== 'AuditChainMarks1765000000000') await store.ds.undoLastMigration({ transaction: 'each' });
  await store.ds.undoLastMigration({ transaction: 'each' });
  const [old] = await store.ds.query('SELECT projected_batch, projected_seq, last_verified_at, last_verified_ok, last_verified_detail FROM audit_chains');
  expect([Number(old.projected_batch), Number(old.projected_seq), Boolean(Number(old.last_verified_ok)), old.last_verified_detail]).toEqual([4, 20, true, '20 records']);
  expect(old.last_verified_at).not.toBeNull();
  const tables = store.kind === 'mysql'
    ? await store.ds.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('audit_projection_progress', 'audit_chain_verifications')")
    : await store.ds.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('audit_projection_progress', 'audit_chain_verifications')");
  expect(tables).toEqual([]);

  // Migrated again, from the old layout: the same chain, the same progress, the same outcome.
  await store.ds.runMigrations({ transaction: 'each' });
  expect(await columns('audit_chains')).toEqual(['chain_id', 'started_at', 'head_seq', 'head_hash', 'head_batch']);
  expect(await listChains(store.ds)).toEqual(before);
  // The projection and the writer go on from the moved progress: no record projected twice, none missed.
  const again = createAudit(store.ds);
  await again.commit(disclosure({ records: manyRecords(3) }));
  await again.settled();
  expect(again.stats()).toMatchObject({ unprojectedRecords: 0 });
  await again.close();
  const reports = await verifyChains(store.ds);
  expect(reports.map((r) => [r.ok, r.length])).toEqual([[true, 20], [true, 3]]);
});

test('a chain never verified has no outcome; a chain whose progress row is removed is reported, not read as projected', async () => {
  const audit = createAudit(store.ds);
  await audit.commit(disclosure({ records: manyRecords(2) }));
  await audit.settled();
  await audit.close();
  const chains = await listChains(store.ds);
  const fresh = chains[chains.length - 1];
  expect(fresh).toMatchObject({ headSeq: 2, projectedSeq: 2, lastVerifiedAt: null, lastVerifiedOk: null, lastVerifiedDetail: null });
  await store.ds.query('DELETE FROM audit_projection_progress WHERE chain_id = ?', [fresh.chainId]);
  const report = (await verifyChains(store.ds, undefined, { record: false })).find((r) => r.chainId === fresh.chainId);
  expect(report?.ok).toBe(false);
  expect(report?.firstBad).toMatchObject({ table: 'audit_events', problem: 'inserted' });
});
