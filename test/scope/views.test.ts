import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { AS, As, ask, expectOutOfScope, ids, recordsOf } from './helpers';

/**
 * SPEC §11 over real HTTP, on the demo data of §8 and §11: which users, orders, devices and
 * payment accounts each demo client sees under its purpose, by id, in lists and nested.
 */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

const ALL = [1, 2, 3, 4, 5];
/** [client, the scope label OUT_OF_SCOPE names, the demo users it sees]. */
const VIEWS: [As, string, number[]][] = [
  ['mall', 'orders', [1, 2, 3, 5]], // Tom's only order went through docs-app
  ['afterSales', 'orders', [1, 2, 3, 5]],
  ['mallPersonal', 'all', ALL],
  ['alipay', 'provider', [1]],
  ['wechat', 'provider', [2]],
  ['unionpay', 'provider', [1]],
  ['risk', 'all', ALL],
  ['analytics', 'all', ALL],
  ['docs', 'authorized', [1, 3]],
  ['account', 'all', ALL],
  ['legal', 'case', [1, 2]],
  ['security', 'all', ALL],
];

const USER_BY_ID = 'query($id: ID!) { user(id: $id) { id } }';

describe('each demo client\'s view of each demo user, by id', () => {
  const cases = VIEWS.flatMap(([as, scope, visible]) => ALL.map((id) => [as, id, visible.includes(id), scope] as const));

  it.each(cases)('%s reads user(id: %d): in scope = %s', async (as, id, visible, scope) => {
    const r = await ask(gw, as, USER_BY_ID, { id: String(id) });
    if (visible) {
      expect(r.status).toBe(200);
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.user).toEqual({ id: String(id) });
    } else {
      expectOutOfScope(r, 'user', scope);
      expect(r.body.errors[0].message).toBe(`No User "${id}" in scope "${scope}"`);
    }
  });
});

describe('each demo client\'s `users` list', () => {
  it.each(VIEWS)('%s (scope %s) lists exactly %j', async (as, _scope, visible) => {
    const r = await ask(gw, as, '{ users(first: 50) { edges { node { id } } pageInfo { hasNextPage } } }');
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(ids(r.body.data.users)).toEqual(visible);
    expect(r.body.data.users.pageInfo.hasNextPage).toBe(false);
  });

  it('hidden rows are simply absent: no error, no denial counted', async () => {
    const r = await ask(gw, 'alipay', '{ users { edges { node { id username } } } }');
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.users.edges).toEqual([{ node: { id: '1', username: 'alice' } }]);
    expect(r.body.extensions.disclosure).toMatchObject({ allowed: 1, masked: 0, denied: 0 });
  });
});

describe('without a purpose: the scopes of every purpose the client may declare', () => {
  const bare = (key: string, query: string) => gw.gql(key, query);

  it('pay-alipay (service.payment only) sees the same rows as under its purpose', async () => {
    expect(ids((await bare(KEYS.alipay, '{ users { edges { node { id } } } }')).body.data.users)).toEqual([1]);
    const r = await bare(KEYS.alipay, '{ user(id: "2") { id } }');
    expectOutOfScope(r, 'user', 'provider');
    expect(r.body.extensions?.disclosure).toBeUndefined();
  });

  it('docs-app sees the users who authorised it', async () => {
    expect(ids((await bare(KEYS.docs, '{ users { edges { node { id } } } }')).body.data.users)).toEqual([1, 3]);
  });

  it('mall-app may declare personalization (scope all): it sees everyone', async () => {
    expect(ids((await bare(KEYS.mall, '{ users { edges { node { id } } } }')).body.data.users)).toEqual(ALL);
    expect((await bare(KEYS.mall, '{ user(id: "4") { id } }')).body.data.user).toEqual({ id: '4' });
  });

  it('legal-desk without a case sees no one', async () => {
    expect(ids((await bare(KEYS.legal, '{ users { edges { node { id } } } }')).body.data.users)).toEqual([]);
    expectOutOfScope(await bare(KEYS.legal, '{ user(id: "1") { id } }'), 'user', 'case');
  });
});

