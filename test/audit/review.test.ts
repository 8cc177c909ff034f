import { ClientRegistry } from '../../src/callers/registry';
import { Audit, createAudit } from '../../src/audit';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { LEGAL } from '../foundation/legal';
import { disclosure, fieldRecord } from './fixtures';
import type { Purpose } from '../../src/policy';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { printType } from 'graphql';

/**
 * SPEC §6 review API and §7 erasure, over real HTTP: auditEvents with every filter and cursor
 * paging, disclosureReport naming exactly the clients that received something, requestErasure;
 * and FORBIDDEN for everyone but an auditor declaring audit.review.
 */
let gw: TestGateway;
let audit: Audit;

/** The fixture: who got what of whom, when. */
const EVENTS: { clientId: string; purpose: Purpose; at: string; subjectId: number; category: string; field: string; decision: 'ALLOW' | 'MASK' | 'DENY' }[] = [
  { clientId: 'mall-app', purpose: 'service.fulfilment', at: '2026-11-01T08:00:00.000Z', subjectId: 1, category: 'contact.phone', field: 'phone', decision: 'ALLOW' },
  { clientId: 'mall-app', purpose: 'service.fulfilment', at: '2026-11-01T08:00:00.000Z', subjectId: 1, category: 'contact.address', field: 'shippingAddress', decision: 'ALLOW' },
  { clientId: 'pay-alipay', purpose: 'service.payment', at: '2026-11-02T09:30:00.000Z', subjectId: 1, category: 'identity.name', field: 'holderName', decision: 'MASK' },
  { clientId: 'analytics-sdk', purpose: 'analytics', at: '2026-11-03T10:00:00.000Z', subjectId: 1, category: 'device.info', field: 'model', decision: 'DENY' },
  { clientId: 'risk-engine', purpose: 'security.risk-control', at: '2026-11-04T11:00:00.000Z', subjectId: 1, category: 'location.precise', field: 'wifiBssid', decision: 'ALLOW' },
  { clientId: 'risk-engine', purpose: 'security.risk-control', at: '2026-11-05T12:00:00.000Z', subjectId: 1, category: 'financial.card', field: 'accountNo', decision: 'MASK' },
  { clientId: 'docs-app', purpose: 'third-party-app', at: '2026-11-02T13:00:00.000Z', subjectId: 2, category: 'profile.basic', field: 'nickname', decision: 'ALLOW' },
  { clientId: 'mall-app', purpose: 'service.fulfilment', at: '2026-11-03T14:00:00.000Z', subjectId: 2, category: 'profile.extended', field: 'gender', decision: 'DENY' },
  { clientId: 'analytics-sdk', purpose: 'analytics', at: '2026-11-06T15:00:00.000Z', subjectId: 3, category: 'device.info', field: 'model', decision: 'DENY' },
  { clientId: 'mall-app', purpose: 'personalization', at: '2026-11-07T16:00:00.000Z', subjectId: 4, category: 'location.coarse', field: 'city', decision: 'ALLOW' },
];

beforeAll(async () => {
  gw = await startTestGateway();
  audit = createAudit(gw.store.ds);
  for (const e of EVENTS) {
    await audit.commit(disclosure({
      clientId: e.clientId, purpose: e.purpose, at: e.at,
      records: [fieldRecord({ subjectId: e.subjectId, category: e.category as never, field: e.field, decision: e.decision, mask: e.decision === 'MASK' ? 'NAME' : null, reason: e.decision === 'DENY' ? 'PURPOSE_FORBIDS' : e.decision === 'MASK' ? 'POLICY_MASKS' : 'POLICY_ALLOWS' })],
    }));
  }
  await new ClientRegistry(gw.store.ds, 0).create({ id: 'audit-reader', kind: 'internal', role: 'reader', purposes: ['audit.review'] }, 'test-audit-reader-key');
});
afterAll(async () => {
  await audit?.close();
  await gw?.close();
});

const AUDITOR = { 'x-purpose': 'audit.review' };
const EVENT_FIELDS = 'id requestId at clientId purpose caseRef subjectId entity entityId field category decision mask reason basis policyVersion consentId chainId seq hash';

