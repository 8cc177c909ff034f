import { BatchContent, EMPTY_HEAD, sealBatches } from '../../src/audit/batch';
import type { AppendResult, AuditStore, ChainState } from '../../src/audit/store';
import { AuditWriter } from '../../src/audit/writer';
import { disclosure, manyRecords } from './fixtures';

/**
 * The writer's queue against a store whose transactions the test opens and closes by hand:
 * coalescing, back-pressure, timeouts, and what the writer believes about its chain head after
 * a failure (nothing: it asks the database).
 */
interface Call {
  chain: Omit<ChainState, 'chainId' | 'startedAt'> | null;
  batches: readonly BatchContent[];
  /** Records in the transaction. */
  records: number;
  commit(): void;
  fail(): void;
}

class ManualStore implements AuditStore {
  readonly deflateFromChars = Infinity;
  calls: Call[] = [];
  head = EMPTY_HEAD;
  probeFails = false;

  append(chainId: string, _startedAt: string, chain: Call['chain'], batches: readonly BatchContent[]): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        chain, batches, records: batches.reduce((n, b) => n + b.recordCount, 0),
        commit: () => {
          const sealed = sealBatches(chainId, chain?.head ?? this.head, batches);
          this.head = sealed.head;
          resolve(sealed);
        },
        fail: () => reject(new Error('connection lost')),
      });
    });
  }

  async probe(): Promise<void> {
    if (this.probeFails) throw new Error('unreachable');
  }

  /** Wait until the writer has started its next transaction. */
  async next(n: number): Promise<Call> {
    for (let i = 0; i < 500 && this.calls.length < n; i++) await new Promise((r) => setTimeout(r, 2));
    if (this.calls.length < n) throw new Error(`append #${n} never came`);
    return this.calls[n - 1];
  }
}

const settled = (p: Promise<unknown>) => p.then(() => 'resolved', (e) => `rejected:${e.reason ?? e.message}`);

test('requests that arrive during a transaction are committed together in the next one', async () => {
  const store = new ManualStore();
  const w = new AuditWriter(store, { lingerMs: 1 });
  const first = w.commit(disclosure({ records: manyRecords(3) }));
  (await store.next(1)).commit();
  await first;
  const a = w.commit(disclosure({ records: manyRecords(2) }));
  const t2 = await store.next(2);
  const rest = [1, 2, 3, 4].map(() => w.commit(disclosure({ records: manyRecords(5) })));
  expect(w.stats().queueDepth).toBe(22);
  t2.commit();
  await a;
  const t3 = await store.next(3);
  expect(t3.records).toBe(20);
  expect(t3.batches).toHaveLength(4); // one batch per request
  t3.commit();
  await Promise.all(rest);
  expect(store.calls).toHaveLength(3);
  expect(w.stats()).toEqual({ queueDepth: 0, chains: 1, committedRecords: 25 });
});

test('a batch stops at maxBatchRecords, but never splits a request', async () => {
  const store = new ManualStore();
  const w = new AuditWriter(store, { lingerMs: 20, maxBatchRecords: 10 });
  const ps = [6, 6, 12, 1].map((n) => w.commit(disclosure({ records: manyRecords(n) })));
  for (const [i, n] of [[1, 6], [2, 6], [3, 12], [4, 1]] as const) {
    const call = await store.next(i);
    expect(call.records).toBe(n);
    call.commit();
  }
  await Promise.all(ps);
});

test('queue full: a request waits for room, then goes through when a commit frees it', async () => {
  const store = new ManualStore();
  const w = new AuditWriter(store, { maxQueue: 10, maxWaitMs: 2000 });
  const a = w.commit(disclosure({ records: manyRecords(8) }));
  const t1 = await store.next(1);
  const b = w.commit(disclosure({ records: manyRecords(5) }));
  await expect(w.check()).rejects.toMatchObject({ reason: 'queue-full' });
  t1.commit();
  await a;
  (await store.next(2)).commit();
  await b;
  await w.check();
});

test('queue full past maxWaitMs: the request fails (AUDIT_UNAVAILABLE), nothing is queued for it', async () => {
  const store = new ManualStore();
  const w = new AuditWriter(store, { maxQueue: 10, maxWaitMs: 30 });
  const a = w.commit(disclosure({ records: manyRecords(8) }));
  const t1 = await store.next(1);
  const b = w.commit(disclosure({ records: manyRecords(5) }));
  expect(await settled(b)).toBe('rejected:queue-full');
  t1.commit();
  await a;
  await new Promise((r) => setTimeout(r, 20));
  expect(store.calls).toHaveLength(1);
  expect(w.stats().queueDepth).toBe(0);
});

test('a request larger than the whole queue still goes through, alone', async () => {
  const store = new ManualStore();
  const w = new AuditWriter(store, { maxQueue: 10 });
  const big = w.commit(disclosure({ records: manyRecords(25) }));
  (await store.next(1)).commit();
  await big;
});

test('a failed transaction rejects every request in it; the next one rereads the head from the database', async () => {
  const store = new ManualStore();
  const w = new AuditWriter(store, { lingerMs: 5 });
  const first = w.commit(disclosure({ records: manyRecords(2) }));
  (await store.next(1)).commit();
  await first;
  expect(store.calls[0].chain).toEqual({ registered: false, head: EMPTY_HEAD });

  const failed = [w.commit(disclosure({ records: manyRecords(3) })), w.commit(disclosure({ records: manyRecords(4) }))];
  const t2 = await store.next(2);
  expect(t2.chain).toMatchObject({ registered: true, head: { batch: 1, seq: 2 } });
  t2.fail();
  expect(await Promise.all(failed.map(settled))).toEqual(['rejected:commit-failed', 'rejected:commit-failed']);
  expect(w.isFailing).toBe(true);

  const after = w.commit(disclosure({ records: manyRecords(1) }));
  const t3 = await store.next(3);
  expect(t3.chain).toBeNull(); // the outcome of #2 is unknown to the writer: the store reads the head
  t3.commit();
  await after;
  expect(w.isFailing).toBe(false);
  expect(store.head).toMatchObject({ batch: 2, seq: 3 });
  expect(w.stats()).toEqual({ queueDepth: 0, chains: 1, committedRecords: 3 });
});

test('a commit that takes longer than commitTimeoutMs fails the request; the writer carries on', async () => {
  const store = new ManualStore();
  const w = new AuditWriter(store, { commitTimeoutMs: 30 });
  const slow = w.commit(disclosure({ records: manyRecords(2) }));
  const t1 = await store.next(1);
  expect(await settled(slow)).toBe('rejected:timeout');
  t1.commit();
  const next = w.commit(disclosure({ records: manyRecords(1) }));
  (await store.next(2)).commit();
  await next;
});

test('readiness fails while the store cannot be reached, and recovers with it', async () => {
  const store = new ManualStore();
  const w = new AuditWriter(store);
  store.probeFails = true;
  await expect(w.check()).rejects.toThrow();
  store.probeFails = false;
  await w.check();
});
