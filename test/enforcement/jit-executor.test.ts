import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kind, parse } from 'graphql';
import { toStoredRecord } from '../../src/audit/columns';
import { loadConfig, ConfigError } from '../../src/config';
import { enforceSchema } from '../../src/enforcement/enforce-schema';
import { CompiledDocuments } from '../../src/enforcement/jit-executor';
import type { GatewayContext } from '../../src/request/context';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { compilePolicy, defaultPolicyPath, loadPolicy } from '../../src/policy';
import { ALICE, GqlResponse, KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { AS, As, DEMO_CASE } from '../scope/helpers';

/**
 * GRAPHQL_EXECUTOR=jit (issue 21): the enforced schema executed by graphql-jit answers exactly
 * as graphql-js does. Two gateways over real HTTP, one per executor, each over its own store
 * with the same demo data, receive the same requests in the same order; every answer (status,
 * data, nulls, masks, errors with their paths and codes) and every audit record (but its id,
 * request id and place in the hash chain) must be the same.
 */
let js: TestGateway;
let jit: TestGateway;
beforeAll(async () => {
  js = await startTestGateway({ GRAPHQL_EXECUTOR: 'graphql-js' });
  jit = await startTestGateway({ GRAPHQL_EXECUTOR: 'jit', JIT_CACHE_SIZE: '50' });
});
afterAll(async () => {
  await js?.close();
  await jit?.close();
});

/** A request's audit records without what differs between two stores and chains. */
async function records(gw: TestGateway, r: GqlResponse): Promise<unknown[]> {
  const requestId = r.headers.get('x-request-id');
  await gw.gateway.audit.settled();
  const rows = (await gw.store.ds.query('SELECT * FROM audit_events WHERE request_id = ?', [requestId])).map(toStoredRecord);
  return rows
    .map(({ id: _id, requestId: _r, chainId: _c, seq: _s, prevHash: _p, hash: _h, ...facts }: Record<string, unknown>) => facts)
    .map((facts: Record<string, unknown>) => JSON.stringify(facts))
    .sort();
}

/**
 * The body with its own request id (which names the request, `X-Request-Id`) taken out, and its
 * errors in a fixed order: their order is the order of the decisions and failures, which follows
 * when each row's load returns (on MariaDB it differs between the executors; GraphQL gives the
 * order of `errors` no meaning).
 */
function comparable(r: GqlResponse): unknown {
  if (typeof r.body !== 'object' || r.body === null) return r.body;
  const body = { ...r.body };
  if (body.errors) body.errors = [...body.errors].sort((a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  const disclosure = body.extensions?.disclosure;
  if (!disclosure) return body;
  expect(disclosure.requestId).toBe(r.headers.get('x-request-id'));
  return { ...body, extensions: { ...body.extensions, disclosure: { ...disclosure, requestId: '<request id>' } } };
}

interface Both { js: GqlResponse; jit: GqlResponse }

/** The same request to both gateways; their answers and audit records must agree. */
async function same(as: As | { key: string | null; headers: Record<string, string> }, query: string, variables?: Record<string, unknown>, operationName?: string): Promise<Both> {
  const who = typeof as === 'string' ? AS[as] : as;
  const send = async (gw: TestGateway) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...who.headers };
    if (who.key) headers.authorization = `Bearer ${who.key}`;
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables, operationName }) });
    const text = await res.text();
    let body: unknown;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: res.status, headers: res.headers, body } as GqlResponse;
  };
  const a = await send(js);
  const b = await send(jit);
  expect({ status: b.status, body: comparable(b) }).toEqual({ status: a.status, body: comparable(a) });
  expect(await records(jit, b)).toEqual(await records(js, a));
  return { js: a, jit: b };
}

