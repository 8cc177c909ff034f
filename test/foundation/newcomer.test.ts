import { ClientRegistry } from '../../src/callers/registry';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSchema, GraphQLObjectType } from 'graphql';
import { createAudit } from '../../src/audit';
import { EXPORT_FIELDS } from '../../src/audit/encode';
import { Client } from '../../src/db/entities/Client';
import { ERROR_STATUS } from '../../src/errors';
import { PURPOSES } from '../../src/policy/vocabulary';
import { disclosure, manyRecords } from '../audit/fixtures';
import { startTestGateway, TestGateway } from '../helpers/gateway';
import { createTestStore, TestStore } from '../helpers/store';

/**
 * The rough edges a newcomer meets first (issue #22): exports that carry only the export, command
 * output that survives `| head`, progress that moves, help that needs no other document, a
 * favicon, and docs/api.md in step with the schema. The commands run as an operator runs them:
 * the built JavaScript in dist/ (`npm run build` after editing src/).
 */
const ROOT = path.join(__dirname, '..', '..');
const CLI = (name: string) => path.join(ROOT, 'dist', 'src', 'cli', `${name}.js`);

/** The environment that points a command at a test store, as an operator's shell would (no NODE_ENV=test, no LOG_LEVEL). */
function storeEnv(store: TestStore): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: store.dataDir, SQLITE_FILE: path.basename(store.sqliteFile) };
  for (const name of ['DATABASE_URL', 'NODE_ENV', 'LOG_LEVEL', 'PSEUDONYM_SECRET']) delete env[name];
  if (store.databaseUrl) Object.assign(env, { DATABASE_URL: store.databaseUrl, PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' });
  return env;
}

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Run a built command; `closeStdoutAfterFirstChunk`: read one chunk of its stdout, then close the pipe (what `| head -1` does). */
function cli(script: string, args: string[], env: NodeJS.ProcessEnv, opts: { closeStdoutAfterFirstChunk?: boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (opts.closeStdoutAfterFirstChunk) child.stdout.destroy();
    });
    child.stderr.on('data', (chunk: string) => void (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const STACK = /\n\s+at |EPIPE|Error:/;

test('the commands are built (after editing src/, run `npm run build`)', () => {
  for (const name of ['audit-export', 'seed', 'clients', 'documents', 'audit-verify', 'emit-schema', 'policy-types']) expect(existsSync(CLI(name))).toBe(true);
});

describe('audit:export and closed pipes', () => {
  const RECORDS = 1500; // about 600 kB of NDJSON: far more than a pipe holds
  let store: TestStore;
  let out: string;
  beforeAll(async () => {
    store = await createTestStore();
    out = mkdtempSync(path.join(tmpdir(), 'purposegate-export-'));
    const audit = createAudit(store.ds);
    await audit.commit(disclosure({ requestId: 'newcomer-1', at: '2026-11-01T10:00:00.000Z', records: manyRecords(RECORDS / 2, 1) }));
    await audit.commit(disclosure({ requestId: 'newcomer-2', at: '2026-11-02T10:00:00.000Z', records: manyRecords(RECORDS / 2, 1) }));
    await audit.commit(disclosure({ requestId: 'newcomer-noise', records: manyRecords(7, 2) }));
    await audit.close();
    // Many clients with long purpose lists, so that `clients list` writes more than a pipe holds.
    const now = new Date('2026-11-25T12:00:00Z');
    const clients = Array.from({ length: 1200 }, (_, i) => ({
      id: `bulk-client-${String(i).padStart(4, '0')}`, displayName: 'Bulk', kind: 'partner' as const, role: 'reader' as const,
      purposes: [...PURPOSES], providers: [], trustedDocumentsOnly: false, rateLimitPerSecond: null, createdAt: now, disabledAt: null,
    }));
    for (let i = 0; i < clients.length; i += 200) await store.ds.getRepository(Client).insert(clients.slice(i, i + 200));
  });
  afterAll(async () => {
    await store?.drop();
    rmSync(out, { recursive: true, force: true });
  });

  test('--out FILE writes exactly the CSV, header line first; stdout stays empty', async () => {
    const file = path.join(out, 'subject-1.csv');
    const run = await cli(CLI('audit-export'), ['--subject', '1', '--format', 'csv', '--out', file], storeEnv(store));
    expect(run.stderr).not.toMatch(STACK);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`exported ${RECORDS} records of subject 1 to ${file}`);
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(EXPORT_FIELDS.join(','));
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(1 + RECORDS);
    for (const l of lines.slice(1)) expect(l).toMatch(/^\d+,/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(out)).toEqual(['subject-1.csv']); // no partial file left beside it
  });

  test('--out FILE with NDJSON: one record a line, and the same bytes stdout carries without --out', async () => {
    const file = path.join(out, 'subject-1.ndjson');
    const run = await cli(CLI('audit-export'), ['--subject', '1', '--format', 'ndjson', '--out', file], storeEnv(store));
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    const text = readFileSync(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(RECORDS);
    expect(Object.keys(JSON.parse(lines[0]))).toEqual([...EXPORT_FIELDS]);
    expect(lines.every((l) => JSON.parse(l).subjectId === 1)).toBe(true);
    // Without --out, stdout is the export and nothing else (no log line, no progress, no summary).
    const piped = await cli(CLI('audit-export'), ['--subject', '1', '--format', 'ndjson'], storeEnv(store));
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(text);
    expect(piped.stderr).toContain(`exported ${RECORDS} records of subject 1\n`);
  });

  test('--out into a directory that does not exist: exit 1, one line, no file', async () => {
    const file = path.join(out, 'missing', 'x.csv');
    const run = await cli(CLI('audit-export'), ['--subject', '1', '--format', 'csv', '--out', file], storeEnv(store));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot write ".*x\.csv" \(ENOENT\)\n$/);
    expect(existsSync(path.dirname(file))).toBe(false);
  });

  test('the help says how to keep npm\'s banner out of a redirected export', async () => {
    const run = await cli(CLI('audit-export'), ['--help'], storeEnv(store));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('npm run -s audit:export');
    expect(run.stdout).toContain('--out <file>');
  });

  test('clients list into a pipe closed after its first chunk: exit 0, no stack trace', async () => {
    const run = await cli(CLI('clients'), ['list'], storeEnv(store), { closeStdoutAfterFirstChunk: true });
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^bulk-client-0000 /);
  });

  test('clients create | head -1: the key is the first line, and the client exists with it', async () => {
    const run = await cli(CLI('clients'), ['create', '--id', 'piped-client', '--purposes', 'research'], storeEnv(store), { closeStdoutAfterFirstChunk: true });
    expect(run.stderr).not.toMatch(STACK);
    expect(run.code).toBe(0);
    const key = /^key \(shown once[^)]*\): (\S+)\n/.exec(run.stdout)?.[1];
    expect(key).toBeDefined();
    expect(await new ClientRegistry(store.ds, 0).authenticate(key!)).toMatchObject({ id: 'piped-client' });
  });

  test('audit:export into a pipe closed after its first chunk: stops, exit 0, no stack trace', async () => {
    const run = await cli(CLI('audit-export'), ['--subject', '1', '--format', 'ndjson', '--page-size', '100'], storeEnv(store), { closeStdoutAfterFirstChunk: true });
    expect(run.stderr).not.toMatch(STACK);
    expect(run.code).toBe(0);
    expect(run.signal).toBeNull();
    expect(run.stderr).not.toContain('exported'); // it stopped when nobody read any more
  });
});

