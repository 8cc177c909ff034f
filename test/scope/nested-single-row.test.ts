import { ClientRegistry } from '../../src/callers/registry';
import { Order } from '../../src/db/entities';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { ask, expectOutOfScope, ids, recordsOf } from './helpers';

/**
 * SPEC §11: a nested single row out of scope (`order.paymentAccount`, `order.user`) is null with
 * OUT_OF_SCOPE, and one audit record; and a request without a purpose sees the union of the
 * scopes of the purposes its client may declare. The demo data has no such row (an order paid
 * with another user's account), so this file adds some.
 */
let gw: TestGateway;
/** Alice's order, through the mall, paid with Bob's WeChat account. */
let aliceOrder: number;
/** Bob's order, through the mall, paid with Alice's Alipay account. */
let bobOrder: number;
let comboKey: string;

beforeAll(async () => {
  gw = await startTestGateway();
  const orders = gw.store.ds.getRepository(Order);
  const base = { status: 'PAID' as const, totalAmount: 500, currency: 'CNY', recipientName: 'X', recipientPhone: '13800000000', shippingAddress: 'Xiamen', createdAt: new Date('2026-11-01T00:00:00Z') };
  aliceOrder = (await orders.insert({ ...base, orderNo: 'SCOPE-GIFT-1', userId: 1, paymentAccountId: 3, channel: 'mall-app' })).identifiers[0].id;
  bobOrder = (await orders.insert({ ...base, orderNo: 'SCOPE-GIFT-2', userId: 2, paymentAccountId: 1, channel: 'mall-app' })).identifiers[0].id;
  // A client of both a channel and a provider: a mall that also takes WeChat Pay; one order through it, Lily's.
  comboKey = (await new ClientRegistry(gw.store.ds, 0).create({ id: 'combo-app', kind: 'partner', role: 'reader', purposes: ['service.fulfilment', 'service.payment'], providers: ['WECHAT_PAY'] })).key;
  await orders.insert({ ...base, orderNo: 'SCOPE-COMBO-1', userId: 3, paymentAccountId: null, channel: 'combo-app' });
});
afterAll(async () => { await gw?.close(); });

const ORDER = 'query($id: ID!) { order(id: $id) { id paymentAccount { id provider } } }';

describe('order.paymentAccount out of scope', () => {
  it('docs-app (Alice authorised it, Bob did not): the order, with its payment account null and OUT_OF_SCOPE', async () => {
    const r = await ask(gw, 'docs', ORDER, { id: String(aliceOrder) });
    expect(r.status).toBe(200);
    expect(r.body.data.order).toEqual({ id: String(aliceOrder), paymentAccount: null });
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0]).toMatchObject({ path: ['order', 'paymentAccount'], extensions: { code: 'OUT_OF_SCOPE', scope: 'authorized' } });
    expect(r.body.errors[0].message).toBe('No PaymentAccount "3" in scope "authorized"');
    expect(r.body.extensions.disclosure).toMatchObject({ denied: 1 });

    const rows = await recordsOf(gw, r.headers.get('x-request-id')!);
    expect(rows.map((x) => [x.entity, x.entityId, x.subjectId, x.field, x.category, x.decision, x.reason])).toEqual([
      ['PaymentAccount', '3', 2, '*', '*', 'DENY', 'OUT_OF_SCOPE'],
    ]);
  });

  it('an order with no payment account at all is simply null, with no error', async () => {
    const r = await ask(gw, 'docs', ORDER, { id: '3' });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.order).toEqual({ id: '3', paymentAccount: null });
    expect(await recordsOf(gw, r.headers.get('x-request-id')!)).toEqual([]);
  });

  it('inside a list of a user\'s orders, only the out-of-scope row is null', async () => {
    const r = await ask(gw, 'docs', '{ user(id: "1") { orders { edges { node { id paymentAccount { id } } } } } }');
    const edges = r.body.data.user.orders.edges.map((e: { node: unknown }) => e.node);
    expect(edges).toEqual([{ id: String(aliceOrder), paymentAccount: null }, { id: '1', paymentAccount: { id: '1' } }]);
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0]).toMatchObject({ path: ['user', 'orders', 'edges', 0, 'node', 'paymentAccount'], extensions: { code: 'OUT_OF_SCOPE', scope: 'authorized' } });
  });

  it('the legal desk under a case naming Alice only: Bob\'s account is out of the case', async () => {
    const reg = await ask(gw, 'security', 'mutation { registerCase(input: { caseRef: "TEST-ALICE", purposes: ["legal.criminal-investigation"], subjectIds: ["1"], expiresAt: "2027-01-31" }) { state } }');
    expect(reg.body.data.registerCase.state).toBe('OPEN');
    const r = await gw.gql(KEYS.legal, ORDER, { variables: { id: String(aliceOrder) }, headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': 'TEST-ALICE' } });
    expect(r.body.data.order).toEqual({ id: String(aliceOrder), paymentAccount: null });
    expect(r.body.errors.map((e: { extensions: unknown }) => e.extensions)).toEqual([{ code: 'OUT_OF_SCOPE', scope: 'case' }]);
  });

  it('in scope through another relationship, the same account is served', async () => {
    const r = await ask(gw, 'wechat', ORDER, { id: String(aliceOrder) });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.order).toEqual({ id: String(aliceOrder), paymentAccount: { id: '3', provider: 'WECHAT_PAY' } });
  });
});

