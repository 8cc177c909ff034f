import Database from 'better-sqlite3';
import { closeSync, fstatSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { createAudit, RequestActivity } from '../../src/audit';
import { createAuditStore } from '../../src/audit';
import { LogSync, WORKER_CHECKPOINT_RECORDS } from '../../src/audit/sqlite';
import { threadPoolSync } from '../../src/audit/sqlite/wal';
import { verifyChains } from '../../src/audit/verify';
import { GATEWAY_AUTOCHECKPOINT_PAGES, sqliteConnection } from '../../src/db/data-source';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { createTestStore } from '../helpers/store';
import { disclosure, manyRecords } from './fixtures';

/**
 * SQLite (on both CI passes: this is SQLite's own path): the gateway's connection commits in
 * WAL mode with synchronous=NORMAL, and the audit makes each of its commits durable by syncing
 * the log file off the event loop (src/audit/sqlite/wal.ts). Over real HTTP: no response leaves before
 * that sync of its commit has finished; a sync that fails, or a log file that is no longer the
 * database's, fails the request closed (AUDIT_UNAVAILABLE); and the connection's own settings
 * are what they were after every append.
 */
jest.setTimeout(30_000);

const QUERY = '{ user(id: "1") { id username realName phone } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How the gateway's audit syncs its log (handed to it at start): fdatasync, unless a test holds or fails it. */
let logSync: LogSync = threadPoolSync;
function useLogSync(sync: LogSync): () => void {
  logSync = sync;
  return () => {
    logSync = threadPoolSync;
  };
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ RATE_LIMIT_PER_SECOND: '0' }, { sqlite: true, gateway: { auditLogSync: (fd) => logSync(fd) } });
});
afterAll(async () => {
  await gw?.close();
});

const batches = (requestId: string) => {
  // Another connection: what is committed, whatever the gateway's connection has cached.
  const other = new Database(gw.store.sqliteFile, { readonly: true });
  try {
    return Number((other.prepare('SELECT COUNT(*) AS n FROM audit_batches WHERE request_id = ?').get(requestId) as { n: number }).n);
  } finally {
    other.close();
  }
};

function heldSync() {
  const calls: { fd: number; release(): void; fail(e: Error): void }[] = [];
  const restore = useLogSync((fd) => new Promise<void>((resolve, reject) => calls.push({ fd, release: resolve, fail: reject })));
  return { calls, restore };
}

