import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ServerProcess, spawnServer } from '../../bench/server-process';
import { dropDatabase, freshDatabaseUrl, usingMysql } from '../helpers/store';

/**
 * `npm start` as an operator runs it: its first step (`prestart`, node dist/src/cli/first-run.js)
 * then the server (node dist/src/server.js). The embedded default creates, migrates and seeds its
 * SQLite file and prints the demo keys and the URL; on MySQL/MariaDB it migrates but never loads
 * demo keys; SIGTERM shuts it down cleanly.
 */
const ROOT = path.join(__dirname, '..', '..');
const SCRIPTS = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
/** The scripts npm runs for `npm start`, in order: each a `node <file>`, run here as npm would (stdout and stderr kept). */
const [FIRST_RUN, SERVER] = ['prestart', 'start'].map((name) => {
  const m = /^node (\S+)$/.exec(SCRIPTS[name] ?? '');
  if (!m) throw new Error(`package.json's "${name}" script is not "node <file>": ${SCRIPTS[name]}`);
  return path.join(ROOT, m[1]);
});

type Running = ServerProcess;

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...extra };
  if (!extra.DATABASE_URL) delete env.DATABASE_URL;
  if (!extra.PSEUDONYM_SECRET) delete env.PSEUDONYM_SECRET;
  return env;
}

/** The first step to its end: its output, or a rejection as the server's own would read if it fails (npm then starts no server). */
function firstRun(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, [FIRST_RUN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`npm start's first step exited with ${code}: ${out}${err}`));
    });
  });
}

/** Run `npm start`'s steps and wait for the line that says where the server serves; `stdout`: both steps'. */
async function start(env: NodeJS.ProcessEnv): Promise<Running> {
  const first = await firstRun(env);
  const server = await spawnServer(env, { script: SERVER, startTimeoutMs: 30_000 });
  return { ...server, stdout: () => first + server.stdout() };
}

/** The risk engine reads every subject (scope `all`, SPEC §11) with names and phones in clear. */
const RISK = { key: 'demo-risk-key', headers: { 'x-purpose': 'security.risk-control' } } as const;

async function query(url: string, key: string, q: string) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...RISK.headers },
    body: JSON.stringify({ query: q }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as any };
}

/** SIGTERM, then the exit code; the shutdown must run to its end ("gateway stopped") within 10 s. */
async function stop(r: Running): Promise<number | null> {
  r.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([r.exited, new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), 10_000); })]);
  clearTimeout(timer);
  if (code === 'timeout') {
    r.child.kill('SIGKILL');
    throw new Error('the server did not stop within 10 s of SIGTERM');
  }
  // An exit because nothing was left to do would also be 0: the log says the close completed.
  expect(r.stdout()).toMatch(/"msg":"gateway stopped"/);
  return code;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'purposegate-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('embedded default (no DATABASE_URL)', () => {
  test('first start creates, migrates and seeds the SQLite file, prints the URL and the demo keys; SIGTERM stops it with code 0', async () => {
    const r = await start(baseEnv({ DATA_DIR: dataDir }));
    try {
      expect(existsSync(path.join(dataDir, 'purposegate.sqlite'))).toBe(true);
      expect(r.stdout()).toMatch(/Loaded the demo data/);
      for (const key of Object.values({ mall: 'demo-mall-key', legal: 'demo-legal-key', security: 'demo-security-key' })) expect(r.stdout()).toContain(key);
      expect((await fetch(`${r.url}/readyz`)).status).toBe(200);
      const res = await query(r.url, RISK.key, '{ user(id: "1") { username phone } }');
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ user: { username: 'alice', phone: '13812345678' } });
    } finally {
      expect(await stop(r)).toBe(0);
    }
  });

  test('a second start reuses the file and its data, and loads nothing again', async () => {
    const r = await start(baseEnv({ DATA_DIR: dataDir }));
    try {
      expect(r.stdout()).toMatch(/Using the demo data/);
      const res = await query(r.url, RISK.key, '{ users(first: 100) { edges { node { id } } } }');
      expect(res.body.data.users.edges).toHaveLength(5);
    } finally {
      expect(await stop(r)).toBe(0);
    }
  });
});

// Defined only when the suite runs against a MySQL/MariaDB server (npm run test:mysql, .ci/run).
if (usingMysql) describe('on MySQL/MariaDB (DATABASE_URL)', () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabaseUrl();
  });
  afterAll(async () => {
    if (url) await dropDatabase(url);
  });

  test('refuses to start without PSEUDONYM_SECRET, with a one-line message', async () => {
    await expect(start(baseEnv({ DATA_DIR: dataDir, DATABASE_URL: url }))).rejects.toThrow(/exited with 1[\s\S]*PSEUDONYM_SECRET is required/);
  });

  test('migrates the database but loads no demo keys; SIGTERM stops it with code 0', async () => {
    const r = await start(baseEnv({ DATA_DIR: dataDir, DATABASE_URL: url, PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' }));
    try {
      expect(r.stdout()).not.toMatch(/demo-\w+-key/);
      expect((await fetch(`${r.url}/readyz`)).status).toBe(200);
      const res = await query(r.url, RISK.key, '{ user(id: "1") { id } }');
      expect(res.status).toBe(401);
      expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    } finally {
      expect(await stop(r)).toBe(0);
    }
  });
});
