import { statementCounter } from '../../src/db/statement-counter';
import { log } from '../../src/log';
import { defaultPolicyPath, loadPolicy, policyFingerprint } from '../../src/policy';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/** SPEC §10 checkOperation over HTTP: who may check for whom, and what the operations log keeps. */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

const CHECK = `query Check($document: String!, $purpose: String, $clientId: ID) {
  checkOperation(document: $document, purpose: $purpose, clientId: $clientId) {
    valid purpose scope policyVersion errors warnings operations { name type purpose scope rejection }
    fields { operation path field category decision mask reason basis rule conditions includedIf when }
  }
}`;
const PAY = `query Pay @purpose(name: "service.payment") { user(id: 1) { phone paymentAccounts { accountNo } } }`;

/** The version checks are made under: declared version + content hash of the policy the gateway runs. */
const POLICY_VERSION = `2026-12-02.1+${policyFingerprint(loadPolicy(defaultPolicyPath()))}`;

const check = (key: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) => gw.gql(key, CHECK, { variables, headers });

it('a client checks for itself, named or not', async () => {
  for (const clientId of [undefined, 'pay-alipay']) {
    const r = await check(KEYS.alipay, { document: PAY, clientId });
    expect(r.status).toBe(200);
    expect(r.body.data.checkOperation).toMatchObject({ valid: true, purpose: 'service.payment', scope: 'provider', policyVersion: POLICY_VERSION, errors: [], operations: [{ name: 'Pay', type: 'query', purpose: 'service.payment', scope: 'provider', rejection: null }] });
    expect(r.body.data.checkOperation.fields).toEqual([
      { operation: 'Pay', path: 'user.phone', field: 'User.phone', category: 'contact.phone', decision: 'DENY', mask: null, reason: 'PURPOSE_FORBIDS', basis: 'contract', rule: 'service.payment/contact.phone', conditions: [], includedIf: [], when: null },
      { operation: 'Pay', path: 'user.paymentAccounts.*.accountNo', field: 'PaymentAccount.accountNo', category: 'financial.account', decision: 'MASK', mask: 'ACCOUNT', reason: 'POLICY_MASKS', basis: 'contract', rule: 'service.payment/financial.account', conditions: ['OUT_OF_SCOPE', 'SUBJECT_ERASED'], includedIf: [], when: 'provider != BANK_CARD' },
      { operation: 'Pay', path: 'user.paymentAccounts.*.accountNo', field: 'PaymentAccount.accountNo', category: 'financial.card', decision: 'ALLOW', mask: null, reason: 'POLICY_ALLOWS', basis: 'contract', rule: 'service.payment/financial.card', conditions: ['OUT_OF_SCOPE', 'SUBJECT_ERASED'], includedIf: [], when: 'provider = BANK_CARD' },
    ]);
  }
});

it('the check is what the policy gives the checked client: a purpose it is not registered for denies everything', async () => {
  const r = await check(KEYS.mall, { document: PAY });
  expect(r.body.data.checkOperation).toMatchObject({ purpose: 'service.payment', scope: null, operations: [{ scope: null, rejection: 'PURPOSE_NOT_PERMITTED' }] });
  expect(r.body.data.checkOperation.errors).toEqual(['PURPOSE_NOT_PERMITTED: Client "mall-app" is not registered for purpose "service.payment"']);
  expect(r.body.data.checkOperation.fields.map((f: { decision: string; reason: string }) => `${f.decision} ${f.reason}`)).toEqual(Array(3).fill('DENY PURPOSE_NOT_PERMITTED'));
});

it('a scope-all purpose adds no OUT_OF_SCOPE; the scope is described in the schema', async () => {
  const r = await check(KEYS.risk, { document: `query @purpose(name: "security.risk-control") { user(id: 1) { paymentAccounts { accountNo } } }` });
  expect(r.body.data.checkOperation).toMatchObject({ scope: 'all', operations: [{ scope: 'all' }] });
  expect(r.body.data.checkOperation.fields.map((f: { decision: string; conditions: string[] }) => [f.decision, f.conditions])).toEqual([['MASK', ['SUBJECT_ERASED']], ['MASK', ['SUBJECT_ERASED']]]);
  const described = await gw.gql(KEYS.risk, '{ __type(name: "OperationCheck") { fields { name description } } }');
  const scope = described.body.data.__type.fields.find((f: { name: string }) => f.name === 'scope');
  expect(scope.description).toMatch(/`provider` \(payment accounts of the client's registered providers/);
  expect(scope.description).toMatch(/OUT_OF_SCOPE/);
});

it('naming another client is FORBIDDEN for a reader', async () => {
  const r = await check(KEYS.mall, { document: PAY, clientId: 'pay-alipay' });
  expect(r.status).toBe(403);
  expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
  expect(r.body.data ?? null).toBeNull();
});

it('an auditor declaring audit.review may name any client', async () => {
  const forAlipay = await check(KEYS.security, { document: PAY, clientId: 'pay-alipay' }, { 'x-purpose': 'audit.review' });
  expect(forAlipay.body.data.checkOperation.fields.map((f: { decision: string }) => f.decision)).toEqual(['DENY', 'MASK', 'ALLOW']);
  const forMall = await check(KEYS.security, { document: PAY, clientId: 'mall-app' }, { 'x-purpose': 'audit.review' });
  expect(forMall.body.data.checkOperation.operations[0].rejection).toBe('PURPOSE_NOT_PERMITTED');
  const unknown = await check(KEYS.security, { document: PAY, clientId: 'nobody' }, { 'x-purpose': 'audit.review' });
  expect(unknown.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
});

it('an auditor that does not declare audit.review checks only for itself', async () => {
  const r = await check(KEYS.security, { document: PAY, clientId: 'pay-alipay' });
  expect(r.status).toBe(403);
  expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
});

it('an invalid document is valid: false with its validation messages; suggestions only for internal clients', async () => {
  const doc = `{ user(id: 1) { phon } }`;
  const partner = await check(KEYS.mall, { document: doc });
  expect(partner.body.data.checkOperation).toMatchObject({ valid: false, fields: [], errors: ['Cannot query field "phon" on type "User".'] });
  const internal = await check(KEYS.risk, { document: doc });
  expect(internal.body.data.checkOperation.errors[0]).toMatch(/Did you mean "phone"\?/);
});

it('is logged in the operations log with ids and counts, never the document text', async () => {
  const info = jest.spyOn(log, 'info');
  try {
    await check(KEYS.alipay, { document: PAY });
    const entry = info.mock.calls.find((c) => c[1] === 'operation checked');
    expect(entry?.[0]).toMatchObject({ client: 'pay-alipay', checkedFor: 'pay-alipay', purpose: 'service.payment', valid: true, fields: 3, errors: 0 });
    expect(JSON.stringify(entry)).not.toContain('paymentAccounts');
  } finally {
    info.mockRestore();
  }
});

it('reads no data: a check runs no more statements than an empty query (authentication only), and audits nothing', async () => {
  const document = `query @purpose(name: "service.payment") { users(first: 100) { edges { node { phone realName } } } }`;
  let before = statementCounter.total;
  const r = await check(KEYS.alipay, { document });
  const forCheck = statementCounter.total - before;
  before = statementCounter.total;
  await gw.gql(KEYS.alipay, '{ __typename }');
  expect(forCheck).toBe(statementCounter.total - before);
  expect(r.body.extensions?.disclosure).toBeUndefined();
  expect(r.body.data.checkOperation.fields.map((f: { path: string }) => f.path)).toEqual(['users.edges.*.node.phone', 'users.edges.*.node.realName']);
});
