import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ALL_SUBJECTS_CASE, KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import type { TestStore } from '../helpers/store';

/**
 * `npm run cases -- open|close|list` (SPEC §11) as an operator runs it: the built command against
 * the gateway's store. What it records takes effect on the next request: a legal purpose citing
 * the case sees its subjects only, and nothing once the case is closed. A refused command prints
 * `error [CODE]: message`, exits non-zero and writes nothing.
 */
const ROOT = path.join(__dirname, '..', '..');
const CASES = path.join(ROOT, 'dist', 'src', 'cli', 'cases.js');
const run = promisify(execFile);

function storeEnv(store: TestStore): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: store.dataDir, SQLITE_FILE: path.basename(store.sqliteFile) };
  delete env.DATABASE_URL;
  if (store.databaseUrl) Object.assign(env, { DATABASE_URL: store.databaseUrl, PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' });
  return env;
}

let gw: TestGateway;

async function cases(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CASES, ...args], { env: storeEnv(gw.store), cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const REF = 'GA-2026-0999';
const LEGAL = 'legal.criminal-investigation';

/** The legal desk asks for one user citing a case. */
const asLegalDesk = (userId: number, caseRef: string) =>
  gw.gql(KEYS.legal, `{ user(id: ${userId}) { id realName } }`, { headers: { 'x-purpose': LEGAL, 'x-case-ref': caseRef } });

/** Every case and case subject in the store, to show that a refused command wrote nothing. */
async function snapshot(): Promise<string> {
  return JSON.stringify([
    await gw.store.ds.query('SELECT case_ref, purposes, expires_at, closed_at, opened_by FROM legal_cases ORDER BY case_ref'),
    await gw.store.ds.query('SELECT case_ref, user_id FROM legal_case_subjects ORDER BY case_ref, user_id'),
  ]);
}

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
});

test('the command is built (npm ci builds it; after editing src/, run `npm run build`)', () => {
  expect(existsSync(CASES)).toBe(true);
});

test('open registers a case, opened by cli; the legal desk then sees its subjects and no one else', async () => {
  // Before: the case is unknown, so the whole operation is refused.
  expect((await asLegalDesk(3, REF)).body.errors[0].extensions.code).toBe('CASE_UNKNOWN');

  const out = await cases(['open', '--ref', REF, '--purposes', LEGAL, '--subjects', '3,4', '--expires', '2099-12-31']);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  // The end of the day, to the millisecond where the store keeps them (SQLite) and to the second where it does not (MariaDB).
  expect(out.stdout).toMatch(new RegExp(`^opened case ${REF} OPEN: ${LEGAL}; subjects 3, 4; expires 2099-12-31T23:59:59\\.(999|000)Z\n$`));

  const [row] = await gw.store.ds.query('SELECT * FROM legal_cases WHERE case_ref = ?', [REF]);
  expect(row).toMatchObject({ opened_by: 'cli', closed_at: null });
  expect(JSON.parse(row.purposes)).toEqual([LEGAL]);
  expect((await gw.store.ds.query('SELECT user_id FROM legal_case_subjects WHERE case_ref = ? ORDER BY user_id', [REF])).map((r: { user_id: number }) => Number(r.user_id))).toEqual([3, 4]);

  const lily = await asLegalDesk(3, REF);
  expect(lily.body.errors).toBeUndefined();
  expect(lily.body.data.user).toEqual({ id: '3', realName: 'Lily Chen' });
  const alice = await asLegalDesk(1, REF);
  expect(alice.body.data).toEqual({ user: null });
  expect(alice.body.errors[0].extensions.code).toBe('OUT_OF_SCOPE');
});

