import { DataSource } from 'typeorm';
import { createAudit } from '../../src/audit';
import { verifyChains } from '../../src/audit/verify';
import { createTestStore, TestStore } from '../helpers/store';
import { allRecords, disclosure, manyRecords, secondDataSource } from './fixtures';

/**
 * Several gateway processes on one database (issue 4): each writer appends to a chain of its
 * own, so two writers on two connections, writing at once, leave two chains that both verify,
 * even while verify runs during the writing.
 */
let store: TestStore;
let other: DataSource;
beforeAll(async () => {
  store = await createTestStore();
  other = await secondDataSource(store);
});
afterAll(async () => {
  if (other?.isInitialized) await other.destroy();
  await store?.drop();
});

test('two writers on two DataSources, writing concurrently: two chains, both complete, both verify', async () => {
  const a = createAudit(store.ds);
  const b = createAudit(other);
  const during: ReturnType<typeof verifyChains>[] = [];
  const writes: Promise<void>[] = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 5; i++) {
      writes.push(a.commit(disclosure({ requestId: `a-${round}-${i}`, clientId: 'mall-app', records: manyRecords(7, 1) })));
      writes.push(b.commit(disclosure({ requestId: `b-${round}-${i}`, clientId: 'risk-engine', purpose: 'security.risk-control', records: manyRecords(5, 2) })));
    }
    if (round === 10) during.push(verifyChains(store.ds, undefined, { record: false }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(writes);
  const midway = (await Promise.all(during)).flat();
  expect(midway.filter((r) => !r.ok)).toEqual([]);
  await a.close();
  await b.close();

  const reports = await verifyChains(store.ds);
  expect(reports).toHaveLength(2);
  expect(reports.every((r) => r.ok)).toBe(true);
  expect(reports.map((r) => r.length).sort((x, y) => x - y)).toEqual([500, 700]);

  // Each chain is one writer's, numbered 1..n without gaps.
  const records = await allRecords(store.ds);
  for (const [prefix, n] of [['a-', 700], ['b-', 500]] as const) {
    const mine = records.filter((r) => r.requestId.startsWith(prefix));
    expect(new Set(mine.map((r) => r.chainId)).size).toBe(1);
    expect(mine.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  }
  expect(a.stats()).toMatchObject({ chains: 1, committedRecords: 700 });
  expect(b.stats()).toMatchObject({ chains: 1, committedRecords: 500 });
});
