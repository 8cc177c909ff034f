import { createAudit, RequestActivity } from '../../src/audit';
import { markErased } from '../../src/audit/erasure';
import { disclosure, manyRecords } from '../audit/fixtures';
import type { DataSource } from 'typeorm';
import { fixedClock, useClock } from '../../src/clock';
import { User } from '../../src/db/entities';
import { eraseWithNotices } from '../../src/onboarding/erasure-notices';
import { KEYS, startTestGateway, TestGateway, TEST_TODAY } from '../helpers/gateway';

/** SPEC §10 erasure notices over HTTP: opened by requestErasure, seen and acknowledged by each recipient, reviewed by auditors. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  // Bob's data reaches mall-app (ALLOW) and pay-wechat (MASK, his WeChat Pay account). pay-alipay and docs-app ask
  // too, but Bob is out of their scope (no Alipay account, no authorisation of docs-app, SPEC §11): they received nothing.
  expect((await gw.gql(KEYS.mall, '{ user(id: 2) { phone } }', { purpose: 'service.fulfilment' })).body.data.user.phone).toBe('13987654321');
  expect((await gw.gql(KEYS.wechat, '{ user(id: 2) { realName } }', { purpose: 'service.payment' })).body.data.user.realName).toBe('B** L*');
  for (const [key, purpose] of [[KEYS.alipay, 'service.payment'], [KEYS.docs, 'third-party-app']]) {
    const refused = await gw.gql(key, '{ user(id: 2) { realName } }', { purpose });
    expect([refused.body.data.user, refused.body.errors[0].extensions.code]).toEqual([null, 'OUT_OF_SCOPE']);
  }
});
afterAll(async () => { await gw?.close(); });

const NOTICE = 'id subjectId clientId status openedAt acknowledgedAt ageDays';
const notices = (key: string, args = '', headers: Record<string, string> = {}) => gw.gql(key, `{ erasureNotices${args} { ${NOTICE} } }`, { headers });
const acknowledge = (key: string, id: string) => gw.gql(key, `mutation { acknowledgeErasure(noticeId: "${id}") { ${NOTICE} } }`);
const review = { 'x-purpose': 'audit.review' };
let mallNotice: string;
let payNotice: string;

it('requestErasure opens one notice per recipient, in the transaction that marks the subject erased', async () => {
  const r = await gw.gql(KEYS.account, 'mutation { requestErasure(userId: "2") { userId recipients { clientId } } }', { purpose: 'account' });
  expect(r.body.data.requestErasure.recipients.map((x: { clientId: string }) => x.clientId)).toEqual(['mall-app', 'pay-wechat']);
  const all = (await notices(KEYS.security, '', review)).body.data.erasureNotices;
  expect(all).toEqual([
    { id: expect.any(String), subjectId: '2', clientId: 'mall-app', status: 'OPEN', openedAt: new Date(TEST_TODAY).toISOString(), acknowledgedAt: null, ageDays: 0 },
    { id: expect.any(String), subjectId: '2', clientId: 'pay-wechat', status: 'OPEN', openedAt: new Date(TEST_TODAY).toISOString(), acknowledgedAt: null, ageDays: 0 },
  ]);
  [mallNotice, payNotice] = all.map((n: { id: string }) => n.id);
});

it('a recipient sees only its own notices, and may not name another client', async () => {
  expect((await notices(KEYS.mall)).body.data.erasureNotices.map((n: { id: string }) => n.id)).toEqual([mallNotice]);
  expect((await notices(KEYS.mall, '(clientId: "mall-app")')).body.data.erasureNotices).toHaveLength(1);
  expect((await notices(KEYS.docs)).body.data.erasureNotices).toEqual([]);
  const other = await notices(KEYS.mall, '(clientId: "pay-wechat")');
  expect([other.status, other.body.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
});

it('a client cannot acknowledge another client\'s notice (nor a missing one)', async () => {
  for (const id of [mallNotice, '99999']) {
    const r = await acknowledge(KEYS.wechat, id);
    expect([r.status, r.body.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
  }
  expect((await notices(KEYS.mall)).body.data.erasureNotices[0].status).toBe('OPEN');
});

it('the recipient acknowledges: OPEN → ACKNOWLEDGED, and again changes nothing', async () => {
  const restore = useClock(fixedClock('2026-11-27T09:00:00Z'));
  try {
    const first = (await acknowledge(KEYS.mall, mallNotice)).body.data.acknowledgeErasure;
    expect(first).toMatchObject({ id: mallNotice, status: 'ACKNOWLEDGED', acknowledgedAt: '2026-11-27T09:00:00.000Z', ageDays: 1 });
  } finally {
    restore();
  }
  const again = (await acknowledge(KEYS.mall, mallNotice)).body.data.acknowledgeErasure;
  expect(again).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgedAt: '2026-11-27T09:00:00.000Z' });
});

it('auditors declaring audit.review see every notice with its state and age, by client and status', async () => {
  const restore = useClock(fixedClock('2026-12-05T12:00:00Z'));
  try {
    const all = (await notices(KEYS.security, '', review)).body.data.erasureNotices;
    expect(all.map((n: { clientId: string; status: string; ageDays: number }) => [n.clientId, n.status, n.ageDays])).toEqual([
      ['mall-app', 'ACKNOWLEDGED', 1], // its age stops at the acknowledgement
      ['pay-wechat', 'OPEN', 10],
    ]);
    expect((await notices(KEYS.security, '(status: OPEN)', review)).body.data.erasureNotices.map((n: { id: string }) => n.id)).toEqual([payNotice]);
    expect((await notices(KEYS.security, '(status: ACKNOWLEDGED, clientId: "mall-app")', review)).body.data.erasureNotices.map((n: { id: string }) => n.id)).toEqual([mallNotice]);
    expect((await notices(KEYS.security, '(clientId: "docs-app")', review)).body.data.erasureNotices).toEqual([]);
    expect((await notices(KEYS.security, '(subjectId: "2")', review)).body.data.erasureNotices).toHaveLength(2);
    expect((await notices(KEYS.security, '(subjectId: "1")', review)).body.data.erasureNotices).toEqual([]);
  } finally {
    restore();
  }
});

it('an auditor that does not declare audit.review is a client like any other', async () => {
  expect((await notices(KEYS.security)).body.data.erasureNotices).toEqual([]);
  expect((await notices(KEYS.security, '(clientId: "mall-app")')).body.errors[0].extensions.code).toBe('FORBIDDEN');
});

it('requesting the erasure again opens no second notice and reopens none', async () => {
  await gw.gql(KEYS.account, 'mutation { requestErasure(userId: "2") { userId } }', { purpose: 'account' });
  const all = (await notices(KEYS.security, '', review)).body.data.erasureNotices;
  expect(all.map((n: { id: string; status: string }) => [n.id, n.status])).toEqual([[mallNotice, 'ACKNOWLEDGED'], [payNotice, 'OPEN']]);
});

it('the subject stays unerased when its notices cannot be opened (one transaction)', async () => {
  const ds = gw.store.ds;
  await expect(eraseWithNotices(gw.gateway.audit, ds, async (store) => {
    const receipt = await markErased(store, 1);
    return receipt && { ...receipt, recipients: [{ clientId: null as unknown as string }] };
  })).rejects.toThrow();
  expect((await ds.getRepository(User).findOneByOrFail({ id: 1 })).erasedAt).toBeNull();
});

/**
 * Runs `body` while risk-engine's disclosure of `records` of the subject's fields is committed
 * and not yet projected: a second writer on this store whose requests stay in flight (the
 * projection yields to them).
 */
