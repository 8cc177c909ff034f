import { fixedClock, useClock } from '../../src/clock';
import { correctSubject } from '../../src/rights/corrections';
import { RightsError } from '../../src/rights/errors';
import { GqlResponse, KEYS, startTestGateway, TestGateway, TEST_TODAY } from '../helpers/gateway';

/**
 * SPEC §7, correction over real HTTP: only the fields given change; every client that received
 * (ALLOW or MASK) the category of a changed field gets one correction notice naming the categories
 * it received; never a value in a notice, the request's history or the audit.
 */
let gw: TestGateway;
const review = 'audit.review';
const ALICE = { phone: '13812345678', realName: 'Alice Wang', nickname: 'Ali', signature: 'Printing the world', city: 'Xiamen', gender: 'FEMALE' };
const NEW_PHONE = '13912340000';
const NEW_NAME = 'Alicia Wang-Lin';

/** One read by `key` under `purpose`: the data, and the denial reasons by field name. */
async function read(key: string, purpose: string, query: string): Promise<{ data: Record<string, unknown>; denied: Record<string, string> }> {
  const r = await gw.gql(key, query, { purpose });
  expect(r.status).toBe(200);
  const denied: Record<string, string> = {};
  for (const e of r.body.errors ?? []) denied[e.path[e.path.length - 1]] = e.extensions.reason;
  return { data: r.body.data.user, denied };
}

beforeAll(async () => {
  gw = await startTestGateway();
  // What each client receives of Alice (user 1) before her correction; the notices follow from this alone.
  // mall-app, fulfilment (her order went through the mall): name and phone in clear.
  expect(await read(KEYS.mall, 'service.fulfilment', '{ user(id: 1) { realName phone } }')).toEqual({ data: { realName: ALICE.realName, phone: ALICE.phone }, denied: {} });
  // pay-alipay, payment (her Alipay account): the name masked, the phone denied.
  expect(await read(KEYS.alipay, 'service.payment', '{ user(id: 1) { realName phone } }')).toEqual({ data: { realName: 'A**** W***', phone: null }, denied: { phone: 'PURPOSE_FORBIDS' } });
  // risk-engine: the phone, the city and the gender in clear, not the name.
  expect(await read(KEYS.risk, 'security.risk-control', '{ user(id: 1) { phone city gender } }')).toEqual({ data: { phone: ALICE.phone, city: ALICE.city, gender: ALICE.gender }, denied: {} });
  // docs-app, third-party-app (Alice authorised it): the nickname; name and phone denied.
  expect(await read(KEYS.docs, 'third-party-app', '{ user(id: 1) { nickname realName phone } }')).toEqual({
    data: { nickname: ALICE.nickname, realName: null, phone: null }, denied: { realName: 'PURPOSE_FORBIDS', phone: 'PURPOSE_FORBIDS' },
  });
  // analytics-sdk: Alice's name and phone are denied by the table; Bob (no consent) is denied everything.
  expect(await read(KEYS.analytics, 'analytics', '{ user(id: 1) { realName phone } }')).toEqual({ data: { realName: null, phone: null }, denied: { realName: 'PURPOSE_FORBIDS', phone: 'PURPOSE_FORBIDS' } });
  expect(await read(KEYS.analytics, 'analytics', '{ user(id: 2) { realName phone city } }')).toEqual({
    data: { realName: null, phone: null, city: null }, denied: { realName: 'CONSENT_MISSING', phone: 'CONSENT_MISSING', city: 'CONSENT_MISSING' },
  });
  // risk-engine also reads Bob's city.
  expect(await read(KEYS.risk, 'security.risk-control', '{ user(id: 2) { city } }')).toEqual({ data: { city: 'Shanghai' }, denied: {} });
});
afterAll(async () => { await gw?.close(); });

const REQUEST = 'id userId kind state closedAt outcome history { at action clientId detail }';
const NOTICE = 'id subjectId clientId requestId categories status openedAt acknowledgedAt';

interface Notice { id: string; subjectId: string; clientId: string; requestId: string; categories: string[]; status: string; openedAt: string; acknowledgedAt: string | null }

async function openCorrection(userId: string): Promise<string> {
  const r = await gw.gql(KEYS.account, `mutation { openSubjectRequest(input: { userId: "${userId}", kind: CORRECTION }) { id } }`, { purpose: 'account' });
  expect(r.body.errors).toBeUndefined();
  return r.body.data.openSubjectRequest.id;
}

