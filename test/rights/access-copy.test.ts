import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { disclosureReport } from '../../src/audit/review';
import type { Caller } from '../../src/callers/registry';
import { Consent, Order, OrderItem, PaymentAccount, SubjectRequestEvent, User } from '../../src/db/entities';
import { enforceSchema } from '../../src/enforcement/enforce-schema';
import { sensitiveFields } from '../../src/enforcement/sensitive-fields';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { AccessCopy, AccessCopyDeps, AccessCopyError, buildAccessCopy, copyClient } from '../../src/rights/access-copy';
import { RightsError } from '../../src/rights/errors';
import { resolverServices } from '../../src/services';
import { KEYS, startTestGateway, TestGateway, TEST_TODAY } from '../helpers/gateway';
import type { TestStore } from '../helpers/store';

/**
 * The subject's portable copy (SPEC §7 ACCESS; docs/access-copy.md): Alice's copy checked against
 * the store (her fields as `account` reads them, the rest withheld), her consents, authorisations,
 * recipients and notices, the request's COPY_ISSUED event, and the audit records of the copy's own
 * reading (purpose `account`, one per categorised field). Then the CLI and the console route.
 */
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'subject-copy.js');
const run = promisify(execFile);

let gw: TestGateway;
let deps: AccessCopyDeps;
let accountService: Caller;
beforeAll(async () => {
  gw = await startTestGateway();
  const policy = gw.gateway.policy;
  const schema = buildGatewaySchema();
  deps = {
    ds: gw.store.ds,
    services: resolverServices(gw.store.ds, { schema, fields: sensitiveFields(schema), policy }, gw.gateway.audit),
    policy,
    enforcedSchema: enforceSchema(schema, { policy, pseudonymSecret: 'test-pseudonym-secret-0123456789' }),
    commit: (d) => gw.gateway.audit.commit(d),
  };
  accountService = await copyClient(gw.store.ds, policy, 'account-service');
});
afterAll(async () => { await gw?.close(); });

async function openRequest(userId: string, kind = 'ACCESS'): Promise<number> {
  const r = await gw.gql(KEYS.account, `mutation { openSubjectRequest(input: { userId: "${userId}", kind: ${kind} }) { id } }`, { purpose: 'account' });
  expect(r.body.errors).toBeUndefined();
  return Number(r.body.data.openSubjectRequest.id);
}

const copyOf = (id: number, caller: Caller = accountService, d: AccessCopyDeps = deps) => buildAccessCopy(d, { requestId: id, rawRequestId: String(id) }, caller);

async function rejection(p: Promise<unknown>): Promise<{ name: string; code: string }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, code: (e as { code: string }).code };
  }
  throw new Error('expected a rejection');
}

async function events(requestId: number): Promise<SubjectRequestEvent[]> {
  return gw.store.ds.getRepository(SubjectRequestEvent).find({ where: { requestId }, order: { id: 'ASC' } });
}

interface AuditRow { client_id: string; purpose: string; subject_id: number; entity: string; entity_id: string; field: string; category: string; decision: string; reason: string }
async function auditOf(requestId: string): Promise<AuditRow[]> {
  await gw.gateway.audit.settled();
  const rows: AuditRow[] = await gw.store.ds.query('SELECT client_id, purpose, subject_id, entity, entity_id, field, category, decision, reason FROM audit_events WHERE request_id = ?', [requestId]);
  return rows.map((r) => ({ ...r, subject_id: Number(r.subject_id) }));
}

/** What `account` may not read of Alice (schema/policy.yaml): the card, the device identifiers, network and precise location. */
const ALICE_WITHHELD = [
  { path: 'paymentAccounts[0].cardExpiry', category: 'financial.card', reason: 'PURPOSE_FORBIDS' },
  { path: 'paymentAccounts[1].accountNo', category: 'financial.card', reason: 'PURPOSE_FORBIDS' },
  { path: 'paymentAccounts[1].cardExpiry', category: 'financial.card', reason: 'PURPOSE_FORBIDS' },
  { path: 'devices[0].deviceId', category: 'device.identifier', reason: 'PURPOSE_FORBIDS' },
  { path: 'devices[0].macAddress', category: 'device.identifier', reason: 'PURPOSE_FORBIDS' },
  { path: 'devices[0].ipAddress', category: 'location.network', reason: 'PURPOSE_FORBIDS' },
  { path: 'devices[0].wifiBssid', category: 'location.precise', reason: 'PURPOSE_FORBIDS' },
  { path: 'devices[0].location', category: 'location.precise', reason: 'PURPOSE_FORBIDS' },
];
const sortByPath = <T extends { path: string }>(xs: T[]) => [...xs].sort((a, b) => a.path.localeCompare(b.path));

