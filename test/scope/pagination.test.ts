import { generateUsers } from '../../seeds/generate';
import { Order, User } from '../../src/db/entities';
import { startTestGateway, TestGateway } from '../helpers/gateway';
import { As, ask, expectOutOfScope, ids } from './helpers';

/**
 * SPEC §11: lists contain only the rows in scope, with cursors and `hasNextPage` over the scoped
 * set. The demo users plus generated ones (seeds/generate.ts spreads channels, providers and
 * docs-app authorisations); what each client should see is read from the store with plain SQL.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await generateUsers(gw.store.ds, 120, { batchSize: 60, ordersPerUser: 1 });
  // The last user has no relationship with anyone: after every client's last related user, an unrelated one.
  const { id: _id, ...bob } = (await gw.store.ds.getRepository(User).findOneByOrFail({ id: 2 }));
  await gw.store.ds.getRepository(User).insert({ ...bob, username: 'loner' });
});
afterAll(async () => { await gw?.close(); });

/** The users each client is related to, by SQL straight over the relationship tables. */
const ORACLE: [As, string][] = [
  ['alipay', "SELECT DISTINCT user_id AS id FROM payment_accounts WHERE provider = 'ALIPAY'"],
  ['wechat', "SELECT DISTINCT user_id AS id FROM payment_accounts WHERE provider = 'WECHAT_PAY'"],
  ['unionpay', "SELECT DISTINCT user_id AS id FROM payment_accounts WHERE provider = 'BANK_CARD'"],
  ['mall', "SELECT DISTINCT user_id AS id FROM orders WHERE channel = 'mall-app'"],
  ['docs', "SELECT DISTINCT user_id AS id FROM app_authorizations WHERE client_id = 'docs-app' AND revoked_at IS NULL"],
];
const expected = async (sql: string): Promise<number[]> => (await gw.store.ds.query(sql)).map((r: { id: unknown }) => Number(r.id)).sort((a: number, b: number) => a - b);
const allIds = async (): Promise<number[]> => expected('SELECT id FROM users');

const PAGE = 'query($n: Int, $a: String, $l: Int, $b: String) { users(first: $n, after: $a, last: $l, before: $b) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }';

it('the generated data spreads the relationships: each client sees some users but not all', async () => {
  const everyone = await allIds();
  expect(everyone.length).toBe(126);
  for (const [, sql] of ORACLE) {
    const mine = await expected(sql);
    expect(mine.length).toBeGreaterThan(5);
    expect(mine.length).toBeLessThan(everyone.length - 5);
  }
});

