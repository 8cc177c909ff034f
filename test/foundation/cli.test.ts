import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestGateway, TestGateway } from '../helpers/gateway';
import { createTestStore, TestStore } from '../helpers/store';

/**
 * The command-line tools as an operator runs them (the built JavaScript in dist/, which
 * `npm ci` builds): `clients create` prints a key once and stores only its hash;
 * `seed --demo` is idempotent; `seed --users N` adds N users.
 */
const ROOT = path.join(__dirname, '..', '..');
const CLIENTS = path.join(ROOT, 'dist', 'src', 'cli', 'clients.js');
const SEED = path.join(ROOT, 'dist', 'src', 'cli', 'seed.js');
const run = promisify(execFile);

/** The environment that points a command at a test store. */
function storeEnv(store: TestStore): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: store.dataDir, SQLITE_FILE: path.basename(store.sqliteFile) };
  delete env.DATABASE_URL;
  if (store.databaseUrl) Object.assign(env, { DATABASE_URL: store.databaseUrl, PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' });
  return env;
}

async function cli(script: string, args: string[], store: TestStore): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { env: storeEnv(store), cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

test('the commands are built (npm ci builds them; after editing src/, run `npm run build`)', () => {
  expect(existsSync(CLIENTS)).toBe(true);
  expect(existsSync(SEED)).toBe(true);
});

describe('clients create', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  test('prints a new key once; the key authenticates over HTTP; only its hash is stored', async () => {
    const out = await cli(CLIENTS, ['create', '--id', 'pay-jd', '--purposes', 'service.payment,service.after-sales', '--name', 'JD Pay', '--kind', 'partner', '--providers', 'ALIPAY,BANK_CARD'], gw.store);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('created client pay-jd (partner, reader) for service.payment, service.after-sales, providers ALIPAY, BANK_CARD');
    expect(out.stdout).not.toMatch(/^note:/m);
    const m = /key \(shown once[^)]*\): (\S+)/.exec(out.stdout);
    expect(m).not.toBeNull();
    const key = m![1];
    expect(key).toMatch(/^pg_[A-Za-z0-9_-]{40,}$/);
    expect(out.stdout.split(key).length - 1).toBe(1);

    // The key works over HTTP, for a purpose the client is registered for, about a subject of its
    // providers (Alice holds an ALIPAY account and a BANK_CARD; SPEC §11).
    const res = await gw.gql(key, '{ user(id: "1") { id } }', { headers: { 'x-purpose': 'service.payment' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ user: { id: '1' } });
    // Bob pays only with WeChat Pay: out of its scope.
    const bob = await gw.gql(key, '{ user(id: "2") { id } }', { headers: { 'x-purpose': 'service.payment' } });
    expect(bob.body.data).toEqual({ user: null });
    expect(bob.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['OUT_OF_SCOPE']);
    // A near miss does not.
    expect((await gw.gql(key.slice(0, -1), '{ user(id: "1") { id } }', { headers: { 'x-purpose': 'service.payment' } })).status).toBe(401);

    // The registry holds the SHA-256 of the key, never the key.
    const rows = await gw.store.ds.query("SELECT * FROM api_keys WHERE client_id = 'pay-jd'");
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    const everything = JSON.stringify([
      await gw.store.ds.query('SELECT * FROM api_keys'),
      await gw.store.ds.query('SELECT * FROM clients'),
    ]);
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(key.slice(8));
    const [client] = await gw.store.ds.query("SELECT * FROM clients WHERE id = 'pay-jd'");
    expect(client).toMatchObject({ display_name: 'JD Pay', kind: 'partner', role: 'reader' });
    expect(JSON.parse(client.providers)).toEqual(['ALIPAY', 'BANK_CARD']);
  });

  test('--role auditor registers an auditor; each create prints a different key', async () => {
    const a = await cli(CLIENTS, ['create', '--id', 'sec-two', '--purposes', 'audit.review', '--role', 'auditor', '--kind', 'internal'], gw.store);
    const b = await cli(CLIENTS, ['create', '--id', 'sec-three', '--purposes', 'audit.review', '--role', 'auditor', '--kind', 'internal'], gw.store);
    expect([a.code, b.code]).toEqual([0, 0]);
    const keyA = /: (pg_\S+)/.exec(a.stdout)![1];
    const keyB = /: (pg_\S+)/.exec(b.stdout)![1];
    expect(keyA).not.toBe(keyB);
    const rows = await gw.store.ds.query("SELECT id, role FROM clients WHERE id IN ('sec-two', 'sec-three') ORDER BY id");
    expect(rows).toEqual([{ id: 'sec-three', role: 'auditor' }, { id: 'sec-two', role: 'auditor' }]);
  });

  test.each([
    ['an existing id', ['create', '--id', 'mall-app', '--purposes', 'service.fulfilment'], /already exists/],
    ['an unknown purpose', ['create', '--id', 'new-one', '--purposes', 'no.such-purpose'], /unknown purpose/],
    ['an invalid role', ['create', '--id', 'new-two', '--purposes', 'account', '--role', 'admin'], /role/],
    ['a missing --purposes', ['create', '--id', 'new-three'], /purposes/],
  ])('refuses %s with exit code 1 and a one-line message, no stack trace', async (_what, args, message) => {
    const out = await cli(CLIENTS, args, gw.store);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).not.toMatch(/\n\s+at /);
    expect(out.stdout).not.toMatch(/pg_/);
  });

  test('refuses an unknown payment provider with UNKNOWN_PROVIDER, writing nothing', async () => {
    const before = await gw.store.ds.query('SELECT COUNT(*) AS n FROM clients');
    const out = await cli(CLIENTS, ['create', '--id', 'pay-paypal', '--purposes', 'service.payment', '--providers', 'ALIPAY,PAYPAL'], gw.store);
    expect(out.code).toBe(1);
    expect(out.stderr).toBe('error [UNKNOWN_PROVIDER]: unknown payment provider "PAYPAL" (expected ALIPAY, WECHAT_PAY, BANK_CARD)\n');
    expect(out.stdout).not.toMatch(/pg_/);
    expect(await gw.store.ds.query("SELECT id FROM clients WHERE id = 'pay-paypal'")).toEqual([]);
    expect(await gw.store.ds.query("SELECT id FROM api_keys WHERE client_id = 'pay-paypal'")).toEqual([]);
    expect(await gw.store.ds.query('SELECT COUNT(*) AS n FROM clients')).toEqual(before);
  });

  test('a payment client without providers is created with a note that it will see no payment data', async () => {
    const out = await cli(CLIENTS, ['create', '--id', 'pay-later', '--purposes', 'service.payment'], gw.store);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^note: pay-later declares a purpose whose scope is "provider" but has no --providers/m);
    expect(JSON.parse((await gw.store.ds.query("SELECT providers FROM clients WHERE id = 'pay-later'"))[0].providers)).toEqual([]);
  });

  test('update --providers replaces the providers, and what the client sees follows', async () => {
    const out = await cli(CLIENTS, ['update', '--id', 'pay-later', '--providers', 'WECHAT_PAY,WECHAT_PAY'], gw.store);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('pay-later: trusted-documents-only=false rate=default providers=WECHAT_PAY\n');
    expect(JSON.parse((await gw.store.ds.query("SELECT providers FROM clients WHERE id = 'pay-later'"))[0].providers)).toEqual(['WECHAT_PAY']);
    const key = await gw.gateway.registry.addKey('pay-later');
    const bob = await gw.gql(key, '{ user(id: "2") { id paymentAccounts { provider } } }', { headers: { 'x-purpose': 'service.payment' } });
    expect(bob.body.errors).toBeUndefined();
    expect(bob.body.data.user).toEqual({ id: '2', paymentAccounts: [{ provider: 'WECHAT_PAY' }] });
    const alice = await gw.gql(key, '{ user(id: "1") { id } }', { headers: { 'x-purpose': 'service.payment' } });
    expect(alice.body.errors[0].extensions.code).toBe('OUT_OF_SCOPE');
  });

  test('update refuses an unknown provider with UNKNOWN_PROVIDER and leaves the registration as it was', async () => {
    const out = await cli(CLIENTS, ['update', '--id', 'pay-later', '--providers', 'BANK_CARD,wechat_pay', '--rate', '7'], gw.store);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error \[UNKNOWN_PROVIDER\]: unknown payment provider "wechat_pay"/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
    expect(out.stdout).toBe('');
    const [row] = await gw.store.ds.query("SELECT providers, rate_limit_per_second FROM clients WHERE id = 'pay-later'");
    expect(JSON.parse(row.providers)).toEqual(['WECHAT_PAY']);
    expect(row.rate_limit_per_second).toBeNull();
  });

  test('set (the older name of update) still works, --providers included; an unknown client is refused', async () => {
    const out = await cli(CLIENTS, ['set', '--id', 'pay-later', '--rate', '25', '--providers', 'BANK_CARD'], gw.store);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('pay-later: trusted-documents-only=false rate=25 providers=BANK_CARD\n');
    const cleared = await cli(CLIENTS, ['update', '--id', 'pay-later', '--providers', ''], gw.store);
    expect(cleared.stdout).toMatch(/^pay-later: trusted-documents-only=false rate=25 providers=none\nnote: pay-later declares a purpose whose scope is "provider" but has no --providers/);
    const missing = await cli(CLIENTS, ['update', '--id', 'no-such-client', '--providers', 'ALIPAY'], gw.store);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error [BAD_USER_INPUT]: no client "no-such-client"\n');
  });

  test('list shows the clients with their providers, without keys', async () => {
    const out = await cli(CLIENTS, ['list'], gw.store);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^legal-desk\s+internal\s+reader\s+legal$/m);
    expect(out.stdout).toMatch(/^pay-alipay\s+partner\s+reader\s+service\.payment \[providers: ALIPAY\]$/m);
    expect(out.stdout).toMatch(/^pay-wechat\s+partner\s+reader\s+service\.payment \[providers: WECHAT_PAY\]$/m);
    expect(out.stdout).toMatch(/^pay-unionpay\s+partner\s+reader\s+service\.payment \[providers: BANK_CARD\]$/m);
    expect(out.stdout).toMatch(/^pay-jd\s+partner\s+reader\s+service\.payment,service\.after-sales \[providers: ALIPAY,BANK_CARD\]$/m);
    expect(out.stdout).toMatch(/^pay-later\s+partner\s+reader\s+service\.payment$/m);
    expect(out.stdout).not.toMatch(/demo-\w+-key|pg_/);
  });

  test('every subcommand has a description', async () => {
    const out = await cli(CLIENTS, ['--help'], gw.store);
    expect(out.code).toBe(0);
    const commands = out.stdout.slice(out.stdout.indexOf('Commands:')).split('\n').slice(1).filter((l) => /^ {2}\S/.test(l));
    expect(commands.map((l) => l.trim().split(/\s+/)[0])).toEqual(['create', 'list', 'rotate-key', 'revoke-keys', 'update|set', 'help']);
    for (const l of commands) expect(l.trim()).toMatch(/^\S+( \[options\])?( \[command\])?\s{2,}\S/);
  });
});

