import { statementCounter } from '../../src/db/statement-counter';
import { rollUpActivity } from '../../src/review';
import { generateUsers } from '../../seeds/generate';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { legalData } from './legal';

/**
 * Issue 2: the DataLoaders batch every access path, so a page of users with their orders
 * (items, payment account), devices and payment accounts costs a fixed number of SQL
 * statements, whatever the number of users. The gateway runs in this process, so the
 * statements of one HTTP request are those the global counter sees while it runs.
 */
/** Reads: one per access path (users, consents, devices, payment accounts, orders, items, account by id) today. */
const READ_BOUND = 10;
/** Everything, including the audit commit of the request (a transaction of a few statements). */
const TOTAL_BOUND = 16;

let gw: TestGateway;
beforeAll(async () => {
  // A long client cache: after the first request, authentication costs no statement.
  gw = await startTestGateway({ CLIENT_CACHE_MS: '600000' });
  await generateUsers(gw.store.ds, 150, { batchSize: 100 });
});
afterAll(async () => {
  await gw?.close();
});

const QUERY = (n: number) => `{ users(first: ${n}) { edges { node {
  id phone
  orders(first: 10) { edges { node { orderNo items { sku } paymentAccount { id } } } }
  devices { deviceId }
  paymentAccounts { accountNo }
} } } }`;

interface Measured { total: number; reads: number; statements: string[]; data: any } // eslint-disable-line @typescript-eslint/no-explicit-any

async function measure(query: string, as?: { key: string; purpose: string }): Promise<Measured> {
  const spy = jest.spyOn(statementCounter, 'count');
  const before = statementCounter.total;
  try {
    const data = as ? (await gw.gql(as.key, query, { purpose: as.purpose })).body : await legalData(gw, query);
    const statements = spy.mock.calls.map((c) => String(c[0]));
    const total = statementCounter.total - before;
    expect(statements).toHaveLength(total);
    return { total, reads: statements.filter((s) => /^\s*(SELECT|WITH)\b/i.test(s)).length, statements, data };
  } finally {
    spy.mockRestore();
  }
}

test('the counter sees the gateway\'s statements', async () => {
  const { reads } = await measure('{ user(id: "1") { id phone } }');
  expect(reads).toBeGreaterThanOrEqual(1);
});

test('background work (the console\'s rollup loop) is counted apart, never as a request\'s statements', async () => {
  const before = { total: statementCounter.total, background: statementCounter.background };
  await rollUpActivity(gw.store.ds, gw.gateway.audit.projection); // what startActivityRollup runs every 5 s, whatever requests are in flight
  expect(statementCounter.total).toBe(before.total);
  expect(statementCounter.background).toBeGreaterThan(before.background);
  // …and the gateway's own statements are counted as before.
  await gw.store.ds.query('SELECT 1');
  expect(statementCounter.total).toBe(before.total + 1);
});

test('5 users and 100 users cost the same, small number of statements', async () => {
  await measure(QUERY(1)); // warm the client cache
  const five = await measure(QUERY(5));
  const hundred = await measure(QUERY(100));

  // The answers are complete: every user with their orders, items, devices and accounts.
  const users = hundred.data.users.edges.map((e: { node: unknown }) => e.node);
  expect(users).toHaveLength(100);
  const generated = users.filter((u: { id: string }) => Number(u.id) > 5);
  expect(generated.length).toBe(95);
  for (const u of generated) {
    expect(u.phone).toMatch(/^13\d{9}$/);
    expect(u.orders.edges).toHaveLength(2);
    for (const o of u.orders.edges) {
      expect(o.node.items).toHaveLength(2);
      expect(o.node.paymentAccount).not.toBeNull();
    }
    expect(u.devices).toHaveLength(1);
    expect(u.paymentAccounts).toHaveLength(1);
  }
  expect(five.data.users.edges).toHaveLength(5);

  expect(hundred.reads).toBe(five.reads);
  expect(hundred.total).toBe(five.total);
  expect(hundred.reads).toBeLessThanOrEqual(READ_BOUND);
  expect(hundred.total).toBeLessThanOrEqual(TOTAL_BOUND);
});