describe('nested rows', () => {
  const USER_ROWS = `query($id: ID!) { user(id: $id) {
    paymentAccounts { id provider }
    orders(first: 10) { edges { node { id channel paymentAccount { id provider } } } }
    devices { id }
  } }`;
  const rowsOf = async (as: As, id: number) => {
    const r = await ask(gw, as, USER_ROWS, { id: String(id) });
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    const u = r.body.data.user;
    return { accounts: u.paymentAccounts, orders: ids(u.orders), devices: u.devices.map((d: { id: string }) => Number(d.id)), raw: u };
  };

  it('pay-alipay sees Alice\'s Alipay account, never her bank card; her order paid with Alipay; her device', async () => {
    const alice = await rowsOf('alipay', 1);
    expect(alice.accounts).toEqual([{ id: '1', provider: 'ALIPAY' }]);
    expect(alice.orders).toEqual([1]);
    expect(alice.raw.orders.edges[0].node.paymentAccount).toEqual({ id: '1', provider: 'ALIPAY' });
    expect(alice.devices).toEqual([1]);
  });

  it('pay-unionpay sees only Alice\'s bank card, and not her order paid with Alipay', async () => {
    const alice = await rowsOf('unionpay', 1);
    expect(alice.accounts).toEqual([{ id: '2', provider: 'BANK_CARD' }]);
    expect(alice.orders).toEqual([]);
    expect(alice.devices).toEqual([1]);
  });

  it('pay-wechat sees Bob\'s WeChat account and the order paid with it', async () => {
    const bob = await rowsOf('wechat', 2);
    expect(bob.accounts).toEqual([{ id: '3', provider: 'WECHAT_PAY' }]);
    expect(bob.orders).toEqual([2]);
    expect(bob.devices).toEqual([2]);
  });

  it('mall-app sees Alice\'s mall order and the account that paid it, not her unused bank card', async () => {
    const alice = await rowsOf('mall', 1);
    expect(alice.orders).toEqual([1]);
    expect(alice.accounts).toEqual([{ id: '1', provider: 'ALIPAY' }]);
    expect(alice.raw.orders.edges[0].node.channel).toBe('mall-app');
  });

  it('the relationship of docs-app and legal-desk is with the subject: all of the subject\'s rows', async () => {
    for (const as of ['docs', 'legal'] as const) {
      const alice = await rowsOf(as, 1);
      expect(alice.accounts.map((a: { id: string }) => a.id)).toEqual(['1', '2']);
      expect(alice.orders).toEqual([1]);
      expect(alice.devices).toEqual([1]);
    }
  });

  it('mall-app under personalization (scope all) sees Tom\'s order through docs-app', async () => {
    const tom = await rowsOf('mallPersonal', 4);
    expect(tom.orders).toEqual([4]);
    expect(tom.raw.orders.edges[0].node.channel).toBe('docs-app');
  });

  it('the users list applies the same row scope to nested rows', async () => {
    const r = await ask(gw, 'unionpay', '{ users { edges { node { id paymentAccounts { provider } orders { edges { node { id } } } } } } }');
    expect(r.body.data.users.edges).toEqual([{ node: { id: '1', paymentAccounts: [{ provider: 'BANK_CARD' }], orders: { edges: [] } } }]);
  });
});

describe('orders and devices by id', () => {
  // [client, entity, id, in scope, scope label]
  const TABLE: [As, 'order' | 'device', number, boolean, string][] = [
    ['alipay', 'order', 1, true, 'provider'],
    ['alipay', 'order', 2, false, 'provider'],
    ['alipay', 'order', 3, false, 'provider'], // paid with no account at all
    ['wechat', 'order', 2, true, 'provider'],
    ['unionpay', 'order', 1, false, 'provider'],
    ['mall', 'order', 1, true, 'orders'],
    ['mall', 'order', 5, true, 'orders'],
    ['mall', 'order', 4, false, 'orders'],
    ['docs', 'order', 1, true, 'authorized'],
    ['docs', 'order', 4, false, 'authorized'], // placed through docs-app, but Tom never authorised it
    ['legal', 'order', 2, true, 'case'],
    ['legal', 'order', 3, false, 'case'],
    ['risk', 'order', 4, true, 'all'],
    ['alipay', 'device', 1, true, 'provider'],
    ['alipay', 'device', 2, false, 'provider'],
    ['wechat', 'device', 2, true, 'provider'],
    ['mall', 'device', 5, true, 'orders'],
    ['mall', 'device', 4, false, 'orders'],
    ['docs', 'device', 3, true, 'authorized'],
    ['docs', 'device', 2, false, 'authorized'],
    ['legal', 'device', 2, true, 'case'],
    ['legal', 'device', 3, false, 'case'],
  ];

  it.each(TABLE)('%s reads %s(id: %d): in scope = %s', async (as, field, id, visible, scope) => {
    const r = await ask(gw, as, `query($id: ID!) { ${field}(id: $id) { id } }`, { id: String(id) });
    if (visible) {
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data[field]).toEqual({ id: String(id) });
    } else {
      expectOutOfScope(r, field, scope);
      expect(r.body.errors[0].message).toBe(`No ${field === 'order' ? 'Order' : 'Device'} "${id}" in scope "${scope}"`);
    }
  });

  it('an order in scope leads to its user in scope', async () => {
    const r = await ask(gw, 'wechat', '{ order(id: "2") { user { id username } paymentAccount { provider accountNo } } }');
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.order).toEqual({ user: { id: '2', username: 'bob' }, paymentAccount: { provider: 'WECHAT_PAY', accountNo: 'wx***91' } });
  });
});

