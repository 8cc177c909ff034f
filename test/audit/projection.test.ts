import { DataSource } from 'typeorm';
import { createAudit, createAuditStore, createProjection } from '../../src/audit';
import { ACTIVITY_FOLLOWER } from '../../src/review';
import { BatchFormatError, decodeRecords, encodeRecords } from '../../src/audit/batch';
import { verifyChains } from '../../src/audit/verify';
import { AuditWriter } from '../../src/audit/writer';
import type { FieldRecord } from '../../src/enforcement/disclosure';
import { createTestStore, TestStore } from '../helpers/store';
import { allBatches, allRecords, disclosure, fieldRecord, manyRecords, secondDataSource, tamper } from './fixtures';

/**
 * The audit_events projection: batches committed by the writer become one row per record, in
 * the background, exactly once whoever projects them, resuming after failures and after a
 * process that stopped before projecting.
 */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store?.drop();
});

/** Batches committed by a writer with no projection behind it: a process that stopped before projecting. */
async function backlog(ds: DataSource, requests: number, records: number, requestId: string): Promise<string> {
  const writer = new AuditWriter(createAuditStore(ds));
  for (let i = 0; i < requests; i++) await writer.commit(disclosure({ requestId, records: manyRecords(records, 1 + (i % 4)) }));
  await writer.close();
  return writer.chainId;
}

const count = async (ds: DataSource, where: string, params: unknown[]) => Number((await ds.query(`SELECT COUNT(*) AS n FROM audit_events WHERE ${where}`, params))[0].n);

describe('the encoding', () => {
  // A small deterministic generator: every shape the encoder distinguishes, in random order.
  function* records(seed: number, n: number): Generator<FieldRecord> {
    let x = seed;
    const next = (k: number) => ((x = (x * 1103515245 + 12345) % 2147483648), x % k);
    for (let i = 0; i < n; i++) {
      const subjectId = next(5) === 0 ? null : 1 + next(50);
      const entity = ['User', 'Device', 'Order'][next(3)];
      const decision = (['ALLOW', 'MASK', 'DENY'] as const)[next(3)];
      yield fieldRecord({
        subjectId, entity, entityId: subjectId !== null && entity === 'User' ? String(subjectId) : `${entity.toLowerCase()}-${next(1000)}`,
        field: ['phone', 'city', 'deviceId'][next(3)], decision, mask: decision === 'MASK' ? ['PHONE', 'NAME'][next(2)] as never : null,
        reason: decision === 'DENY' ? 'PURPOSE_FORBIDS' : 'POLICY_ALLOWS', consentId: next(4) === 0 ? String(next(100)) : null,
      });
    }
  }

  test.each([1, 2, 3, 4, 5])('decode(encode(records)) gives the records back, in order (seed %i)', (seed) => {
    const rs = [...records(seed, 300)];
    const text = encodeRecords(rs);
    expect(decodeRecords(text, rs.length)).toEqual(rs);
    expect(text.length).toBeLessThan(rs.length * 40);
  });

  test.each([
    ['not JSON', '[[', 1],
    ['a repeated ordinal', '[["User","phone","contact.phone","A",null,"POLICY_ALLOWS","contract",[[0,1],[0,2]]]]', 2],
    ['a missing ordinal', '[["User","phone","contact.phone","A",null,"POLICY_ALLOWS","contract",[[1,1]]]]', 2],
    ['an unknown decision', '[["User","phone","contact.phone","X",null,"POLICY_ALLOWS","contract",[[0,1]]]]', 1],
    ['neither entity id nor subject', '[["User","phone","contact.phone","A",null,"POLICY_ALLOWS","contract",[[0,null]]]]', 1],
  ])('what the encoder never writes is refused: %s', (_what, text, n) => {
    expect(() => decodeRecords(text, n)).toThrow(BatchFormatError);
  });
});

test('a stopped process\'s batches are projected when the next Audit starts, without anyone asking', async () => {
  const chainId = await backlog(store.ds, 5, 20, 'crashed');
  expect(await count(store.ds, 'chain_id = ?', [chainId])).toBe(0);
  const audit = createAudit(store.ds); // a new gateway process starting
  try {
    for (let i = 0; i < 500 && (await count(store.ds, 'chain_id = ?', [chainId])) < 100; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await count(store.ds, 'chain_id = ?', [chainId])).toBe(100);
  } finally {
    await audit.close();
  }
});

test('two projectors on two connections, on the same chains at once: every record exactly once, in seq order', async () => {
  const chainId = await backlog(store.ds, 30, 25, 'raced');
  const other = await secondDataSource(store);
  try {
    // Small steps, so that the two interleave (the optimistic progress check decides each step).
    const a = createProjection(store.ds, { maxRecords: 40 });
    const b = createProjection(other, { maxRecords: 40 });
    await Promise.all([a.settled(), b.settled(), a.settled()]);
    const rows = await allRecords(store.ds, 'chain_id = ?', [chainId]);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 750 }, (_, i) => i + 1));
    expect(a.projectedRecords + b.projectedRecords).toBeGreaterThanOrEqual(750);
    const [chain] = await store.ds.query(`SELECT c.head_batch, c.head_seq, p.projected_batch, p.projected_seq
                                            FROM audit_chains c JOIN audit_projection_progress p ON p.chain_id = c.chain_id WHERE c.chain_id = ?`, [chainId]);
    expect(Object.values(chain).map(Number)).toEqual([30, 750, 30, 750]);
    const report = (await verifyChains(store.ds, undefined, { record: false })).find((r) => r.chainId === chainId);
    expect(report).toMatchObject({ ok: true, length: 750 });
  } finally {
    await other.destroy();
  }
});

