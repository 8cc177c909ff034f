import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { AuditRow, auditRows, byKey, row } from './audit-rows';

/**
 * Issue 5: no way around the policy. Each case reaches Alice's personal fields by another
 * path (aliases, fragments, inline fragments, `__typename` tricks, variables, GET, nested
 * paths, a batch) and asserts that the policy still applies to every occurrence, that the
 * clear value never leaves, and that the audit has one record per occurrence.
 *
 * Under `service.after-sales` (mall-app): phone M:PHONE, names M:NAME, address M:CITY,
 * financial.account and device.identifier D. Under `personalization` (Alice consented): phone D.
 */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway({ RATE_LIMIT_PER_SECOND: '0' }); });
afterAll(async () => { await gw?.close(); });

const CLEAR = ['13812345678', 'Alice Wang', 'Siming District', 'alice.wang@example.com', '6222021234567890123', 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF', '203.0.113.42', '24.4798'];
const PHONE_M = '138****5678';
const NAME_M = 'A**** W***';

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  purpose?: string;
  data: unknown;
  audit: AuditRow[];
  denied?: (string | number)[][];
}

const phoneMasked = row('User', 1, 'phone', 'MASK', 'PHONE');
const nameMasked = row('User', 1, 'realName', 'MASK', 'NAME');

const CASES: Case[] = [
  {
    name: 'the same field under several aliases: each alias is one decision and one record',
    query: '{ user(id: 1) { a: phone b: phone realName } }',
    data: { user: { a: PHONE_M, b: PHONE_M, realName: NAME_M } },
    audit: [phoneMasked, phoneMasked, nameMasked],
  },
  {
    name: 'the same field twice under one name merges into one resolution: one record',
    query: '{ user(id: 1) { phone phone } }',
    data: { user: { phone: PHONE_M } },
    audit: [phoneMasked],
  },
  {
    name: 'the same user under two root aliases',
    query: '{ x: user(id: 1) { phone } y: user(id: "1") { phone } }',
    data: { x: { phone: PHONE_M }, y: { phone: PHONE_M } },
    audit: [phoneMasked, phoneMasked],
  },
  {
    name: 'a named fragment, spread twice at different places',
    query: '{ user(id: 1) { ...P } order(id: 1) { user { ...P } } } fragment P on User { phone realName }',
    data: { user: { phone: PHONE_M, realName: NAME_M }, order: { user: { phone: PHONE_M, realName: NAME_M } } },
    audit: [phoneMasked, phoneMasked, nameMasked, nameMasked],
  },
  {
    name: 'inline fragments, with and without a type condition and with @include',
    query: '{ user(id: 1) { ... on User { phone } ... @include(if: true) { realName } ... { ... on User { p2: phone } } } }',
    data: { user: { phone: PHONE_M, realName: NAME_M, p2: PHONE_M } },
    audit: [phoneMasked, phoneMasked, nameMasked],
  },
  {
    name: '__typename tricks: a personal field aliased as __typename, __typename aliased as a personal field',
    query: '{ user(id: 1) { __typename: phone phone: __typename realName: __typename n: realName } }',
    data: { user: { __typename: PHONE_M, phone: 'User', realName: 'User', n: NAME_M } },
    audit: [phoneMasked, nameMasked],
  },
  {
    name: 'variables: the id, @include/@skip conditions and the purpose itself',
    query: 'query Q($id: ID!, $yes: Boolean!, $no: Boolean!, $p: String!) @purpose(name: $p) { user(id: $id) { phone @include(if: $yes) realName @skip(if: $no) city @skip(if: $yes) } }',
    variables: { id: '1', yes: true, no: false, p: 'service.after-sales' },
    purpose: '',
    data: { user: { phone: PHONE_M, realName: NAME_M } },
    audit: [phoneMasked, nameMasked],
  },
  {
    name: 'nested paths: order → user → phone, order → paymentAccount, user → devices, user → orders → recipient',
    query: `{ order(id: 1) {
      recipientPhone recipientName shippingAddress
      paymentAccount { accountNo holderName }
      user { phone devices { deviceId } orders(first: 1) { edges { node { recipientPhone user { phone } } } } }
    } }`,
    data: {
      order: {
        recipientPhone: PHONE_M, recipientName: NAME_M, shippingAddress: 'Xiamen',
        paymentAccount: { accountNo: null, holderName: NAME_M },
        user: { phone: PHONE_M, devices: [{ deviceId: null }], orders: { edges: [{ node: { recipientPhone: PHONE_M, user: { phone: PHONE_M } } }] } },
      },
    },
    audit: [
      row('Order', 1, 'recipientPhone', 'MASK', 'PHONE'), row('Order', 1, 'recipientPhone', 'MASK', 'PHONE'),
      row('Order', 1, 'recipientName', 'MASK', 'NAME'), row('Order', 1, 'shippingAddress', 'MASK', 'CITY'),
      row('PaymentAccount', 1, 'accountNo', 'DENY'), row('PaymentAccount', 1, 'holderName', 'MASK', 'NAME'),
      phoneMasked, phoneMasked, row('Device', 1, 'deviceId', 'DENY'),
    ],
    denied: [['order', 'paymentAccount', 'accountNo'], ['order', 'user', 'devices', 0, 'deviceId']],
  },
  {
    name: 'a list: the users connection reaches Alice among the others',
    query: '{ users(first: 1) { edges { node { phone } } } }',
    data: { users: { edges: [{ node: { phone: PHONE_M } }] } },
    audit: [phoneMasked],
  },
  {
    name: 'a denied field under aliases and fragments: null and one FIELD_DENIED per occurrence',
    query: '{ user(id: 1) { a: phone ...F } } fragment F on User { b: phone }',
    purpose: 'personalization',
    data: { user: { a: null, b: null } },
    audit: [row('User', 1, 'phone', 'DENY'), row('User', 1, 'phone', 'DENY')],
    denied: [['user', 'a'], ['user', 'b']],
  },
  {
    name: 'an erased subject reached through an order',
    query: '{ order(id: 5) { recipientPhone user { phone realName } } }',
    data: { order: { recipientPhone: null, user: { phone: null, realName: null } } },
    audit: [row('Order', 5, 'recipientPhone', 'DENY'), row('User', 5, 'phone', 'DENY'), row('User', 5, 'realName', 'DENY')],
    denied: [['order', 'recipientPhone'], ['order', 'user', 'phone'], ['order', 'user', 'realName']],
  },
];