async function withUnprojected(subjectId: number, records: number, body: () => Promise<void>): Promise<void> {
  const activity = new RequestActivity();
  const audit = createAudit(gw.store.ds, { activity });
  const end = activity.begin();
  try {
    await audit.commit(disclosure({ clientId: 'risk-engine', purpose: 'security.risk-control', records: manyRecords(records, subjectId) }));
    expect(audit.stats().unprojectedRecords).toBeGreaterThanOrEqual(records);
    await body();
  } finally {
    end();
    await audit.close();
  }
}

it('an erasure while disclosures wait to be projected: it projects them first and names their recipients, at once', async () => {
  await withUnprojected(5, 30, async () => {
    const started = Date.now();
    const r = await gw.gql(KEYS.account, 'mutation { requestErasure(userId: "5") { userId recipients { clientId } } }', { purpose: 'account' });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.requestErasure.recipients.map((x: { clientId: string }) => x.clientId)).toContain('risk-engine');
    expect(Date.now() - started).toBeLessThan(2000); // not held up by a lock its own transaction holds
  });
});

it('inside the erasure\'s transaction nothing waits for the projection (on SQLite it would wait for the lock the transaction holds)', async () => {
  await withUnprojected(3, 12, async () => {
    // The marking runs in a transaction, as eraseWithNotices runs it (after its own wait for the projection).
    const started = Date.now();
    const receipt = await gw.store.ds.transaction((m) => markErased(m as unknown as DataSource, 3));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(receipt).toMatchObject({ userId: 3, erasedAt: expect.any(String) });
  });
});