describe("Alice's copy", () => {
  let requestId: number;
  let copy: AccessCopy;
  let reportBefore: Awaited<ReturnType<typeof disclosureReport>>;

  beforeAll(async () => {
    // Her data reaches the mall (her order) and docs-app (she authorised it).
    const mall = await gw.gql(KEYS.mall, '{ user(id: 1) { realName phone orders(first: 5) { edges { node { shippingAddress } } } } }', { purpose: 'service.fulfilment' });
    expect(mall.body.data.user.realName).toBe('Alice Wang');
    const docs = await gw.gql(KEYS.docs, '{ user(id: 1) { nickname } }', { purpose: 'third-party-app' });
    expect(docs.body.data.user.nickname).toBe('Ali');
    // Her nickname corrected: docs-app received profile.basic (the mall did not), so docs-app gets a correction notice.
    const correction = await openRequest('1', 'CORRECTION');
    const corrected = await gw.gql(KEYS.account, `mutation { correctSubject(input: { userId: "1", requestId: "${correction}", nickname: "Alie" }) { state } }`, { purpose: 'account' });
    expect(corrected.body.data.correctSubject.state).toBe('DONE');

    requestId = await openRequest('1');
    reportBefore = await disclosureReport(gw.gateway.audit, gw.store.ds, 1);
    copy = await copyOf(requestId);
  });

  it('has the documented shape', () => {
    expect(Object.keys(copy)).toEqual(['format', 'generatedAt', 'issuedBy', 'audit', 'request', 'subject', 'withheld', 'consents', 'appAuthorizations', 'disclosures', 'erasureNotices', 'correctionNotices']);
    expect(copy.format).toBe('purposegate-access-copy/1');
    expect(copy.generatedAt).toBe(new Date(TEST_TODAY).toISOString());
    expect(copy.issuedBy).toBe('account-service');
    expect(copy.audit).toEqual({ requestId: expect.any(String), purpose: 'account', policyVersion: gw.gateway.policy.version, allowed: expect.any(Number), masked: 0, denied: ALICE_WITHHELD.length });
  });

  it('holds every stored field of hers as `account` reads it: in clear from the store, null where withheld', async () => {
    const { ds } = gw.store;
    const user = await ds.getRepository(User).findOneByOrFail({ id: 1 });
    const accounts = await ds.getRepository(PaymentAccount).find({ where: { userId: 1 }, order: { id: 'ASC' } });
    const orders = await ds.getRepository(Order).find({ where: { userId: 1 }, order: { id: 'ASC' } });
    const items = await ds.getRepository(OrderItem).find({ where: { orderId: orders[0].id }, order: { id: 'ASC' } });
    expect(user.nickname).toBe('Alie'); // the correction above
    expect(copy.subject).toEqual({
      id: '1', username: user.username, nickname: 'Alie', avatarUrl: user.avatarUrl, gender: user.gender, signature: user.signature,
      realName: 'Alice Wang', birthDate: '1990-05-17', phone: '13812345678', city: 'Xiamen', isMinor: false,
      paymentAccounts: [
        { id: String(accounts[0].id), provider: 'ALIPAY', accountNo: 'alice.wang@example.com', holderName: 'Alice Wang', cardExpiry: null },
        { id: String(accounts[1].id), provider: 'BANK_CARD', accountNo: null, holderName: 'Alice Wang', cardExpiry: null },
      ],
      devices: [{ id: '1', model: 'iPhone 15', osVersion: '18.1', deviceId: null, macAddress: null, ipAddress: null, wifiBssid: null, city: 'Xiamen', location: null, lastSeenAt: '2026-11-20T09:30:00.000Z' }],
      orders: [{
        id: String(orders[0].id), orderNo: 'MP-2026-0001', status: 'DELIVERED', channel: 'mall-app', totalAmount: 12900, currency: 'CNY',
        recipientName: 'Alice Wang', recipientPhone: '13812345678', shippingAddress: 'Xiamen, Siming District, 8 Lianqian Rd', createdAt: '2026-10-03T04:12:00.000Z',
        items: items.map((i) => ({ sku: i.sku, name: i.name, quantity: i.quantity, unitPrice: i.unitPrice })),
        paymentAccount: { id: String(accounts[0].id), provider: 'ALIPAY' },
      }],
    });
    expect(items).toHaveLength(2);
    // The withheld values are stored: the copy leaves them out because `account` may not read them.
    expect(accounts[1].accountNo).toBe('6222021234567890123');
    expect(sortByPath(copy.withheld)).toEqual(sortByPath(ALICE_WITHHELD));
  });

  it('lists her consents, her app authorisations and her notices as the store holds them', async () => {
    const consents = await gw.store.ds.getRepository(Consent).find({ where: { userId: 1 }, order: { id: 'ASC' } });
    expect(copy.consents).toEqual(consents.map((c) => ({ id: c.id, purpose: c.purpose, clientId: null, byGuardian: false, grantedAt: '2026-01-10T00:00:00.000Z', withdrawnAt: null, active: true })));
    expect(copy.consents.map((c) => c.purpose)).toEqual(['personalization', 'marketing.push', 'analytics']);
    expect(copy.appAuthorizations).toEqual([{ clientId: 'docs-app', authorizedAt: '2026-03-01T00:00:00.000Z', revokedAt: null, active: true }]);
    expect(copy.erasureNotices).toEqual([]);
    expect(copy.correctionNotices).toEqual([
      { id: expect.any(Number), clientId: 'docs-app', requestId: expect.any(Number), categories: ['profile.basic'], status: 'OPEN', openedAt: new Date(TEST_TODAY).toISOString(), acknowledgedAt: null },
    ]);
  });

  it('carries the disclosure report: the mall and docs-app, with what they received and why', () => {
    expect(copy.disclosures).toEqual(reportBefore);
    const byClient = Object.fromEntries(copy.disclosures.map((r) => [r.clientId, r]));
    expect(byClient['mall-app']).toMatchObject({ categories: ['contact.address', 'contact.phone', 'identity.name'], purposes: ['service.fulfilment'], count: 3 });
    expect(byClient['docs-app']).toMatchObject({ categories: ['profile.basic'], purposes: ['third-party-app'], count: 1 });
  });

  it('records COPY_ISSUED on the request, with counts and no value; the request stays open', async () => {
    const history = await events(requestId);
    expect(history.map((e) => e.action)).toEqual(['OPENED', 'COPY_ISSUED']);
    const issued = history[1];
    expect(issued.clientId).toBe('account-service');
    expect(issued.gatewayRequestId).toBe(copy.audit.requestId);
    expect(issued.detail).toMatch(/^\d+ fields, 8 withheld; 2 payment accounts, 1 devices, 1 orders; 3 consents, 1 app authorisations, 2 recipients, 0 erasure notices, 1 correction notices$/);
    expect(copy.request).toMatchObject({ id: requestId, userId: 1, kind: 'ACCESS', state: 'OPEN', openedBy: 'account-service', closedAt: null });
    expect(copy.request.history.map((e) => e.action)).toEqual(['OPENED', 'COPY_ISSUED']);
  });

  it('its reading is audited under `account`, one record per categorised field, before the copy was returned', async () => {
    const rows = await auditOf(copy.audit.requestId);
    expect(rows).toHaveLength(copy.audit.allowed + copy.audit.denied);
    // User 9 fields, 2 payment accounts × 3, 1 device × 8, 1 order × 5 (items included).
    expect(rows).toHaveLength(9 + 2 * 3 + 8 + 5);
    for (const r of rows) expect([r.client_id, r.purpose, r.subject_id]).toEqual(['account-service', 'account', 1]);
    const key = (r: AuditRow) => `${r.entity}.${r.field}`;
    const denied = rows.filter((r) => r.decision === 'DENY').map(key).sort();
    expect(denied).toEqual(['Device.deviceId', 'Device.ipAddress', 'Device.location', 'Device.macAddress', 'Device.wifiBssid', 'PaymentAccount.accountNo', 'PaymentAccount.cardExpiry', 'PaymentAccount.cardExpiry'].sort());
    expect(rows.find((r) => key(r) === 'User.realName')).toMatchObject({ decision: 'ALLOW', category: 'identity.name', entity_id: '1' });
    expect(rows.find((r) => key(r) === 'Order.items')).toMatchObject({ decision: 'ALLOW', category: 'transaction.order' });
    // And the next report counts it: account-service read her data for her copy.
    const after = await disclosureReport(gw.gateway.audit, gw.store.ds, 1);
    expect(after.find((r) => r.clientId === 'account-service')).toMatchObject({ purposes: ['account'], count: copy.audit.allowed });
  });

  it('a DONE request gets a copy too', async () => {
    const id = await openRequest('1');
    const closed = await gw.gql(KEYS.account, `mutation { closeSubjectRequest(input: { id: "${id}", outcome: DONE }) { state } }`, { purpose: 'account' });
    expect(closed.body.data.closeSubjectRequest.state).toBe('DONE');
    const done = await copyOf(id);
    expect(done.request.state).toBe('DONE');
    expect(done.subject.realName).toBe('Alice Wang');
  });
});

