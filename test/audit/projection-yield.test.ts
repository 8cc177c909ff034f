import { createAudit, Audit, RequestActivity } from '../../src/audit';
import { createTestStore, TestStore } from '../helpers/store';
import { disclosure, manyRecords } from './fixtures';

/**
 * The projection into audit_events is background work: it yields to the gateway's requests in
 * flight (so that a response never waits for indexing it does not need), but within bounds:
 * it runs once no request is in flight, once it is ~1 s behind, and at once for a review read
 * (read-your-writes is never held up by the requests waiting on it).
 */
let store: TestStore;
let audit: Audit;
const activity = new RequestActivity();
beforeAll(async () => {
  store = await createTestStore();
  audit = createAudit(store.ds, { activity });
  await audit.settled(); // the first Audit's catch-up over the store (a read: it does not yield) is over
});
afterAll(async () => {
  await audit?.close();
  await store?.drop();
});

const projected = async (requestId: string) => Number((await store.ds.query('SELECT COUNT(*) AS n FROM audit_events WHERE request_id = ?', [requestId]))[0].n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(requestId: string, n: number, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if ((await projected(requestId)) === n) return Date.now() - started;
    await sleep(10);
  }
  throw new Error(`${requestId}: not projected within ${withinMs} ms (${await projected(requestId)} of ${n} rows)`);
}

test('committed while a request is in flight: projected only once no request is', async () => {
  const end = activity.begin();
  try {
    await audit.commit(disclosure({ requestId: 'yield-1', records: manyRecords(40) }));
    await sleep(150);
    expect(await projected('yield-1')).toBe(0); // committed (the batch), not yet indexed
    expect(audit.stats().unprojectedRecords).toBe(40);
  } finally {
    end();
  }
  await eventually('yield-1', 40, 2000);
  expect(audit.stats().unprojectedRecords).toBe(0);
});

test('a review read does not wait for the requests in flight: settle projects at once', async () => {
  const end = activity.begin();
  try {
    await audit.commit(disclosure({ requestId: 'yield-2', records: manyRecords(25) }));
    const started = Date.now();
    await audit.settled();
    expect(Date.now() - started).toBeLessThan(900); // well within the 1 s bound it would otherwise wait for
    expect(await projected('yield-2')).toBe(25);
  } finally {
    end();
  }
});

test('requests that never stop do not starve it: about a second behind, it runs alongside them', async () => {
  const end = activity.begin();
  try {
    await audit.commit(disclosure({ requestId: 'yield-3', records: manyRecords(30) }));
    const waited = await eventually('yield-3', 30, 5000);
    expect(waited).toBeGreaterThan(700);
    expect(activity.busy).toBe(true);
  } finally {
    end();
  }
});

test('the activity counts overlapping requests, and each end is counted once', async () => {
  const a = new RequestActivity();
  const endA = a.begin();
  const endB = a.begin();
  let idle = false;
  void a.idle().then(() => { idle = true; });
  expect(a.idle()).toBe(a.idle()); // one promise per busy spell, however many wait: nothing piles up under load
  endA();
  endA(); // a second call is ignored
  await sleep(0);
  expect([a.busy, idle]).toEqual([true, false]);
  endB();
  await sleep(0);
  expect([a.busy, idle]).toEqual([false, true]);
});
