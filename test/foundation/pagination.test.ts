import { Order } from '../../src/db/entities';
import { startTestGateway, TestGateway } from '../helpers/gateway';
import { legalData, legalQuery } from './legal';

/** Relay connections with opaque cursors, both ways; bad arguments; unknown ids. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  // Tom (user 4) gets four more orders, so that a user's orders span several pages.
  await gw.store.ds.getRepository(Order).insert([101, 102, 103, 104].map((id) => ({
    id, orderNo: `MP-TEST-${id}`, userId: 4, paymentAccountId: null, status: 'PAID' as const, totalAmount: 100 * id, currency: 'CNY',
    recipientName: 'Tom Zhou', recipientPhone: '13600002222', shippingAddress: 'Fuzhou, Gulou District, 3 Wusi Rd', createdAt: new Date('2026-11-01T00:00:00Z'),
  })));
});
afterAll(async () => {
  await gw?.close();
});

interface Page { ids: string[]; cursors: string[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null } }

async function usersPage(args: string): Promise<Page> {
  const { users } = await legalData(gw, `{ users${args ? `(${args})` : ''} { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`);
  return {
    ids: users.edges.map((e: { node: { id: string } }) => e.node.id),
    cursors: users.edges.map((e: { cursor: string }) => e.cursor),
    pageInfo: users.pageInfo,
  };
}

describe('users: forwards with first/after', () => {
  test('walks 2 + 2 + 1 over the five demo users', async () => {
    const p1 = await usersPage('first: 2');
    expect(p1.ids).toEqual(['1', '2']);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(p1.pageInfo.startCursor).toBe(p1.cursors[0]);
    expect(p1.pageInfo.endCursor).toBe(p1.cursors[1]);

    const p2 = await usersPage(`first: 2, after: ${JSON.stringify(p1.pageInfo.endCursor)}`);
    expect(p2.ids).toEqual(['3', '4']);
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    const p3 = await usersPage(`first: 2, after: ${JSON.stringify(p2.pageInfo.endCursor)}`);
    expect(p3.ids).toEqual(['5']);
    expect(p3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(p3.pageInfo.startCursor).toBe(p3.pageInfo.endCursor);

    const p4 = await usersPage(`first: 2, after: ${JSON.stringify(p3.pageInfo.endCursor)}`);
    expect(p4.ids).toEqual([]);
    expect(p4.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
  });

  test('a page that ends exactly at the last user says there is no next page', async () => {
    const p = await usersPage('first: 5');
    expect(p.ids).toEqual(['1', '2', '3', '4', '5']);
    expect(p.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  test('the default page size is 20', async () => {
    expect((await usersPage('')).ids).toEqual(['1', '2', '3', '4', '5']);
  });

  test('cursors are opaque and stable: the same row always has the same cursor, and it is not its id', async () => {
    const all = await usersPage('first: 5');
    const again = await usersPage('first: 3');
    expect(again.cursors).toEqual(all.cursors.slice(0, 3));
    for (const c of all.cursors) expect(c).not.toMatch(/^\d+$/);
    expect(new Set(all.cursors).size).toBe(5);
  });
});

describe('users: backwards with last/before', () => {
  test('walks 2 + 2 + 1 from the end', async () => {
    const p1 = await usersPage('last: 2');
    expect(p1.ids).toEqual(['4', '5']);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(p1.pageInfo.startCursor).toBe(p1.cursors[0]);
    expect(p1.pageInfo.endCursor).toBe(p1.cursors[1]);

    const p2 = await usersPage(`last: 2, before: ${JSON.stringify(p1.pageInfo.startCursor)}`);
    expect(p2.ids).toEqual(['2', '3']);
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    const p3 = await usersPage(`last: 2, before: ${JSON.stringify(p2.pageInfo.startCursor)}`);
    expect(p3.ids).toEqual(['1']);
    expect(p3.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  test('backwards and forwards cursors are the same cursors', async () => {
    const fwd = await usersPage('first: 5');
    const back = await usersPage('last: 5');
    expect(back.ids).toEqual(fwd.ids);
    expect(back.cursors).toEqual(fwd.cursors);
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: false });
  });

  test('after and before together give the rows between them', async () => {
    const all = await usersPage('first: 5');
    const between = await usersPage(`first: 10, after: ${JSON.stringify(all.cursors[0])}, before: ${JSON.stringify(all.cursors[4])}`);
    expect(between.ids).toEqual(['2', '3', '4']);
  });
});

describe('orders(first, after)', () => {
  async function tomsOrders(args: string) {
    const { user } = await legalData(gw, `{ user(id: "4") { orders(${args}) { edges { cursor node { id orderNo } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`);
    return user.orders;
  }

  test('pages through one user\'s five orders, newest first', async () => {
    const p1 = await tomsOrders('first: 2');
    expect(p1.edges.map((e: { node: { orderNo: string } }) => e.node.orderNo)).toEqual(['MP-TEST-104', 'MP-TEST-103']);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

    const p2 = await tomsOrders(`first: 2, after: ${JSON.stringify(p1.pageInfo.endCursor)}`);
    expect(p2.edges.map((e: { node: { orderNo: string } }) => e.node.orderNo)).toEqual(['MP-TEST-102', 'MP-TEST-101']);
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    const p3 = await tomsOrders(`first: 2, after: ${JSON.stringify(p2.pageInfo.endCursor)}`);
    expect(p3.edges.map((e: { node: { orderNo: string } }) => e.node.orderNo)).toEqual(['MP-2026-0004']);
    expect(p3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(p3.pageInfo.endCursor).toBe(p3.edges[0].cursor);
  });

  test('each user of a users page gets their own page of orders', async () => {
    const { users } = await legalData(gw, '{ users(first: 5) { edges { node { id orders(first: 2) { edges { node { orderNo } } pageInfo { hasNextPage } } } } } }');
    const byUser = Object.fromEntries(users.edges.map((e: { node: { id: string; orders: { edges: { node: { orderNo: string } }[]; pageInfo: { hasNextPage: boolean } } } }) =>
      [e.node.id, { orderNos: e.node.orders.edges.map((o) => o.node.orderNo), more: e.node.orders.pageInfo.hasNextPage }]));
    expect(byUser).toEqual({
      1: { orderNos: ['MP-2026-0001'], more: false },
      2: { orderNos: ['MP-2026-0002'], more: false },
      3: { orderNos: ['MP-2026-0003'], more: false },
      4: { orderNos: ['MP-TEST-104', 'MP-TEST-103'], more: true },
      5: { orderNos: ['MP-2026-0005'], more: false },
    });
  });
});

describe('bad paging arguments: BAD_USER_INPUT, HTTP 400, a clear message', () => {
  const garbage = Buffer.from('c1:not-a-number').toString('base64url');
  test.each([
    ['users(first: 0)', /"first" must be between 1 and 100, got 0/],
    ['users(first: 101)', /"first" must be between 1 and 100, got 101/],
    ['users(first: -1)', /"first" must be between 1 and 100/],
    ['users(last: 0)', /"last" must be between 1 and 100, got 0/],
    ['users(last: 101)', /"last" must be between 1 and 100, got 101/],
    ['users(after: "not a cursor!")', /"after" is not a cursor/],
    [`users(after: "${garbage}")`, /"after" is not a cursor/],
    ['users(before: "MTIz")', /"before" is not a cursor/],
  ])('%s', async (call, message) => {
    const res = await legalQuery(gw, `{ ${call} { edges { node { id } } } }`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors[0].message).toMatch(message);
    expect(res.body.data ?? null).toBeNull();
  });

  test.each([
    ['orders(first: 0)', /"first" must be between 1 and 100, got 0/],
    ['orders(first: 101)', /"first" must be between 1 and 100, got 101/],
    ['orders(after: "%%%")', /"after" is not a cursor/],
  ])('user { %s }', async (call, message) => {
    const res = await legalQuery(gw, `{ user(id: "1") { id ${call} { edges { node { id } } } } }`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors[0].message).toMatch(message);
    expect(res.body.errors[0].path).toEqual(['user', 'orders']);
  });

  test('first = 1 and first = 100 are accepted', async () => {
    expect((await usersPage('first: 1')).ids).toEqual(['1']);
    expect((await usersPage('first: 100')).ids).toHaveLength(5);
    expect((await usersPage('last: 100')).ids).toHaveLength(5);
  });
});

const UNKNOWN_IDS = [
  ['user', '999'], ['user', '0'], ['user', '-1'], ['user', 'abc'], ['user', '99999999999999999999'],
  ['order', '999'], ['order', 'x'], ['device', '999'], ['device', '1.5'],
] as const;

describe('unknown ids under a purpose that sees every subject (scope all): null, not an error', () => {
  const risk = (query: string, variables?: Record<string, unknown>) => gw.gql('demo-risk-key', query, { purpose: 'security.risk-control', variables });

  test.each(UNKNOWN_IDS)('%s(id: "%s")', async (field, id) => {
    const res = await risk(`query ($id: ID!) { ${field}(id: $id) { id } }`, { id });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ [field]: null });
  });

  test('a known and an unknown id in one operation', async () => {
    const res = await risk('{ a: user(id: "1") { id } b: user(id: "404") { id } c: order(id: "404") { id } d: device(id: "1") { id } }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ a: { id: '1' }, b: null, c: null, d: { id: '1' } });
  });
});

describe('unknown ids under a scoped purpose: OUT_OF_SCOPE, as a row out of scope (SPEC §11)', () => {
  test.each(UNKNOWN_IDS)('%s(id: "%s")', async (field, id) => {
    const res = await legalQuery(gw, `query ($id: ID!) { ${field}(id: $id) { id } }`, { id });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ [field]: null });
    expect(res.body.errors).toEqual([{ message: expect.stringContaining(`"${id}"`), locations: expect.any(Array), path: [field], extensions: { code: 'OUT_OF_SCOPE', scope: 'case' } }]);
  });
});

describe('first and last together', () => {
  let gw2: import('../helpers/gateway').TestGateway;
  beforeAll(async () => { gw2 = await (await import('../helpers/gateway')).startTestGateway(); });
  afterAll(async () => { await gw2?.close(); });

  it('is refused when both are given, in the text or by variables', async () => {
    for (const [q, variables] of [
      ['{ users(first: 2, last: 2) { edges { cursor } } }', undefined],
      ['query($f: Int, $l: Int) { users(first: $f, last: $l) { edges { cursor } } }', { f: 2, l: 2 }],
    ] as const) {
      const r = await gw2.gql('demo-risk-key', q, { variables });
      expect(r.status).toBe(400);
      expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(r.body.errors[0].message).toMatch(/first.*last.*not both/);
    }
  });

  it('last alone pages from the end, even though first has a default', async () => {
    // No purpose: the rows of any purpose the risk engine may declare (all of them).
    const r = await gw2.gql('demo-risk-key', 'query($l: Int, $f: Int) { users(last: $l, first: $f) { edges { cursor } pageInfo { hasPreviousPage } } }', { variables: { l: 2 } });
    expect(r.body.data.users.edges).toHaveLength(2);
    expect(r.body.data.users.pageInfo.hasPreviousPage).toBe(true);
  });
});
