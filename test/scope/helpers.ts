import { toStoredRecord } from '../../src/audit/columns';
import type { StoredAuditRecord } from '../../src/audit/record';
import { GqlResponse, KEYS, TestGateway } from '../helpers/gateway';

/** The demo case of SPEC §11: legal.criminal-investigation, subjects 1 and 2, expiring 2027-12-31T23:59:59Z. */
export const DEMO_CASE = 'GA-2026-0117';
export const DEMO_CASE_EXPIRES = '2027-12-31T23:59:59Z';

/** How each demo client reads: its key and the headers declaring its (main) purpose. */
export const AS = {
  mall: { key: KEYS.mall, headers: { 'x-purpose': 'service.fulfilment' } },
  afterSales: { key: KEYS.mall, headers: { 'x-purpose': 'service.after-sales' } },
  mallPersonal: { key: KEYS.mall, headers: { 'x-purpose': 'personalization' } },
  alipay: { key: KEYS.alipay, headers: { 'x-purpose': 'service.payment' } },
  wechat: { key: KEYS.wechat, headers: { 'x-purpose': 'service.payment' } },
  unionpay: { key: KEYS.unionpay, headers: { 'x-purpose': 'service.payment' } },
  risk: { key: KEYS.risk, headers: { 'x-purpose': 'security.risk-control' } },
  analytics: { key: KEYS.analytics, headers: { 'x-purpose': 'analytics' } },
  docs: { key: KEYS.docs, headers: { 'x-purpose': 'third-party-app' } },
  account: { key: KEYS.account, headers: { 'x-purpose': 'account' } },
  legal: { key: KEYS.legal, headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': DEMO_CASE } },
  security: { key: KEYS.security, headers: { 'x-purpose': 'audit.review' } },
} as const;
export type As = keyof typeof AS;

/** One request as a demo client under its purpose. */
export function ask(gw: TestGateway, as: As | { key: string; headers: Record<string, string> }, query: string, variables?: Record<string, unknown>): Promise<GqlResponse> {
  const who = typeof as === 'string' ? AS[as] : as;
  return gw.gql(who.key, query, { headers: { ...who.headers }, variables });
}

/** The ids of a connection's nodes, as numbers. */
export const ids = (connection: { edges: { node: { id: string } }[] }): number[] => connection.edges.map((e) => Number(e.node.id));

/** Every user id of `users` as this client sees them (the whole scoped set, page by page). */
export async function allUserIds(gw: TestGateway, as: As, pageSize = 50): Promise<number[]> {
  const out: number[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const r = await ask(gw, as, 'query($n: Int, $a: String) { users(first: $n, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', { n: pageSize, a: after });
    expect(r.status).toBe(200);
    const users = r.body.data.users;
    out.push(...ids(users));
    if (!users.pageInfo.hasNextPage) return out;
    after = users.pageInfo.endCursor;
  }
  throw new Error('too many pages');
}

/** A request's audit records, straight from the store, once the projection has caught up. */
export async function recordsOf(gw: TestGateway, requestId: string): Promise<StoredAuditRecord[]> {
  await gw.gateway.audit.settled();
  return (await gw.store.ds.query('SELECT * FROM audit_events WHERE request_id = ? ORDER BY id', [requestId])).map(toStoredRecord);
}

/** Rows of a table (for "nothing was written"). */
export async function countRows(gw: TestGateway, table: string): Promise<number> {
  const [row] = await gw.store.ds.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row.n);
}

/** The single OUT_OF_SCOPE answer of a by-id field: the field null, one error naming the scope. */
export function expectOutOfScope(r: GqlResponse, field: string, scope: string): void {
  expect(r.status).toBe(200);
  expect(r.body.data).toEqual({ [field]: null });
  expect(r.body.errors).toHaveLength(1);
  expect(r.body.errors[0]).toMatchObject({ path: [field], extensions: { code: 'OUT_OF_SCOPE', scope } });
  expect(Object.keys(r.body.errors[0].extensions).sort()).toEqual(['code', 'scope']);
}
