import { loadConfig, ConfigError } from '../../src/config';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { parsePrometheusText } from './prometheus-text';

/**
 * METRICS_TOKEN: with a token, GET /metrics answers only the scraper that bears it; every other
 * request gets 401 with nothing of the metrics in it. Without one, /metrics stays open (metrics.test.ts).
 */
const TOKEN = 'scrape-token-0123456789abcdef';
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway({ METRICS_TOKEN: TOKEN }); });
afterAll(async () => { await gw?.close(); });

const scrape = (headers: Record<string, string> = {}, method = 'GET') => fetch(`${gw.url}/metrics`, { method, headers });

describe('/metrics with METRICS_TOKEN', () => {
  it('answers the Prometheus text to a request bearing the token (GET and HEAD)', async () => {
    await gw.gql(KEYS.mall, '{ __typename }');
    const res = await scrape({ authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    const families = parsePrometheusText(await res.text());
    expect(families.get('purposegate_requests_total')?.type).toBe('counter');
    const head = await scrape({ authorization: `bearer   ${TOKEN}` }, 'HEAD');
    expect([head.status, Number(head.headers.get('content-length'))]).toEqual([200, expect.any(Number)]);
  });

  it.each([
    ['no Authorization', {}],
    ['another token', { authorization: 'Bearer scrape-token-0123456789abcdeX' }],
    ['the token as a prefix', { authorization: `Bearer ${TOKEN}extra` }],
    ['a shorter prefix of it', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['a client key', { authorization: `Bearer ${KEYS.security}` }],
    ['Basic credentials', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
    ['the token without the scheme', { authorization: TOKEN }],
  ])('refuses %s: 401, a Bearer challenge, and no metric in the body', async (_name, headers) => {
    const res = await scrape(headers as Record<string, string>);
    const body = await res.text();
    expect([res.status, res.headers.get('www-authenticate'), res.headers.get('cache-control')]).toEqual([401, 'Bearer realm="metrics"', 'no-store']);
    expect(body).toBe('Send "Authorization: Bearer <metrics token>"\n');
    expect(body).not.toMatch(/purposegate_|process_/);
  });

  it('leaves the other routes as they are: /graphql with a client key, and the health checks', async () => {
    const r = await gw.gql(KEYS.mall, '{ __typename }');
    expect(r.status).toBe(200);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});

describe('METRICS_TOKEN in the configuration', () => {
  const base = { NODE_ENV: 'test', PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' };
  it('is optional: unset or empty leaves /metrics open', () => {
    expect(loadConfig(base).metricsToken).toBeUndefined();
    expect(loadConfig({ ...base, METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
    expect(loadConfig({ ...base, METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
  });

  it.each([
    ['a short one', 'short-token'],
    ['one with spaces', 'with space inside the token'],
    ['one with non-ASCII letters', 'ünïcode-token-0123456789'],
    ['one over 512 characters', 'x'.repeat(513)],
  ])('refuses %s with a ConfigError naming the variable', (_name, value) => {
    expect(() => loadConfig({ ...base, METRICS_TOKEN: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: value })).toThrow(/^METRICS_TOKEN must be 16 to 512 characters/);
  });
});