test.each([
  ['a reference already registered', ['open', '--ref', 'GA-2026-0117', '--purposes', LEGAL, '--subjects', '1', '--expires', '2099-12-31'], 'CASE_EXISTS', /Case "GA-2026-0117" is already registered/],
  ['a user that does not exist', ['open', '--ref', 'GA-2026-1000', '--purposes', LEGAL, '--subjects', '1,999', '--expires', '2099-12-31'], 'UNKNOWN_USER', /No user 999/],
  ['a purpose whose scope is not case', ['open', '--ref', 'GA-2026-1001', '--purposes', 'service.payment', '--subjects', '1', '--expires', '2099-12-31'], 'BAD_USER_INPUT', /"service\.payment" is not a purpose whose scope is "case"/],
  ['a past expiry', ['open', '--ref', 'GA-2026-1002', '--purposes', LEGAL, '--subjects', '1', '--expires', '2020-01-01'], 'BAD_USER_INPUT', /expiresAt must be in the future/],
  ['an expiry that is not a date', ['open', '--ref', 'GA-2026-1003', '--purposes', LEGAL, '--subjects', '1', '--expires', 'next year'], 'BAD_USER_INPUT', /ISO-8601/],
  ['a reference with characters a request cannot cite', ['open', '--ref', 'GA 2026<b>', '--purposes', LEGAL, '--subjects', '1', '--expires', '2099-12-31'], 'BAD_USER_INPUT', /A case reference is 1-64/],
  ['a subject that is not a user id', ['open', '--ref', 'GA-2026-1004', '--purposes', LEGAL, '--subjects', '1,alice', '--expires', '2099-12-31'], 'BAD_USER_INPUT', /Subject ids are user ids/],
  ['closing a case that does not exist', ['close', '--ref', 'GA-1999-0001'], 'UNKNOWN_CASE', /No case "GA-1999-0001"/],
  ['listing --open and --closed at once', ['list', '--open', '--closed'], 'BAD_USER_INPUT', /--open or --closed, not both/],
])('refuses %s with error [CODE], exit code 1 and nothing written', async (_what, args, code, message) => {
  const before = await snapshot();
  const out = await cases(args);
  expect(out.code).toBe(1);
  expect(out.stderr).toMatch(new RegExp(`^error \\[${code}\\]: `));
  expect(out.stderr).toMatch(message);
  expect(out.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(out.stdout).toBe('');
  expect(await snapshot()).toBe(before);
});

test('a missing option is refused by name, with nothing written', async () => {
  const before = await snapshot();
  const out = await cases(['open', '--ref', 'GA-2026-1005', '--purposes', LEGAL, '--subjects', '1']);
  expect(out.code).toBe(1);
  expect(out.stderr).toMatch(/--expires/);
  expect(await snapshot()).toBe(before);
});

test('list shows every case with its state; --open and --closed narrow it', async () => {
  const all = await cases(['list']);
  expect(all.code).toBe(0);
  const lines = all.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  expect(all.stdout).toMatch(new RegExp(`^${REF}\\s+OPEN\\s+${LEGAL}\\s+subjects 3,4\\s+expires 2099-12-31T23:59:59\\.(999|000)Z\\s+opened \\S+ by cli$`, 'm'));
  expect(all.stdout).toMatch(/^GA-2026-0117\s+OPEN\s+legal\.criminal-investigation\s+subjects 1,2\s+expires 2027-12-31T\S+\s+opened \S+ by \S+$/m);
  expect(all.stdout).toMatch(new RegExp(`^${ALL_SUBJECTS_CASE}\\s+OPEN\\s`, 'm'));
  // Newest first: the one just opened.
  expect(lines[0].startsWith(REF)).toBe(true);

  const open = await cases(['list', '--open']);
  expect(open.stdout).toBe(all.stdout);
  const closed = await cases(['list', '--closed']);
  expect(closed).toEqual({ code: 0, stdout: 'no closed or expired cases\n', stderr: '' });
});

test('close ends the case from the next request on (CASE_UNKNOWN); closing it again changes nothing', async () => {
  const out = await cases(['close', '--ref', REF]);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  const m = new RegExp(`^closed case ${REF} at (\\S+)\\n$`).exec(out.stdout);
  expect(m).not.toBeNull();
  const [row] = await gw.store.ds.query('SELECT closed_at FROM legal_cases WHERE case_ref = ?', [REF]);
  expect(row.closed_at).not.toBeNull();

  const refused = await asLegalDesk(3, REF);
  expect(refused.status).toBe(403);
  expect(refused.body.errors[0].extensions.code).toBe('CASE_UNKNOWN');

  const before = await snapshot();
  const again = await cases(['close', '--ref', REF]);
  expect(again.code).toBe(0);
  expect(again.stdout).toBe(`case ${REF} was already closed at ${m![1]}\n`);
  expect(await snapshot()).toBe(before);

  const closed = await cases(['list', '--closed']);
  expect(closed.stdout).toMatch(new RegExp(`^${REF}\\s+CLOSED\\s+${LEGAL}\\s+subjects 3,4\\s.*\\sclosed ${m![1].replace(/\./g, '\\.')}$`, 'm'));
  expect(closed.stdout.trimEnd().split('\n')).toHaveLength(1);
  expect((await cases(['list', '--open'])).stdout).not.toContain(REF);
  // The demo case is untouched.
  expect((await asLegalDesk(1, 'GA-2026-0117')).body.data.user).toEqual({ id: '1', realName: 'Alice Wang' });
});

test('every subcommand has a description', async () => {
  const out = await cases(['--help']);
  expect(out.code).toBe(0);
  const commands = out.stdout.slice(out.stdout.indexOf('Commands:')).split('\n').slice(1).filter((l) => /^ {2}\S/.test(l));
  expect(commands.map((l) => l.trim().split(/\s+/)[0])).toEqual(['open', 'close', 'list', 'help']);
  for (const l of commands) expect(l.trim()).toMatch(/^\S+( \[options\])?( \[command\])?\s{2,}\S/);
});
