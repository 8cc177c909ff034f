import { startTestGateway, TestGateway } from '../helpers/gateway';
import { legalData } from './legal';

/** SPEC §8: the demo data, with exactly its ids and values, over real HTTP. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
});

const USER_FIELDS = 'id username nickname avatarUrl gender signature realName birthDate phone city isMinor';
const ACCOUNT_FIELDS = 'id provider accountNo holderName cardExpiry';
const DEVICE_FIELDS = 'id model osVersion deviceId macAddress ipAddress location { lat lng accuracyM } wifiBssid city lastSeenAt';
const ORDER_FIELDS = `id orderNo status totalAmount currency createdAt recipientName recipientPhone shippingAddress
  items { sku name quantity unitPrice } paymentAccount { id provider } user { id username }`;

describe('Alice (user 1)', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let alice: any;
  beforeAll(async () => {
    const data = await legalData(gw, `{ user(id: "1") {
      ${USER_FIELDS}
      paymentAccounts { ${ACCOUNT_FIELDS} }
      devices { ${DEVICE_FIELDS} }
      orders(first: 10) { edges { cursor node { ${ORDER_FIELDS} } } pageInfo { hasNextPage hasPreviousPage } }
    } }`);
    alice = data.user;
  });

  test('user fields', () => {
    expect(alice).toMatchObject({
      id: '1', username: 'alice', realName: 'Alice Wang', phone: '13812345678', birthDate: '1990-05-17', city: 'Xiamen', isMinor: false,
    });
  });

  test('payment accounts: ALIPAY and BANK_CARD, both held by Alice Wang', () => {
    expect(alice.paymentAccounts).toEqual([
      { id: '1', provider: 'ALIPAY', accountNo: 'alice.wang@example.com', holderName: 'Alice Wang', cardExpiry: null },
      { id: '2', provider: 'BANK_CARD', accountNo: '6222021234567890123', holderName: 'Alice Wang', cardExpiry: '12/29' },
    ]);
  });

  test('device, including its precise location', () => {
    expect(alice.devices).toHaveLength(1);
    expect(alice.devices[0]).toMatchObject({
      id: '1',
      model: 'iPhone 15',
      osVersion: '18.1',
      deviceId: 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF',
      macAddress: 'AA:BB:CC:DD:EE:01',
      ipAddress: '203.0.113.42',
      location: { lat: 24.4798, lng: 118.0894, accuracyM: 15 },
      wifiBssid: '10:20:30:40:50:60',
      city: 'Xiamen',
    });
    expect(alice.devices[0].lastSeenAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
  });

  test('order MP-2026-0001 with its items, recipient and payment account', () => {
    const { edges, pageInfo } = alice.orders;
    expect(edges).toHaveLength(1);
    expect(pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false });
    const order = edges[0].node;
    expect(order).toMatchObject({
      id: '1',
      orderNo: 'MP-2026-0001',
      totalAmount: 12900,
      currency: 'CNY',
      recipientName: 'Alice Wang',
      recipientPhone: '13812345678',
      shippingAddress: 'Xiamen, Siming District, 8 Lianqian Rd',
      paymentAccount: { id: '1', provider: 'ALIPAY' },
      user: { id: '1', username: 'alice' },
    });
    expect(order.items.length).toBeGreaterThanOrEqual(1);
    // The items make up the order's total.
    const sum = order.items.reduce((s: number, i: { quantity: number; unitPrice: number }) => s + i.quantity * i.unitPrice, 0);
    expect(sum).toBe(12900);
    expect(new Date(order.createdAt).toISOString()).toBe(order.createdAt);
  });
});

describe('the other demo users', () => {
  test('Bob (user 2) has a WECHAT_PAY account, one Android device and one order', async () => {
    const { user } = await legalData(gw, `{ user(id: "2") {
      id username realName phone birthDate city
      paymentAccounts { ${ACCOUNT_FIELDS} }
      devices { id osVersion }
      orders { edges { node { id orderNo user { id } } } }
    } }`);
    expect(user).toMatchObject({ id: '2', username: 'bob', realName: 'Bob Li', phone: '13987654321', birthDate: '1985-11-02', city: 'Shanghai' });
    expect(user.paymentAccounts).toEqual([{ id: '3', provider: 'WECHAT_PAY', accountNo: 'wx_bob_2291', holderName: 'Bob Li', cardExpiry: null }]);
    expect(user.devices).toHaveLength(1);
    expect(user.devices[0].osVersion).toMatch(/android/i);
    expect(user.orders.edges).toHaveLength(1);
    expect(user.orders.edges[0].node.user).toEqual({ id: '2' });
  });

  test.each([
    ['1', 'alice', 'Alice Wang', '13812345678', '1990-05-17', 'Xiamen', false],
    ['2', 'bob', 'Bob Li', '13987654321', '1985-11-02', 'Shanghai', false],
    ['3', 'lily', 'Lily Chen', '13700001111', '2014-03-09', 'Xiamen', true],
    ['4', 'tom', 'Tom Zhou', '13600002222', '2013-08-21', 'Fuzhou', true],
  ])('user %s is %s, with a device and an order', async (id, username, realName, phone, birthDate, city, isMinor) => {
    const { user } = await legalData(gw, `query ($id: ID!) { user(id: $id) {
      id username realName phone birthDate city isMinor
      devices { id } orders { edges { node { id user { id } } } }
    } }`, { id });
    expect(user).toMatchObject({ id, username, realName, phone, birthDate, city, isMinor });
    expect(user.devices.length).toBeGreaterThanOrEqual(1);
    expect(user.orders.edges.length).toBeGreaterThanOrEqual(1);
    for (const e of user.orders.edges) expect(e.node.user.id).toBe(id);
  });

  // Erin is erased: once enforcement lands, her personal fields are denied to every purpose,
  // so the API is checked on fields without a category and her stored row on the store itself.
  test('user 5 is erin (erased), with a device and an order', async () => {
    const { user } = await legalData(gw, '{ user(id: "5") { id isMinor devices { id } orders { edges { node { id orderNo user { id } } } } } }');
    expect(user).toMatchObject({ id: '5', isMinor: false });
    expect(user.devices.length).toBeGreaterThanOrEqual(1);
    expect(user.orders.edges.length).toBeGreaterThanOrEqual(1);
    const [row] = await gw.store.ds.query('SELECT username, real_name, phone, birth_date, city, erased_at FROM users WHERE id = 5');
    expect(row).toMatchObject({ username: 'erin', real_name: 'Erin Xu', phone: '13500003333', birth_date: '1992-01-30', city: 'Beijing' });
    expect(row.erased_at).not.toBeNull();
  });

  test('users lists exactly the five demo users, in id order', async () => {
    const { users } = await legalData(gw, '{ users(first: 100) { edges { node { id } } pageInfo { hasNextPage hasPreviousPage } } }');
    expect(users.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(users.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false });
  });
});

describe('entry points by id', () => {
  test('order(id) and device(id) return the demo rows with their owners', async () => {
    const data = await legalData(gw, `{
      order(id: "1") { orderNo totalAmount user { id } paymentAccount { accountNo } }
      bobsOrder: order(id: "2") { user { username } paymentAccount { provider accountNo } }
      device(id: "1") { deviceId location { lat lng accuracyM } }
    }`);
    expect(data.order).toEqual({ orderNo: 'MP-2026-0001', totalAmount: 12900, user: { id: '1' }, paymentAccount: { accountNo: 'alice.wang@example.com' } });
    expect(data.bobsOrder).toEqual({ user: { username: 'bob' }, paymentAccount: { provider: 'WECHAT_PAY', accountNo: 'wx_bob_2291' } });
    expect(data.device).toEqual({ deviceId: 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF', location: { lat: 24.4798, lng: 118.0894, accuracyM: 15 } });
  });
});

describe('relationship facts of SPEC §11', () => {
  test('every demo order went through the mall, except Tom\'s, through the docs app', async () => {
    const data = await legalData(gw, '{ users(first: 10) { edges { node { id orders(first: 10) { edges { node { orderNo channel } } } } } } }');
    const channels = data.users.edges.flatMap((e: { node: { orders: { edges: { node: { orderNo: string; channel: string } }[] } } }) => e.node.orders.edges.map((o) => [o.node.orderNo, o.node.channel]));
    expect(channels).toEqual([
      ['MP-2026-0001', 'mall-app'], ['MP-2026-0002', 'mall-app'], ['MP-2026-0003', 'mall-app'], ['MP-2026-0004', 'docs-app'], ['MP-2026-0005', 'mall-app'],
    ]);
  });

  test('the payment clients and their providers', async () => {
    const registry = gw.gateway.registry;
    const providers = Object.fromEntries(await Promise.all(['pay-alipay', 'pay-wechat', 'pay-unionpay', 'mall-app'].map(async (id) => [id, (await registry.get(id))?.providers])));
    expect(providers).toEqual({ 'pay-alipay': ['ALIPAY'], 'pay-wechat': ['WECHAT_PAY'], 'pay-unionpay': ['BANK_CARD'], 'mall-app': [] });
    for (const [id, key] of [['pay-wechat', 'demo-wechat-key'], ['pay-unionpay', 'demo-unionpay-key']]) {
      expect(await registry.authenticate(key)).toMatchObject({ id, kind: 'partner', role: 'reader', purposes: ['service.payment'] });
    }
  });

  test('Alice and Lily have authorised the docs app', async () => {
    const auth = async (userId: string) => (await gw.gql('demo-account-key', `{ appAuthorizations(userId: "${userId}") { clientId active } }`, { purpose: 'account' })).body.data.appAuthorizations;
    expect(await auth('1')).toEqual([{ clientId: 'docs-app', active: true }]);
    expect(await auth('2')).toEqual([]);
    expect(await auth('3')).toEqual([{ clientId: 'docs-app', active: true }]);
    expect(await auth('4')).toEqual([]);
  });

  test('case GA-2026-0117: criminal investigation, Alice and Bob, until 2027-12-31', async () => {
    const res = await gw.gql('demo-security-key', '{ legalCases { caseRef purposes subjectIds expiresAt state } }', { purpose: 'audit.review' });
    expect(res.body.data.legalCases).toContainEqual({ caseRef: 'GA-2026-0117', purposes: ['legal.criminal-investigation'], subjectIds: ['1', '2'], expiresAt: '2027-12-31T23:59:59.000Z', state: 'OPEN' });
  });

  test('loading the demo data again writes nothing; a store seeded before scopes gets the facts once', async () => {
    const { loadDemoData } = await import('../../seeds/demo');
    expect(await loadDemoData(gw.store.ds)).toBe(false);
    // As a store seeded before the migration: no channels, no providers, no authorisations, no case.
    await gw.store.ds.query("UPDATE orders SET channel = '' WHERE id <= 5");
    await gw.store.ds.query("UPDATE clients SET providers = '[]' WHERE id = 'pay-alipay'");
    await gw.store.ds.query("DELETE FROM app_authorizations WHERE client_id = 'docs-app' AND user_id = 3");
    expect(await loadDemoData(gw.store.ds)).toBe(true);
    const [orders] = await gw.store.ds.query("SELECT COUNT(*) AS n FROM orders WHERE id <= 5 AND channel <> ''");
    expect(Number(orders.n)).toBe(5);
    expect((await gw.gateway.registry.get('pay-alipay'))?.providers).toEqual(['ALIPAY']);
    const [lily] = await gw.store.ds.query("SELECT COUNT(*) AS n FROM app_authorizations WHERE client_id = 'docs-app' AND user_id = 3");
    expect(Number(lily.n)).toBe(1);
    expect(await loadDemoData(gw.store.ds)).toBe(false);
  });
});