describe('seed', () => {
  const TABLES = ['users', 'payment_accounts', 'devices', 'orders', 'order_items', 'consents', 'clients', 'api_keys'];
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(async () => {
    await store?.drop();
  });

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of TABLES) out[t] = Number((await store.ds.query(`SELECT COUNT(*) AS n FROM ${t}`))[0].n);
    return out;
  }

  async function dump(): Promise<string> {
    const out: Record<string, unknown> = {};
    for (const t of TABLES) out[t] = await store.ds.query(`SELECT * FROM ${t} ORDER BY id`);
    return JSON.stringify(out);
  }

  test('--demo loads the demo data of SPEC §8 into an empty store', async () => {
    const out = await cli(SEED, ['--demo'], store);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/demo data loaded/);
    expect(await counts()).toEqual({ users: 5, payment_accounts: 3, devices: 5, orders: 5, order_items: 6, consents: 5, clients: 10, api_keys: 10 });
    const orders = await store.ds.query('SELECT o.order_no, COUNT(i.id) AS n FROM orders o LEFT JOIN order_items i ON i.order_id = o.id GROUP BY o.order_no ORDER BY o.order_no');
    for (const o of orders) expect(Number(o.n)).toBeGreaterThanOrEqual(1);
  });

  test('--demo a second (and third) time changes nothing', async () => {
    const before = await counts();
    const rows = await dump();
    for (let i = 0; i < 2; i++) {
      const out = await cli(SEED, ['--demo'], store);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/nothing changed/);
    }
    expect(await counts()).toEqual(before);
    expect(await dump()).toBe(rows);
  });

  test('--users N adds N users, each with a device, a payment account and orders', async () => {
    const before = await counts();
    const out = await cli(SEED, ['--users', '250', '--batch', '100'], store);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/added 250 users in [\d.]+ s/);
    const after = await counts();
    expect(after.users - before.users).toBe(250);
    expect(after.devices - before.devices).toBe(250);
    expect(after.payment_accounts - before.payment_accounts).toBe(250);
    expect(after.orders - before.orders).toBe(500);
    expect(after.order_items - before.order_items).toBe(1000);
    expect(after.consents).toBeGreaterThan(before.consents);
    // The demo rows are untouched and the generated ids follow them.
    expect((await store.ds.query('SELECT MIN(id) AS lo, MAX(id) AS hi FROM users WHERE id > 5'))[0]).toEqual({ lo: 6, hi: 255 });
  });

  test('without --demo or --users it refuses', async () => {
    const out = await cli(SEED, [], store);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/nothing to do/);
  });
});
