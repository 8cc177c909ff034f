import { ConfigError, loadConfig } from '../../src/config';
import { RequestState } from '../../src/request/context';
import { withinDeadline } from '../../src/request/deadline';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { parsePrometheusText, sampleValue } from '../metrics/prometheus-text';
import { auditRows } from './audit-rows';

/**
 * EXECUTION_TIMEOUT_MS: a query still running at its deadline is given up: 504 EXECUTION_TIMEOUT at
 * once, no data, and nothing of it audited (nothing of it left); its loaders read nothing more. A
 * request whose audit commit has started, and a mutation, always run to their end.
 */
const DEADLINE_MS = 250;
/** Devices of user 1 inserted for the slow query: loading and deciding them takes far longer than the deadline on either store. */
const DEVICES = 40_000;
// The devices load (one statement, then 80 000 decisions) outlasts the deadline on either store:
// the request is caught past it by the timer while a read is awaited, at its next statement (the
// order's items), or at the latest at its audit commit, whichever comes first.
const SLOW = `query Slow @purpose(name: "security.risk-control") {
  user(id: 1) { id devices { deviceId ipAddress } orders(first: 1) { edges { node { orderNo items { sku } } } } }
}`;
const QUICK = `query Quick @purpose(name: "security.risk-control") { user(id: 2) { id username } }`;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ EXECUTION_TIMEOUT_MS: String(DEADLINE_MS) });
  for (let done = 0; done < DEVICES; done += 1000) {
    const rows = Array.from({ length: 1000 }, (_, i) => `(1, 'Pixel', '14', 'SLOW-${done + i}', '198.51.100.${(done + i) % 250}')`);
    await gw.store.ds.query(`INSERT INTO devices (user_id, model, os_version, device_id, ip_address) VALUES ${rows.join(', ')}`);
  }
}, 120_000);
afterAll(async () => { await gw?.close(); });

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timeoutCount(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return sampleValue(parsePrometheusText(text), 'purposegate_requests_total', { route: '/graphql', code: 'EXECUTION_TIMEOUT' }) ?? 0;
}

describe('a query past its deadline', () => {
  it('is answered 504 EXECUTION_TIMEOUT with no data, counted, and leaves no audit record', async () => {
    const before = await timeoutCount();
    const r = await gw.gql(KEYS.risk, SLOW);
    expect(r.status).toBe(504);
    expect(r.body).toEqual({ errors: [{ message: `The operation did not finish within ${DEADLINE_MS} ms; nothing of it was sent`, extensions: { code: 'EXECUTION_TIMEOUT' } }] });
    const requestId = r.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The abandoned execution ends in the background; it must commit nothing, now or later.
    await settle(1500);
    expect(await auditRows(gw.gateway.audit, gw.store.ds, requestId)).toEqual([]);
    const [{ n }] = await gw.store.ds.query('SELECT COUNT(*) AS n FROM audit_batches WHERE request_id = ?', [requestId]);
    expect(Number(n)).toBe(0);
    expect(await timeoutCount()).toBe(before + 1);
  });

  it('leaves the gateway serving: a quick query under the same deadline is answered and audited', async () => {
    const r = await gw.gql(KEYS.risk, QUICK);
    expect([r.status, r.body.errors, r.body.data]).toEqual([200, undefined, { user: { id: '2', username: 'bob' } }]);
    expect((await auditRows(gw.gateway.audit, gw.store.ds, r.headers.get('x-request-id')!)).length).toBeGreaterThan(0);
  });

  it('a mutation is never given up: it runs to its end whatever the deadline', async () => {
    const slowGw = await startTestGateway({ EXECUTION_TIMEOUT_MS: '1' });
    try {
      const r = await slowGw.gql(KEYS.account, `mutation { openSubjectRequest(input: { userId: "2", kind: ACCESS }) { id state } }`, { purpose: 'account' });
      expect([r.status, r.body.errors, r.body.data?.openSubjectRequest?.state]).toEqual([200, undefined, 'OPEN']);
      const [{ n }] = await slowGw.store.ds.query("SELECT COUNT(*) AS n FROM subject_requests WHERE user_id = 2 AND kind = 'ACCESS'");
      expect(Number(n)).toBe(1);
    } finally {
      await slowGw.close();
    }
  });
});

describe('RequestState at its deadline', () => {
  const state = () => new RequestState('r', new Date(), new Map());

  it('a running query can be given up once; after that its commit never starts', () => {
    const s = state();
    s.operation = 'query';
    expect([s.abandon(), s.abandoned, s.abandon(), s.beginCommit()]).toEqual([true, true, false, false]);
  });

  it('a request whose commit started is past the point of no return', () => {
    const s = state();
    s.operation = 'query';
    expect([s.beginCommit(), s.abandon(), s.abandoned]).toEqual([true, false, false]);
  });

  it('a mutation is never given up, before or during its execution', () => {
    const s = state();
    s.operation = 'mutation';
    expect([s.abandon(), s.abandoned, s.beginCommit()]).toEqual([false, false, true]);
  });

  it('withinDeadline: null once given up; the outcome itself when it comes first or when it cannot be given up', async () => {
    const inMs = (ms: number) => {
      const s = state();
      s.expireAt(performance.now() + ms);
      return s;
    };
    const never = new Promise<string>(() => undefined);
    expect(await withinDeadline(never, inMs(5))).toBeNull();
    expect(await withinDeadline(Promise.resolve('done'), inMs(5))).toBe('done');
    await expect(withinDeadline(Promise.reject(new Error('boom')), inMs(5))).rejects.toThrow('boom');
    const committing = inMs(5);
    committing.beginCommit();
    const late = new Promise<string>((resolve) => setTimeout(() => resolve('late'), 30));
    expect(await withinDeadline(late, committing)).toBe('late');
  });

  it('past its deadline, a query is given up where it is caught (a statement, its commit); a mutation is not', () => {
    const past = (operation: 'query' | 'mutation') => {
      const s = state();
      s.operation = operation;
      s.expireAt(performance.now() - 1);
      return s;
    };
    const query = past('query');
    expect([query.expired(), query.abandoned, query.beginCommit()]).toEqual([true, true, false]);
    const atCommit = past('query');
    expect([atCommit.beginCommit(), atCommit.abandoned]).toEqual([false, true]);
    const mutation = past('mutation');
    expect([mutation.expired(), mutation.beginCommit(), mutation.abandoned]).toEqual([false, true, false]);
    const noDeadline = state();
    noDeadline.operation = 'query';
    expect([noDeadline.expired(), noDeadline.beginCommit()]).toEqual([false, true]);
  });
});

describe('EXECUTION_TIMEOUT_MS in the configuration', () => {
  const base = { NODE_ENV: 'test', PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' };
  it('defaults to 30 s and takes a positive integer', () => {
    expect(loadConfig(base).executionTimeoutMs).toBe(30_000);
    expect(loadConfig({ ...base, EXECUTION_TIMEOUT_MS: '2500' }).executionTimeoutMs).toBe(2500);
  });
  it.each(['0', '-5', '1.5', 'soon'])('refuses %j with a ConfigError naming the variable', (value) => {
    expect(() => loadConfig({ ...base, EXECUTION_TIMEOUT_MS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, EXECUTION_TIMEOUT_MS: value })).toThrow(/^EXECUTION_TIMEOUT_MS must be an integer >= 1/);
  });
});
