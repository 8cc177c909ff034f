import { ALL_SUBJECTS_CASE, KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/** SPEC §2: every way a purpose declaration is refused, with its code and HTTP status, and no `data`. */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

const PHONE = `{ user(id: 1) { phone } }`;

it.each([
  ['no key', null, PHONE, {}, 401, 'UNAUTHENTICATED'],
  ['unknown key', 'nope-key', PHONE, {}, 401, 'UNAUTHENTICATED'],
  ['personal field without purpose', KEYS.mall, PHONE, {}, 400, 'PURPOSE_REQUIRED'],
  ['personal field in a fragment without purpose', KEYS.mall, `{ user(id: 1) { ...F } } fragment F on User { phone }`, {}, 400, 'PURPOSE_REQUIRED'],
  ['purpose not registered', KEYS.mall, PHONE, { 'x-purpose': 'service.payment' }, 403, 'PURPOSE_NOT_PERMITTED'],
  ['unknown purpose', KEYS.mall, PHONE, { 'x-purpose': 'service.teleport' }, 400, 'PURPOSE_UNKNOWN'],
  ['a parent is not specific enough', KEYS.mall, PHONE, { 'x-purpose': 'service' }, 400, 'PURPOSE_UNKNOWN'],
  ['directive and header differ', KEYS.mall, `query @purpose(name: "service.fulfilment") { user(id: 1) { phone } }`, { 'x-purpose': 'service.after-sales' }, 400, 'PURPOSE_CONFLICT'],
  ['legal without case reference (header)', KEYS.legal, PHONE, { 'x-purpose': 'legal.public-safety' }, 400, 'CASE_REF_REQUIRED'],
  ['legal without case reference (directive)', KEYS.legal, `query @purpose(name: "legal.vital-interests") { user(id: 1) { phone } }`, {}, 400, 'CASE_REF_REQUIRED'],
  ['consent mutation by a client not declaring account', KEYS.mall, `mutation { grantConsent(input: { userId: "2", purpose: "personalization" }) { id } }`, { 'x-purpose': 'service.fulfilment' }, 403, 'FORBIDDEN'],
])('%s → %s %s', async (_name, key, query, headers, status, code) => {
  const r = await gw.gql(key as string | null, query as string, { headers: headers as Record<string, string> });
  expect(r.status).toBe(status);
  expect(r.body.errors[0].extensions.code).toBe(code);
  expect(r.body.data ?? null).toBeNull();
  expect(JSON.stringify(r.body)).not.toContain('13812345678');
});

it('the same purpose in directive and header is no conflict', async () => {
  const r = await gw.gql(KEYS.mall, `query @purpose(name: "service.fulfilment") { user(id: 1) { phone } }`, { purpose: 'service.fulfilment' });
  expect(r.body.data.user.phone).toBe('13812345678');
});

it('a case reference may come from the header, and a purpose from a variable-free directive', async () => {
  const r = await gw.gql(KEYS.legal, `query @purpose(name: "legal.state-security") { user(id: 1) { phone } }`, { headers: { 'x-case-ref': ALL_SUBJECTS_CASE } });
  expect(r.status).toBe(200);
  expect(r.body.data.user.phone).toBe('13812345678');
});

it('a client registered for the parent "legal" may declare each legal.* child', async () => {
  for (const p of ['legal.state-security', 'legal.public-safety', 'legal.criminal-investigation', 'legal.vital-interests']) {
    const r = await gw.gql(KEYS.legal, PHONE, { purpose: p, headers: { 'x-case-ref': ALL_SUBJECTS_CASE } });
    expect(r.body.data.user.phone).toBe('13812345678');
  }
});
