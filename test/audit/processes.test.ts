import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, spawnServer } from '../../bench/server-process';
import { loadDemoData } from '../../seeds/demo';
import { createProjection } from '../../src/audit';
import { verifyChains } from '../../src/audit/verify';
import { KEYS } from '../helpers/gateway';
import { createTestStore, storeProcessEnv, TestStore } from '../helpers/store';
import { secondDataSource } from './fixtures';

/**
 * Issue 4: two gateway processes (`node dist/src/server.js`, as an operator runs them) serving
 * at once over one database. Each writes its own hash chain; afterwards both chains verify,
 * with `npm run audit:verify` too, and hold exactly the records the responses counted.
 */
const VERIFY = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'audit-verify.js');

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
  await loadDemoData(store.ds);
});
afterAll(async () => {
  await store?.drop();
});

/** Two servers logging as an operator's would (info), to show what they did should the test fail. */
const start = () => spawnServer(storeProcessEnv(store, { NODE_ENV: 'development', LOG_LEVEL: 'info' }));

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
    await Promise.all([a.stop(), b.stop()]);
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

  const cli = await promisify(execFile)(process.execPath, [VERIFY], { cwd: REPO_ROOT, env: storeProcessEnv(store, { NODE_ENV: 'test', LOG_LEVEL: 'silent' }) });
  expect(cli.stdout).toMatch(/audit verified: 2 chain\(s\), \d+ records, all intact/);
});
