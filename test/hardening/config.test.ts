import { ConfigError, loadConfig } from '../../src/config';

/** Issue 5: the hardening settings, on by default, parsed and validated with the rest of the configuration. */
const base = { PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789', DATA_DIR: '/nonexistent' };

it('defaults: every limit on, a default rate, introspection for internal clients only (in development too)', () => {
  const c = loadConfig({ ...base });
  expect(c.development).toBe(true);
  expect(c.limits).toEqual({ depth: 10, aliases: 15, directives: 20, tokens: 2000, cost: 25000 });
  expect(c.rateLimitPerSecond).toBe(100);
  expect(c.rateLimitBurstSeconds).toBe(2);
  expect(c.introspection).toBe('internal');
});

it('every setting can be changed from the environment', () => {
  const c = loadConfig({
    ...base, QUERY_MAX_DEPTH: '7', QUERY_MAX_ALIASES: '3', QUERY_MAX_DIRECTIVES: '4', QUERY_MAX_TOKENS: '500', QUERY_MAX_COST: '900',
    RATE_LIMIT_PER_SECOND: '0', RATE_LIMIT_BURST_SECONDS: '5', INTROSPECTION: 'all',
  });
  expect(c.limits).toEqual({ depth: 7, aliases: 3, directives: 4, tokens: 500, cost: 900 });
  expect(c.rateLimitPerSecond).toBe(0);
  expect(c.rateLimitBurstSeconds).toBe(5);
  expect(c.introspection).toBe('all');
});

it.each([
  ['QUERY_MAX_DEPTH', '0'], ['QUERY_MAX_COST', 'lots'], ['QUERY_MAX_DIRECTIVES', '0'], ['QUERY_MAX_TOKENS', '1.5'],
  ['RATE_LIMIT_PER_SECOND', '-1'], ['RATE_LIMIT_BURST_SECONDS', '0'], ['INTROSPECTION', 'partners'],
])('%s=%s is refused at start', (name, value) => {
  expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
});

it('INTROSPECTION=all is refused in production', () => {
  expect(() => loadConfig({ ...base, NODE_ENV: 'production', INTROSPECTION: 'all' })).toThrow(/refused with NODE_ENV=production/);
});