function correct(input: Record<string, unknown>, key: string = KEYS.account, purpose = 'account'): Promise<GqlResponse> {
  return gw.gql(key, `mutation M($input: CorrectSubjectInput!) { correctSubject(input: $input) { ${REQUEST} } }`, { purpose, variables: { input } });
}

function notices(key: string, args: Record<string, unknown> = {}, purpose?: string): Promise<GqlResponse> {
  return gw.gql(key, `query N($status: CorrectionNoticeStatus, $clientId: ID, $subjectId: ID) { correctionNotices(status: $status, clientId: $clientId, subjectId: $subjectId) { ${NOTICE} } }`, {
    purpose, variables: args,
  });
}

async function allNotices(args: Record<string, unknown> = {}): Promise<Notice[]> {
  const r = await notices(KEYS.security, args, review);
  expect(r.body.errors).toBeUndefined();
  return r.body.data.correctionNotices;
}

const acknowledge = (key: string, id: string) => gw.gql(key, `mutation { acknowledgeCorrection(noticeId: "${id}") { ${NOTICE} } }`);

async function userRow(id: number): Promise<Record<string, unknown>> {
  const [u] = await gw.store.ds.query('SELECT nickname, signature, gender, real_name, phone, city, erased_at FROM users WHERE id = ?', [id]);
  return { ...u };
}

async function requestState(id: string): Promise<{ state: string; history: string[] }> {
  const r = await gw.gql(KEYS.account, `{ subjectRequests { id state history { action } } }`, { purpose: 'account' });
  const found = r.body.data.subjectRequests.find((x: { id: string }) => x.id === id);
  return { state: found.state, history: found.history.map((h: { action: string }) => h.action) };
}

/** Rows of the tables a correction writes to, to prove that a refused one wrote nothing. */
async function writes(): Promise<string> {
  const tables = ['users', 'subject_requests', 'subject_request_events', 'correction_notices'];
  const out: unknown[] = [];
  for (const t of tables) out.push(await gw.store.ds.query(`SELECT * FROM ${t} ORDER BY id`));
  return JSON.stringify(out);
}

function refusal(r: GqlResponse): [number, string, string | undefined, string | undefined] {
  expect(r.body.errors).toHaveLength(1);
  const e = r.body.errors[0].extensions;
  return [r.status, e.code, e.reason, e.argument];
}

/** The clients that received (ALLOW or MASK) each of `categories` of the subject, from the audit the reads above wrote. */
async function receivedFromAudit(subjectId: number, categories: string[]): Promise<Record<string, string[]>> {
  await gw.gateway.audit.settled();
  const rows: { client_id: string; category: string }[] = await gw.store.ds.query(
    `SELECT DISTINCT client_id, category FROM audit_events WHERE subject_id = ? AND decision IN ('ALLOW', 'MASK')`, [subjectId]);
  const out: Record<string, string[]> = {};
  for (const r of rows) if (categories.includes(r.category)) (out[r.client_id] ??= []).push(r.category);
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}

let aliceRequest: string;
let mallNotice: Notice;

