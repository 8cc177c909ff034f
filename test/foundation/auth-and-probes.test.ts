import { ClientRegistry } from '../../src/callers/registry';
import { startTestGateway, TestGateway } from '../helpers/gateway';
import { LEGAL } from './legal';

/** SPEC §2: every /graphql request carries a known key; /healthz and /readyz answer without one. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
});

const QUERY = '{ user(id: "1") { id username } }';

async function post(headers: Record<string, string>, body: unknown = { query: QUERY }) {
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...LEGAL.headers, ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
}

function expectUnauthenticated(res: { status: number; headers: Headers; text: string; body: { data?: unknown; errors?: { message: string; extensions: { code: string } }[] } }) {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
  expect(res.body.errors![0].message.length).toBeGreaterThan(0);
  // Nothing of the demo data leaks into a refusal.
  expect(res.text).not.toMatch(/alice/i);
}

describe('401 UNAUTHENTICATED', () => {
  test('no Authorization header', async () => {
    expectUnauthenticated(await post({}));
  });

  test.each([
    ['Basic ZGVtbzpkZW1v'],
    ['Bearer'],
    ['Bearer '],
    ['Bearer two words'],
    ['Token demo-legal-key'],
    ['demo-legal-key'],
    [`Bearer ${'x'.repeat(600)}`],
  ])('malformed header %p', async (authorization) => {
    expectUnauthenticated(await post({ authorization }));
  });

  test.each([
    ['an unknown key', 'Bearer demo-nobody-key'],
    ['a key that differs in one character', 'Bearer demo-legal-kez'],
    ['a key in another case', 'Bearer DEMO-LEGAL-KEY'],
  ])('%s', async (_what, authorization) => {
    expectUnauthenticated(await post({ authorization }));
  });

  test('a GET query without a key', async () => {
    const res = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(QUERY)}`, { headers: { ...LEGAL.headers } });
    const text = await res.text();
    expectUnauthenticated({ status: res.status, headers: res.headers, text, body: JSON.parse(text) });
  });

  test('a revoked key stops working, the client\'s new key works', async () => {
    const registry = new ClientRegistry(gw.store.ds, 0);
    const { key: oldKey } = await registry.create({ id: 'temp-legal', kind: 'internal', role: 'reader', purposes: ['legal'] });
    expect((await post({ authorization: `Bearer ${oldKey}` })).status).toBe(200);
    await registry.revokeKeys('temp-legal');
    expectUnauthenticated(await post({ authorization: `Bearer ${oldKey}` }));
    const newKey = await registry.addKey('temp-legal');
    const res = await post({ authorization: `Bearer ${newKey}` });
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe('1');
  });
});

describe('a known key', () => {
  test('is accepted, with any case of "Bearer"', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await post({ authorization: `${scheme} ${LEGAL.key}` });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual({ user: { id: '1', username: 'alice' } });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  test('GET /graphql runs a query', async () => {
    const res = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(QUERY)}`, {
      headers: { authorization: `Bearer ${LEGAL.key}`, ...LEGAL.headers, 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data?: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ user: { id: '1', username: 'alice' } });
  });
});

describe('probes', () => {
  test('GET /healthz: 200 without a key', async () => {
    const res = await fetch(`${gw.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('GET /readyz: 200 with the database reachable', async () => {
    const res = await fetch(`${gw.url}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('ready');
    expect(body.checks.database).toBe('ok');
  });

  test('an unknown path is 404', async () => {
    const res = await fetch(`${gw.url}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('NOT_FOUND');
  });
});
