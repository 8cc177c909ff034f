import { createAudit, Audit, RequestActivity } from '../../src/audit';
import { createTestStore, TestStore } from '../helpers/store';
import { disclosure, manyRecords } from './fixtures';

/**
 * The projection into audit_events is background work: it yields to the gateway's requests in
 * flight (so that a response never waits for indexing it does not need), but within bounds:
 * it runs once no request is in flight, once it is ~1 s behind (alongside the requests: step
 * after step while the gateway has time to spare, at its share of the time while it is
 * saturated), and at once for a review read (read-your-writes is never held up by the requests
 * waiting on it).
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
  // On SQLite the rows are visible once the projection's worker commits, a moment before its answer
  // reaches this process and its count: the count follows within that moment, not later.
  const counted = Date.now() + 500;
  while (audit.stats().unprojectedRecords !== 0 && Date.now() < counted) await sleep(5);
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

/** A projection of its own on the test's store (its steps timed: SQLite's in its worker, as the gateway's), a writer telling it, and a gateway's activity. */
async function timedProjection(options: { maxRecords: number; maxLagMs: number; busyShare: number }) {
  const { adapterFor, AuditProjection } = await import('../../src/audit');
  const { AuditWriter } = await import('../../src/audit/writer');
  const adapter = adapterFor(store.ds, {}); // the writer's store and the projection share its gate, as in createAudit
  const own = new AuditProjection(adapter, options);
  const busy = new RequestActivity();
  const release = own.acquire(busy);
  await own.settled(); // its start-up catch-up (a read: never paced) is over
  type Backend = { step(...a: unknown[]): Promise<unknown> };
  const backend = ((own as unknown as { worker: Backend | null }).worker ?? (own as unknown as { inline: Backend }).inline);
  const step = backend.step.bind(backend);
  const spans: [number, number][] = [];
  backend.step = async (...a) => {
    const started = performance.now();
    try {
      return await step(...a);
    } finally {
      spans.push([started, performance.now()]);
    }
  };
  const writer = new AuditWriter(adapter.createStore(), {}, (chainId, head) => own.committed(chainId, head));
  return {
    own, busy, spans, writer,
    async close() {
      await writer.close();
      await own.settled();
      await release();
    },
  };
}

/** Until the projection has caught up, or throws after `ms`. */
async function caughtUp(p: { lag(): number }, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (p.lag() > 0) {
    if (Date.now() > until) throw new Error(`still ${p.lag()} records behind after ${ms} ms`);
    await sleep(5);
  }
}

test('alongside a saturated gateway it takes only its share of the time: each step is followed by a pause of (1 / share - 1) × its length, and it still gets there', async () => {
  const t = await timedProjection({ maxRecords: 200, maxLagMs: 0, busyShare: 0.2 });
  const end = t.busy.begin();
  // The event loop kept busy all the time, as under a load past what the gateway can take
  // (in slices far shorter than a step, so that only the pacing can space the steps out).
  let spinning = true;
  const spin = () => {
    const until = performance.now() + 0.5;
    while (performance.now() < until);
    if (spinning) setImmediate(spin);
  };
  try {
    await Promise.all(Array.from({ length: 6 }, (_, i) => t.writer.commit(disclosure({ requestId: `share-${i}`, records: manyRecords(200) }))));
    t.spans.length = 0;
    spin();
    await caughtUp(t.own, 20_000); // requests still in flight: it is paced, not stopped
    spinning = false;
    expect(t.busy.busy).toBe(true);
    expect(t.spans.length).toBeGreaterThanOrEqual(5);
    // From the second step on, each followed a saturated stretch (the first may follow an idle one).
    for (let i = 2; i < t.spans.length; i++) {
      const [started, ended] = t.spans[i - 1];
      expect(t.spans[i][0] - ended).toBeGreaterThanOrEqual((ended - started) * 4);
    }
  } finally {
    spinning = false;
    end();
    await t.close();
  }
});

test('alongside a gateway with time to spare it runs step after step, without pauses', async () => {
  const t = await timedProjection({ maxRecords: 200, maxLagMs: 0, busyShare: 0.2 });
  const end = t.busy.begin();
  try {
    await sleep(50); // an event loop with nothing to do: far from saturated
    await Promise.all(Array.from({ length: 6 }, (_, i) => t.writer.commit(disclosure({ requestId: `spare-${i}`, records: manyRecords(200) }))));
    await caughtUp(t.own, 20_000);
    expect(t.busy.busy).toBe(true);
    const gaps = t.spans.slice(1).map(([started], i) => started - t.spans[i][1]).sort((a, b) => a - b);
    const lengths = t.spans.map(([s, e]) => e - s).sort((a, b) => a - b);
    expect(gaps.length).toBeGreaterThanOrEqual(4);
    // The median gap is a turn of the event loop, not the four step lengths a saturated gateway would get.
    expect(gaps[gaps.length >> 1]).toBeLessThan(lengths[lengths.length >> 1] * 4);
  } finally {
    end();
    await t.close();
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