describe('correcting Alice\'s phone and real name', () => {
  it('closes the request DONE and opens one notice per client that received a changed category, naming only what it received', async () => {
    // What the reads of beforeAll caused, and nothing else.
    const expected = { 'mall-app': ['contact.phone', 'identity.name'], 'pay-alipay': ['identity.name'], 'risk-engine': ['contact.phone'] };
    expect(await receivedFromAudit(1, ['contact.phone', 'identity.name'])).toEqual(expected);

    aliceRequest = await openCorrection('1');
    const restore = useClock(fixedClock('2026-11-26T09:00:00Z'));
    let r: GqlResponse;
    try {
      r = await correct({ userId: '1', requestId: aliceRequest, phone: NEW_PHONE, realName: NEW_NAME });
    } finally {
      restore();
    }
    expect(r.body.errors).toBeUndefined();
    const done = r.body.data.correctSubject;
    expect(done).toMatchObject({ id: aliceRequest, userId: '1', kind: 'CORRECTION', state: 'DONE', outcome: 'DONE', closedAt: '2026-11-26T09:00:00.000Z' });
    expect(done.history.map((h: { action: string; clientId: string }) => [h.action, h.clientId])).toEqual([
      ['OPENED', 'account-service'], ['CORRECTED', 'account-service'], ['DONE', 'account-service'],
    ]);
    const corrected = done.history[1].detail as string;
    expect(corrected).toMatch(/phone/);
    expect(corrected).toMatch(/realName/);
    expect(corrected).toMatch(/\b3\b/); // three notices

    const all = await allNotices();
    expect(all.map((n) => [n.clientId, n.categories])).toEqual(Object.entries(expected));
    for (const n of all) {
      expect(n).toEqual({ id: expect.stringMatching(/^\d+$/), subjectId: '1', clientId: n.clientId, requestId: aliceRequest, categories: n.categories, status: 'OPEN', openedAt: '2026-11-26T09:00:00.000Z', acknowledgedAt: null });
    }
    // Neither the DENY-only clients.
    expect(all.map((n) => n.clientId)).not.toContain('docs-app');
    expect(all.map((n) => n.clientId)).not.toContain('analytics-sdk');
    mallNotice = all.find((n) => n.clientId === 'mall-app')!;
  });

  it('the store holds the new values, and only the fields given changed', async () => {
    expect(await userRow(1)).toEqual({
      nickname: ALICE.nickname, signature: ALICE.signature, gender: ALICE.gender, real_name: NEW_NAME, phone: NEW_PHONE, city: ALICE.city, erased_at: null,
    });
    // And the gateway serves them.
    expect((await read(KEYS.mall, 'service.fulfilment', '{ user(id: 1) { realName phone } }')).data).toEqual({ realName: NEW_NAME, phone: NEW_PHONE });
  });

  it('no value, old or new, is in a notice, the request\'s history or the audit', async () => {
    const values = [ALICE.phone, ALICE.realName, NEW_PHONE, NEW_NAME, 'A**** W***', '138****5678'];
    await gw.gateway.audit.settled();
    const stored = JSON.stringify([
      await gw.store.ds.query('SELECT * FROM correction_notices'),
      await gw.store.ds.query('SELECT * FROM subject_request_events'),
      await gw.store.ds.query('SELECT * FROM subject_requests'),
      await gw.store.ds.query('SELECT * FROM audit_events'),
    ]);
    const served = JSON.stringify([await allNotices(), (await gw.gql(KEYS.account, `{ subjectRequests { ${REQUEST} } }`, { purpose: 'account' })).body]);
    for (const v of values) {
      expect(stored).not.toContain(v);
      expect(served).not.toContain(v);
    }
    // The audit did record the reads (it is not simply empty).
    expect(stored).toContain('contact.phone');
  });
});

