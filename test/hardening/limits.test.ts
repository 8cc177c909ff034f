import { readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../../src/log';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/**
 * SPEC §2, issue 5: depth, aliases, directives, tokens and cost are limited before execution
 * (HTTP 400, QUERY_LIMIT_EXCEEDED, `extensions.limit`), every refusal is logged without values,
 * and the default limits leave room for the real workloads (bench/documents) and `@purpose`.
 */
let gw: TestGateway;
let small: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ RATE_LIMIT_PER_SECOND: '0' });
  small = await startTestGateway({ RATE_LIMIT_PER_SECOND: '0', QUERY_MAX_DEPTH: '4', QUERY_MAX_ALIASES: '2', QUERY_MAX_DIRECTIVES: '2', QUERY_MAX_TOKENS: '40', QUERY_MAX_COST: '100' });
});
afterAll(async () => {
  await gw?.close();
  await small?.close();
});

const repeat = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' ');
const deep11 = '{ users { edges { node { orders { edges { node { user { orders { edges { node { id } } } } } } } } } } }';

function expectRefused(r: { status: number; body: { data?: unknown; errors: { extensions: { code: string; limit?: string } }[] } }, limit: string) {
  expect(r.status).toBe(400);
  expect(r.body.data ?? null).toBeNull();
  expect(r.body.errors).toHaveLength(1);
  expect(r.body.errors[0].extensions).toEqual({ code: 'QUERY_LIMIT_EXCEEDED', limit });
}

describe('default limits', () => {
  it.each([
    ['depth', deep11, {}],
    ['aliases', `{ ${repeat(16, (i) => `a${i}: user(id: ${i}) { id }`)} }`, {}],
    ['directives', `{ user(id: 1) { ${repeat(21, () => '... @include(if: true) { id }')} } }`, {}],
    ['tokens', `{ ${repeat(2000, () => '__typename')} }`, {}],
    ['cost', '{ users(first: 100) { edges { node { orders(first: 100) { edges { node { id orderNo } } } } } } }', {}],
    ['cost', 'query Q($n: Int) { users(first: $n) { edges { node { orders(first: $n) { edges { node { id orderNo } } } } } } }', { n: 100 }],
  ])('%s over its limit: HTTP 400 QUERY_LIMIT_EXCEEDED, before execution', async (limit, query, variables) => {
    const r = await gw.gql(KEYS.mall, query, { variables });
    expectRefused(r, limit);
  });

  it('a personal query over a limit is refused whole: no field is resolved, so none is disclosed', async () => {
    const r = await gw.gql(KEYS.mall, `{ ${repeat(16, (i) => `a${i}: user(id: 1) { phone }`)} }`, { purpose: 'service.fulfilment' });
    expectRefused(r, 'aliases');
    expect(JSON.stringify(r.body)).not.toContain('13812345678');
    expect(r.body.extensions?.disclosure?.allowed ?? 0).toBe(0);
  });

  it('the workloads of bench/documents pass, @purpose included', async () => {
    for (const [file, variables] of [['w1-user.graphql', { id: '1' }], ['w2-users.graphql', {}], ['w3-users-orders.graphql', {}]] as const) {
      const query = readFileSync(path.join(__dirname, '..', '..', 'bench', 'documents', file), 'utf8');
      const r = await gw.gql(KEYS.risk, query, { variables, headers: file === 'w1-user.graphql' ? {} : { 'x-purpose': 'security.risk-control' } });
      // w2/w3 declare service.payment, which the risk engine may not declare: only the limits matter here.
      expect(r.body.errors?.find((e: { extensions: { code: string } }) => e.extensions.code === 'QUERY_LIMIT_EXCEEDED')).toBeUndefined();
    }
  });

  it('@purpose plus a handful of @include/@skip is within the directive limit', async () => {
    const r = await gw.gql(KEYS.mall, `query Q($t: Boolean = true) @purpose(name: "service.fulfilment") { user(id: 1) { id @include(if: $t) phone @skip(if: false) city @include(if: true) } }`);
    expect(r.status).toBe(200);
    expect(r.body.data.user).toEqual({ id: '1', phone: '13812345678', city: 'Xiamen' });
  });

  it('only the operation that runs is measured', async () => {
    const r = await gw.gql(KEYS.mall, `query Small { __typename } query Deep ${deep11}`, { headers: {}, variables: {} });
    expect(r.status).toBe(400); // no operationName: GraphQL refuses, not the limits
    const body = { query: `query Small { __typename } query Deep ${deep11}`, operationName: 'Small' };
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.mall}` }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect((await res.json() as any).data).toEqual({ __typename: 'Query' });
  });

  it('a GET query is limited like a POST', async () => {
    // (A URL over Node's 16 KiB header limit is refused by Node itself, 431.)
    for (const [query, limit] of [[deep11, 'depth'], [`{ ${repeat(2001, () => 'a')} }`, 'tokens']]) {
      const res = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${KEYS.mall}` } });
      expectRefused({ status: res.status, body: await res.json() as any }, limit);
    }
  });
});

