import { request } from 'node:http';
import { connect } from 'node:net';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/**
 * SPEC §2, issue 5, at the HTTP edge: CSRF prevention, the body size limit, the request
 * timeout, no batching, and errors that never carry a stack trace, SQL, a path or a value.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ RATE_LIMIT_PER_SECOND: '0', BODY_LIMIT_BYTES: '2000', REQUEST_TIMEOUT_MS: '1000' });
});
afterAll(async () => { await gw?.close(); });

const AUTH = { authorization: `Bearer ${KEYS.mall}` };
const PHONE = '{ user(id: 1) { phone } }';

async function raw(method: string, headers: Record<string, string>, body?: string, path = '/graphql') {
  const res = await fetch(`${gw.url}${path}`, { method, headers, body });
  const text = await res.text();
  let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

describe('CSRF', () => {
  it('a GET query with our headers (Authorization, X-Purpose) and no content type passes Apollo\'s CSRF prevention', async () => {
    const r = await raw('GET', { ...AUTH, 'x-purpose': 'service.fulfilment' }, undefined, `/graphql?query=${encodeURIComponent(PHONE)}`);
    expect(r.status).toBe(200);
    expect(r.json.data.user.phone).toBe('13812345678');
  });

  it('a GET with only Authorization passes too (a browser can send no Authorization without a CORS preflight)', async () => {
    const r = await raw('GET', AUTH, undefined, `/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(r.status).toBe(200);
  });

  it.each([
    ['a form POST', 'application/x-www-form-urlencoded', `query=${encodeURIComponent(PHONE)}`],
    ['a text/plain POST', 'text/plain', JSON.stringify({ query: PHONE })],
    ['a multipart POST', 'multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${PHONE}\r\n--x--`],
  ])('%s (what a page on another origin can send without preflight) carries no key: 401, nothing runs', async (_what, type, body) => {
    const r = await raw('POST', { 'content-type': type, 'x-purpose': 'service.fulfilment' }, body);
    expect(r.status).toBe(401);
    expect(r.text).not.toContain('13812345678');
  });

  it('even with a key, a body that is not JSON is refused before GraphQL: 415', async () => {
    const r = await raw('POST', { ...AUTH, 'content-type': 'text/plain', 'x-purpose': 'service.fulfilment' }, JSON.stringify({ query: PHONE }));
    expect(r.status).toBe(415);
    expect(r.json.errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a CORS preflight gets no Access-Control-Allow-* grant, so a browser on another origin never sends the real request', async () => {
    const r = await raw('OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' });
    expect(r.status).toBe(405);
    expect([...r.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });

  it('a mutation over GET is refused (405): GET is for queries only', async () => {
    const q = 'mutation { withdrawConsent(input: { userId: "1", purpose: "personalization" }) { id } }';
    const r = await raw('GET', { authorization: `Bearer ${KEYS.account}`, 'x-purpose': 'account' }, undefined, `/graphql?query=${encodeURIComponent(q)}`);
    expect(r.status).toBe(405);
  });
});

describe('body size limit (BODY_LIMIT_BYTES)', () => {
  const padded = (bytes: number) => {
    const base = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
    return JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(bytes - base.length) } });
  };

  it('a body at the limit is read', async () => {
    const body = padded(2000);
    expect(Buffer.byteLength(body)).toBe(2000);
    expect((await raw('POST', { ...AUTH, 'content-type': 'application/json' }, body)).status).toBe(200);
  });

  it('one byte over: HTTP 413 PAYLOAD_TOO_LARGE', async () => {
    const r = await raw('POST', { ...AUTH, 'content-type': 'application/json' }, padded(2001));
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });

  it('a chunked body with no Content-Length is cut off at the limit too', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${gw.url}/graphql`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write('{"query":"{ __typename }","variables":{"pad":"');
      for (let i = 0; i < 10; i++) req.write('x'.repeat(500));
      req.end('"}}');
    });
    expect(status).toBe(413);
  });
});

describe('request timeout (REQUEST_TIMEOUT_MS)', () => {
  /** Open a raw connection, send `head`, then stall; resolve with what the server sent and when it closed. */
  function stall(head: string): Promise<{ text: string; ms: number }> {
    const { hostname, port } = new URL(gw.url);
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = connect(Number(port), hostname, () => socket.write(head));
      let text = '';
      socket.on('data', (c) => { text += c.toString(); });
      socket.on('close', () => resolve({ text, ms: Date.now() - started }));
      socket.on('error', reject);
      socket.setTimeout(10_000, () => { socket.destroy(); reject(new Error('the server never timed the request out')); });
    });
  }

  it('a client that stops sending its body gets 408 and the connection is closed', async () => {
    const r = await stall(`POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS.mall}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"query":`);
    expect(r.text).toMatch(/^HTTP\/1\.1 408/);
    expect(r.ms).toBeLessThan(5000);
  });

  it('a client that never finishes its headers (slowloris) is cut off as well', async () => {
    const r = await stall(`POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS.mall}\r\n`);
    expect(r.text).toMatch(/^HTTP\/1\.1 408/);
    expect(r.ms).toBeLessThan(5000);
  });
});