async function events(filter: Record<string, unknown> | null, first?: number, after?: string) {
  const res = await gw.gql(KEYS.security, `query($filter: AuditFilter, $first: Int, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) { edges { cursor node { ${EVENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
  { headers: AUDITOR, variables: { filter, first, after } });
  return res;
}

/** Every record a filter selects, through all pages of size `first`. */
async function allPages(filter: Record<string, unknown> | null, first = 3) {
  const out: { at: string; clientId: string; subjectId: string; field: string; decision: string; requestId: string }[] = [];
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const res = await events(filter, first, after);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const conn = res.body.data.auditEvents;
    out.push(...conn.edges.map((e: { node: never }) => e.node));
    if (!conn.pageInfo.hasNextPage) return out;
    after = conn.pageInfo.endCursor;
  }
  throw new Error('too many pages');
}

/** What the fixture says a filter selects, newest first. */
function expected(pred: (e: (typeof EVENTS)[number]) => boolean) {
  // Newest first; records of one instant in reverse order of writing (ids descending).
  return EVENTS.map((e, i) => ({ e, i })).filter(({ e }) => pred(e))
    .sort((a, b) => (a.e.at < b.e.at ? 1 : a.e.at > b.e.at ? -1 : b.i - a.i))
    .map(({ e }) => `${e.at} ${e.clientId} ${e.subjectId} ${e.field}`);
}
const seen = (rows: { at: string; clientId: string; subjectId: string; field: string }[]) => rows.map((r) => `${r.at} ${r.clientId} ${r.subjectId} ${r.field}`);

describe('who may review', () => {
  const QUERIES = [
    '{ auditEvents { edges { node { id } } } }',
    '{ disclosureReport(subjectId: "1") { clientId } }',
  ];

  test.each(QUERIES)('a reader declaring another purpose gets FORBIDDEN: %s', async (query) => {
    const res = await gw.gql(KEYS.mall, query, { headers: { 'x-purpose': 'service.fulfilment' } });
    expect(res.status).toBe(403);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['FORBIDDEN']);
  });

  test.each(QUERIES)('a reader registered for audit.review but without the auditor role gets FORBIDDEN: %s', async (query) => {
    const res = await gw.gql('test-audit-reader-key', query, { headers: AUDITOR });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  test.each(QUERIES)('the auditor without declaring audit.review gets FORBIDDEN: %s', async (query) => {
    const res = await gw.gql(KEYS.security, query);
    expect(res.status).toBe(403);
    expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  test('the auditor declaring audit.review is served', async () => {
    const res = await gw.gql(KEYS.security, QUERIES[0], { headers: AUDITOR });
    expect(res.status).toBe(200);
    expect(res.body.data.auditEvents.edges).toHaveLength(EVENTS.length);
  });

  test('the operation\'s shape is SPEC §6\'s', () => {
    const schema = buildGatewaySchema();
    const field = schema.getQueryType()!.getFields().auditEvents;
    expect(field.args.map((a) => `${a.name}: ${a.type}${a.defaultValue !== undefined ? ` = ${a.defaultValue}` : ''}`)).toEqual(['filter: AuditFilter', 'first: Int = 50', 'after: String']);
    expect(String(field.type)).toBe('AuditEventConnection!');
    expect(printType(schema.getType('AuditFilter')!)).toMatch(/subjectId: ID\s+clientId: ID\s+purpose: String\s+category: String\s+decision: AuditDecision\s+from: String\s+to: String/);
    expect(String(schema.getQueryType()!.getFields().disclosureReport.type)).toBe('[Recipient!]!');
    expect(String(schema.getMutationType()!.getFields().requestErasure.type)).toBe('ErasureReceipt!');
  });
});

describe('auditEvents', () => {
  test('every record, newest first, through opaque cursors, each exactly once', async () => {
    const rows = await allPages(null, 3);
    expect(seen(rows)).toEqual(expected(() => true));
    const res = await events(null, 3);
    expect(res.body.data.auditEvents.edges[0].cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  test('a record has the fields of SPEC §6, and never a value', async () => {
    const [r] = await allPages({ subjectId: '1', decision: 'MASK', clientId: 'pay-alipay' });
    expect(r).toMatchObject({
      at: '2026-11-02T09:30:00.000Z', clientId: 'pay-alipay', purpose: 'service.payment', caseRef: null, subjectId: '1', entity: 'User', entityId: '1',
      field: 'holderName', category: 'identity.name', decision: 'MASK', mask: 'NAME', reason: 'POLICY_MASKS', consentId: null,
    });
    expect(r.requestId).toEqual(expect.any(String));
    expect(JSON.stringify(r)).not.toMatch(/Alice|1381234/);
  });

  test.each([
    ['subjectId', { subjectId: '1' }, (e: (typeof EVENTS)[number]) => e.subjectId === 1],
    ['clientId', { clientId: 'mall-app' }, (e: (typeof EVENTS)[number]) => e.clientId === 'mall-app'],
    ['purpose', { purpose: 'analytics' }, (e: (typeof EVENTS)[number]) => e.purpose === 'analytics'],
    ['category', { category: 'device.info' }, (e: (typeof EVENTS)[number]) => e.category === 'device.info'],
    ['decision', { decision: 'DENY' }, (e: (typeof EVENTS)[number]) => e.decision === 'DENY'],
    ['from (inclusive)', { from: '2026-11-04T11:00:00Z' }, (e: (typeof EVENTS)[number]) => e.at >= '2026-11-04T11:00:00.000Z'],
    ['to (exclusive)', { to: '2026-11-02T13:00:00Z' }, (e: (typeof EVENTS)[number]) => e.at < '2026-11-02T13:00:00.000Z'],
    ['a day, as dates', { from: '2026-11-02', to: '2026-11-03' }, (e: (typeof EVENTS)[number]) => e.at.startsWith('2026-11-02')],
    ['a zone offset', { from: '2026-11-05T20:00:00+08:00' }, (e: (typeof EVENTS)[number]) => e.at >= '2026-11-05T12:00:00.000Z'],
    ['subject and client', { subjectId: '1', clientId: 'risk-engine' }, (e: (typeof EVENTS)[number]) => e.subjectId === 1 && e.clientId === 'risk-engine'],
    ['client, purpose and decision', { clientId: 'mall-app', purpose: 'service.fulfilment', decision: 'ALLOW' }, (e: (typeof EVENTS)[number]) => e.clientId === 'mall-app' && e.purpose === 'service.fulfilment' && e.decision === 'ALLOW'],
    ['subject and time range', { subjectId: '1', from: '2026-11-02', to: '2026-11-05' }, (e: (typeof EVENTS)[number]) => e.subjectId === 1 && e.at >= '2026-11-02' && e.at < '2026-11-05'],
    ['nothing matches', { subjectId: '99' }, () => false],
  ])('filter by %s', async (_name, filter, pred) => {
    expect(seen(await allPages(filter, 2))).toEqual(expected(pred));
  });

  test.each([
    ['first 0', null, 0, undefined],
    ['first 101', null, 101, undefined],
    ['a cursor it did not issue', null, 10, 'bm90LWEtY3Vyc29y'],
    ['from not a time', { from: 'yesterday' }, 10, undefined],
    ['to without a zone', { to: '2026-11-02T10:00:00' }, 10, undefined],
    ['from after to', { from: '2026-11-05', to: '2026-11-01' }, 10, undefined],
    ['an unknown category', { category: 'contact.fax' }, 10, undefined],
    ['an unknown purpose', { purpose: 'service' }, 10, undefined],
    ['a subject id that is no id', { subjectId: 'alice' }, 10, undefined],
  ])('BAD_USER_INPUT: %s', async (_name, filter, first, after) => {
    const res = await events(filter as Record<string, unknown> | null, first, after);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.body.data ?? null).toBeNull();
  });

  test('an unknown decision is refused by the schema', async () => {
    const res = await events({ decision: 'MAYBE' });
    expect(res.status).toBe(400);
    expect(res.body.data ?? null).toBeNull();
  });
});

describe('disclosureReport', () => {
  test('names exactly the clients that received (ALLOW or MASK) some of the subject\'s data', async () => {
    const res = await gw.gql(KEYS.security, '{ disclosureReport(subjectId: "1") { clientId categories purposes firstAt lastAt count } }', { headers: AUDITOR });
    expect(res.status).toBe(200);
    expect(res.body.data.disclosureReport).toEqual([
      { clientId: 'mall-app', categories: ['contact.address', 'contact.phone'], purposes: ['service.fulfilment'], firstAt: '2026-11-01T08:00:00.000Z', lastAt: '2026-11-01T08:00:00.000Z', count: 2 },
      { clientId: 'pay-alipay', categories: ['identity.name'], purposes: ['service.payment'], firstAt: '2026-11-02T09:30:00.000Z', lastAt: '2026-11-02T09:30:00.000Z', count: 1 },
      { clientId: 'risk-engine', categories: ['financial.card', 'location.precise'], purposes: ['security.risk-control'], firstAt: '2026-11-04T11:00:00.000Z', lastAt: '2026-11-05T12:00:00.000Z', count: 2 },
    ]);
  });

  test('a subject with only denials, or none at all, has no recipients', async () => {
    for (const id of ['3', '999']) {
      const res = await gw.gql(KEYS.security, `{ disclosureReport(subjectId: "${id}") { clientId } }`, { headers: AUDITOR });
      expect(res.body.data.disclosureReport).toEqual([]);
    }
  });

  test('a subject id that is no id: BAD_USER_INPUT', async () => {
    const res = await gw.gql(KEYS.security, '{ disclosureReport(subjectId: "bob") { clientId } }', { headers: AUDITOR });
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('requestErasure', () => {
  const ERASE = 'mutation($id: ID!) { requestErasure(userId: $id) { userId erasedAt recipients { clientId categories purposes firstAt lastAt count } } }';

  test('only for clients declaring account', async () => {
    for (const [key, purpose] of [[KEYS.security, 'audit.review'], [KEYS.mall, 'service.fulfilment'], [KEYS.legal, 'legal.criminal-investigation']]) {
      const res = await gw.gql(key, ERASE, { variables: { id: '2' }, headers: { 'x-purpose': purpose, 'x-case-ref': 'GA-2026-0117' } });
      expect(res.status).toBe(403);
      expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
    }
    const [bob] = await gw.store.ds.query('SELECT erased_at FROM users WHERE id = 2');
    expect(bob.erased_at).toBeNull();
  });

  test('marks the subject erased and returns the recipients to notify: the disclosure report', async () => {
    const res = await gw.gql(KEYS.account, ERASE, { variables: { id: '2' }, purpose: 'account' });
    expect(res.status).toBe(200);
    expect(res.body.data.requestErasure).toEqual({
      userId: '2', erasedAt: '2026-11-25T12:00:00.000Z',
      recipients: [{ clientId: 'docs-app', categories: ['profile.basic'], purposes: ['third-party-app'], firstAt: '2026-11-02T13:00:00.000Z', lastAt: '2026-11-02T13:00:00.000Z', count: 1 }],
    });
    const report = await gw.gql(KEYS.security, '{ disclosureReport(subjectId: "2") { clientId categories purposes firstAt lastAt count } }', { headers: AUDITOR });
    expect(res.body.data.requestErasure.recipients).toEqual(report.body.data.disclosureReport);
  });

  test('from then on every field about the subject is denied as SUBJECT_ERASED', async () => {
    const res = await gw.gql(LEGAL.key, '{ user(id: "2") { id phone realName } }', { headers: { ...LEGAL.headers } });
    expect(res.body.data.user).toEqual({ id: '2', phone: null, realName: null });
    expect(res.body.errors.map((e: { extensions: { code: string; reason: string } }) => `${e.extensions.code}/${e.extensions.reason}`)).toEqual(['FIELD_DENIED/SUBJECT_ERASED', 'FIELD_DENIED/SUBJECT_ERASED']);
  });

  test('idempotent: asking again keeps the first date', async () => {
    const res = await gw.gql(KEYS.account, ERASE, { variables: { id: '2' }, purpose: 'account' });
    expect(res.body.data.requestErasure.erasedAt).toBe('2026-11-25T12:00:00.000Z');
    const erin = await gw.gql(KEYS.account, ERASE, { variables: { id: '5' }, purpose: 'account' });
    expect(erin.body.data.requestErasure).toMatchObject({ userId: '5', erasedAt: '2026-06-01T00:00:00.000Z', recipients: [] });
  });

  test.each(['999', 'bob', '0'])('an unknown user (%s): BAD_USER_INPUT', async (id) => {
    const res = await gw.gql(KEYS.account, ERASE, { variables: { id }, purpose: 'account' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