describe('fail-closed and refusals', () => {
  it('no copy, and no COPY_ISSUED, when the audit cannot commit the reading', async () => {
    const id = await openRequest('2');
    const failing: AccessCopyDeps = { ...deps, commit: () => Promise.reject(new Error('audit store down')) };
    expect(await rejection(copyOf(id, accountService, failing))).toEqual({ name: 'AccessCopyError', code: 'AUDIT_UNAVAILABLE' });
    expect((await events(id)).map((e) => e.action)).toEqual(['OPENED']);
  });

  it('an unknown request, another kind of request, a refused request: a RightsError with its code', async () => {
    expect(await rejection(buildAccessCopy(deps, { requestId: 99_999, rawRequestId: '99999' }, accountService))).toEqual({ name: 'RightsError', code: 'UNKNOWN_REQUEST' });
    expect(await rejection(buildAccessCopy(deps, { requestId: null, rawRequestId: 'abc' }, accountService))).toEqual({ name: 'RightsError', code: 'UNKNOWN_REQUEST' });
    expect(await rejection(copyOf(await openRequest('2', 'EXPLANATION')))).toEqual({ name: 'RightsError', code: 'WRONG_KIND' });
    const refused = await openRequest('2');
    await gw.gql(KEYS.account, `mutation { closeSubjectRequest(input: { id: "${refused}", outcome: REFUSED, refusalGround: ABUSE_OF_RIGHTS }) { state } }`, { purpose: 'account' });
    expect(await rejection(copyOf(refused))).toEqual({ name: 'RightsError', code: 'REQUEST_CLOSED' });
    expect((await events(refused)).map((e) => e.action)).toEqual(['OPENED', 'REFUSED']);
  });

  it('the acting client must exist and declare `account`', async () => {
    expect(await rejection(copyClient(gw.store.ds, gw.gateway.policy, 'nobody'))).toEqual({ name: 'AccessCopyError', code: 'UNKNOWN_CLIENT' });
    expect(await rejection(copyClient(gw.store.ds, gw.gateway.policy, 'mall-app'))).toEqual({ name: 'AccessCopyError', code: 'PURPOSE_NOT_PERMITTED' });
  });

  it('an erased subject: every field withheld SUBJECT_ERASED, the erasure notices listed', async () => {
    // Lily's data reached the mall; then she is erased.
    expect((await gw.gql(KEYS.mall, '{ user(id: 3) { phone } }', { purpose: 'service.fulfilment' })).body.data.user.phone).toBe('13700001111');
    const erased = await gw.gql(KEYS.account, 'mutation { requestErasure(userId: "3") { userId } }', { purpose: 'account' });
    expect(erased.body.errors).toBeUndefined();
    const copy = await copyOf(await openRequest('3'));
    expect(copy.subject).toMatchObject({ id: '3', username: null, realName: null, phone: null, city: null });
    expect(copy.withheld.length).toBe(copy.audit.denied);
    expect(copy.audit.allowed).toBe(0);
    expect(new Set(copy.withheld.map((w) => w.reason))).toEqual(new Set(['SUBJECT_ERASED']));
    expect(copy.erasureNotices).toEqual([{ id: expect.any(Number), clientId: 'mall-app', status: 'OPEN', openedAt: new Date(TEST_TODAY).toISOString(), acknowledgedAt: null }]);
  });
});