test('the same holds for one user and for user(id) entry points', async () => {
  const one = await measure(QUERY(1));
  const hundred = await measure(QUERY(100));
  expect(one.reads).toBe(hundred.reads);
  expect(one.total).toBe(hundred.total);

  // Twelve aliases stay under the default alias limit.
  const byId = (ids: number[]) => `{ ${ids.map((id) => `u${id}: user(id: "${id}") { id devices { id } paymentAccounts { id } orders { edges { node { id } } } }`).join(' ')} }`;
  const many = await measure(byId(Array.from({ length: 12 }, (_, i) => i + 1)));
  const few = await measure(byId([1, 2]));
  expect(Object.keys(many.data)).toHaveLength(12);
  expect(many.reads).toBe(few.reads);
  expect(many.reads).toBeLessThanOrEqual(READ_BOUND);
});

/**
 * SPEC §11: lists are filtered in SQL, so a scoped list costs as few statements as an
 * unrestricted one, whatever its length; and a row out of scope costs what a missing one does.
 */
describe('relationship scope (SPEC §11)', () => {
  const ALIPAY = { key: KEYS.alipay, purpose: 'service.payment' };
  const SCOPED = (n: number) => `{ users(first: ${n}) { edges { node {
    id username
    paymentAccounts { provider accountNo }
    orders(first: 10) { edges { node { orderNo totalAmount items { sku } paymentAccount { provider } } } }
    devices { deviceId }
  } } } }`;

  test('pay-alipay: users(first: 1) and users(first: 50) with accounts, orders and devices cost the same statements', async () => {
    await measure(SCOPED(1), ALIPAY); // warm the client cache
    const one = await measure(SCOPED(1), ALIPAY);
    const fifty = await measure(SCOPED(50), ALIPAY);

    // The answers are the scoped ones: 50 users who hold an Alipay account, nothing of other providers.
    const alipayUsers = (await gw.store.ds.query("SELECT DISTINCT user_id AS id FROM payment_accounts WHERE provider = 'ALIPAY' ORDER BY user_id")).map((r: { id: unknown }) => String(r.id));
    expect(alipayUsers.length).toBeGreaterThan(50);
    const users = fifty.data.data.users.edges.map((e: { node: { id: string } }) => e.node);
    expect(users.map((u: { id: string }) => u.id)).toEqual(alipayUsers.slice(0, 50));
    expect(one.data.data.users.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(['1']);
    for (const u of users) {
      expect(u.paymentAccounts.length).toBeGreaterThan(0);
      for (const a of u.paymentAccounts) expect(a.provider).toBe('ALIPAY');
      for (const o of u.orders.edges) expect(o.node.paymentAccount).toEqual({ provider: 'ALIPAY' });
      expect(u.devices.length).toBe(1);
    }
    expect(users.filter((u: { orders: { edges: unknown[] } }) => u.orders.edges.length > 0).length).toBeGreaterThan(40);

    process.stdout.write(`pay-alipay users(first: 1): ${one.reads} reads, ${one.total} statements; users(first: 50): ${fifty.reads} reads, ${fifty.total} statements\n`);
    expect(fifty.reads).toBe(one.reads);
    expect(fifty.total).toBe(one.total);
    expect(fifty.reads).toBeLessThanOrEqual(READ_BOUND);
    expect(fifty.total).toBeLessThanOrEqual(TOTAL_BOUND);
  });

  test('the scope filter is in the SQL of the list, not applied to rows afterwards', async () => {
    const fifty = await measure(SCOPED(50), ALIPAY);
    const userPage = fifty.statements.filter((q) => /FROM\s+["`]?users["`]?\s/i.test(q) && /LIMIT/i.test(q));
    expect(userPage).toHaveLength(1);
    expect(userPage[0]).toMatch(/payment_accounts/i);
  });

  test.each([
    ['pay-alipay user(id)', { key: KEYS.alipay, purpose: 'service.payment' }, 'user', '2'],
    ['pay-alipay order(id)', { key: KEYS.alipay, purpose: 'service.payment' }, 'order', '2'],
    ['mall-app order(id)', { key: KEYS.mall, purpose: 'service.fulfilment' }, 'order', '4'],
    ['mall-app device(id)', { key: KEYS.mall, purpose: 'service.fulfilment' }, 'device', '4'],
  ])('%s: an existing row out of scope costs the same statements as a missing id', async (_name, as, field, hidden) => {
    const q = (id: string) => `{ ${field}(id: "${id}") { id } }`;
    await measure(q('99999'), as); // warm the client cache
    const out = await measure(q(hidden), as);
    const missing = await measure(q('99999'), as);
    expect(out.data.errors[0].extensions.code).toBe('OUT_OF_SCOPE');
    expect(missing.data.errors[0].extensions.code).toBe('OUT_OF_SCOPE');
    expect({ reads: out.reads, total: out.total }).toEqual({ reads: missing.reads, total: missing.total });
  });
});