describe('configured limits (QUERY_MAX_*)', () => {
  it.each([
    ['depth', '{ user(id: 1) { orders { edges { node { __typename } } } } }', {}, 'depth'],
    ['depth', '{ user(id: 1) { orders(first: 2) { edges { cursor } } } }', {}, null],
    ['depth (fragments add no level)', '{ user(id: 1) { ...U } } fragment U on User { orders(first: 2) { ... on OrderConnection { edges { cursor } } } }', {}, null],
    ['depth (through a fragment)', '{ user(id: 1) { ...U } } fragment U on User { orders { edges { node { id } } } }', {}, 'depth'],
    ['aliases', '{ a: user(id: 1) { id } b: user(id: 2) { id } }', {}, null],
    ['aliases', '{ a: user(id: 1) { id } b: user(id: 2) { id } c: user(id: 3) { id } }', {}, 'aliases'],
    ['aliases (through a fragment)', '{ a: user(id: 1) { ...F } } fragment F on User { x: id y: username }', {}, 'aliases'],
    ['directives', 'query @purpose(name: "service.fulfilment") { user(id: 1) { id @include(if: true) } }', {}, null],
    ['directives', 'query @purpose(name: "service.fulfilment") { user(id: 1) { id @include(if: true) city @skip(if: false) } }', {}, 'directives'],
    ['tokens', `{ ${repeat(37, () => '__typename')} }`, {}, null],
    ['tokens', `{ ${repeat(39, () => '__typename')} }`, {}, 'tokens'],
    ['cost: literal first', '{ users(first: 5) { edges { node { id } } } }', {}, null],
    ['cost: literal first', '{ users(first: 50) { edges { node { id } } } }', {}, 'cost'],
    ['cost: literal last', '{ users(last: 50) { edges { node { id } } } }', {}, 'cost'],
    ['cost: first from a variable', 'query Q($n: Int) { users(first: $n) { edges { node { id } } } }', { n: 5 }, null],
    ['cost: first from a variable', 'query Q($n: Int) { users(first: $n) { edges { node { id } } } }', { n: 50 }, 'cost'],
    ['cost: first from a variable default', 'query Q($n: Int = 50) { users(first: $n) { edges { node { id } } } }', {}, 'cost'],
    ['cost: first from an argument default (20)', '{ users { edges { node { id } } } }', {}, 'cost'],
    ['cost: an out-of-range first weighs as the largest page', 'query Q($n: Int) { users(first: $n) { edges { node { id } } } }', { n: 'lots' }, 'cost'],
  ])('%s → %s', async (_name, query, variables, limit) => {
    const r = await small.gql(KEYS.mall, query, { variables });
    if (limit) expectRefused(r, limit);
    else expect(r.body.errors?.find((e: { extensions: { code: string } }) => e.extensions.code === 'QUERY_LIMIT_EXCEEDED')).toBeUndefined();
  });
});