describe('enforcement: allowed, masked and denied fields', () => {
  it.each<As>(['account', 'alipay', 'unionpay', 'risk', 'analytics', 'docs', 'mallPersonal', 'legal'])('%s reads Alice', async (as) => {
    const r = await same(as, `{ ${ALICE} }`);
    expect(r.jit.status).toBe(200);
    expect(r.jit.body.data.user).not.toBeNull();
  });

  it('every user, with aliases, fragments and @include/@skip on variables', async () => {
    const q = `query Everyone($withPhone: Boolean!, $noCity: Boolean!) {
      all: users(first: 50) { edges { cursor node { ...who phone @include(if: $withPhone) city @skip(if: $noCity) } } pageInfo { hasNextPage endCursor } }
      alice: user(id: "1") { ...who }
      nobody: user(id: "999") { id }
    }
    fragment who on User { id name: realName birthDate isMinor devices { deviceId ipAddress } }`;
    for (const as of ['risk', 'mall', 'afterSales', 'analytics'] as As[]) {
      await same(as, q, { withPhone: true, noCity: false });
      await same(as, q, { withPhone: false, noCity: true });
    }
  });

  it('an order as the mall and as an after-sales desk (masks), and a device', async () => {
    await same('mall', '{ order(id: 1) { orderNo recipientName recipientPhone shippingAddress totalAmount paymentAccount { accountNo } user { phone birthDate } } }');
    await same('afterSales', '{ order(id: 1) { recipientName recipientPhone shippingAddress } }');
    await same('risk', '{ device(id: 1) { deviceId macAddress ipAddress location { lat lng } user { username } } }');
  });

  it('refusals before execution: no purpose, an undeclared purpose, an unknown field', async () => {
    await same({ key: KEYS.mall, headers: {} }, `{ ${ALICE} }`);
    await same({ key: KEYS.mall, headers: { 'x-purpose': 'security.risk-control' } }, '{ user(id: 1) { id } }');
    await same('mall', '{ user(id: 1) { id nope } }');
    await same({ key: null, headers: {} }, '{ user(id: 1) { id } }');
  });

  it('an auditor-only root field asked by a reader', async () => {
    const r = await same('mall', '{ auditEvents(first: 2) { edges { node { id } } } }');
    expect(r.jit.body.errors[0].extensions.code).toBeDefined();
  });

  it('introspection by an internal client', async () => {
    await same('risk', '{ __typename __schema { queryType { name } mutationType { name } } __type(name: "User") { fields { name } } }');
  });
});

