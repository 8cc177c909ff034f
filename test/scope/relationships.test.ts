import { ClientRegistry, ClientRegistryError } from '../../src/callers/registry';
import { fixedClock, useClock } from '../../src/clock';
import { GqlResponse, KEYS, startTestGateway, TEST_TODAY, TestGateway } from '../helpers/gateway';
import { ask, countRows, DEMO_CASE, DEMO_CASE_EXPIRES, expectOutOfScope, ids, recordsOf } from './helpers';

/**
 * SPEC §11: the relationship facts change what a client sees from the very next request:
 * app authorisations (authorizeApp / revokeApp under `account`) and legal cases (registerCase /
 * closeCase under `audit.review`, and the clock). Bad input has stable codes and writes nothing.
 */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

const AT = new Date(TEST_TODAY).toISOString();
const account = (query: string, variables?: Record<string, unknown>) => ask(gw, 'account', query, variables);
const security = (query: string, variables?: Record<string, unknown>) => ask(gw, 'security', query, variables);
const docsUsers = async () => ids((await ask(gw, 'docs', '{ users { edges { node { id } } } }')).body.data.users);
const AUTH = 'id userId clientId authorizedAt revokedAt active';
const authorize = (userId: string, clientId = 'docs-app') => account(`mutation($i: AppAuthorizationInput!) { authorizeApp(input: $i) { ${AUTH} } }`, { i: { userId, clientId } });
const revoke = (userId: string, clientId = 'docs-app') => account(`mutation($i: AppAuthorizationInput!) { revokeApp(input: $i) { ${AUTH} } }`, { i: { userId, clientId } });

