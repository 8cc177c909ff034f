import { Gateway, GatewayCore, GatewayOptions, openGateway, serveGateway, shippedServing } from '../../src/app';
import type { DisclosureCommit } from '../../src/enforcement/plugin';
import { fixedClock, useClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { loadDemoData } from '../../seeds/demo';
import type { DataSource } from 'typeorm';
import { LegalCase } from '../../src/db/entities';
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

/**
 * A test-only legal case, valid for every legal purpose, naming every subject of the store. The
 * tests that read every field in clear do so as the legal desk under this case (SPEC §11: a legal
 * purpose sees only the subjects of its case); the demo case GA-2026-0117 names only users 1 and 2.
 */
export const ALL_SUBJECTS_CASE = 'TEST-ALL-SUBJECTS';

/** Registers ALL_SUBJECTS_CASE if missing and names in it every user of the store (call again after adding users). */
export async function coverAllSubjects(ds: DataSource): Promise<void> {
  if (!(await ds.getRepository(LegalCase).exists({ where: { caseRef: ALL_SUBJECTS_CASE } }))) {
    await ds.getRepository(LegalCase).insert({
      caseRef: ALL_SUBJECTS_CASE, purposes: ['legal.state-security', 'legal.public-safety', 'legal.criminal-investigation', 'legal.vital-interests'],
      expiresAt: new Date('2099-12-31T00:00:00Z'), openedAt: new Date(TEST_TODAY), openedBy: 'test', closedAt: null,
    });
  }
  await ds.query(
    'INSERT INTO legal_case_subjects (case_ref, user_id) SELECT ?, u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM legal_case_subjects s WHERE s.case_ref = ? AND s.user_id = u.id)',
    [ALL_SUBJECTS_CASE, ALL_SUBJECTS_CASE],
  );
}

/** Every field of Alice (user 1) and of her accounts, devices and orders: what each purpose may read of her (SPEC §4). */
export const ALICE = `user(id: 1) {
  id username nickname avatarUrl gender signature realName birthDate phone city isMinor
  paymentAccounts { provider accountNo holderName cardExpiry }
  devices { model osVersion deviceId macAddress ipAddress location { lat lng accuracyM } wifiBssid city }
  orders(first: 5) { edges { node { orderNo totalAmount items { sku } recipientName recipientPhone shippingAddress } } }
}`;

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

/**
 * The settings a test run passes through to every gateway it starts: which executor runs the
 * enforced schema (CI runs the HTTP suites under both, .ci/run) and its cache size.
 */
export function executorEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['GRAPHQL_EXECUTOR', 'JIT_CACHE_SIZE']) if (env[name]) out[name] = env[name]!;
  return out;
}

/** The gateway over real HTTP on a free port, over a fresh store with the demo data (`sqlite`: on SQLite whatever DATABASE_URL says). */
export async function startTestGateway(
  env: Record<string, string> = {},
  // `commit`: the audit commit the shipped serving uses (tests hold or observe it); the gateway's own by default.
  options: { sqlite?: boolean; gateway?: Omit<GatewayOptions, 'ds'>; commit?: (core: GatewayCore) => DisclosureCommit } = {},
): Promise<TestGateway> {
  const restoreClock = useClock(fixedClock(TEST_TODAY));
  const store = await createTestStore(options);
  await loadDemoData(store.ds);
  await coverAllSubjects(store.ds);
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATA_DIR: store.dataDir,
    PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789', CLIENT_CACHE_MS: '0',
    ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
    ...executorEnv(),
    ...env,
  });
  const core = await openGateway(config, { ...options.gateway, ds: store.ds });
  const gateway = await serveGateway(core, shippedServing(core, options.commit?.(core)));
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