describe('row scope', () => {
  it('OUT_OF_SCOPE on a by-id field, and rows left out of a list', async () => {
    const r = await same('docs', '{ order(id: 2) { id orderNo } user(id: 2) { id } users { edges { node { id } } } }');
    expect(r.jit.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain('OUT_OF_SCOPE');
    await same('alipay', '{ order(id: 2) { id paymentAccount { provider } } device(id: 1) { id } }');
    await same('legal', '{ user(id: 3) { id realName } users { edges { node { id realName } } } }');
  });

  it('a nested single row out of scope', async () => {
    await same('docs', '{ user(id: 1) { orders { edges { node { orderNo paymentAccount { provider accountNo } } } } } }');
  });
});

describe('an error that nulls a parent', () => {
  it('the abandoned children disclose nothing and are audited by neither executor', async () => {
    // orders(first: 1000) is refused (BAD_USER_INPUT) on a non-null connection: every user's node, then `users`, then `data` are null.
    const r = await same('risk', '{ users(first: 5) { edges { node { phone devices { deviceId } orders(first: 1000) { edges { node { id } } } } } } }');
    expect(r.jit.body.data).toBeNull();
    expect(r.jit.body.extensions.disclosure).toMatchObject({ allowed: 0, masked: 0, denied: 0 });
    expect(await records(jit, r.jit)).toEqual([]);
    // A nullable parent nulled under a served one: its siblings' decisions stay.
    await same('docs', '{ a: user(id: 1) { realName orders { edges { node { orderNo paymentAccount { accountNo } } } } } b: order(id: 2) { recipientName } }');
  });
});

describe('pagination', () => {
  it('forward and backward pages, and a cursor that is not ours', async () => {
    const page = 'query($n: Int, $a: String, $l: Int, $b: String) { users(first: $n, after: $a, last: $l, before: $b) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }';
    const first = await same('risk', page, { n: 2 });
    const { endCursor } = first.jit.body.data.users.pageInfo;
    await same('risk', page, { n: 2, a: endCursor });
    await same('risk', page, { l: 2, b: endCursor });
    await same('risk', page, { n: 2, a: 'not-a-cursor' });
    await same('risk', page, { n: -1 });
    await same('risk', page, { n: 2, l: 2 });
    await same('risk', '{ users(first: 1000) { edges { node { id } } } }');
  });
});

describe('variables: the same refusals, with the same codes', () => {
  const USER = 'query($id: ID!) { user(id: $id) { id username } }';
  const PAGE = 'query($n: Int, $a: String) { users(first: $n, after: $a) { edges { node { id } } } }';
  const GRANT = 'mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }';
  const NOTICES = 'query($s: ErasureNoticeStatus) { erasureNotices(status: $s) { id } }';
  const CASE = 'mutation($input: RegisterCaseInput!) { registerCase(input: $input) { caseRef } }';
  const AUDIT = 'query($f: AuditFilter) { auditEvents(filter: $f, first: 1) { edges { node { id } } } }';
  const cases: Array<[string, As, string, Record<string, unknown> | undefined]> = [
    ['a required variable not provided', 'risk', USER, undefined],
    ['null for a non-null variable', 'risk', USER, { id: null }],
    ['an object for an ID', 'risk', USER, { id: { a: 1 } }],
    ['a float for an ID', 'risk', USER, { id: 1.5 }],
    ['a boolean for an ID', 'risk', USER, { id: true }],
    ['an integer for an ID (accepted)', 'risk', USER, { id: 1 }],
    ['a string for an Int', 'risk', PAGE, { n: 'two' }],
    ['a float for an Int', 'risk', PAGE, { n: 2.5 }],
    ['an Int beyond 32 bits', 'risk', PAGE, { n: 2 ** 40 }],
    ['a number for a String', 'risk', PAGE, { n: 1, a: 7 }],
    ['two bad variables at once', 'risk', PAGE, { n: 'x', a: 7 }],
    ['an unknown enum value', 'account', NOTICES, { s: 'MAYBE' }],
    ['a number for an enum', 'account', NOTICES, { s: 1 }],
    ['a string for an input object', 'account', GRANT, { input: 'me' }],
    ['an input object without a required field', 'account', GRANT, { input: { userId: '2' } }],
    ['an input object with null in a non-null field', 'account', GRANT, { input: { userId: '2', purpose: null } }],
    ['an input object with an unknown field', 'account', GRANT, { input: { userId: '2', purpose: 'analytics', extra: 1 } }],
    ['an input object with a wrong type in a field', 'account', GRANT, { input: { userId: '2', purpose: 'analytics', byGuardian: 'yes' } }],
    ['a list with a null item', 'security', CASE, { input: { caseRef: 'X-1', purposes: ['legal.public-safety', null], subjectIds: ['1'], expiresAt: '2099-01-01' } }],
    ['a list with a wrong item', 'security', CASE, { input: { caseRef: 'X-2', purposes: ['legal.public-safety'], subjectIds: [{}], expiresAt: '2099-01-01' } }],
    ['a single value for a list (coerced to a list)', 'security', CASE, { input: { caseRef: 'X-3', purposes: 'legal.public-safety', subjectIds: '1', expiresAt: '2099-01-01' } }],
    ['a nested enum in a filter', 'security', AUDIT, { f: { decision: 'NOPE' } }],
    ['a variable of a type the schema does not have', 'risk', 'query($id: Nope) { user(id: $id) { id } }', { id: 1 }],
    ['a variable of an output type', 'risk', 'query($u: User) { user(id: 1) { id } }', {}],
  ];
  it.each(cases)('%s', async (_name, as, query, variables) => {
    const r = await same(as, query, variables);
    if (r.jit.body.errors && !r.jit.body.data) {
      // graphql-js's own coercion messages, under Apollo's stable code, and HTTP 400.
      for (const e of r.jit.body.errors) expect(e.extensions.code).toMatch(/^(BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED)$/);
      expect(r.jit.status).toBe(400);
    }
  });

  it('the exact answer to a missing, a null and a mistyped variable', async () => {
    const missing = await same('risk', USER, {});
    expect(missing.jit.body.errors).toEqual([{ message: 'Variable "$id" of required type "ID!" was not provided.', locations: [{ line: 1, column: 7 }], extensions: { code: 'BAD_USER_INPUT' } }]);
    const nul = await same('risk', USER, { id: null });
    expect(nul.jit.body.errors[0].message).toBe('Variable "$id" of non-null type "ID!" must not be null.');
    const typed = await same('risk', PAGE, { n: 'two' });
    expect(typed.jit.body.errors[0]).toEqual({ message: 'Variable "$n" got invalid value "two"; Int cannot represent non-integer value: "two"', locations: [{ line: 1, column: 7 }], extensions: { code: 'BAD_USER_INPUT' } });
    expect(typed.jit.status).toBe(400);
  });

  it('graphql-jit refuses, graphql-js answers: the errors are graphql-js\'s own (with their variable definition, which Apollo marks BAD_USER_INPUT)', async () => {
    const policy = compilePolicy(loadPolicy(defaultPolicyPath()));
    const documents = new CompiledDocuments(enforceSchema(buildGatewaySchema(), { policy, pseudonymSecret: 'test-pseudonym-secret-0123456789' }), policy, 5);
    const ctx = { request: { disclosure: null } } as unknown as GatewayContext;
    const result = await documents.execute('u', parse(USER), undefined, ctx, { id: { a: 1 } });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0].message).toBe('Variable "$id" got invalid value { a: 1 }; ID cannot represent value: { a: 1 }');
    expect(result.errors![0].nodes?.map((n) => n.kind)).toEqual([Kind.VARIABLE_DEFINITION]);
    expect('data' in result).toBe(false);
  });

  it('defaults: an omitted variable with a default, and a default of the argument', async () => {
    await same('risk', 'query($n: Int = 2) { users(first: $n) { edges { node { id } } } }', {});
    await same('risk', 'query($n: Int = 2) { users(first: $n) { edges { node { id } } } }', { n: null });
    await same('risk', 'query($n: Int) { users(first: $n) { edges { node { id } } } }', {});
  });
});