function expectNoClearValue(text: string) {
  for (const v of CLEAR) expect(text).not.toContain(v);
}

async function expectApplied(c: Case, res: { status: number; body: any }) { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(res.status).toBe(200);
  expect(res.body.data).toEqual(c.data);
  expectNoClearValue(JSON.stringify(res.body));
  const denials = (res.body.errors ?? []).filter((e: { extensions: { code: string } }) => e.extensions.code === 'FIELD_DENIED');
  expect(denials.map((e: { path: unknown }) => e.path).sort()).toEqual([...(c.denied ?? [])].sort());
  expect((res.body.errors ?? []).length).toBe(denials.length);
  const d = res.body.extensions.disclosure;
  expect(d.allowed + d.masked + d.denied).toBe(c.audit.length);
  expect(await auditRows(gw.gateway.audit, gw.store.ds, d.requestId)).toEqual([...c.audit].sort(byKey));
}

describe.each(CASES)('$name', (c) => {
  const purpose = c.purpose ?? 'service.after-sales';
  const headers: Record<string, string> = purpose ? { 'x-purpose': purpose } : {};

  it('over POST', async () => {
    await expectApplied(c, await gw.gql(KEYS.mall, c.query, { variables: c.variables, headers }));
  });

  it('over GET', async () => {
    const params = new URLSearchParams({ query: c.query });
    if (c.variables) params.set('variables', JSON.stringify(c.variables));
    const res = await fetch(`${gw.url}/graphql?${params}`, { headers: { authorization: `Bearer ${KEYS.mall}`, ...headers } });
    await expectApplied(c, { status: res.status, body: await res.json() });
  });
});

describe('what is refused whole', () => {
  it.each([
    ['an alias', '{ user(id: 1) { p: phone } }'],
    ['a fragment', '{ user(id: 1) { ...F } } fragment F on User { phone }'],
    ['an inline fragment', '{ user(id: 1) { ... on User { ... @skip(if: false) { phone } } } }'],
    ['a nested path', '{ order(id: 1) { orderNo user { phone } } }'],
    ['a field hidden behind @include(if: false)', '{ user(id: 1) { phone @include(if: false) } }'],
  ])('personal fields without a purpose, through %s: PURPOSE_REQUIRED, no data, no record', async (_how, query) => {
    await gw.gateway.audit.settled();
    const before = await gw.store.ds.query('SELECT COUNT(*) AS n FROM audit_events');
    for (const res of [
      await gw.gql(KEYS.mall, query),
      await (async () => { const r = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${KEYS.mall}` } }); return { status: r.status, body: await r.json() }; })(),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions.code).toBe('PURPOSE_REQUIRED');
      expect(res.body.data ?? null).toBeNull();
    }
    await gw.gateway.audit.settled();
    expect(await gw.store.ds.query('SELECT COUNT(*) AS n FROM audit_events')).toEqual(before);
  });

  it('a purpose from a variable is checked like any other: not registered → 403', async () => {
    const res = await gw.gql(KEYS.mall, 'query Q($p: String!) @purpose(name: $p) { user(id: 1) { phone } }', { variables: { p: 'security.risk-control' } });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].extensions.code).toBe('PURPOSE_NOT_PERMITTED');
    expectNoClearValue(JSON.stringify(res.body));
  });

  it('a header purpose that differs from the directive, over GET too: PURPOSE_CONFLICT', async () => {
    const q = 'query @purpose(name: "service.fulfilment") { user(id: 1) { phone } }';
    const res = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${KEYS.mall}`, 'x-purpose': 'personalization' } });
    expect(res.status).toBe(400);
    expect((await res.json() as any).errors[0].extensions.code).toBe('PURPOSE_CONFLICT');
  });

  it('a batch (a JSON array of operations): HTTP 400, nothing runs, nothing is recorded', async () => {
    await gw.gateway.audit.settled();
    const before = await gw.store.ds.query('SELECT COUNT(*) AS n FROM audit_events');
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.mall}`, 'x-purpose': 'service.fulfilment' },
      body: JSON.stringify([{ query: '{ user(id: 1) { phone } }' }, { query: '{ user(id: 1) { realName } }' }]),
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expectNoClearValue(text);
    await gw.gateway.audit.settled();
    expect(await gw.store.ds.query('SELECT COUNT(*) AS n FROM audit_events')).toEqual(before);
  });

  it('the purpose directive only goes on an operation: not on a fragment or a field', async () => {
    for (const q of ['{ user(id: 1) { ...F } } fragment F on User @purpose(name: "account") { phone }', '{ user(id: 1) @purpose(name: "account") { phone } }']) {
      const res = await gw.gql(KEYS.mall, q);
      expect(res.status).toBe(400);
      expectNoClearValue(JSON.stringify(res.body));
    }
  });
});
