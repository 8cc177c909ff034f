import { ALICE, ALL_SUBJECTS_CASE, KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/** SPEC §4 over real HTTP: one case per purpose on the seeded demo users, with exact masked outputs. */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

type Denial = { path: (string | number)[]; extensions: { code: string; reason: string; purpose: string; category: string } };
const denials = (body: { errors?: Denial[] }) => (body.errors ?? []).map((e) => `${e.path.join('.')}:${e.extensions.reason}`).sort();

describe('each purpose on Alice', () => {
  it('account: profile, name, birthdate, phone, address, account in clear; card, identifiers, network and precise location denied', async () => {
    const r = await gw.gql(KEYS.account, `{ ${ALICE} }`, { purpose: 'account' });
    expect(r.status).toBe(200);
    const u = r.body.data.user;
    expect(u).toMatchObject({ username: 'alice', realName: 'Alice Wang', birthDate: '1990-05-17', phone: '13812345678', city: 'Xiamen', gender: 'FEMALE' });
    expect(u.paymentAccounts).toEqual([
      { provider: 'ALIPAY', accountNo: 'alice.wang@example.com', holderName: 'Alice Wang', cardExpiry: null },
      { provider: 'BANK_CARD', accountNo: null, holderName: 'Alice Wang', cardExpiry: null },
    ]);
    expect(u.devices[0]).toEqual({ model: 'iPhone 15', osVersion: '18.1', deviceId: null, macAddress: null, ipAddress: null, location: null, wifiBssid: null, city: 'Xiamen' });
    expect(u.orders.edges[0].node).toMatchObject({ recipientPhone: '13812345678', shippingAddress: 'Xiamen, Siming District, 8 Lianqian Rd' });
    expect(denials(r.body)).toEqual([
      'user.devices.0.deviceId:PURPOSE_FORBIDS', 'user.devices.0.ipAddress:PURPOSE_FORBIDS', 'user.devices.0.location:PURPOSE_FORBIDS',
      'user.devices.0.macAddress:PURPOSE_FORBIDS', 'user.devices.0.wifiBssid:PURPOSE_FORBIDS',
      'user.paymentAccounts.0.cardExpiry:PURPOSE_FORBIDS', 'user.paymentAccounts.1.accountNo:PURPOSE_FORBIDS', 'user.paymentAccounts.1.cardExpiry:PURPOSE_FORBIDS',
    ]);
  });

  it('service.payment (Alipay): names masked, e-mail account masked, device id pseudonymised, IP prefixed, phone denied; only its own provider\'s account', async () => {
    const r = await gw.gql(KEYS.alipay, `{ ${ALICE} }`, { purpose: 'service.payment' });
    const u = r.body.data.user;
    expect(u.realName).toBe('A**** W***');
    expect(u.phone).toBeNull();
    expect(u.paymentAccounts).toEqual([
      { provider: 'ALIPAY', accountNo: 'a***@example.com', holderName: 'A**** W***', cardExpiry: null },
    ]);
    expect(u.devices[0].deviceId).toMatch(/^psn_[A-Za-z0-9_-]{22}$/);
    expect(u.devices[0].ipAddress).toBe('203.0.113.0');
    expect(u.devices[0].model).toBe('iPhone 15');
    expect(u.orders.edges[0].node.recipientName).toBe('A**** W***');
    expect(denials(r.body)).toContain('user.phone:PURPOSE_FORBIDS');
    expect(denials(r.body)).toContain('user.orders.edges.0.node.shippingAddress:PURPOSE_FORBIDS');
  });

  it('service.payment (UnionPay): the card number and expiry in clear, and only the bank card', async () => {
    const r = await gw.gql(KEYS.unionpay, `{ ${ALICE} }`, { purpose: 'service.payment' });
    expect(r.body.data.user.paymentAccounts).toEqual([
      { provider: 'BANK_CARD', accountNo: '6222021234567890123', holderName: 'A**** W***', cardExpiry: '12/29' },
    ]);
    // Alice's order was paid with her Alipay account: it is Alipay's, not UnionPay's.
    expect(r.body.data.user.orders.edges).toEqual([]);
  });

  it('service.fulfilment (mall): name, phone and address for delivery, nothing financial', async () => {
    const r = await gw.gql(KEYS.mall, `{ order(id: 1) { orderNo recipientName recipientPhone shippingAddress totalAmount paymentAccount { accountNo } user { phone birthDate } } }`, { purpose: 'service.fulfilment' });
    expect(r.body.data.order).toEqual({ orderNo: 'MP-2026-0001', recipientName: 'Alice Wang', recipientPhone: '13812345678', shippingAddress: 'Xiamen, Siming District, 8 Lianqian Rd', totalAmount: 12900, paymentAccount: { accountNo: null }, user: { phone: '13812345678', birthDate: null } });
    expect(denials(r.body)).toEqual(['order.paymentAccount.accountNo:PURPOSE_FORBIDS', 'order.user.birthDate:PURPOSE_FORBIDS']);
  });

  it('service.after-sales (mall): phone masked, address reduced to its city, name masked', async () => {
    const r = await gw.gql(KEYS.mall, `{ order(id: 1) { recipientName recipientPhone shippingAddress } }`, { purpose: 'service.after-sales' });
    expect(r.body.data.order).toEqual({ recipientName: 'A**** W***', recipientPhone: '138****5678', shippingAddress: 'Xiamen' });
  });

  it('security.risk-control: identifiers and precise location in clear, accounts masked, birth date to its year', async () => {
    const r = await gw.gql(KEYS.risk, `{ ${ALICE} }`, { purpose: 'security.risk-control' });
    const u = r.body.data.user;
    expect(u.birthDate).toBe('1990');
    expect(u.paymentAccounts).toEqual([
      { provider: 'ALIPAY', accountNo: 'a***@example.com', holderName: 'Alice Wang', cardExpiry: null },
      { provider: 'BANK_CARD', accountNo: '***************0123', holderName: 'Alice Wang', cardExpiry: '**/**' },
    ]);
    expect(u.devices[0]).toMatchObject({ deviceId: 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF', macAddress: 'AA:BB:CC:DD:EE:01', ipAddress: '203.0.113.42', location: { lat: 24.4798, lng: 118.0894, accuracyM: 15 }, wifiBssid: '10:20:30:40:50:60' });
    expect(r.body.errors).toBeUndefined();
  });

  it('personalization (Alice consented): coarse location, pseudonym, year; no name or phone', async () => {
    const r = await gw.gql(KEYS.mall, `{ ${ALICE} }`, { purpose: 'personalization' });
    const u = r.body.data.user;
    expect(u).toMatchObject({ username: 'alice', gender: 'FEMALE', birthDate: '1990', realName: null, phone: null, city: 'Xiamen' });
    expect(u.devices[0].location).toEqual({ lat: 24.5, lng: 118.1, accuracyM: 11000 });
    expect(u.devices[0].ipAddress).toBe('203.0.113.0');
    expect(u.devices[0].wifiBssid).toBeNull();
    expect(u.devices[0].deviceId).toMatch(/^psn_/);
  });

  it('analytics (Alice consented): device info and pseudonymous ids only; profile denied', async () => {
    const r = await gw.gql(KEYS.analytics, `{ user(id: 1) { username city devices { model deviceId ipAddress location { lat } } } }`, { purpose: 'analytics' });
    expect(r.body.data.user).toMatchObject({ username: null, city: 'Xiamen', devices: [{ model: 'iPhone 15', ipAddress: '203.0.113.0', location: null }] });
    expect(r.body.data.user.devices[0].deviceId).toMatch(/^psn_/);
  });

  it('marketing.push is a consent purpose no demo client is registered for', async () => {
    const r = await gw.gql(KEYS.mall, `{ user(id: 1) { username } }`, { purpose: 'marketing.push' });
    expect(r.status).toBe(403);
    expect(r.body.errors[0].extensions.code).toBe('PURPOSE_NOT_PERMITTED');
  });

  it('third-party-app: user id, avatar and nickname only', async () => {
    const r = await gw.gql(KEYS.docs, `{ user(id: 1) { id nickname avatarUrl realName phone city } }`, { purpose: 'third-party-app' });
    expect(r.body.data.user).toEqual({ id: '1', nickname: 'Ali', avatarUrl: 'https://cdn.example.com/avatars/alice.png', realName: null, phone: null, city: null });
  });

  it('legal.* with a case reference: everything in clear, except an erased subject', async () => {
    const q = `query @purpose(name: "legal.criminal-investigation", caseRef: "${ALL_SUBJECTS_CASE}") { a: ${ALICE} e: user(id: 5) { phone } }`;
    const r = await gw.gql(KEYS.legal, q);
    expect(r.body.data.a.paymentAccounts[1]).toEqual({ provider: 'BANK_CARD', accountNo: '6222021234567890123', holderName: 'Alice Wang', cardExpiry: '12/29' });
    expect(r.body.data.a.devices[0].deviceId).toBe('A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF');
    expect(r.body.data.e.phone).toBeNull();
    expect(denials(r.body)).toEqual(['e.phone:SUBJECT_ERASED']);
  });
});

describe('subject conditions on the demo users', () => {
  const q = `{ bob: user(id: 2) { username } lily: user(id: 3) { username } tom: user(id: 4) { username birthDate } erin: user(id: 5) { username } }`;

  it('personalization: Bob without consent, Lily without a guardian, Erin erased are denied; Tom (guardian) is served', async () => {
    const r = await gw.gql(KEYS.mall, q, { purpose: 'personalization' });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ bob: { username: null }, lily: { username: null }, tom: { username: 'tom', birthDate: '2013' }, erin: { username: null } });
    expect(denials(r.body)).toEqual(['bob.username:CONSENT_MISSING', 'erin.username:SUBJECT_ERASED', 'lily.username:GUARDIAN_CONSENT_MISSING']);
    const e = r.body.errors.find((x: Denial) => x.path[0] === 'bob');
    expect(e.extensions).toEqual({ code: 'FIELD_DENIED', reason: 'CONSENT_MISSING', purpose: 'personalization', category: 'profile.basic' });
    expect(e.message).not.toContain('bob');
  });

  it('a contract purpose needs no consent: Bob and Lily are served for fulfilment; Erin is not', async () => {
    const r = await gw.gql(KEYS.mall, `{ bob: user(id: 2) { phone } lily: user(id: 3) { phone isMinor } erin: user(id: 5) { phone } }`, { purpose: 'service.fulfilment' });
    expect(r.body.data).toEqual({ bob: { phone: '13987654321' }, lily: { phone: '13700001111', isMinor: true }, erin: { phone: null } });
  });
});

describe('disclosure extension and explain', () => {
  it('counts every categorised field decided', async () => {
    // Alice's name and Alipay account masked, her phone denied; her bank card is not Alipay's (out of scope, not listed).
    const r = await gw.gql(KEYS.alipay, `{ user(id: 1) { realName phone paymentAccounts { accountNo } } }`, { purpose: 'service.payment' });
    expect(r.body.extensions.disclosure).toMatchObject({ purpose: 'service.payment', policyVersion: expect.any(String), allowed: 0, masked: 2, denied: 1 });
    expect(r.body.extensions.disclosure.requestId).toBe(r.headers.get('x-request-id'));
    expect(r.body.extensions.disclosure.fields).toBeUndefined();
  });

  it('X-Explain: 1 lists each field with its decision, mask, reason and basis', async () => {
    const r = await gw.gql(KEYS.alipay, `{ user(id: 1) { realName phone } }`, { purpose: 'service.payment', headers: { 'x-explain': '1' } });
    expect(r.body.extensions.disclosure.fields).toEqual([
      { path: ['user', 'realName'], category: 'identity.name', decision: 'MASK', mask: 'NAME', reason: 'POLICY_MASKS', basis: 'contract' },
      { path: ['user', 'phone'], category: 'contact.phone', decision: 'DENY', mask: null, reason: 'PURPOSE_FORBIDS', basis: 'contract' },
    ]);
  });

  it('an operation without personal fields needs no purpose and carries no disclosure', async () => {
    const r = await gw.gql(KEYS.mall, `{ user(id: 1) { id isMinor } }`);
    expect(r.body).toEqual({ data: { user: { id: '1', isMinor: false } } });
  });
});

describe('pseudonyms', () => {
  const q = `{ user(id: 1) { devices { deviceId } } }`;
  const deviceId = async (key: string, purpose: string) => (await gw.gql(key, q, { purpose })).body.data.user.devices[0].deviceId as string;

  it('are stable for one client and differ across clients', async () => {
    const mall1 = await deviceId(KEYS.mall, 'personalization');
    const mall2 = await deviceId(KEYS.mall, 'personalization');
    const analytics = await deviceId(KEYS.analytics, 'analytics');
    const alipay = await deviceId(KEYS.alipay, 'service.payment');
    expect(mall1).toBe(mall2);
    expect(new Set([mall1, analytics, alipay]).size).toBe(3);
    for (const p of [mall1, analytics, alipay]) expect(p).toMatch(/^psn_[A-Za-z0-9_-]{22}$/);
  });
});

describe('purposes no demo client is registered for', () => {
  let key: string;
  beforeAll(async () => {
    ({ key } = await gw.gateway.registry.create({ id: 'stats-lab', kind: 'partner', role: 'reader', purposes: ['research', 'marketing.push'] }));
  });

  it('research: birth year only, every identifying field denied', async () => {
    const r = await gw.gql(key, `{ user(id: 1) { username realName birthDate phone city devices { model deviceId } } }`, { purpose: 'research' });
    expect(r.body.data.user).toEqual({ username: null, realName: null, birthDate: '1990', phone: null, city: null, devices: [{ model: null, deviceId: null }] });
    expect(denials(r.body)).toHaveLength(6);
    expect(r.body.extensions.disclosure).toMatchObject({ allowed: 0, masked: 1, denied: 6 });
  });

  it('marketing.push: needs the subject\'s consent (Alice has it, Bob does not); pseudonymous device id', async () => {
    const r = await gw.gql(key, `{ a: user(id: 1) { username city devices { model deviceId } } b: user(id: 2) { username } }`, { purpose: 'marketing.push' });
    expect(r.body.data.a).toMatchObject({ username: 'alice', city: 'Xiamen', devices: [{ model: 'iPhone 15' }] });
    expect(r.body.data.a.devices[0].deviceId).toMatch(/^psn_/);
    expect(r.body.data.b.username).toBeNull();
    expect(denials(r.body)).toEqual(['b.username:CONSENT_MISSING']);
  });
});