/** BAD_USER_INPUT with the stable reason and the argument at fault; no data. */
function expectBadInput(r: GqlResponse, reason: string, argument: string): void {
  expect(r.status).toBe(400);
  expect(r.body.data).toBeNull();
  expect(r.body.errors).toHaveLength(1);
  expect(r.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', reason, argument });
}

/** A legal request citing a case. */
const legal = (purpose: string, caseRef: string, query = '{ users { edges { node { id } } } }') =>
  gw.gql(KEYS.legal, query, { headers: { 'x-purpose': purpose, 'x-case-ref': caseRef } });

/** The whole operation refused with CASE_UNKNOWN (HTTP 403, no data), and nothing audited. */
async function expectCaseUnknown(r: GqlResponse, caseRef: string, purpose: string): Promise<void> {
  expect(r.status).toBe(403);
  expect(r.body.data).toBeUndefined();
  expect(r.body.errors).toHaveLength(1);
  expect(r.body.errors[0].extensions).toEqual({ code: 'CASE_UNKNOWN' });
  expect(r.body.errors[0].message).toBe(`Case reference "${caseRef}" is not a registered, open case for purpose "${purpose}"`);
  const requestId = r.headers.get('x-request-id');
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(await recordsOf(gw, requestId!)).toEqual([]);
}

describe('app authorisations (scope `authorized`)', () => {
  it('a revocation takes effect on the very next request: by id, in lists, nested', async () => {
    expect(await docsUsers()).toEqual([1, 3]);
    expect((await ask(gw, 'docs', '{ order(id: "1") { id } }')).body.data.order).toEqual({ id: '1' });

    const r = await revoke('1');
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.revokeApp).toMatchObject({ userId: '1', clientId: 'docs-app', active: false, revokedAt: AT });

    expectOutOfScope(await ask(gw, 'docs', '{ user(id: "1") { id username } }'), 'user', 'authorized');
    expect(await docsUsers()).toEqual([3]);
    expectOutOfScope(await ask(gw, 'docs', '{ order(id: "1") { id } }'), 'order', 'authorized');
    expectOutOfScope(await ask(gw, 'docs', '{ device(id: "1") { id } }'), 'device', 'authorized');
    // Lily's authorisation is untouched.
    expect((await ask(gw, 'docs', '{ user(id: "3") { username } }')).body.data.user).toEqual({ username: 'lily' });
  });

  it('revoking what is not authorised is refused with NOT_AUTHORIZED', async () => {
    expectBadInput(await revoke('1'), 'NOT_AUTHORIZED', 'clientId');
    expectBadInput(await revoke('2'), 'NOT_AUTHORIZED', 'clientId');
    expectBadInput(await revoke('99999'), 'UNKNOWN_USER', 'userId');
  });

  it('authorising again restores the view, and the history keeps both', async () => {
    const r = await authorize('1');
    expect(r.body.data.authorizeApp).toMatchObject({ userId: '1', clientId: 'docs-app', active: true, revokedAt: null, authorizedAt: AT });
    expect(await docsUsers()).toEqual([1, 3]);
    const history = await account('{ appAuthorizations(userId: "1") { clientId active revokedAt } }');
    expect(history.body.data.appAuthorizations).toEqual([
      { clientId: 'docs-app', active: false, revokedAt: AT },
      { clientId: 'docs-app', active: true, revokedAt: null },
    ]);
  });

  it('authorizeApp adds a user on the next request; it is idempotent', async () => {
    expectOutOfScope(await ask(gw, 'docs', '{ user(id: "2") { id } }'), 'user', 'authorized');
    const first = await authorize('2');
    expect(first.body.data.authorizeApp).toMatchObject({ userId: '2', clientId: 'docs-app', active: true });
    const rows = await countRows(gw, 'app_authorizations');
    const again = await authorize('2');
    expect(again.body.data.authorizeApp.id).toBe(first.body.data.authorizeApp.id);
    expect(await countRows(gw, 'app_authorizations')).toBe(rows);

    expect(await docsUsers()).toEqual([1, 2, 3]);
    const bob = await ask(gw, 'docs', '{ user(id: "2") { id nickname avatarUrl realName } }');
    expect(bob.body.data.user).toMatchObject({ id: '2', nickname: 'Bobby', realName: null });
    expect(bob.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['FIELD_DENIED']);
    // Another app's authorisation is not docs-app's: only docs-app may be authorised (the only app).
    expect(await docsUsers()).not.toContain(4);
  });

  it.each([
    ['an unknown client', '2', 'no-such-app', 'UNKNOWN_CLIENT', 'clientId'],
    ['a client with no `authorized`-scope purpose (pay-alipay)', '2', 'pay-alipay', 'NOT_AN_APP', 'clientId'],
    ['a client with no `authorized`-scope purpose (mall-app)', '4', 'mall-app', 'NOT_AN_APP', 'clientId'],
    ['an unknown user', '99999', 'docs-app', 'UNKNOWN_USER', 'userId'],
    ['a user id that is not a number', 'abc', 'docs-app', 'UNKNOWN_USER', 'userId'],
    ['an erased user', '5', 'docs-app', 'BAD_USER_INPUT', 'userId'],
  ])('authorizeApp for %s: %s / %s is refused with reason %s, nothing written', async (_name, userId, clientId, reason, argument) => {
    const before = await countRows(gw, 'app_authorizations');
    expectBadInput(await authorize(userId, clientId), reason, argument);
    expect(await countRows(gw, 'app_authorizations')).toBe(before);
  });

  it('only `account` may authorise or revoke; appAuthorizations too', async () => {
    const before = await countRows(gw, 'app_authorizations');
    for (const [key, purpose] of [[KEYS.docs, 'third-party-app'], [KEYS.security, 'audit.review']]) {
      const r = await gw.gql(key, 'mutation { authorizeApp(input: { userId: "4", clientId: "docs-app" }) { id } }', { purpose });
      expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
      const l = await gw.gql(key, '{ appAuthorizations(userId: "1") { id } }', { purpose });
      expect(l.body.errors[0].extensions.code).toBe('FORBIDDEN');
    }
    expect(await countRows(gw, 'app_authorizations')).toBe(before);
    expect(await docsUsers()).not.toContain(4);
  });
});