describe('the audit of scope refusals (SPEC §11)', () => {
  it('a user refused by id is one record DENY / OUT_OF_SCOPE for field *, visible to the security team', async () => {
    const r = await ask(gw, 'alipay', '{ user(id: "2") { id username realName phone } }');
    expectOutOfScope(r, 'user', 'provider');
    expect(r.body.extensions.disclosure).toMatchObject({ allowed: 0, masked: 0, denied: 1 });
    const requestId = r.headers.get('x-request-id');
    expect(requestId).toBe(r.body.extensions.disclosure.requestId);

    const rows = await recordsOf(gw, requestId!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      clientId: 'pay-alipay', purpose: 'service.payment', caseRef: null, subjectId: 2, entity: 'User', entityId: '2',
      field: '*', category: '*', decision: 'DENY', mask: null, reason: 'OUT_OF_SCOPE', basis: 'contract',
      policyVersion: gw.gateway.policy.version, consentId: null,
    });

    // The same record through the review API.
    const review = await ask(gw, 'security', `{ auditEvents(filter: { clientId: "pay-alipay", subjectId: "2" }, first: 50) { edges { node {
      requestId clientId purpose subjectId entity entityId field category decision reason mask } } } }`);
    expect(review.body.errors).toBeUndefined();
    const mine = review.body.data.auditEvents.edges.map((e: { node: { requestId: string } }) => e.node).filter((n: { requestId: string }) => n.requestId === requestId);
    expect(mine).toEqual([{
      requestId, clientId: 'pay-alipay', purpose: 'service.payment', subjectId: '2', entity: 'User', entityId: '2',
      field: '*', category: '*', decision: 'DENY', reason: 'OUT_OF_SCOPE', mask: null,
    }]);
  });

  it('an order refused by id names its subject; two refusals in one request are two records', async () => {
    const r = await ask(gw, 'mall', '{ a: order(id: "4") { recipientPhone } b: device(id: "4") { model } c: order(id: "1") { orderNo } }');
    expect(r.body.data).toEqual({ a: null, b: null, c: { orderNo: 'MP-2026-0001' } });
    expect(r.body.errors.map((e: { path: string[]; extensions: { code: string } }) => [e.path[0], e.extensions.code]).sort()).toEqual([['a', 'OUT_OF_SCOPE'], ['b', 'OUT_OF_SCOPE']]);
    const rows = await recordsOf(gw, r.headers.get('x-request-id')!);
    expect(rows.map((x) => [x.entity, x.entityId, x.subjectId, x.field, x.decision, x.reason]).sort()).toEqual([
      ['Device', '4', 4, '*', 'DENY', 'OUT_OF_SCOPE'],
      ['Order', '4', 4, '*', 'DENY', 'OUT_OF_SCOPE'],
    ]);
  });

  it('rows hidden from a list, and nested rows left out, write no record at all', async () => {
    const r = await ask(gw, 'alipay', '{ users(first: 50) { edges { node { id username paymentAccounts { accountNo cardExpiry } orders { edges { node { totalAmount } } } } } } }');
    expect(r.body.errors).toBeUndefined();
    expect(ids(r.body.data.users)).toEqual([1]);
    const rows = await recordsOf(gw, r.headers.get('x-request-id')!);
    expect(rows.map((x) => `${x.entity}:${x.entityId}.${x.field} ${x.decision}`).sort()).toEqual([
      'Order:1.totalAmount ALLOW',
      'PaymentAccount:1.accountNo MASK',
      'PaymentAccount:1.cardExpiry ALLOW',
      'User:1.username ALLOW',
    ]);
    expect(rows.every((x) => x.subjectId === 1)).toBe(true);
    expect(rows.some((x) => x.reason === 'OUT_OF_SCOPE')).toBe(false);
  });

  it('a refusal without a purpose is answered the same, and audits nothing (no field was decided)', async () => {
    const r = await gw.gql(KEYS.alipay, '{ user(id: "2") { id } }');
    expectOutOfScope(r, 'user', 'provider');
    const requestId = r.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await recordsOf(gw, requestId!)).toEqual([]);
  });
});

it('every demo client is covered', () => {
  expect(new Set(VIEWS.map(([as]) => AS[as].key))).toEqual(new Set(Object.values(KEYS)));
});
