import { startGateway, Gateway } from '../../src/app';
import { fixedClock, useClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { loadDemoData } from '../../seeds/demo';
import { createTestStore, TestStore } from './store';

/** "Today" for the tests: Lily (2014-03-09) and Tom (2013-08-21) are minors on it, whatever year the suite runs. */
export const TEST_TODAY = '2026-11-25T12:00:00Z';

export const KEYS = {
  mall: 'demo-mall-key',
  alipay: 'demo-alipay-key',
  wechat: 'demo-wechat-key',
  unionpay: 'demo-unionpay-key',
  risk: 'demo-risk-key',
  analytics: 'demo-analytics-key',
  docs: 'demo-docs-key',
  account: 'demo-account-key',
  legal: 'demo-legal-key',
  security: 'demo-security-key',
} as const;

export interface GqlResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface TestGateway {
  gateway: Gateway;
  store: TestStore;
  url: string;
  gql(key: string | null, query: string, opts?: { variables?: Record<string, unknown>; headers?: Record<string, string>; purpose?: string }): Promise<GqlResponse>;
  close(): Promise<void>;
}

/** The gateway over real HTTP on a free port, over a fresh store with the demo data (`sqlite`: on SQLite whatever DATABASE_URL says). */
export async function startTestGateway(env: Record<string, string> = {}, options: { sqlite?: boolean } = {}): Promise<TestGateway> {
  const restoreClock = useClock(fixedClock(TEST_TODAY));
  const store = await createTestStore(options);
  await loadDemoData(store.ds);
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATA_DIR: store.dataDir,
    PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789', CLIENT_CACHE_MS: '0',
    ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
    ...env,
  });
  const gateway = await startGateway(config, { ds: store.ds });
  const url = gateway.url;
  return {
    gateway, store, url,
    async gql(key, query, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(opts.headers ?? {}) };
      if (key) headers.authorization = `Bearer ${key}`;
      if (opts.purpose) headers['x-purpose'] = opts.purpose;
      const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables: opts.variables }) });
      const text = await res.text();
      let body: unknown;
      try { body = JSON.parse(text); } catch { body = text; }
      return { status: res.status, headers: res.headers, body };
    },
    async close() {
      await gateway.close();
      await store.drop();
      restoreClock();
    },
  };
}
