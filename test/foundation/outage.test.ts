import { startTestGateway, TestGateway, KEYS } from '../helpers/gateway';
import { LEGAL, legalData, legalQuery } from './legal';

/**
 * SPEC §2 and issue 2: with the database gone, /readyz answers 503 and /graphql an INTERNAL
 * error that says nothing about the failure (no stack, SQL, driver message or file path).
 */
let gw: TestGateway;
beforeAll(async () => {
  // A long client cache: the legal desk's key stays authenticated after the outage, so its
  // request reaches GraphQL execution and fails there; another key fails at authentication.
  gw = await startTestGateway({ CLIENT_CACHE_MS: '600000' });
});
afterAll(async () => {
  await gw?.close();
});

/** What must never appear in an error body: stack frames, SQL, driver names and messages, paths. */
const LEAKS = [
  /\bat [\w.<>]+ \(/, /stack/i, /\.ts\b/, /\.js\b/, /node_modules/, /\/work\//, /\/tmp\//, /\bSELECT\b/i, /\bFROM\b/i,
  /sqlite/i, /mysql/i, /maria/i, /typeorm/i, /ECONNREFUSED/, /not open/i, /closed/i, /pool/i, /connection/i, /13812345678/, /alice/i,
];

function expectNoLeak(text: string) {
  for (const leak of LEAKS) expect(text).not.toMatch(leak);
}

test('ready while the database answers', async () => {
  const res = await fetch(`${gw.url}/readyz`);
  expect(res.status).toBe(200);
  expect(((await res.json()) as { checks: Record<string, string> }).checks.database).toBe('ok');
  // Warm the client cache for the legal desk.
  expect((await legalData(gw, '{ user(id: "1") { id username } }')).user).toEqual({ id: '1', username: 'alice' });
});

describe('with the database unreachable', () => {
  beforeAll(async () => {
    await gw.store.ds.destroy();
  });

  test('/readyz answers 503 and names the failing check', async () => {
    const res = await fetch(`${gw.url}/readyz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: 'unavailable', checks: { database: 'unavailable' } });
    expectNoLeak(text);
  });

  test('/healthz still answers 200 (the process is up)', async () => {
    const res = await fetch(`${gw.url}/healthz`);
    expect(res.status).toBe(200);
  });

  test('/graphql during execution: INTERNAL, HTTP 500, no data, nothing about the failure', async () => {
    const res = await legalQuery(gw, '{ user(id: "1") { id username phone } }');
    expect(res.status).toBe(500);
    expect(res.body.errors.length).toBeGreaterThanOrEqual(1);
    for (const e of res.body.errors) {
      expect(e.extensions.code).toBe('INTERNAL');
      expect(Object.keys(e.extensions)).toEqual(['code']);
    }
    expect(res.body.data?.user ?? null).toBeNull();
    expectNoLeak(JSON.stringify(res.body));
  });

  test('/graphql at authentication (a key not cached): INTERNAL, HTTP 500, nothing about the failure', async () => {
    const res = await gw.gql(KEYS.mall, '{ user(id: "1") { id } }', { headers: { 'x-purpose': 'service.fulfilment' } });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'INTERNAL' } }] });
    expectNoLeak(JSON.stringify(res.body));
  });

  test('a list query: INTERNAL, HTTP 500, nothing about the failure', async () => {
    const res = await gw.gql(LEGAL.key, '{ users(first: 5) { edges { node { id phone } } } }', { headers: { ...LEGAL.headers } });
    expect(res.status).toBe(500);
    expect(res.body.errors.every((e: { extensions: { code: string } }) => e.extensions.code === 'INTERNAL')).toBe(true);
    expectNoLeak(JSON.stringify(res.body));
  });
});