describe('operations and mutations', () => {
  it('a document of several operations: the one named runs, and none named is refused', async () => {
    const doc = 'query A { user(id: 1) { username } } query B { user(id: 2) { username phone } }';
    await same('risk', doc, undefined, 'A');
    await same('risk', doc, undefined, 'B');
    await same('risk', doc, undefined, undefined);
    await same('risk', doc, undefined, 'C');
  });

  it('consent withdrawn and granted again changes what analytics may read, the same under both', async () => {
    const read = '{ user(id: 1) { id city devices { deviceId } } }';
    await same('analytics', read);
    await same('account', 'mutation($u: ID!, $p: String!) { withdrawConsent(input: { userId: $u, purpose: $p }) { active withdrawnAt purpose } }', { u: '1', p: 'analytics' });
    await same('analytics', read);
    await same('account', 'mutation($input: GrantConsentInput!) { grantConsent(input: $input) { active purpose clientId byGuardian } }', { input: { userId: '1', purpose: 'analytics' } });
    await same('analytics', read);
  });

  it('mutations that fail: an unknown user, nothing to withdraw, a purpose that does not rest on consent', async () => {
    await same('account', 'mutation { grantConsent(input: { userId: "999", purpose: "analytics" }) { id } }');
    await same('account', 'mutation { withdrawConsent(input: { userId: "2", purpose: "marketing.push" }) { id } }');
    await same('account', 'mutation { grantConsent(input: { userId: "2", purpose: "service.fulfilment" }) { id } }');
  });

  it('two mutations in one operation run in order', async () => {
    await same('account', `mutation {
      a: authorizeApp(input: { userId: "2", clientId: "docs-app" }) { userId clientId revokedAt }
      b: revokeApp(input: { userId: "2", clientId: "docs-app" }) { userId clientId }
    }`);
  });

  it('the legal desk under its case, and an auditor reading the audit', async () => {
    await same('legal', `{ user(id: 1) { realName phone } }`);
    await same({ key: KEYS.legal, headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': `${DEMO_CASE}-NOPE` } }, '{ user(id: 1) { realName } }');
    await same('security', '{ disclosureReport(subjectId: 1) { clientId categories purposes } }');
  });
});

describe('the compiled-query cache', () => {
  const policy = compilePolicy(loadPolicy(defaultPolicyPath()));
  const schema = enforceSchema(buildGatewaySchema(), { policy, pseudonymSecret: 'test-pseudonym-secret-0123456789' });
  const doc = (n: number) => parse(`{ users(first: ${n}) { edges { node { id } } } }`);

  it('is bounded: the least recently used document goes first', () => {
    const documents = new CompiledDocuments(schema, policy, 2);
    documents.compiled('d1', doc(1), undefined, 'risk');
    documents.compiled('d2', doc(2), undefined, 'risk');
    documents.compiled('d1', doc(1), undefined, 'risk'); // a hit: d2 is now the oldest
    expect(documents.compilations).toBe(2);
    documents.compiled('d3', doc(3), undefined, 'risk');
    expect(documents.size).toBe(2);
    expect([documents.has('d1', undefined, 'risk'), documents.has('d2', undefined, 'risk'), documents.has('d3', undefined, 'risk')]).toEqual([true, false, true]);
    for (let i = 4; i < 40; i++) documents.compiled(`d${i}`, doc(i), undefined, 'risk');
    expect(documents.size).toBe(2);
    expect(documents.compilations).toBe(39);
  });

  it('compiles a document once per purpose and operation', () => {
    const documents = new CompiledDocuments(schema, policy, 10);
    const two = parse('query A { user(id: 1) { id } } query B { user(id: 2) { id } }');
    const a = documents.compiled('two', two, 'A', 'risk');
    expect(documents.compiled('two', two, 'A', 'risk')).toBe(a);
    expect(documents.compiled('two', two, 'B', 'risk')).not.toBe(a);
    expect(documents.compiled('two', two, 'A', 'analytics')).not.toBe(a);
    expect(documents.compilations).toBe(3);
  });

  it('refuses a size that is not a positive integer, and so does the configuration', () => {
    expect(() => new CompiledDocuments(schema, policy, 0)).toThrow(RangeError);
    for (const bad of ['0', '-1', '2.5', 'many']) expect(() => loadConfig({ DATA_DIR: tmpdir(), PSEUDONYM_SECRET: 'x'.repeat(16), JIT_CACHE_SIZE: bad })).toThrow(/JIT_CACHE_SIZE/);
    expect(loadConfig({ DATA_DIR: tmpdir(), PSEUDONYM_SECRET: 'x'.repeat(16), JIT_CACHE_SIZE: '7' }).jitCacheSize).toBe(7);
  });

  it('GRAPHQL_EXECUTOR: graphql-js by default, jit, and nothing else', () => {
    const env = { DATA_DIR: tmpdir(), PSEUDONYM_SECRET: 'x'.repeat(16) };
    expect(loadConfig(env).executor).toBe('graphql-js');
    expect(loadConfig({ ...env, GRAPHQL_EXECUTOR: 'jit' }).executor).toBe('jit');
    expect(loadConfig({ ...env, GRAPHQL_EXECUTOR: 'graphql-js' }).executor).toBe('graphql-js');
    for (const bad of ['JIT', 'graphql-jit', 'fast']) {
      expect(() => loadConfig({ ...env, GRAPHQL_EXECUTOR: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ...env, GRAPHQL_EXECUTOR: bad })).toThrow(`GRAPHQL_EXECUTOR must be one of "graphql-js", "jit", got "${bad}"`);
    }
  });

  it('another policy version never reuses an entry: its own key, its own compiled query, its own decisions', async () => {
    const current = readFileSync(defaultPolicyPath(), 'utf8');
    // The next version lets service.payment read contact.phone (D in the reviewed file).
    const next = current.replace(/^version: .*$/m, 'version: "2099-01-01.1"').replace(/( {2}service\.payment:\n(?: {4}.*\n)*? {4}contact\.phone: )D/, '$1A');
    expect(next).not.toBe(current);
    const dir = mkdtempSync(path.join(tmpdir(), 'purposegate-jit-'));
    try {
      const file = path.join(dir, 'policy.yaml');
      writeFileSync(file, next);
      const policy2 = compilePolicy(loadPolicy(file));
      const schema2 = enforceSchema(buildGatewaySchema(), { policy: policy2, pseudonymSecret: 'test-pseudonym-secret-0123456789' });
      const q = parse('{ user(id: 1) { phone } }');
      const before = new CompiledDocuments(schema, policy, 10);
      const after = new CompiledDocuments(schema2, policy2, 10);
      expect(after.keyFor('q', undefined, 'service.payment')).not.toBe(before.keyFor('q', undefined, 'service.payment'));
      expect(after.compiled('q', q, undefined, 'service.payment')).not.toBe(before.compiled('q', q, undefined, 'service.payment'));

      // Over HTTP, the gateway started with the next version decides by it, from its first request.
      const ask = (gw: TestGateway) => gw.gql(KEYS.alipay, '{ user(id: 1) { phone } }', { purpose: 'service.payment' });
      const old = await ask(jit);
      expect(old.body.data.user.phone).toBeNull();
      expect(old.body.errors[0].extensions).toMatchObject({ code: 'FIELD_DENIED', reason: 'PURPOSE_FORBIDS' });
      const jit2 = await startTestGateway({ GRAPHQL_EXECUTOR: 'jit', POLICY_FILE: file });
      try {
        const r = await ask(jit2);
        expect(r.body.data).toEqual({ user: { phone: '13812345678' } });
        expect(r.body.errors).toBeUndefined();
        const [record] = await records(jit2, r);
        expect(JSON.parse(record as string)).toMatchObject({ field: 'phone', decision: 'ALLOW', policyVersion: expect.stringMatching(/^2099-01-01\.1\+/) });
      } finally {
        await jit2.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Last: it breaks both stores.
describe('an unexpected failure', () => {
  it('a failing SQL statement: INTERNAL, HTTP 500, nothing of it in the body, under both', async () => {
    for (const gw of [js, jit]) await gw.store.ds.query('DROP TABLE devices');
    const r = await same('risk', '{ user(id: 1) { phone devices { deviceId } } a: user(id: 2) { username } }');
    expect(r.jit.status).toBe(500);
    expect(r.jit.body.errors).toEqual([{ message: 'Internal error', path: ['user', 'devices'], extensions: { code: 'INTERNAL' } }]);
  });
});