describe('npm run subject:copy', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'subject-copy-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function storeEnv(store: TestStore): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: store.dataDir, SQLITE_FILE: path.basename(store.sqliteFile), PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789' };
    delete env.DATABASE_URL;
    if (store.databaseUrl) env.DATABASE_URL = store.databaseUrl;
    return env;
  }
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: storeEnv(gw.store), cwd: ROOT, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  test('is built (after editing src/, run `npm run build`)', () => expect(existsSync(CLI)).toBe(true));

  test('writes the copy to the file and prints one line of counts, never a value', async () => {
    const id = await openRequest('1');
    const file = path.join(dir, 'alice.json');
    const out = await cli(['--request', String(id), '--out', file]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const written = JSON.parse(readFileSync(file, 'utf8')) as AccessCopy;
    expect(written.format).toBe('purposegate-access-copy/1');
    expect(written.issuedBy).toBe('account-service');
    expect(written.request).toMatchObject({ id, userId: 1, kind: 'ACCESS' });
    // The CLI runs on the real clock: only what no retention period touches is asserted.
    expect(written.subject).toMatchObject({ id: '1', username: 'alice', realName: 'Alice Wang', phone: '13812345678', birthDate: '1990-05-17' });
    expect(written.appAuthorizations.map((a) => a.clientId)).toEqual(['docs-app']);
    expect(out.stdout.trim().split('\n')).toHaveLength(1);
    expect(out.stdout).toMatch(new RegExp(`^copy of request ${id} \\(user 1\\) written to .*alice\\.json: \\d+ fields, \\d+ withheld;`));
    for (const value of ['Alice', 'alice.wang', '13812345678', 'Xiamen']) expect(out.stdout).not.toContain(value);
    // Audited like any request, under `account`, as account-service; COPY_ISSUED recorded.
    const rows = await auditOf(written.audit.requestId);
    expect(rows.length).toBe(written.audit.allowed + written.audit.masked + written.audit.denied);
    expect(new Set(rows.map((r) => `${r.client_id}/${r.purpose}`))).toEqual(new Set(['account-service/account']));
    expect((await events(id)).map((e) => e.action)).toEqual(['OPENED', 'COPY_ISSUED']);
  });

  test('errors: `error [CODE]: message`, exit 1, no file', async () => {
    const correction = await openRequest('2', 'CORRECTION');
    const access = await openRequest('2');
    for (const [args, code] of [
      [['--request', '99999'], 'UNKNOWN_REQUEST'],
      [['--request', 'x'], 'UNKNOWN_REQUEST'],
      [['--request', String(correction)], 'WRONG_KIND'],
      [['--request', String(access), '--client', 'mall-app'], 'PURPOSE_NOT_PERMITTED'],
      [['--request', String(access), '--client', 'nobody'], 'UNKNOWN_CLIENT'],
    ] as const) {
      const file = path.join(dir, `${code}.json`);
      const out = await cli([...args, '--out', file]);
      expect([out.code, out.stdout]).toEqual([1, '']);
      expect(out.stderr).toMatch(new RegExp(`^error \\[${code}\\]: `));
      expect(existsSync(file)).toBe(false);
    }
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
    expect((await events(access)).map((e) => e.action)).toEqual(['OPENED']);
  });
});