async function until(what: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

test('the response waits for the sync of the log its audit batch was committed to', async () => {
  const held = heldSync();
  try {
    let answered = false;
    const pending = gw.gql(KEYS.mall, QUERY, { purpose: 'service.fulfilment' }).then((r) => {
      answered = true;
      return r;
    });
    await until(() => held.calls.length === 1);
    const { fd } = held.calls[0];
    // The file being synced is the database's write-ahead log itself…
    expect(fstatSync(fd).ino).toBe(statSync(`${gw.store.sqliteFile}-wal`).ino);
    // …the batch is committed to it, and nothing has been answered while its sync runs.
    await sleep(300);
    expect(answered).toBe(false);
    const committed = gw.store.ds.query('SELECT request_id FROM audit_batches ORDER BY id DESC LIMIT 1');
    const [{ request_id: requestId }] = (await committed) as { request_id: string }[];
    expect(batches(requestId)).toBe(1);

    held.calls[0].release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    expect(res.body.data.user).toEqual({ id: '1', username: 'alice', realName: 'Alice Wang', phone: '13812345678' });
  } finally {
    held.restore();
  }
});

test('a sync that fails: AUDIT_UNAVAILABLE (503) and no personal data; the next commits go on and every chain verifies', async () => {
  const restore = useLogSync(() => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
  let failedId: string;
  try {
    const res = await gw.gql(KEYS.mall, QUERY, { purpose: 'service.fulfilment' });
    failedId = res.headers.get('x-request-id')!;
    expect(res.status).toBe(503);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors).toEqual([{ message: expect.any(String), extensions: { code: 'AUDIT_UNAVAILABLE' } }]);
    expect(JSON.stringify(res.body)).not.toMatch(/alice|Alice|138|Wang/);
  } finally {
    restore();
  }
  // Its batch was committed (only its durability is unknown): recorded, never served.
  expect(batches(failedId!)).toBe(1);

  const res = await gw.gql(KEYS.mall, QUERY, { purpose: 'service.fulfilment' });
  expect(res.status).toBe(200);
  expect(res.body.data.user.phone).toBe('13812345678');
  const reports = await verifyChains(gw.store.ds, undefined, { record: false });
  expect(reports.length).toBeGreaterThanOrEqual(1);
  expect(reports.filter((r) => !r.ok)).toEqual([]);
});

test('the connection keeps its own settings through appends (synchronous NORMAL, busy_timeout 5000)', async () => {
  for (let i = 0; i < 3; i++) expect((await gw.gql(KEYS.mall, QUERY, { purpose: 'service.fulfilment' })).status).toBe(200);
  const db = sqliteConnection(gw.store.ds);
  expect(db.pragma('synchronous', { simple: true })).toBe(1);
  expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  expect(String(db.pragma('journal_mode', { simple: true })).toLowerCase()).toBe('wal');
});

// Last: it leaves this gateway's log unusable.
test('a log file removed from under the gateway: commits fail closed rather than be reported durable', async () => {
  expect((await gw.gql(KEYS.mall, QUERY, { purpose: 'service.fulfilment' })).status).toBe(200); // the log is open
  unlinkSync(`${gw.store.sqliteFile}-wal`);
  for (let i = 0; i < 2; i++) {
    const res = await gw.gql(KEYS.mall, QUERY, { purpose: 'service.fulfilment' });
    expect(res.status).toBe(503);
    expect(res.body.errors).toEqual([{ message: expect.any(String), extensions: { code: 'AUDIT_UNAVAILABLE' } }]);
    expect(JSON.stringify(res.body)).not.toMatch(/alice|Alice|138|Wang/);
  }
});

describe('without a log to sync', () => {
  test('journal_mode DELETE: the append syncs its own commit (FULL) and puts the connection\'s setting back', async () => {
    const store = await createTestStore({ sqlite: true });
    const synced: number[] = [];
    try {
      const db = sqliteConnection(store.ds);
      db.pragma('journal_mode = DELETE');
      const audit = createAuditStore(store.ds, { logSync: async (fd) => { synced.push(fd); } });
      const pragmas = jest.spyOn(db, 'pragma');
      const at = '2026-11-25T12:00:00.000Z';
      const content = { requestId: 'r-1', at, clientId: 'mall-app', purpose: 'service.fulfilment', caseRef: null, policyVersion: 'v1', recordCount: 1, records: '[["User","phone","contact.phone","A",null,"POLICY_ALLOWS","contract",[[0,1]]]]' };
      const { head } = await audit.append('chain-delete-mode', at, null, [content]);
      expect(head).toMatchObject({ batch: 1, seq: 1 });
      expect(synced).toEqual([]);
      // Its own commit was FULL (SQLite syncs it), and the connection's NORMAL came back after.
      const set = pragmas.mock.calls.map((c) => String(c[0]).replace(/\s+/g, ' ')).filter((p) => p.startsWith('synchronous ='));
      expect(set).toEqual(['synchronous = FULL', 'synchronous = 1']);
      pragmas.mockRestore();
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(Number((await store.ds.query('SELECT COUNT(*) AS n FROM audit_batches'))[0].n)).toBe(1);
      await audit.close?.();
    } finally {
      await store.drop();
    }
  });
});

describe("the log's checkpoints", () => {
  /** The log's restart count and salts (WAL header bytes 12–23): they change only when a writer restarts the log, which syncs the new header in that writer's commit. */
  const restartMark = (file: string): string => {
    const fd = openSync(`${file}-wal`, 'r');
    try {
      const header = Buffer.alloc(32);
      readSync(fd, header, 0, 32, 0);
      return header.subarray(12, 24).toString('hex');
    } finally {
      closeSync(fd);
    }
  };

  test('the projection worker checkpoints and restarts the log; an audit commit never restarts it (nor syncs a new header on the event loop)', async () => {
    const store = await createTestStore({ sqlite: true });
    const activity = new RequestActivity();
    const audit = createAudit(store.ds, { activity });
    try {
      const db = sqliteConnection(store.ds);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(GATEWAY_AUTOCHECKPOINT_PAGES); // the gateway's connection: a backstop only
      await audit.settled();
      let restartsByProjection = 0;
      for (let i = 0; i < 8; i++) {
        // As in a request: the projection waits while a request is in flight, so nothing else writes meanwhile.
        const end = activity.begin();
        const before = restartMark(store.sqliteFile);
        await audit.commit(disclosure({ records: manyRecords(WORKER_CHECKPOINT_RECORDS, i + 1) }));
        expect(restartMark(store.sqliteFile)).toBe(before);
        end();
        await audit.settled();
        if (restartMark(store.sqliteFile) !== before) restartsByProjection++;
      }
      // Checkpointed before each step after the first (1 000 records each): the log starts over each time, so it stays small.
      expect(restartsByProjection).toBeGreaterThanOrEqual(6);
      expect(Number((await store.ds.query('SELECT COUNT(*) AS n FROM audit_events'))[0].n)).toBeGreaterThanOrEqual(8 * WORKER_CHECKPOINT_RECORDS);
    } finally {
      await audit.close();
      await store.drop();
    }
  });
});