describe('order.user out of scope', () => {
  it('pay-alipay sees Bob\'s order paid with an Alipay account, but not Bob', async () => {
    const r = await ask(gw, 'alipay', 'query($id: ID!) { order(id: $id) { id totalAmount user { id username } paymentAccount { id } } }', { id: String(bobOrder) });
    expect(r.body.data.order).toEqual({ id: String(bobOrder), totalAmount: 500, user: null, paymentAccount: { id: '1' } });
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0]).toMatchObject({ path: ['order', 'user'], message: 'No User "2" in scope "provider"', extensions: { code: 'OUT_OF_SCOPE', scope: 'provider' } });
    const rows = await recordsOf(gw, r.headers.get('x-request-id')!);
    expect(rows.map((x) => [x.entity, x.entityId, x.subjectId, x.field, x.decision, x.reason]).sort()).toEqual([
      ['Order', String(bobOrder), 2, 'totalAmount', 'ALLOW', 'POLICY_ALLOWS'],
      ['User', '2', 2, '*', 'DENY', 'OUT_OF_SCOPE'],
    ]);
    // Bob is not in Alipay's list either.
    expect(ids((await ask(gw, 'alipay', '{ users { edges { node { id } } } }')).body.data.users)).toEqual([1]);
  });
});

describe('several purposes, no purpose declared: the union of their scopes', () => {
  const bare = (query: string) => gw.gql(comboKey, query);
  const LIST = '{ users { edges { node { id orders { edges { node { orderNo } } } } } } }';

  it('without a purpose: users related by the channel or by the provider', async () => {
    const r = await bare(LIST);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.users.edges).toEqual([
      { node: { id: '2', orders: { edges: [{ node: { orderNo: 'MP-2026-0002' } }] } } }, // paid with WeChat
      { node: { id: '3', orders: { edges: [{ node: { orderNo: 'SCOPE-COMBO-1' } }] } } }, // through combo-app
    ]);
    expectOutOfScope(await bare('{ user(id: "1") { id } }'), 'user', 'orders|provider');
  });

  it('each purpose alone: its own scope only', async () => {
    const fulfilment = await gw.gql(comboKey, LIST, { purpose: 'service.fulfilment' });
    expect(ids(fulfilment.body.data.users)).toEqual([3]);
    const payment = await gw.gql(comboKey, LIST, { purpose: 'service.payment' });
    expect(ids(payment.body.data.users)).toEqual([2]);
    expectOutOfScope(await gw.gql(comboKey, '{ user(id: "2") { id } }', { purpose: 'service.fulfilment' }), 'user', 'orders');
    expectOutOfScope(await gw.gql(comboKey, '{ user(id: "3") { id } }', { purpose: 'service.payment' }), 'user', 'provider');
  });
});