describe('legal cases (scope `case`)', () => {
  const CASE_FIELDS = 'caseRef purposes subjectIds expiresAt openedAt openedBy closedAt state';
  const register = (input: Record<string, unknown>) => security(`mutation($i: RegisterCaseInput!) { registerCase(input: $i) { ${CASE_FIELDS} } }`, { i: input });
  const close = (caseRef: string) => security(`mutation($c: String!) { closeCase(caseRef: $c) { ${CASE_FIELDS} } }`, { c: caseRef });
  const cases = async (open?: boolean) => (await security(`query($o: Boolean) { legalCases(open: $o) { caseRef state } }`, { o: open ?? null })).body.data.legalCases as { caseRef: string; state: string }[];

  it('the demo case lets the legal desk see subjects 1 and 2 only', async () => {
    const r = await legal('legal.criminal-investigation', DEMO_CASE, '{ users { edges { node { id realName } } } }');
    expect(r.status).toBe(200);
    expect(r.body.data.users.edges).toEqual([{ node: { id: '1', realName: 'Alice Wang' } }, { node: { id: '2', realName: 'Bob Li' } }]);
    expectOutOfScope(await legal('legal.criminal-investigation', DEMO_CASE, '{ user(id: "3") { id } }'), 'user', 'case');
    // The case is recorded on the audit record.
    const rows = await recordsOf(gw, r.headers.get('x-request-id')!);
    expect(rows.map((x) => [x.subjectId, x.field, x.caseRef])).toEqual([[1, 'realName', DEMO_CASE], [2, 'realName', DEMO_CASE]]);
  });

  it('a case reference that is not registered: CASE_UNKNOWN, 403, nothing audited', async () => {
    await expectCaseUnknown(await legal('legal.criminal-investigation', 'GA-2099-0001'), 'GA-2099-0001', 'legal.criminal-investigation');
  });

  it('a case cited for a purpose it was not registered for: CASE_UNKNOWN (header or directive)', async () => {
    await expectCaseUnknown(await legal('legal.public-safety', DEMO_CASE), DEMO_CASE, 'legal.public-safety');
    const viaDirective = await gw.gql(KEYS.legal, `query Q @purpose(name: "legal.vital-interests", caseRef: "${DEMO_CASE}") { users { edges { node { id } } } }`);
    await expectCaseUnknown(viaDirective, DEMO_CASE, 'legal.vital-interests');
  });

  it('registerCase, then its purposes see its subjects only; closeCase refuses it from the next request on', async () => {
    const r = await register({ caseRef: 'TEST-2026-0042', purposes: ['legal.public-safety', 'legal.vital-interests'], subjectIds: ['4', '3', '4'], expiresAt: '2027-06-30' });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.registerCase).toEqual({
      caseRef: 'TEST-2026-0042', purposes: ['legal.public-safety', 'legal.vital-interests'], subjectIds: ['3', '4'],
      expiresAt: expect.stringMatching(/^2027-0(6-30T23:59:59|7-01T00:00:00)\.\d{3}Z$/), // exactly: the next test
      openedAt: AT, openedBy: 'security-console', closedAt: null, state: 'OPEN',
    });
    for (const purpose of ['legal.public-safety', 'legal.vital-interests']) {
      const seen = await legal(purpose, 'TEST-2026-0042');
      expect(seen.status).toBe(200);
      expect(ids(seen.body.data.users)).toEqual([3, 4]);
    }
    expectOutOfScope(await legal('legal.public-safety', 'TEST-2026-0042', '{ user(id: "1") { id } }'), 'user', 'case');
    await expectCaseUnknown(await legal('legal.criminal-investigation', 'TEST-2026-0042'), 'TEST-2026-0042', 'legal.criminal-investigation');
    expect(await cases(true)).toEqual(expect.arrayContaining([{ caseRef: 'TEST-2026-0042', state: 'OPEN' }, { caseRef: DEMO_CASE, state: 'OPEN' }]));

    const closed = await close('TEST-2026-0042');
    expect(closed.body.data.closeCase).toMatchObject({ state: 'CLOSED', closedAt: AT });
    await expectCaseUnknown(await legal('legal.public-safety', 'TEST-2026-0042'), 'TEST-2026-0042', 'legal.public-safety');
    expect((await cases(true)).map((c) => c.caseRef)).not.toContain('TEST-2026-0042');
    expect(await cases(false)).toContainEqual({ caseRef: 'TEST-2026-0042', state: 'CLOSED' });
    // Closing again changes nothing; an unknown case is refused.
    expect((await close('TEST-2026-0042')).body.data.closeCase).toMatchObject({ state: 'CLOSED', closedAt: AT });
    expectBadInput(await close('TEST-NOPE'), 'UNKNOWN_CASE', 'caseRef');
  });

  it('a case expires by the clock, at the exact instant of expiresAt', async () => {
    const at = (iso: string) => useClock(fixedClock(iso));
    let restore = at(new Date(new Date(DEMO_CASE_EXPIRES).getTime() - 1).toISOString());
    try {
      const last = await legal('legal.criminal-investigation', DEMO_CASE);
      expect(last.status).toBe(200);
      expect(ids(last.body.data.users)).toEqual([1, 2]);
    } finally {
      restore();
    }
    for (const when of [DEMO_CASE_EXPIRES, '2028-03-01T00:00:00Z']) {
      restore = at(when);
      try {
        await expectCaseUnknown(await legal('legal.criminal-investigation', DEMO_CASE), DEMO_CASE, 'legal.criminal-investigation');
        expect(await cases(false)).toContainEqual({ caseRef: DEMO_CASE, state: 'EXPIRED' });
        expect((await cases(true)).map((c) => c.caseRef)).not.toContain(DEMO_CASE);
      } finally {
        restore();
      }
    }
    // Back on the tests' day, the case is open again: the decision is the clock's, per request.
    expect((await legal('legal.criminal-investigation', DEMO_CASE)).status).toBe(200);
  });

  it('a date-only expiresAt is the last second of that day, 23:59:59Z, the same on every store (whole seconds: a fraction is dropped)', async () => {
    const r = await register({ caseRef: 'TEST-DAY-END', purposes: ['legal.vital-interests'], subjectIds: ['1'], expiresAt: '2027-06-30' });
    expect(r.body.data.registerCase.expiresAt).toBe('2027-06-30T23:59:59.000Z');
    const listed = (await security('{ legalCases { caseRef expiresAt } }')).body.data.legalCases.find((c: { caseRef: string }) => c.caseRef === 'TEST-DAY-END');
    expect(listed.expiresAt).toBe('2027-06-30T23:59:59.000Z');
    const fraction = await register({ caseRef: 'TEST-FRACTION', purposes: ['legal.vital-interests'], subjectIds: ['1'], expiresAt: '2027-06-30T10:00:00.750Z' });
    expect(fraction.body.data.registerCase.expiresAt).toBe('2027-06-30T10:00:00.000Z');
    // Half a second before its last second it can still be cited; at midnight it cannot.
    let restore = useClock(fixedClock('2027-06-30T23:59:58.500Z'));
    try {
      expect((await legal('legal.vital-interests', 'TEST-DAY-END')).status).toBe(200);
    } finally {
      restore();
    }
    restore = useClock(fixedClock('2027-07-01T00:00:00.000Z'));
    try {
      await expectCaseUnknown(await legal('legal.vital-interests', 'TEST-DAY-END'), 'TEST-DAY-END', 'legal.vital-interests');
    } finally {
      restore();
    }
  });

  it('a short case registered now expires an hour later', async () => {
    const inAnHour = new Date(new Date(TEST_TODAY).getTime() + 3_600_000).toISOString();
    expect((await register({ caseRef: 'TEST-SHORT', purposes: ['legal.vital-interests'], subjectIds: ['2'], expiresAt: inAnHour })).body.data.registerCase.state).toBe('OPEN');
    expect(ids((await legal('legal.vital-interests', 'TEST-SHORT')).body.data.users)).toEqual([2]);
    const restore = useClock(fixedClock(inAnHour));
    try {
      await expectCaseUnknown(await legal('legal.vital-interests', 'TEST-SHORT'), 'TEST-SHORT', 'legal.vital-interests');
    } finally {
      restore();
    }
  });

  it('every way a case fails reads the same (a client learns nothing about cases it may not rely on)', async () => {
    await close('TEST-SHORT');
    const messages = await Promise.all([
      legal('legal.vital-interests', 'TEST-SHORT'), // closed
      legal('legal.vital-interests', 'TEST-NEVER'), // not registered
      legal('legal.vital-interests', DEMO_CASE), // other purpose
    ]);
    const shapes = messages.map((r) => ({ status: r.status, body: JSON.stringify(r.body).replace(/Case reference \\"[^"\\]+\\"/, 'Case reference "*"') }));
    expect(new Set(shapes.map((s) => JSON.stringify(s))).size).toBe(1);
  });

  describe('bad input has stable codes and writes nothing', () => {
    const future = '2027-06-30';
    it.each([
      ['no subjects', { caseRef: 'TEST-BAD-1', purposes: ['legal.public-safety'], subjectIds: [], expiresAt: future }, 'BAD_USER_INPUT', 'subjectIds'],
      ['an unknown subject', { caseRef: 'TEST-BAD-2', purposes: ['legal.public-safety'], subjectIds: ['1', '99999'], expiresAt: future }, 'UNKNOWN_USER', 'subjectIds'],
      ['a subject id that is not a user id', { caseRef: 'TEST-BAD-3', purposes: ['legal.public-safety'], subjectIds: ['alice'], expiresAt: future }, 'BAD_USER_INPUT', 'subjectIds'],
      ['an expiry in the past', { caseRef: 'TEST-BAD-4', purposes: ['legal.public-safety'], subjectIds: ['1'], expiresAt: '2026-01-01' }, 'BAD_USER_INPUT', 'expiresAt'],
      ['an expiry right now', { caseRef: 'TEST-BAD-5', purposes: ['legal.public-safety'], subjectIds: ['1'], expiresAt: TEST_TODAY }, 'BAD_USER_INPUT', 'expiresAt'],
      ['an expiry that is not a date', { caseRef: 'TEST-BAD-6', purposes: ['legal.public-safety'], subjectIds: ['1'], expiresAt: 'next year' }, 'BAD_USER_INPUT', 'expiresAt'],
      ['a purpose whose scope is not `case`', { caseRef: 'TEST-BAD-7', purposes: ['service.payment'], subjectIds: ['1'], expiresAt: future }, 'BAD_USER_INPUT', 'purposes'],
      ['a legal purpose beside a non-case one', { caseRef: 'TEST-BAD-8', purposes: ['legal.public-safety', 'account'], subjectIds: ['1'], expiresAt: future }, 'BAD_USER_INPUT', 'purposes'],
      ['the non-declarable parent `legal`', { caseRef: 'TEST-BAD-9', purposes: ['legal'], subjectIds: ['1'], expiresAt: future }, 'BAD_USER_INPUT', 'purposes'],
      ['no purpose', { caseRef: 'TEST-BAD-10', purposes: [], subjectIds: ['1'], expiresAt: future }, 'BAD_USER_INPUT', 'purposes'],
      ['a malformed reference', { caseRef: 'bad ref!', purposes: ['legal.public-safety'], subjectIds: ['1'], expiresAt: future }, 'BAD_USER_INPUT', 'caseRef'],
      ['a duplicate reference', { caseRef: DEMO_CASE, purposes: ['legal.public-safety'], subjectIds: ['3'], expiresAt: future }, 'CASE_EXISTS', 'caseRef'],
    ])('registerCase with %s', async (_name, input, reason, argument) => {
      const before = [await countRows(gw, 'legal_cases'), await countRows(gw, 'legal_case_subjects')];
      expectBadInput(await register(input), reason, argument);
      expect([await countRows(gw, 'legal_cases'), await countRows(gw, 'legal_case_subjects')]).toEqual(before);
    });

    it('the duplicate left the demo case as it was', async () => {
      expect(ids((await legal('legal.criminal-investigation', DEMO_CASE)).body.data.users)).toEqual([1, 2]);
      await expectCaseUnknown(await legal('legal.public-safety', DEMO_CASE), DEMO_CASE, 'legal.public-safety');
    });

    it('only an auditor under audit.review registers, closes or lists cases', async () => {
      const before = await countRows(gw, 'legal_cases');
      const input = { caseRef: 'TEST-BY-LEGAL', purposes: ['legal.public-safety'], subjectIds: ['3'], expiresAt: future };
      const r = await gw.gql(KEYS.legal, 'mutation($i: RegisterCaseInput!) { registerCase(input: $i) { caseRef } }', { variables: { i: input }, headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': DEMO_CASE } });
      expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
      const a = await gw.gql(KEYS.account, 'mutation($i: RegisterCaseInput!) { registerCase(input: $i) { caseRef } }', { variables: { i: input }, purpose: 'account' });
      expect(a.body.errors[0].extensions.code).toBe('FORBIDDEN');
      const c = await gw.gql(KEYS.account, `mutation { closeCase(caseRef: "${DEMO_CASE}") { state } }`, { purpose: 'account' });
      expect(c.body.errors[0].extensions.code).toBe('FORBIDDEN');
      const l = await gw.gql(KEYS.account, '{ legalCases { caseRef } }', { purpose: 'account' });
      expect(l.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(await countRows(gw, 'legal_cases')).toBe(before);
      expect((await legal('legal.criminal-investigation', DEMO_CASE)).status).toBe(200);
    });
  });
});

describe('client registration with providers', () => {
  it('an unknown provider is refused with UNKNOWN_PROVIDER, and nothing is written', async () => {
    const registry = new ClientRegistry(gw.store.ds, 0);
    const before = [await countRows(gw, 'clients'), await countRows(gw, 'api_keys')];
    let thrown: unknown;
    try {
      await registry.create({ id: 'pay-newbank', kind: 'partner', role: 'reader', purposes: ['service.payment'], providers: ['BANK_CARD', 'PAYPAL'] });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ClientRegistryError);
    expect((thrown as ClientRegistryError).code).toBe('UNKNOWN_PROVIDER');
    expect((thrown as Error).message).toContain('PAYPAL');
    expect([await countRows(gw, 'clients'), await countRows(gw, 'api_keys')]).toEqual(before);
    expect(await registry.get('pay-newbank')).toBeNull();
  });

  it('a provider name differs by case: `alipay` is unknown', async () => {
    await expect(new ClientRegistry(gw.store.ds, 0).create({ id: 'pay-lower', kind: 'partner', role: 'reader', purposes: ['service.payment'], providers: ['alipay'] }))
      .rejects.toMatchObject({ code: 'UNKNOWN_PROVIDER' });
  });

  it('a new payment client sees the owners of its providers\' accounts, from its first request', async () => {
    const { caller, key } = await new ClientRegistry(gw.store.ds, 0).create({ id: 'pay-both', kind: 'partner', role: 'reader', purposes: ['service.payment'], providers: ['WECHAT_PAY', 'BANK_CARD', 'WECHAT_PAY'] });
    expect(caller.providers).toEqual(['WECHAT_PAY', 'BANK_CARD']);
    const r = await gw.gql(key, '{ users { edges { node { id paymentAccounts { provider } } } } }', { purpose: 'service.payment' });
    expect(r.body.data.users.edges).toEqual([
      { node: { id: '1', paymentAccounts: [{ provider: 'BANK_CARD' }] } },
      { node: { id: '2', paymentAccounts: [{ provider: 'WECHAT_PAY' }] } },
    ]);
  });

  it('a payment client registered with no provider sees no one', async () => {
    const { key } = await new ClientRegistry(gw.store.ds, 0).create({ id: 'pay-none', kind: 'partner', role: 'reader', purposes: ['service.payment'] });
    const r = await gw.gql(key, '{ users { edges { node { id } } } order(id: "1") { id } }', { purpose: 'service.payment' });
    expect(r.body.data.users.edges).toEqual([]);
    expect(r.body.data.order).toBeNull();
    expect(r.body.errors[0].extensions).toEqual({ code: 'OUT_OF_SCOPE', scope: 'provider' });
  });
});