describe.each(ORACLE)('%s pages through its scoped set', (as, sql) => {
  it('forwards, 7 at a time: exactly the related users, in id order, with cursors and hasNextPage over them', async () => {
    const want = await expected(sql);
    const seen: number[] = [];
    let after: string | null = null;
    for (let page = 0; ; page++) {
      const r = await ask(gw, as, PAGE, { n: 7, a: after });
      expect(r.body.errors).toBeUndefined();
      const { edges, pageInfo } = r.body.data.users;
      const pageIds = ids(r.body.data.users);
      seen.push(...pageIds);
      const rest = want.length - seen.length;
      expect(pageIds).toEqual(want.slice(page * 7, page * 7 + 7));
      expect(pageInfo.hasNextPage).toBe(rest > 0);
      expect(pageInfo.hasPreviousPage).toBe(page > 0);
      expect(pageInfo.startCursor).toBe(edges[0]?.cursor ?? null);
      expect(pageInfo.endCursor).toBe(edges[edges.length - 1]?.cursor ?? null);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual(want);
  });

  it('backwards, 9 at a time with last/before, the same set', async () => {
    const want = await expected(sql);
    const pages: number[][] = [];
    let before: string | null = null;
    for (;;) {
      const r = await ask(gw, as, PAGE, { l: 9, b: before });
      expect(r.body.errors).toBeUndefined();
      const { pageInfo } = r.body.data.users;
      pages.unshift(ids(r.body.data.users));
      const seen = pages.flat().length;
      expect(pages[0]).toEqual(want.slice(Math.max(0, want.length - seen), want.length - seen + pages[0].length));
      expect(pageInfo.hasPreviousPage).toBe(seen < want.length);
      if (!pageInfo.hasPreviousPage) break;
      before = pageInfo.startCursor;
    }
    expect(pages.flat()).toEqual(want);
  });

  it('hasNextPage is false right at the end of the scoped set, though unrelated users follow', async () => {
    const want = await expected(sql);
    const everyone = await allIds();
    // Every cursor of the scoped set, page by page.
    const cursors = new Map<number, string>();
    for (let after: string | null = null; ;) {
      const r = await ask(gw, as, PAGE, { n: 50, a: after });
      for (const e of r.body.data.users.edges) cursors.set(Number(e.node.id), e.cursor);
      if (!r.body.data.users.pageInfo.hasNextPage) break;
      after = r.body.data.users.pageInfo.endCursor;
    }
    expect([...cursors.keys()]).toEqual(want);
    const from = want.length - 3; // a page that holds exactly the last three related users
    const cursorUser = want[from - 1];
    // Only meaningful if unrelated users come after the cursor (an unscoped "is there more" would say yes).
    expect(everyone.filter((id) => id > cursorUser && !want.includes(id)).length).toBeGreaterThan(0);
    const r = await ask(gw, as, PAGE, { n: 3, a: cursors.get(cursorUser) });
    expect(ids(r.body.data.users)).toEqual(want.slice(from));
    expect(r.body.data.users.pageInfo.hasNextPage).toBe(false);
    // One fewer: now there is a next page.
    const short = await ask(gw, as, PAGE, { n: 2, a: cursors.get(cursorUser) });
    expect(ids(short.body.data.users)).toEqual(want.slice(from, from + 2));
    expect(short.body.data.users.pageInfo.hasNextPage).toBe(true);
  });

  it('an unrelated generated user is out of scope by id', async () => {
    const want = new Set(await expected(sql));
    const stranger = (await allIds()).find((id) => id > 5 && !want.has(id))!;
    expectOutOfScope(await ask(gw, as, 'query($id: ID!) { user(id: $id) { id } }', { id: String(stranger) }), 'user', as === 'mall' ? 'orders' : as === 'docs' ? 'authorized' : 'provider');
  });
});

describe('a user\'s orders are paged over the orders in scope', () => {
  it('mall-app sees only a user\'s orders through mall-app, newest first, one per page', async () => {
    // A generated user with an order through the mall; four more orders (with no payment account:
    // no other client's relationships change) interleave the mall with other channels.
    const rows: { user_id: unknown }[] = await gw.store.ds.query("SELECT user_id FROM orders WHERE channel = 'mall-app' AND user_id > 5 ORDER BY user_id");
    expect(rows.length).toBeGreaterThan(0);
    const userId = Number(rows[0].user_id);
    const [template] = await gw.store.ds.getRepository(Order).find({ where: { userId }, order: { id: 'ASC' }, take: 1 });
    for (const [i, channel] of (['docs-app', 'mall-app', '', 'mall-app'] as const).entries()) {
      const { id: _id, ...rest } = template;
      await gw.store.ds.getRepository(Order).insert({ ...rest, orderNo: `SCOPE-PAGE-${i}`, channel, paymentAccountId: null });
    }
    const want = (await gw.store.ds.query("SELECT id FROM orders WHERE user_id = ? AND channel = 'mall-app' ORDER BY id DESC", [userId])).map((r: { id: unknown }) => Number(r.id));
    const others = (await gw.store.ds.query("SELECT id FROM orders WHERE user_id = ? AND channel <> 'mall-app'", [userId])).map((r: { id: unknown }) => Number(r.id));
    expect(want.length).toBeGreaterThanOrEqual(3);
    expect(others.length).toBeGreaterThanOrEqual(2);

    const seen: number[] = [];
    let after: string | null = null;
    for (;;) {
      const r = await ask(gw, 'mall', 'query($u: ID!, $a: String) { user(id: $u) { orders(first: 1, after: $a) { edges { node { id channel } } pageInfo { hasNextPage endCursor } } } }', { u: String(userId), a: after });
      expect(r.body.errors).toBeUndefined();
      const orders = r.body.data.user.orders;
      expect(orders.edges).toHaveLength(1);
      expect(orders.edges[0].node.channel).toBe('mall-app');
      seen.push(Number(orders.edges[0].node.id));
      expect(orders.pageInfo.hasNextPage).toBe(seen.length < want.length);
      if (!orders.pageInfo.hasNextPage) break;
      after = orders.pageInfo.endCursor;
    }
    expect(seen).toEqual(want);
    // And by id, the other channel's orders of this very user are out of scope.
    for (const id of others) expectOutOfScope(await ask(gw, 'mall', `{ order(id: "${id}") { id } }`), 'order', 'orders');
  });

  it('in a list of users, each user\'s orders are paged over the scope too (one statement for all)', async () => {
    const r = await ask(gw, 'alipay', '{ users(first: 100) { edges { node { id orders(first: 2) { edges { node { id paymentAccount { provider } } } pageInfo { hasNextPage } } } } } }');
    expect(r.body.errors).toBeUndefined();
    const paidWithAlipay: { user_id: unknown; n: unknown }[] = await gw.store.ds.query(
      "SELECT o.user_id, COUNT(*) AS n FROM orders o JOIN payment_accounts p ON p.id = o.payment_account_id WHERE p.provider = 'ALIPAY' GROUP BY o.user_id");
    const count = new Map(paidWithAlipay.map((x) => [Number(x.user_id), Number(x.n)]));
    for (const { node } of r.body.data.users.edges) {
      const n = count.get(Number(node.id)) ?? 0;
      expect(node.orders.edges).toHaveLength(Math.min(n, 2));
      expect(node.orders.pageInfo.hasNextPage).toBe(n > 2);
      for (const o of node.orders.edges) expect(o.node.paymentAccount).toEqual({ provider: 'ALIPAY' });
    }
  });
});
