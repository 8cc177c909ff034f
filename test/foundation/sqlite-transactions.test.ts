import Database from 'better-sqlite3';
import { createTestStore, TestStore } from '../helpers/store';

/**
 * SQLite (on both CI passes): the gateway's TypeORM transactions take the write lock at BEGIN
 * (BEGIN IMMEDIATE, src/db/data-source.ts). With SQLite's deferred BEGIN, a commit by another
 * connection (the audit projection's worker, another process) between a transaction's first
 * read and its first write made that write fail at once with "database is locked".
 */
let store: TestStore;
let other: Database.Database;
beforeAll(async () => {
  store = await createTestStore({ sqlite: true });
  await store.ds.query('CREATE TABLE scratch (who TEXT NOT NULL)');
  other = new Database(store.sqliteFile);
  other.pragma('busy_timeout = 0');
});
afterAll(async () => {
  other?.close();
  await store?.drop();
});

test('another connection cannot commit between a transaction\'s read and its write; the transaction commits', async () => {
  let refused: { code?: string } | null = null;
  await store.ds.transaction(async (m) => {
    await m.query('SELECT COUNT(*) AS n FROM scratch');
    try {
      other.prepare('INSERT INTO scratch (who) VALUES (?)').run('other');
    } catch (e) {
      refused = e as { code?: string };
    }
    await m.query('INSERT INTO scratch (who) VALUES (?)', ['gateway']);
  });
  expect(refused).toMatchObject({ code: 'SQLITE_BUSY' });
  expect(await store.ds.query('SELECT who FROM scratch')).toEqual([{ who: 'gateway' }]);

  // Once it has committed, the other connection writes as usual.
  other.prepare('INSERT INTO scratch (who) VALUES (?)').run('other');
  expect(Number((await store.ds.query('SELECT COUNT(*) AS n FROM scratch'))[0].n)).toBe(2);
});

test('a transaction that fails rolls back and releases the lock', async () => {
  await expect(store.ds.transaction(async (m) => {
    await m.query('INSERT INTO scratch (who) VALUES (?)', ['rolled back']);
    throw new Error('stop');
  })).rejects.toThrow('stop');
  expect(await store.ds.query('SELECT who FROM scratch WHERE who = ?', ['rolled back'])).toEqual([]);
  other.prepare('INSERT INTO scratch (who) VALUES (?)').run('after');
});