describe('the operations log', () => {
  it('records each refusal with the limit, the client and the request, never the query or its variables', async () => {
    const warn = jest.spyOn(log, 'warn');
    try {
      await gw.gql(KEYS.mall, 'query Q($n: Int) { users(first: $n) { edges { node { orders(first: $n) { edges { node { id orderNo } } } } } } }', { variables: { n: 100 } });
      await gw.gql(KEYS.mall, `{ ${repeat(2000, () => '__typename')} }`);
      const calls = warn.mock.calls.filter((c) => c[1] === 'query limit exceeded');
      expect(calls.map((c) => (c[0] as { limit: string }).limit)).toEqual(['cost', 'tokens']);
      expect(calls[0][0]).toEqual({ requestId: expect.any(String), client: 'mall-app', limit: 'cost', max: 25000 });
      expect(calls[1][0]).toEqual({ client: 'mall-app', limit: 'tokens', max: 2000 });
      expect(JSON.stringify(calls)).not.toMatch(/orderNo|__typename|"n"/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('field suggestions', () => {
  const typos = [
    ['a field', '{ user(id: 1) { phon } }'],
    ['an argument', '{ users(frist: 1) { edges { node { id } } } }'],
    ['a type', 'query Q($id: IDD!) { user(id: $id) { id } }'],
    ['a type condition', '{ user(id: 1) { ...F } } fragment F on Usr { id }'],
  ] as const;

  it.each(typos)('a partner gets none for %s', async (_what, query) => {
    const r = await gw.gql(KEYS.mall, query, { variables: { id: '1' } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).not.toMatch(/Did you mean/);
  });

  it.each(typos)('an internal client still gets them for %s', async (_what, query) => {
    const r = await gw.gql(KEYS.risk, query, { variables: { id: '1' } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/Did you mean/);
  });
});

describe('introspection', () => {
  const probes = [
    ['__schema', '{ __schema { queryType { name } } }'],
    ['__type', '{ __type(name: "User") { fields { name } } }'],
    ['an alias', '{ s: __schema { types { name } } }'],
    ['a fragment', '{ ...F } fragment F on Query { __type(name: "User") { name } }'],
    ['an inline fragment', '{ ... on Query { ... @include(if: true) { __schema { types { name } } } } }'],
    ['a nested path', '{ user(id: 1) { id } __schema { queryType { name } } }'],
  ] as const;

  it.each(probes)('a partner or third party is refused through %s: INTROSPECTION_DISABLED, HTTP 400', async (_how, query) => {
    for (const key of [KEYS.mall, KEYS.docs, KEYS.analytics]) {
      const r = await gw.gql(key, query);
      expect(r.status).toBe(400);
      expect(r.body.data ?? null).toBeNull();
      expect(r.body.errors).toEqual([{ message: expect.any(String), extensions: { code: 'INTROSPECTION_DISABLED' } }]);
    }
  });

  it('a partner is refused over GET too', async () => {
    const res = await fetch(`${gw.url}/graphql?query=${encodeURIComponent('{ __schema { types { name } } }')}`, { headers: { authorization: `Bearer ${KEYS.mall}` } });
    expect(res.status).toBe(400);
    expect((await res.json() as any).errors[0].extensions.code).toBe('INTROSPECTION_DISABLED');
  });

  it.each(probes)('an internal client may introspect through %s', async (_how, query) => {
    const r = await gw.gql(KEYS.risk, query);
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
  });

  it('__typename is no introspection', async () => {
    const r = await gw.gql(KEYS.docs, '{ __typename user(id: 1) { __typename id } }');
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ __typename: 'Query', user: { __typename: 'User', id: '1' } });
  });

  it('INTROSPECTION=all opens it to every client (never in production: see config.test.ts)', async () => {
    const open = await startTestGateway({ RATE_LIMIT_PER_SECOND: '0', INTROSPECTION: 'all' });
    try {
      const r = await open.gql(KEYS.docs, '{ __schema { queryType { name } } }');
      expect(r.status).toBe(200);
      expect(r.body.data.__schema.queryType.name).toBe('Query');
    } finally {
      await open.close();
    }
  });

  it('the full introspection query of graphql-js fits the limits for an internal client', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const r = await gw.gql(KEYS.account, getIntrospectionQuery({ descriptions: true, directiveIsRepeatable: true }));
    expect(r.status).toBe(200);
    expect(r.body.data.__schema.types.length).toBeGreaterThan(10);
  });
});