describe('what the GraphQL endpoint does not offer', () => {
  it('no landing page: a browser asking for HTML gets 406 JSON, not Apollo\'s sandbox from its CDN', async () => {
    const r = await raw('GET', { ...AUTH, accept: 'text/html' }, undefined, `/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(r.status).toBe(406);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.text).not.toMatch(/<html|apollographql\.com/i);
    const noQuery = await raw('GET', { ...AUTH, accept: 'text/html' });
    expect(noQuery.text).not.toMatch(/<html|apollographql\.com/i);
  });

  it('no automatic persisted queries: a hash is never run in place of a document', async () => {
    const { createHash } = await import('node:crypto');
    const query = '{ user(id: 1) { phone } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    for (const body of [{ query, extensions: { persistedQuery: { version: 1, sha256Hash } } }, { extensions: { persistedQuery: { version: 1, sha256Hash } } }]) {
      const r = await raw('POST', { ...AUTH, 'content-type': 'application/json', 'x-purpose': 'service.fulfilment' }, JSON.stringify(body));
      expect(r.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
      expect(r.text).not.toContain('13812345678');
    }
  });

  it('no subscriptions: refused before execution as BAD_REQUEST (400), not INTERNAL', async () => {
    const r = await raw('POST', { ...AUTH, 'content-type': 'application/json' }, JSON.stringify({ query: 'subscription { user }' }));
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([{ message: expect.any(String), extensions: { code: 'BAD_REQUEST' } }]);
  });
});

describe('batching is off', () => {
  it('an array of operations is refused whole, and no personal value leaves', async () => {
    const body = JSON.stringify([{ query: PHONE }, { query: '{ order(id: 1) { recipientPhone } }' }]);
    const r = await raw('POST', { ...AUTH, 'content-type': 'application/json', 'x-purpose': 'service.fulfilment' }, body);
    expect(r.status).toBe(400);
    expect(r.json.data ?? null).toBeNull();
    expect(r.text).not.toContain('13812345678');
    expect(r.text).not.toContain('Alice');
  });
});

/** What must never appear in a body: stack frames, SQL, driver names, file paths, seeded values. */
const LEAKS = [/\bat [\w.<>]+ \(/, /stacktrace/i, /"stack"/, /\.ts:\d+/, /\.js:\d+/, /node_modules/, /\/work\//, /\/tmp\//, /\bSELECT\b/, /\bFROM\b/, /sqlite/i, /mysql/i, /maria/i, /typeorm/i, /\bER_[A-Z_]+/, /SQLITE_/, /13812345678/];
const expectNoLeak = (text: string) => { for (const l of LEAKS) expect(text).not.toMatch(l); };

describe('errors carry no stack trace, SQL, path or value', () => {
  it.each([
    ['invalid JSON', 'application/json', '{"query": '],
    ['a syntax error', 'application/json', JSON.stringify({ query: '{ user(id: 1) { phone ' })],
    ['a variable of the wrong type', 'application/json', JSON.stringify({ query: 'query Q($id: ID!) { user(id: $id) { id } }', variables: { id: { a: 1 } } })],
    ['an argument out of range', 'application/json', JSON.stringify({ query: '{ users(first: 1000000000000) { edges { node { id } } } }' })],
    ['a cursor this API never issued', 'application/json', JSON.stringify({ query: '{ users(after: "\' OR 1=1 --") { edges { node { id } } } }' })],
    ['variables that are not an object', 'application/json', JSON.stringify({ query: '{ __typename }', variables: [1, 2] })],
    ['an unknown operation name', 'application/json', JSON.stringify({ query: '{ __typename }', operationName: 'Nope' })],
  ])('%s', async (_what, type, body) => {
    const r = await raw('POST', { ...AUTH, 'content-type': type, 'x-purpose': 'service.fulfilment' }, body);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expectNoLeak(r.text);
  });

  it('a failing SQL statement is INTERNAL (500) with nothing of it in the body, in development mode too', async () => {
    const dev = await startTestGateway({ NODE_ENV: 'development', RATE_LIMIT_PER_SECOND: '0' });
    try {
      await dev.store.ds.query('DROP TABLE devices');
      const r = await dev.gql(KEYS.risk, '{ user(id: 1) { phone devices { deviceId } } }', { purpose: 'security.risk-control' });
      expect(r.status).toBe(500);
      for (const e of r.body.errors) expect(Object.keys(e.extensions)).toEqual(['code']);
      expect(r.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain('INTERNAL');
      expectNoLeak(JSON.stringify(r.body));
      expect(JSON.stringify(r.body)).not.toMatch(/devices?\b.*(table|exist)/i);
    } finally {
      await dev.close();
    }
  });
});
