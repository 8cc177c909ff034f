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

describe('FORBIDDEN refuses the whole operation before any of it runs (SPEC §2)', () => {
  const OPEN = (note: string) => `openSubjectRequest(input: { userId: "2", kind: EXPLANATION, note: "${note}" }) { id }`;
  async function requestsOfBob(): Promise<string[]> {
    const r = await gw.gql(KEYS.account, `{ subjectRequests(filter: { userId: "2", state: OPEN }) { note } }`, { purpose: 'account' });
    expect(r.status).toBe(200);
    return r.body.data.subjectRequests.map((q: { note: string }) => q.note);
  }

  it('a mutation before a refused one is not run: no request opened, 403, no data', async () => {
    const r = await gw.gql(KEYS.account, `mutation @purpose(name: "account") { ${OPEN('opened before a refused field')} startChainVerification { id } }`);
    expect(r.status).toBe(403);
    expect(r.body.data ?? null).toBeNull();
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(r.body.errors[0].message).toBe('Mutation.startChainVerification is only for clients with role "auditor" declaring purpose "audit.review"');
    expect(await requestsOfBob()).not.toContain('opened before a refused field');
    // Alone, the same mutation runs.
    expect((await gw.gql(KEYS.account, `mutation @purpose(name: "account") { ${OPEN('opened alone')} }`)).status).toBe(200);
    expect(await requestsOfBob()).toContain('opened alone');
  });

  it.each([
    ['beside a personal field', `{ user(id: 1) { phone } consoleClients { id } }`],
    ['in a fragment', `{ user(id: 1) { phone } ...F } fragment F on Query { consoleClients { id } }`],
    ['in an inline fragment', `{ user(id: 1) { phone } ... on Query { consoleClients { id } } }`],
  ])('an auditor-only field %s: the reader gets 403 and nothing of the rest', async (_name, query) => {
    const r = await gw.gql(KEYS.mall, query, { purpose: 'service.fulfilment' });
    expect(r.status).toBe(403);
    expect(r.body.data ?? null).toBeNull();
    expect(r.body.errors[0]).toMatchObject({ message: 'Query.consoleClients is only for clients with role "auditor" declaring purpose "audit.review"', extensions: { code: 'FORBIDDEN' } });
    expect(JSON.stringify(r.body)).not.toContain('13812345678');
  });

  it('an account field under another purpose, even for an auditor, and a field left out by @skip is not refused', async () => {
    const auditor = await gw.gql(KEYS.security, `{ consoleClients { id } consents(userId: "1") { id } }`, { purpose: 'audit.review' });
    expect(auditor.status).toBe(403);
    expect(auditor.body.errors[0].message).toBe('Query.consents is only for clients declaring purpose "account"');
    const skipped = await gw.gql(KEYS.mall, `query($no: Boolean!) { user(id: 1) { phone } consoleClients @include(if: $no) { id } }`, { purpose: 'service.fulfilment', variables: { no: false } });
    expect(skipped.status).toBe(200);
    expect(skipped.body.data.user.phone).toBe('13812345678');
    // The request queue is open to auditors under audit.review as well as to account.
    expect((await gw.gql(KEYS.security, `{ subjectRequests(first: 1) { id } }`, { purpose: 'audit.review' })).status).toBe(200);
  });
});
