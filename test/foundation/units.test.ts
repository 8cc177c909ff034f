import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphQLError } from 'graphql';
import { bearerKey, generateApiKey, hashApiKey, sameHash } from '../../src/callers/keys';
import { ConfigError, loadConfig } from '../../src/config';
import { rowId, toIso } from '../../src/request/context';
import { decodeCursor, encodeCursor, pageWindow, toConnection } from '../../src/graphql/pagination';

/** The logic behind the flows: cursors and page windows, keys, ids, configuration. */

describe('cursors', () => {
  test.each([1, 42, 999_999_999_999])('round-trip %d', (id) => {
    expect(decodeCursor(encodeCursor(id), 'after')).toBe(id);
  });

  test('are opaque: not the id in clear', () => {
    expect(encodeCursor(7)).not.toContain('7');
  });

  test.each([
    [''], ['!!'], ['MTIz'], [Buffer.from('c2:5').toString('base64url')], [Buffer.from('c1:-5').toString('base64url')],
    [Buffer.from('c1:1234567890123456').toString('base64url')], ['a'.repeat(41)],
  ])('%p is refused with BAD_USER_INPUT naming the argument', (cursor) => {
    let error: unknown;
    try {
      decodeCursor(cursor, 'before');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    expect((error as GraphQLError).message).toMatch(/"before"/);
  });
});

describe('page windows', () => {
  test.each([
    [{}, { forward: true, size: 20, afterId: null, beforeId: null }],
    [{ first: 1 }, { forward: true, size: 1, afterId: null, beforeId: null }],
    [{ first: 100, after: encodeCursor(3) }, { forward: true, size: 100, afterId: 3, beforeId: null }],
    [{ last: 5, before: encodeCursor(9) }, { forward: false, size: 5, afterId: null, beforeId: 9 }],
  ])('%j', (args, window) => {
    expect(pageWindow(args)).toEqual(window);
  });

  test.each([[{ first: 0 }], [{ first: 101 }], [{ first: -3 }], [{ first: 1.5 }], [{ last: 0 }], [{ last: 101 }], [{ first: 2, last: 2 }]])('%j is refused', (args) => {
    expect(() => pageWindow(args)).toThrow(GraphQLError);
  });

  const rows = (...ids: number[]) => ids.map((id) => ({ id }));

  test('forwards: one extra row means a next page', () => {
    const c = toConnection(rows(1, 2, 3), { forward: true, size: 2, afterId: null, beforeId: null });
    expect(c.edges.map((e) => e.node.id)).toEqual([1, 2]);
    expect(c.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: encodeCursor(1), endCursor: encodeCursor(2) });
  });

  test('backwards: rows come newest first and are returned in order', () => {
    const c = toConnection(rows(5, 4, 3), { forward: false, size: 2, afterId: null, beforeId: null });
    expect(c.edges.map((e) => e.node.id)).toEqual([4, 5]);
    expect(c.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  test('an empty page has no cursors', () => {
    expect(toConnection([], { forward: true, size: 2, afterId: 9, beforeId: null }).pageInfo)
      .toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
  });
});

describe('API keys', () => {
  test('a new key is random, prefixed, and hashed to 64 hex digits', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^pg_[A-Za-z0-9_-]{43}$/);
    expect(hashApiKey(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(a)).toBe(hashApiKey(a));
    expect(hashApiKey(a)).not.toBe(hashApiKey(b));
  });

  test('hashes compare in constant time, and unequal lengths are unequal', () => {
    const h = hashApiKey('k');
    expect(sameHash(h, hashApiKey('k'))).toBe(true);
    expect(sameHash(h, hashApiKey('j'))).toBe(false);
    expect(sameHash(h, h.slice(0, 62))).toBe(false);
  });

  test.each([
    ['Bearer abc', 'abc'], ['bearer abc', 'abc'], ['Bearer   abc  ', 'abc'],
    [undefined, null], ['', null], ['Bearer', null], ['Bearer a b', null], ['Basic abc', null], [`Bearer ${'x'.repeat(513)}`, null],
  ])('bearerKey(%p) = %p', (header, key) => {
    expect(bearerKey(header)).toBe(key);
  });
});

describe('ids and times', () => {
  test.each([['1', 1], [7, 7], ['0', null], ['-1', null], ['01', 1], ['1.0', null], ['abc', null], ['9'.repeat(16), null], ['9007199254740993', null]])('rowId(%p) = %p', (id, n) => {
    expect(rowId(id as string)).toBe(n);
  });

  test('toIso reads Date objects and the stores\' datetime strings as UTC', () => {
    expect(toIso(new Date('2026-10-03T04:12:00Z'))).toBe('2026-10-03T04:12:00.000Z');
    expect(toIso('2026-10-03 04:12:00')).toBe('2026-10-03T04:12:00.000Z');
    expect(toIso('2026-10-03T04:12:00Z')).toBe('2026-10-03T04:12:00.000Z');
    expect(toIso(null)).toBeNull();
    expect(toIso('not a date')).toBeNull();
  });
});

describe('configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'purposegate-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('defaults: port 4000 on 127.0.0.1, SQLite in the data directory, a generated pseudonym secret kept there', () => {
    const c = loadConfig({ DATA_DIR: dir });
    expect(c).toMatchObject({ port: 4000, host: '127.0.0.1', databaseUrl: undefined, sqliteFile: path.join(dir, 'purposegate.sqlite'), clientCacheMs: 5000 });
    expect(c.pseudonymSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dir, 'pseudonym.secret'), 'utf8').trim()).toBe(c.pseudonymSecret);
    expect(loadConfig({ DATA_DIR: dir }).pseudonymSecret).toBe(c.pseudonymSecret);
  });

  test('DATABASE_URL selects MySQL and then needs PSEUDONYM_SECRET', () => {
    expect(() => loadConfig({ DATA_DIR: dir, DATABASE_URL: 'mysql://u:p@h:3306/db' })).toThrow(/PSEUDONYM_SECRET is required/);
    expect(loadConfig({ DATA_DIR: dir, DATABASE_URL: 'mysql://u:p@h:3306/db', PSEUDONYM_SECRET: 'x'.repeat(16) }).databaseUrl).toBe('mysql://u:p@h:3306/db');
  });

  test.each([
    [{ DATABASE_URL: 'postgres://h/db' }, /DATABASE_URL must be a mysql/],
    [{ PSEUDONYM_SECRET: 'short' }, /at least 16/],
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ CLIENT_CACHE_MS: '-1' }, /CLIENT_CACHE_MS/],
    [{ BODY_LIMIT_BYTES: '0' }, /BODY_LIMIT_BYTES/],
    [{ NODE_ENV: 'production' }, /PSEUDONYM_SECRET is required/],
  ])('%j is refused with a ConfigError', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: dir, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dir, ...env })).toThrow(message);
  });
});