describe('seed --users: progress in steps a person can see', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(async () => {
    await store?.drop();
  });

  test('200 users report at least ten intermediate counts on stderr, in order, ending at 200', async () => {
    const run = await cli(CLI('seed'), ['--users', '200'], storeEnv(store));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^added 200 users in [\d.]+ s\n$/);
    const counts = [...run.stderr.matchAll(/users (\d+)\/200 (\d+)%/g)].map((m) => Number(m[1]));
    expect(counts[0]).toBe(0);
    expect(counts[counts.length - 1]).toBe(200);
    expect(counts.filter((n) => n > 0 && n < 200).length).toBeGreaterThanOrEqual(10);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(Number((await store.ds.query('SELECT COUNT(*) AS n FROM users'))[0].n)).toBe(200);
  });
});

describe('help texts', () => {
  const env = { ...process.env, NODE_ENV: 'test', DATA_DIR: path.join(tmpdir(), 'purposegate-help-never-opened') };

  test.each(['audit-export', 'seed', 'documents', 'audit-verify', 'emit-schema', 'policy-types'])('%s --help has a description, cites no SPEC section and changes nothing', async (name) => {
    const schemaBefore = readFileSync(path.join(ROOT, 'schema', 'schema.graphql'), 'utf8');
    const run = await cli(CLI(name), ['--help'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: \S+/);
    expect(run.stdout.split('\n')[2]).toMatch(/^[A-Z]\w+ /); // the description, under the usage line
    expect(run.stdout).not.toMatch(/\bSPEC\b|§/);
    expect(run.stdout).not.toMatch(/^wrote /m);
    expect(readFileSync(path.join(ROOT, 'schema', 'schema.graphql'), 'utf8')).toBe(schemaBefore);
  });

  test('every subcommand of documents has a description', async () => {
    const run = await cli(CLI('documents'), ['--help'], env);
    const commands = run.stdout.slice(run.stdout.indexOf('Commands:')).split('\n').slice(1).filter((l) => /^ {2}\S/.test(l));
    expect(commands.map((l) => l.trim().split(/\s+/)[0])).toEqual(['add', 'list', 'remove', 'help']);
    for (const l of commands) expect(l.trim()).toMatch(/^\S+( \[options\])?( <\w+>| \[command\])?\s{2,}\S/);
  });
});

describe('GET /favicon.ico', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  test('an icon, cached for long, with no key needed', async () => {
    const res = await fetch(`${gw.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(86_400);
    const body = Buffer.from(await res.arrayBuffer());
    expect([...body.subarray(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]); // an ICO with one image
    const offset = body.readUInt32LE(18);
    expect(body.readUInt32LE(14)).toBe(body.length - offset);
    expect(body.subarray(offset, offset + 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    expect((await fetch(`${gw.url}/favicon.ico`, { method: 'HEAD' })).status).toBe(200);
  });
});

describe('docs/api.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
  const schema = buildSchema(readFileSync(path.join(ROOT, 'schema', 'schema.graphql'), 'utf8'));
  const named = (name: string) => new RegExp('`' + name + '\\b').test(doc);

  test.each(['Query', 'Mutation'])('names every %s field of schema/schema.graphql', (root) => {
    const fields = Object.keys((schema.getType(root) as GraphQLObjectType).getFields());
    expect(fields.length).toBeGreaterThan(0);
    expect(fields.filter((f) => !named(f))).toEqual([]);
  });

  test('names every error code the gateway answers with, and every denial reason', () => {
    const codes = [...Object.keys(ERROR_STATUS), 'FIELD_DENIED'];
    const reasons = ['POLICY_ALLOWS', 'POLICY_MASKS', 'PURPOSE_FORBIDS', 'SUBJECT_ERASED', 'RETENTION_EXPIRED', 'CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING', 'OUT_OF_SCOPE'];
    expect([...codes, ...reasons].filter((c) => !named(c))).toEqual([]);
  });

  test('names the types of the schema a partner reads, and cites no SPEC section', () => {
    expect(['User', 'PaymentAccount', 'Order', 'Device', 'OrderConnection', 'UserConnection', 'PageInfo', 'AuditEvent'].filter((t) => !named(t))).toEqual([]);
    expect(doc).not.toMatch(/\bSPEC\b|§/);
  });
});
