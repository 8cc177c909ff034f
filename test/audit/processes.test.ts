import { ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadDemoData } from '../../seeds/demo';
import { createProjection } from '../../src/audit';
import { verifyChains } from '../../src/audit/verify';
import { KEYS } from '../helpers/gateway';
import { createTestStore, TestStore } from '../helpers/store';
import { secondDataSource } from './fixtures';

/**
 * Issue 4: two gateway processes (`node dist/src/server.js`, as an operator runs them) serving
 * at once over one database. Each writes its own hash chain; afterwards both chains verify,
 * with `npm run audit:verify` too, and hold exactly the records the responses counted.
 */
const ROOT = path.join(__dirname, '..', '..');
const SERVER = path.join(ROOT, 'dist', 'src', 'server.js');
const VERIFY = path.join(ROOT, 'dist', 'src', 'cli', 'audit-verify.js');

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
  await loadDemoData(store.ds);
});
afterAll(async () => {
  await store?.drop();
});

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', DATA_DIR: store.dataDir, SQLITE_FILE: path.basename(store.sqliteFile), PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789', RATE_LIMIT_PER_SECOND: '0' }; // load, not rate limits, is under test
  delete e.DATABASE_URL;
  if (store.databaseUrl) e.DATABASE_URL = store.databaseUrl;
  return e;
}

interface Running { child: ChildProcess; url: string; exited: Promise<number | null> }

function start(): Promise<Running> {
  const child = spawn(process.execPath, [SERVER], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not start: ${out}`)); }, 30_000);
    child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /serving (http:\/\/[\d.]+:\d+)\/graphql/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], exited });
      }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}: ${out}`)); });
  });
}

/** Keep `workers` requests in flight against one server for `ms`; returns the field decisions the responses counted. */
async function load(url: string, workers: number, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let decisions = 0;
  const query = '{ users(first: 5) { edges { node { phone realName birthDate devices { deviceId ipAddress } paymentAccounts { accountNo } } } } }';
  await Promise.all(Array.from({ length: workers }, async () => {
    while (Date.now() < until) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.risk}`, 'x-purpose': 'security.risk-control' },
        body: JSON.stringify({ query }),
      });
      const body = (await res.json()) as { extensions: { disclosure: { allowed: number; masked: number; denied: number } } };
      expect(res.status).toBe(200);
      const d = body.extensions.disclosure;
      decisions += d.allowed + d.masked + d.denied;
    }
  }));
  return decisions;
}

test('two processes writing at once: two chains, complete, and both verify', async () => {
  const a = await start();
  const b = await start();
  let decisions: number;
  try {
    decisions = (await Promise.all([load(a.url, 6, 1500), load(b.url, 6, 1500)])).reduce((x, y) => x + y, 0);
  } finally {
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
  }
  expect(decisions).toBeGreaterThan(100);

  const ds = await secondDataSource(store);
  try {
    const reports = await verifyChains(ds);
    expect(reports).toHaveLength(2);
    expect(reports.every((r) => r.ok)).toBe(true);
    expect(reports.reduce((n, r) => n + r.length, 0)).toBe(decisions);
    // Each process projected its batches before it stopped; a reader's settle would project any left over.
    await createProjection(ds).settled();
    const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM audit_events');
    expect(Number(n)).toBe(decisions);
    const [{ n: batches }] = await ds.query('SELECT COUNT(*) AS n FROM audit_batches');
    expect(Number(batches)).toBeLessThanOrEqual(decisions / 5); // one per response (5 users × several fields each)
  } finally {
    await ds.destroy();
  }

  const cli = await promisify(execFile)(process.execPath, [VERIFY], { cwd: ROOT, env: { ...env(), NODE_ENV: 'test', LOG_LEVEL: 'silent' } });
  expect(cli.stdout).toMatch(/audit verified: 2 chain\(s\), \d+ records, all intact/);
});