describe('GET /console/subject-copy', () => {
  const download = (query: string, key?: string) => fetch(`${gw.url}/console/subject-copy${query}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('answers an auditor with the copy as a JSON attachment, read (and audited) as the auditor\'s client', async () => {
    const id = await openRequest('2');
    const res = await download(`?request=${id}`, KEYS.security);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="subject-2-access-copy-${id}.json"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const copy = (await res.json()) as AccessCopy;
    expect(copy).toMatchObject({ format: 'purposegate-access-copy/1', issuedBy: 'security-console', request: { id, userId: 2 } });
    expect(copy.subject).toMatchObject({ id: '2', username: 'bob', realName: 'Bob Li', phone: '13987654321' });
    const rows = await auditOf(copy.audit.requestId);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => `${r.client_id}/${r.purpose}/${r.subject_id}`))).toEqual(new Set(['security-console/account/2']));
    expect((await events(id)).map((e) => [e.action, e.clientId])).toEqual([['OPENED', 'account-service'], ['COPY_ISSUED', 'security-console']]);
  });

  it('refuses a reader 403, an unknown or missing key 401, a bad request id 400, each with its code', async () => {
    const id = await openRequest('2');
    const explanation = await openRequest('2', 'EXPLANATION');
    const cases: [Response, number, string, string?][] = [
      [await download(`?request=${id}`, KEYS.account), 403, 'FORBIDDEN'],
      [await download(`?request=${id}`, KEYS.mall), 403, 'FORBIDDEN'],
      [await download(`?request=${id}`, 'no-such-key'), 401, 'UNAUTHENTICATED'],
      [await download(`?request=${id}`), 401, 'UNAUTHENTICATED'],
      [await download('?request=abc', KEYS.security), 400, 'BAD_USER_INPUT', 'UNKNOWN_REQUEST'],
      [await download('', KEYS.security), 400, 'BAD_USER_INPUT', 'UNKNOWN_REQUEST'],
      [await download('?request=99999', KEYS.security), 400, 'BAD_USER_INPUT', 'UNKNOWN_REQUEST'],
      [await download(`?request=${explanation}`, KEYS.security), 400, 'BAD_USER_INPUT', 'WRONG_KIND'],
    ];
    for (const [res, status, code, reason] of cases) {
      const body = (await res.json()) as { errors: { extensions: { code: string; reason?: string } }[] };
      expect([res.status, body.errors[0].extensions.code, body.errors[0].extensions.reason]).toEqual([status, code, reason]);
    }
    expect((await events(id)).map((e) => e.action)).toEqual(['OPENED']);
  });
});