describe('notices: listing and acknowledging', () => {
  it('a recipient lists its own notices only; a client that received nothing has none', async () => {
    const mine = await notices(KEYS.mall);
    expect(mine.body.errors).toBeUndefined();
    expect(mine.body.data.correctionNotices).toEqual([mallNotice]);
    expect((await notices(KEYS.mall, { status: 'OPEN' })).body.data.correctionNotices).toEqual([mallNotice]);
    expect((await notices(KEYS.mall, { status: 'ACKNOWLEDGED' })).body.data.correctionNotices).toEqual([]);
    expect((await notices(KEYS.mall, { clientId: 'mall-app' })).body.data.correctionNotices).toEqual([mallNotice]);
    for (const key of [KEYS.docs, KEYS.analytics, KEYS.wechat]) expect((await notices(key)).body.data.correctionNotices).toEqual([]);
    const other = await notices(KEYS.mall, { clientId: 'risk-engine' });
    expect([other.status, other.body.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('another client cannot acknowledge it (FORBIDDEN, like a missing notice); it stays OPEN', async () => {
    for (const [key, id] of [[KEYS.risk, mallNotice.id], [KEYS.docs, mallNotice.id], [KEYS.mall, '99999']]) {
      const r = await acknowledge(key, id);
      expect([r.status, r.body.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
    }
    // Not even an auditor under audit.review acknowledges for a recipient.
    const auditor = await gw.gql(KEYS.security, `mutation { acknowledgeCorrection(noticeId: "${mallNotice.id}") { id } }`, { purpose: review });
    expect(auditor.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await allNotices({ clientId: 'mall-app' }))[0]).toEqual(mallNotice);
  });

  it('the recipient acknowledges: OPEN → ACKNOWLEDGED at the clock; again changes nothing', async () => {
    const restore = useClock(fixedClock('2026-11-27T10:00:00Z'));
    try {
      const first = await acknowledge(KEYS.mall, mallNotice.id);
      expect(first.body.errors).toBeUndefined();
      expect(first.body.data.acknowledgeCorrection).toEqual({ ...mallNotice, status: 'ACKNOWLEDGED', acknowledgedAt: '2026-11-27T10:00:00.000Z' });
    } finally {
      restore();
    }
    const again = await acknowledge(KEYS.mall, mallNotice.id);
    expect(again.body.data.acknowledgeCorrection).toEqual({ ...mallNotice, status: 'ACKNOWLEDGED', acknowledgedAt: '2026-11-27T10:00:00.000Z' });
    expect((await notices(KEYS.mall, { status: 'OPEN' })).body.data.correctionNotices).toEqual([]);
    expect((await notices(KEYS.mall, { status: 'ACKNOWLEDGED' })).body.data.correctionNotices.map((n: Notice) => n.id)).toEqual([mallNotice.id]);
  });

  it('auditors under audit.review see every notice, by client, status and subject; without declaring it, only their own', async () => {
    const all = await allNotices();
    expect(all.map((n) => [n.clientId, n.status])).toEqual([['mall-app', 'ACKNOWLEDGED'], ['pay-alipay', 'OPEN'], ['risk-engine', 'OPEN']]);
    expect((await allNotices({ status: 'OPEN' })).map((n) => n.clientId)).toEqual(['pay-alipay', 'risk-engine']);
    expect((await allNotices({ clientId: 'risk-engine' })).map((n) => n.categories)).toEqual([['contact.phone']]);
    expect(await allNotices({ subjectId: '1' })).toEqual(all);
    expect(await allNotices({ subjectId: '2' })).toEqual([]);
    expect((await notices(KEYS.security)).body.data.correctionNotices).toEqual([]);
    expect((await notices(KEYS.security, { clientId: 'mall-app' })).body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('which changes open notices', () => {
  it('a correction whose values are unchanged opens no notice, and still closes its request DONE', async () => {
    const before = (await allNotices()).length;
    const id = await openCorrection('1');
    const r = await correct({ userId: '1', requestId: id, phone: NEW_PHONE, realName: NEW_NAME });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.correctSubject.state).toBe('DONE');
    expect(r.body.data.correctSubject.history[1]).toMatchObject({ action: 'CORRECTED', detail: expect.stringMatching(/none changed/) });
    expect(await allNotices()).toHaveLength(before);
    expect(await userRow(1)).toMatchObject({ phone: NEW_PHONE, real_name: NEW_NAME });
  });

  it('one changed and one unchanged field: notices name the changed field\'s category only', async () => {
    const before = (await allNotices()).map((n) => n.id);
    const id = await openCorrection('1');
    const phone = '+86 139-1234-0001';
    expect((await correct({ userId: '1', requestId: id, phone, realName: NEW_NAME })).body.errors).toBeUndefined();
    const fresh = (await allNotices()).filter((n) => !before.includes(n.id));
    expect(fresh.map((n) => [n.clientId, n.categories, n.requestId])).toEqual([['mall-app', ['contact.phone'], id], ['risk-engine', ['contact.phone'], id]]);
    expect(await userRow(1)).toMatchObject({ phone, real_name: NEW_NAME });
  });

  it('a nickname correction goes to the client that received profile.basic (docs-app) and no one else', async () => {
    const before = (await allNotices()).map((n) => n.id);
    const id = await openCorrection('1');
    expect((await correct({ userId: '1', requestId: id, nickname: 'Lee' })).body.errors).toBeUndefined();
    const fresh = (await allNotices()).filter((n) => !before.includes(n.id));
    expect(fresh.map((n) => [n.clientId, n.categories])).toEqual([['docs-app', ['profile.basic']]]);
    expect((await notices(KEYS.docs)).body.data.correctionNotices.map((n: Notice) => n.id)).toEqual(fresh.map((n) => n.id));
    expect(await userRow(1)).toMatchObject({ nickname: 'Lee', phone: '+86 139-1234-0001' });
  });

  it('null clears a field; the notice follows the category (risk-engine received profile.extended through the gender)', async () => {
    const before = (await allNotices()).map((n) => n.id);
    const id = await openCorrection('1');
    const r = await correct({ userId: '1', requestId: id, signature: null });
    expect(r.body.errors).toBeUndefined();
    expect(await userRow(1)).toMatchObject({ signature: null, gender: ALICE.gender, nickname: 'Lee' });
    const fresh = (await allNotices()).filter((n) => !before.includes(n.id));
    expect(fresh.map((n) => [n.clientId, n.categories])).toEqual([['risk-engine', ['profile.extended']]]);
    // Clearing it again changes nothing: no notice.
    const again = await openCorrection('1');
    expect((await correct({ userId: '1', requestId: again, signature: null })).body.errors).toBeUndefined();
    expect(await allNotices()).toHaveLength(before.length + 1);
  });

  it('a gender correction: profile.extended to risk-engine again', async () => {
    const before = (await allNotices()).map((n) => n.id);
    const id = await openCorrection('1');
    expect((await correct({ userId: '1', requestId: id, gender: 'OTHER' })).body.errors).toBeUndefined();
    expect(await userRow(1)).toMatchObject({ gender: 'OTHER' });
    expect((await allNotices()).filter((n) => !before.includes(n.id)).map((n) => [n.clientId, n.categories])).toEqual([['risk-engine', ['profile.extended']]]);
  });

  it('Bob\'s city: a notice to risk-engine, which received it, not to analytics-sdk, which was denied it (no consent)', async () => {
    expect(await receivedFromAudit(2, ['location.coarse'])).toEqual({ 'risk-engine': ['location.coarse'] });
    const id = await openCorrection('2');
    expect((await correct({ userId: '2', requestId: id, city: 'Hangzhou' })).body.errors).toBeUndefined();
    expect((await allNotices({ subjectId: '2' })).map((n) => [n.clientId, n.categories])).toEqual([['risk-engine', ['location.coarse']]]);
    expect((await notices(KEYS.analytics)).body.data.correctionNotices).toEqual([]);
  });
});

describe('concurrent corrections', () => {
  it('two corrections under one request: one is applied, the other is REQUEST_CLOSED and leaves no trace in the store', async () => {
    const id = await openCorrection('3');
    const before = (await allNotices()).length;
    const results = await Promise.all([
      correct({ userId: '3', requestId: id, city: 'Quanzhou' }),
      correct({ userId: '3', requestId: id, city: 'Zhangzhou', nickname: 'Lily C' }),
    ]);
    const won = results.filter((r) => !r.body.errors);
    const lost = results.filter((r) => r.body.errors);
    expect([won.length, lost.length]).toEqual([1, 1]);
    expect(refusal(lost[0])).toEqual([400, 'BAD_USER_INPUT', 'REQUEST_CLOSED', 'id']);
    const winner = won[0] === results[0] ? { city: 'Quanzhou', nickname: 'Lil' } : { city: 'Zhangzhou', nickname: 'Lily C' };
    expect(await userRow(3)).toMatchObject(winner);
    expect(await requestState(id)).toEqual({ state: 'DONE', history: ['OPENED', 'CORRECTED', 'DONE'] });
    // Nobody received Lily's city or nickname: no notice either way.
    expect(await allNotices()).toHaveLength(before);
  });
});

describe('refused corrections write nothing', () => {
  it('an erased subject: SUBJECT_ERASED (a CORRECTION request for them cannot even be opened)', async () => {
    // Tom's CORRECTION request is opened, then Tom is erased.
    const id = await openCorrection('4');
    expect((await gw.gql(KEYS.account, 'mutation { requestErasure(userId: "4") { userId } }', { purpose: 'account' })).body.errors).toBeUndefined();
    const before = await writes();
    expect(refusal(await correct({ userId: '4', requestId: id, phone: '13600009999' }))).toEqual([400, 'BAD_USER_INPUT', 'SUBJECT_ERASED', 'userId']);
    expect(await writes()).toBe(before);
    expect(await requestState(id)).toEqual({ state: 'OPEN', history: ['OPENED'] });
    // Erin, erased in the demo data.
    const erin = await gw.gql(KEYS.account, 'mutation { openSubjectRequest(input: { userId: "5", kind: CORRECTION }) { id } }', { purpose: 'account' });
    expect(refusal(erin)).toEqual([400, 'BAD_USER_INPUT', 'SUBJECT_ERASED', 'userId']);
    expect(await writes()).toBe(before);
  });

  it('a request that is not CORRECTION, or about another user: WRONG_KIND', async () => {
    const access = (await gw.gql(KEYS.account, 'mutation { openSubjectRequest(input: { userId: "1", kind: ACCESS }) { id } }', { purpose: 'account' })).body.data.openSubjectRequest.id;
    const bobs = await openCorrection('2');
    const before = await writes();
    expect(refusal(await correct({ userId: '1', requestId: access, phone: '13800000000' }))).toEqual([400, 'BAD_USER_INPUT', 'WRONG_KIND', 'requestId']);
    expect(refusal(await correct({ userId: '1', requestId: bobs, phone: '13800000000' }))).toEqual([400, 'BAD_USER_INPUT', 'WRONG_KIND', 'requestId']);
    expect(await writes()).toBe(before);
    expect(await requestState(access)).toEqual({ state: 'OPEN', history: ['OPENED'] });
    expect(await requestState(bobs)).toEqual({ state: 'OPEN', history: ['OPENED'] });
  });

  it('a closed request: REQUEST_CLOSED; an unknown one: UNKNOWN_REQUEST; an unknown user: UNKNOWN_USER', async () => {
    const before = await writes();
    expect(refusal(await correct({ userId: '1', requestId: aliceRequest, phone: '13800000000' }))).toEqual([400, 'BAD_USER_INPUT', 'REQUEST_CLOSED', 'id']);
    expect(refusal(await correct({ userId: '1', requestId: '99999', phone: '13800000000' }))).toEqual([400, 'BAD_USER_INPUT', 'UNKNOWN_REQUEST', 'id']);
    expect(refusal(await correct({ userId: '999', requestId: aliceRequest, phone: '13800000000' }))).toEqual([400, 'BAD_USER_INPUT', 'UNKNOWN_USER', 'userId']);
    expect(await writes()).toBe(before);
  });

  it.each([
    ['letters', 'phone', 'call me'],
    ['too short', 'phone', '12'],
    ['a value inside', 'phone', '138 1234 <b>'],
    ['too long', 'phone', '1'.repeat(33)],
    ['a name too long', 'realName', 'x'.repeat(129)],
    ['a nickname too long', 'nickname', 'x'.repeat(65)],
  ])('a bad value (%s of %s): BAD_VALUE naming the field, not the value', async (_what, field, value) => {
    const id = await openCorrection('1');
    const before = await writes();
    const r = await correct({ userId: '1', requestId: id, [field]: value });
    expect(refusal(r)).toEqual([400, 'BAD_USER_INPUT', 'BAD_VALUE', field]);
    expect(r.body.errors[0].message).not.toContain(value);
    expect(await writes()).toBe(before);
    expect(await requestState(id)).toEqual({ state: 'OPEN', history: ['OPENED'] });
  });

  it('a gender outside the enum is refused by the schema over HTTP, and BAD_VALUE in the rights module', async () => {
    const id = await openCorrection('1');
    const before = await writes();
    const r = await correct({ userId: '1', requestId: id, gender: 'UNKNOWN' });
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    expect(await writes()).toBe(before);
    const direct = correctSubject(gw.gateway.audit, gw.store.ds, { userId: 1, rawUserId: '1', requestId: Number(id), rawRequestId: id, changes: { gender: 'unknown' } }, () => 'profile.extended', { clientId: 'test', at: new Date(TEST_TODAY) });
    await expect(direct).rejects.toBeInstanceOf(RightsError);
    await expect(direct).rejects.toMatchObject({ code: 'BAD_VALUE', argument: 'gender' });
    expect(await writes()).toBe(before);
  });

  it('no field to correct: NOTHING_TO_CORRECT', async () => {
    const id = await openCorrection('1');
    const before = await writes();
    expect(refusal(await correct({ userId: '1', requestId: id }))).toEqual([400, 'BAD_USER_INPUT', 'NOTHING_TO_CORRECT', 'input']);
    expect(await writes()).toBe(before);
    expect(await requestState(id)).toEqual({ state: 'OPEN', history: ['OPENED'] });
  });

  it('only clients declaring account may correct', async () => {
    const id = await openCorrection('1');
    const before = await writes();
    for (const [key, purpose] of [[KEYS.mall, 'service.fulfilment'], [KEYS.security, review], [KEYS.risk, 'security.risk-control']]) {
      const r = await correct({ userId: '1', requestId: id, phone: '13800000000' }, key, purpose);
      expect([r.status, r.body.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect(await writes()).toBe(before);
  });
});