test("each step also counts what it unfolds into the console's hourly counts, in its transaction, and catches up on counts left behind", async () => {
  const writer = new AuditWriter(createAuditStore(store.ds)); // no projection behind it: this test projects
  for (let i = 0; i < 6; i++) await writer.commit(disclosure({ requestId: 'counted', records: manyRecords(30, 1 + (i % 4)) })); // 180 records, several decisions
  const chainId = writer.chainId;
  const counts = async () => ({
    rolled: Number((await store.ds.query('SELECT rolled_seq AS r FROM audit_activity_progress WHERE chain_id = ?', [chainId]))[0]?.r ?? 0),
    hours: Object.fromEntries((await store.ds.query('SELECT decision, SUM(n) AS n FROM audit_activity_hours WHERE chain_id = ? GROUP BY decision', [chainId]) as { decision: string; n: unknown }[]).map((r) => [r.decision, Number(r.n)])),
    events: Object.fromEntries((await store.ds.query('SELECT decision, COUNT(*) AS n FROM audit_events WHERE chain_id = ? GROUP BY decision', [chainId]) as { decision: string; n: unknown }[]).map((r) => [r.decision, Number(r.n)])),
  });
  const projectAll = async () => {
    const projection = createProjection(store.ds, { maxRecords: 50, worker: true, followers: [ACTIVITY_FOLLOWER] }); // several steps; no rollup loop runs here
    const release = projection.acquire();
    try {
      await projection.settled();
    } finally {
      await release();
    }
  };
  await projectAll();
  const first = await counts();
  expect(first.rolled).toBe(180);
  expect(first.hours).toEqual(first.events);
  expect(Object.keys(first.events).length).toBeGreaterThan(1);

  // Counts lost (derived data: an operator may rebuild them): the next steps count everything again, once.
  await store.ds.query('DELETE FROM audit_activity_hours WHERE chain_id = ?', [chainId]);
  await store.ds.query('DELETE FROM audit_activity_progress WHERE chain_id = ?', [chainId]);
  await writer.commit(disclosure({ requestId: 'counted', records: manyRecords(30, 2) }));
  await writer.close();
  await projectAll();
  const again = await counts();
  expect(again.rolled).toBe(210);
  expect(again.hours).toEqual(again.events);
  expect(Object.values(again.hours).reduce((a, b) => a + b, 0)).toBe(210);
});

test('with audit_events unwritable, commits still go through; the projection catches up once it is back', async () => {
  const audit = createAudit(store.ds);
  try {
    await audit.settled();
    await store.ds.query('ALTER TABLE audit_events RENAME TO audit_events_away');
    try {
      await audit.commit(disclosure({ requestId: 'while-away', records: manyRecords(12) })); // the response's record is the batch
      expect(await allBatches(store.ds, "request_id = 'while-away'")).toHaveLength(1);
      await expect(audit.settled()).rejects.toThrow(); // readers would wait on it: they fail instead of answering short
      expect(audit.stats().unprojectedRecords).toBe(12);
      await audit.readiness.check(); // the commit path is fine: the gateway stays ready
    } finally {
      await store.ds.query('ALTER TABLE audit_events_away RENAME TO audit_events');
    }
    await audit.settled();
    expect(await count(store.ds, 'request_id = ?', ['while-away'])).toBe(12);
    expect(audit.stats().unprojectedRecords).toBe(0);
  } finally {
    await audit.close();
  }
});

test('a chain with a batch missing stops its projection at the gap: settle rejects, verify names the batch', async () => {
  const chainId = await backlog(store.ds, 4, 10, 'gapped');
  const [, second] = await allBatches(store.ds, 'chain_id = ?', [chainId]);
  await tamper(store.ds, 'DELETE FROM audit_batches WHERE id = ?', [second.id]);
  await expect(createProjection(store.ds).settled()).rejects.toMatchObject({ code: 'AUDIT_PROJECTION_GAP' });
  expect(await count(store.ds, 'chain_id = ?', [chainId])).toBe(10); // the first batch, before the gap
  const report = (await verifyChains(store.ds, undefined, { record: false })).find((r) => r.chainId === chainId);
  expect(report?.firstBad).toMatchObject({ table: 'audit_batches', seq: 2, problem: 'removed' });
  // Out of the way of any later test: the whole chain goes, as an operator archiving it would.
  for (const table of ['audit_events', 'audit_batches', 'audit_chains']) await tamper(store.ds, `DELETE FROM ${table} WHERE chain_id = ?`, [chainId]);
});
