import { ClientRegistry } from '../../src/callers/registry';
import { TokenBuckets } from '../../src/hardening/rate-limit';
import { log } from '../../src/log';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';

/** SPEC §2, issue 5: a per-client token bucket; over it, HTTP 429 RATE_LIMITED with Retry-After. */
describe('TokenBuckets', () => {
  let t = 0;
  const buckets = () => new TokenBuckets(2, () => t);
  beforeEach(() => { t = 0; });

  it('a full bucket holds burstSeconds × rate requests, then refuses with the wait for one token', () => {
    const b = buckets();
    for (let i = 0; i < 10; i++) expect(b.take('a', 5).wait).toBe(0);
    const refused = b.take('a', 5);
    expect(refused.wait).toBeCloseTo(0.2);
    expect(refused.firstRefusal).toBe(true);
    expect(b.take('a', 5).firstRefusal).toBe(false);
  });

  it('refills at the rate, never beyond its capacity', () => {
    const b = buckets();
    for (let i = 0; i < 10; i++) b.take('a', 5);
    t += 1000; // 5 tokens back
    for (let i = 0; i < 5; i++) expect(b.take('a', 5).wait).toBe(0);
    expect(b.take('a', 5).wait).toBeGreaterThan(0);
    t += 60_000;
    for (let i = 0; i < 10; i++) expect(b.take('a', 5).wait).toBe(0);
    expect(b.take('a', 5).wait).toBeGreaterThan(0);
  });

  it('one bucket per client', () => {
    const b = buckets();
    for (let i = 0; i < 2; i++) b.take('a', 1);
    expect(b.take('a', 1).wait).toBeGreaterThan(0);
    expect(b.take('b', 1).wait).toBe(0);
  });

  it('a rate below one per second still lets one request through', () => {
    const b = new TokenBuckets(1, () => t);
    expect(b.take('a', 0.5).wait).toBe(0);
    expect(b.take('a', 0.5).wait).toBeCloseTo(2);
  });
});

describe('over HTTP', () => {
  let gw: TestGateway;
  let registry: ClientRegistry;
  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_PER_SECOND: '3', RATE_LIMIT_BURST_SECONDS: '1' });
    registry = new ClientRegistry(gw.store.ds, 0);
  });
  afterAll(async () => { await gw?.close(); });

  const PHONE = '{ user(id: 1) { phone } }';
  const burst = (key: string, n: number) => Promise.all(Array.from({ length: n }, () => gw.gql(key, PHONE, { purpose: 'service.fulfilment' })));

  it('the default rate: within it every request runs; over it HTTP 429 RATE_LIMITED with Retry-After, before execution', async () => {
    const warn = jest.spyOn(log, 'warn');
    try {
      const results = await burst(KEYS.mall, 6);
      const ok = results.filter((r) => r.status === 200);
      const limited = results.filter((r) => r.status === 429);
      expect(ok.length).toBe(3);
      expect(limited.length).toBe(3);
      for (const r of ok) expect(r.body.data.user.phone).toBe('13812345678');
      for (const r of limited) {
        expect(r.headers.get('retry-after')).toBe('1');
        expect(r.body).toEqual({ errors: [{ message: expect.stringContaining('mall-app'), extensions: { code: 'RATE_LIMITED', retryAfter: 1 } }] });
        expect(r.headers.get('x-request-id')).toBeNull(); // no request was started
      }
      // One log line for the run of refusals, with the client and its rate only.
      const lines = warn.mock.calls.filter((c) => c[1] === 'rate limit reached');
      expect(lines).toEqual([[{ client: 'mall-app', perSecond: 3 }, 'rate limit reached']]);
    } finally {
      warn.mockRestore();
    }
  });

  it('clients do not share a bucket', async () => {
    const results = await burst(KEYS.legal, 3);
    expect(results.map((r) => r.status)).not.toContain(429);
  });

  it('after Retry-After seconds the client is served again', async () => {
    await burst(KEYS.alipay, 5);
    await new Promise((r) => setTimeout(r, 1100));
    const r = await gw.gql(KEYS.alipay, '{ __typename }');
    expect(r.status).toBe(200);
  });

  it('a client\'s own rate_limit_per_second overrides the default', async () => {
    await registry.update('analytics-sdk', { rateLimitPerSecond: 20 });
    const results = await Promise.all(Array.from({ length: 30 }, () => gw.gql(KEYS.analytics, '{ __typename }')));
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(20); // its bucket: 20, and what refills while the 30 arrive
    expect(ok).toBeLessThan(30);

    await registry.update('docs-app', { rateLimitPerSecond: 1 });
    expect((await gw.gql(KEYS.docs, '{ __typename }')).status).toBe(200);
    const second = await gw.gql(KEYS.docs, '{ __typename }');
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
  });
});

describe('RATE_LIMIT_PER_SECOND=0', () => {
  it('turns the default off (clients with their own rate keep it)', async () => {
    const gw = await startTestGateway({ RATE_LIMIT_PER_SECOND: '0' });
    try {
      const results = await Promise.all(Array.from({ length: 300 }, () => gw.gql(KEYS.mall, '{ __typename }')));
      expect(results.every((r) => r.status === 200)).toBe(true);
    } finally {
      await gw.close();
    }
  });
});
