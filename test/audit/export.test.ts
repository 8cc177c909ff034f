import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createAudit, createProjection } from '../../src/audit';
import { encodeHeader, encodeRecord, EXPORT_FIELDS } from '../../src/audit/encode';
import { countRecords, exportRecords } from '../../src/audit/export';
import { parseAuditFilter } from '../../src/audit/filter';
import type { StoredAuditRecord } from '../../src/audit/record';
import { createTestStore, TestStore } from '../helpers/store';
import { allRecords, disclosure, manyRecords } from './fixtures';

/**
 * `npm run audit:export -- --subject <id> --format csv|ndjson [--from --to]` (SPEC §6): every
 * record of the subject, oldest first, streamed page by page; the encoding is one module that an
 * HTTP download can share.
 */
let store: TestStore;
const SUBJECT_1 = 1234; // 1 234 records of subject 1 over three days; noise for subject 2
beforeAll(async () => {
  store = await createTestStore();
  const audit = createAudit(store.ds);
  const commits: Promise<void>[] = [];
  for (let i = 0; i < 20; i++) {
    const day = ['2026-11-01', '2026-11-02', '2026-11-03'][i % 3];
    const n = i < 19 ? 62 : SUBJECT_1 - 19 * 62;
    commits.push(audit.commit(disclosure({ requestId: `exp-${i}`, at: `${day}T0${i % 10}:00:00.000Z`, caseRef: i === 0 ? '=HYPERLINK("x")' : null, records: manyRecords(n, 1) })));
    commits.push(audit.commit(disclosure({ requestId: `noise-${i}`, records: manyRecords(5, 2) })));
  }
  await Promise.all(commits);
  await audit.close();
});
afterAll(async () => {
  await store?.drop();
});

/** A minimal RFC 4180 reader for the test. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += c;
  }
  return rows;
}

const subject1 = async () => (await allRecords(store.ds, 'subject_id = 1')).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id));

test('NDJSON: every record of the subject, oldest first, one JSON object a line, in pages', async () => {
  const chunks: string[] = [];
  const progress: number[] = [];
  const written = await exportRecords(createProjection(store.ds), store.ds, parseAuditFilter({ subjectId: '1' }), 'ndjson', (c) => void chunks.push(c), { pageSize: 100, onProgress: (n) => progress.push(n) });
  expect(written).toBe(SUBJECT_1);
  expect(chunks).toHaveLength(13); // written a page at a time, never all at once
  expect(progress[progress.length - 1]).toBe(SUBJECT_1);
  const lines = chunks.join('').split('\n');
  expect(lines.pop()).toBe('');
  const records: StoredAuditRecord[] = lines.map((l) => JSON.parse(l));
  expect(records).toEqual(await subject1());
  expect(Object.keys(records[0])).toEqual([...EXPORT_FIELDS]);
});

test('CSV: a header, then every record of the subject, RFC 4180, formula-like text neutralised', async () => {
  let text = '';
  await exportRecords(createProjection(store.ds), store.ds, parseAuditFilter({ subjectId: 1 }), 'csv', async (c) => {
    text += c;
    await new Promise((r) => setImmediate(r)); // a slow consumer: the export waits for it
  }, { pageSize: 500 });
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual([...EXPORT_FIELDS]);
  const expected = await subject1();
  expect(rows).toHaveLength(expected.length);
  expect(rows.map((r) => Number(r[0]))).toEqual(expected.map((r) => r.id));
  const caseRefs = new Set(rows.map((r) => r[EXPORT_FIELDS.indexOf('caseRef')]));
  expect(caseRefs).toEqual(new Set(['', '\'=HYPERLINK("x")']));
  expect(rows[0][EXPORT_FIELDS.indexOf('at')]).toMatch(/^2026-11-01T0\d:00:00\.000Z$/);
});

test('a time range: from inclusive, to exclusive', async () => {
  const q = parseAuditFilter({ subjectId: '1', from: '2026-11-02', to: '2026-11-03' });
  let text = '';
  const n = await exportRecords(createProjection(store.ds), store.ds, q, 'ndjson', (c) => void (text += c));
  const expected = (await subject1()).filter((r) => r.at.startsWith('2026-11-02'));
  expect(n).toBe(expected.length);
  expect(await countRecords(createProjection(store.ds), store.ds, q)).toBe(expected.length);
  expect(text.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(expected.map((r) => r.id));
});

test('the encodings', () => {
  const r = { id: 7, chainId: 'c', seq: 1, requestId: 'r', at: '2026-11-01T00:00:00.000Z', clientId: 'mall-app', purpose: 'service.fulfilment', caseRef: 'a,"b"', subjectId: null, entity: 'User', entityId: '1', field: 'phone', category: 'contact.phone', decision: 'ALLOW', mask: null, reason: 'POLICY_ALLOWS', basis: 'contract', policyVersion: 'v', consentId: null, prevHash: 'p', hash: 'h' } as const;
  expect(encodeHeader('ndjson')).toBe('');
  expect(encodeRecord('csv', r)).toBe('7,c,1,r,2026-11-01T00:00:00.000Z,mall-app,service.fulfilment,"a,""b""",,User,1,phone,contact.phone,ALLOW,,POLICY_ALLOWS,contract,v,,p,h\r\n');
  expect(JSON.parse(encodeRecord('ndjson', r))).toEqual(r);
});

describe('npm run audit:export', () => {
  const ROOT = path.join(__dirname, '..', '..');
  const run = promisify(execFile);
  async function cli(args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: store.dataDir, SQLITE_FILE: path.basename(store.sqliteFile) };
    delete env.DATABASE_URL;
    if (store.databaseUrl) Object.assign(env, { DATABASE_URL: store.databaseUrl, PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' });
    try {
      const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, 'dist', 'src', 'cli', 'audit-export.js'), ...args], { env, cwd: ROOT, timeout: 60_000, maxBuffer: 64 << 20 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  test('--format ndjson: the records on stdout, the progress on stderr', async () => {
    const out = await cli(['--subject', '1', '--format', 'ndjson']);
    expect(out.code).toBe(0);
    const ids = out.stdout.trim().split('\n').map((l) => JSON.parse(l).id);
    expect(ids).toEqual((await subject1()).map((r) => r.id));
    expect(out.stderr).toMatch(/1234\/1234/);
    expect(out.stderr).toContain(`exported ${SUBJECT_1} records of subject 1`);
  });

  test('--format csv with --from/--to', async () => {
    const out = await cli(['--subject', '1', '--format', 'csv', '--from', '2026-11-03', '--to', '2026-11-04']);
    expect(out.code).toBe(0);
    const rows = parseCsv(out.stdout);
    expect(rows[0]).toEqual([...EXPORT_FIELDS]);
    expect(rows.length - 1).toBe((await subject1()).filter((r) => r.at.startsWith('2026-11-03')).length);
  });

  test.each([
    [['--format', 'csv']],
    [['--subject', '1']],
    [['--subject', '1', '--format', 'xml']],
    [['--subject', 'alice', '--format', 'csv']],
    [['--subject', '1', '--format', 'csv', '--from', 'last week']],
  ])('refuses bad arguments with exit code 1: %j', async (args) => {
    const out = await cli(args);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
  });
});
