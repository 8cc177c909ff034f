import type { EntityManager } from 'typeorm';
import { markErased } from '../../src/audit/erasure';
import { fixedClock, useClock } from '../../src/clock';
import { eraseWithNotices } from '../../src/onboarding/erasure-notices';
import { completeErasureRequest } from '../../src/rights/requests';
import { GqlResponse, KEYS, startTestGateway, TestGateway, TEST_TODAY } from '../helpers/gateway';

/** SPEC §7: every erasure is a tracked ERASURE request, completed by requestErasure in the transaction that erases. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  // Bob's phone reaches the mall (his order went through it): one recipient to notify.
  expect((await gw.gql(KEYS.mall, '{ user(id: 2) { phone } }', { purpose: 'service.fulfilment' })).body.data.user.phone).toBe('13987654321');
});
afterAll(async () => { await gw?.close(); });

const REQUEST = 'id userId kind state openedAt dueAt closedAt outcome refusalGround overdue openedBy history { at action clientId detail }';
const iso = (s: string) => new Date(s).toISOString();

interface Req {
  id: string; userId: string; kind: string; state: string; openedAt: string; dueAt: string; closedAt: string | null;
  outcome: string | null; refusalGround: string | null; overdue: boolean; openedBy: string;
  history: { at: string; action: string; clientId: string; detail: string | null }[];
}

const erase = (userId: string, key: string = KEYS.account, purpose = 'account'): Promise<GqlResponse> =>
  gw.gql(key, `mutation { requestErasure(userId: "${userId}") { userId erasedAt recipients { clientId } } }`, { purpose });

async function requestsOf(userId: string, kind?: string): Promise<Req[]> {
  const r = await gw.gql(KEYS.account, `query L($filter: SubjectRequestFilter) { subjectRequests(filter: $filter) { ${REQUEST} } }`, {
    purpose: 'account', variables: { filter: { userId, ...(kind ? { kind } : {}) } },
  });
  expect(r.body.errors).toBeUndefined();
  return r.body.data.subjectRequests;
}

async function open(userId: string, kind: string): Promise<Req> {
  const r = await gw.gql(KEYS.account, `mutation { openSubjectRequest(input: { userId: "${userId}", kind: ${kind} }) { ${REQUEST} } }`, { purpose: 'account' });
  expect(r.body.errors).toBeUndefined();
  return r.body.data.openSubjectRequest;
}

const erasedAt = async (userId: number): Promise<unknown> => (await gw.store.ds.query('SELECT erased_at FROM users WHERE id = ?', [userId]))[0].erased_at;
const requestRows = async (userId: number): Promise<number> => Number((await gw.store.ds.query('SELECT COUNT(*) AS n FROM subject_requests WHERE user_id = ?', [userId]))[0].n);

it('requestErasure with no request open: one ERASURE request, opened and completed DONE at once, history OPENED, ERASED, DONE', async () => {
  expect(await requestsOf('2')).toEqual([]);
  const r = await erase('2');
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.requestErasure.recipients).toEqual([{ clientId: 'mall-app' }]);
  const requests = await requestsOf('2');
  expect(requests).toEqual([{
    id: expect.stringMatching(/^\d+$/), userId: '2', kind: 'ERASURE', state: 'DONE', openedAt: iso(TEST_TODAY), dueAt: '2026-12-25T12:00:00.000Z',
    closedAt: iso(TEST_TODAY), outcome: 'DONE', refusalGround: null, overdue: false, openedBy: 'account-service',
    history: [
      { at: iso(TEST_TODAY), action: 'OPENED', clientId: 'account-service', detail: null },
      { at: iso(TEST_TODAY), action: 'ERASED', clientId: 'account-service', detail: expect.stringMatching(/\b1 recipient/) },
      { at: iso(TEST_TODAY), action: 'DONE', clientId: 'account-service', detail: null },
    ],
  }]);
  expect(await erasedAt(2)).not.toBeNull();
});

it('requestErasure with an ERASURE request already open completes that one, and opens no second', async () => {
  const restore = useClock(fixedClock('2026-11-01T10:00:00Z'));
  let pending: Req;
  let access: Req;
  try {
    pending = await open('3', 'ERASURE');
    access = await open('3', 'ACCESS');
  } finally {
    restore();
  }
  expect(pending).toMatchObject({ state: 'OPEN', openedAt: '2026-11-01T10:00:00.000Z', dueAt: '2026-12-01T10:00:00.000Z' });
  const rowsBefore = await requestRows(3);

  const r = await erase('3');
  expect(r.body.errors).toBeUndefined();
  expect(await requestRows(3)).toBe(rowsBefore);
  const erasures = await requestsOf('3', 'ERASURE');
  expect(erasures).toEqual([{
    ...pending, state: 'DONE', outcome: 'DONE', closedAt: iso(TEST_TODAY), overdue: false,
    history: [
      { at: '2026-11-01T10:00:00.000Z', action: 'OPENED', clientId: 'account-service', detail: null },
      { at: iso(TEST_TODAY), action: 'ERASED', clientId: 'account-service', detail: expect.stringMatching(/\b0 recipient/) },
      { at: iso(TEST_TODAY), action: 'DONE', clientId: 'account-service', detail: null },
    ],
  }]);
  // A request of another kind is not touched.
  expect(await requestsOf('3', 'ACCESS')).toEqual([access]);
});

it('with two ERASURE requests open, the oldest is completed and the other stays open', async () => {
  const first = await open('4', 'ERASURE');
  const second = await open('4', 'ERASURE');
  expect((await erase('4')).body.errors).toBeUndefined();
  const byId = new Map((await requestsOf('4', 'ERASURE')).map((r) => [r.id, r]));
  expect(byId.size).toBe(2);
  expect(byId.get(first.id)?.state).toBe('DONE');
  expect(byId.get(second.id)).toEqual(second);
});

it('closeSubjectRequest(DONE) on an ERASURE request is refused: USE_REQUEST_ERASURE, the subject is not erased, the request stays OPEN', async () => {
  const r = await open('1', 'ERASURE');
  const c = await gw.gql(KEYS.account, `mutation { closeSubjectRequest(input: { id: "${r.id}", outcome: DONE }) { id state } }`, { purpose: 'account' });
  expect([c.status, c.body.errors[0].extensions.code, c.body.errors[0].extensions.reason, c.body.errors[0].extensions.argument])
    .toEqual([400, 'BAD_USER_INPUT', 'USE_REQUEST_ERASURE', 'outcome']);
  expect(await requestsOf('1', 'ERASURE')).toEqual([r]);
  expect(await erasedAt(1)).toBeNull();
});

it('requestErasure by a client not declaring account, or of an unknown user, writes no request', async () => {
  const before = Number((await gw.store.ds.query('SELECT COUNT(*) AS n FROM subject_requests'))[0].n);
  const forbidden = await erase('1', KEYS.mall, 'service.fulfilment');
  expect([forbidden.status, forbidden.body.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
  for (const id of ['999', 'x']) {
    const r = await erase(id);
    expect([r.status, r.body.errors[0].extensions.code]).toEqual([400, 'BAD_USER_INPUT']);
  }
  expect(Number((await gw.store.ds.query('SELECT COUNT(*) AS n FROM subject_requests'))[0].n)).toBe(before);
  expect(await erasedAt(1)).toBeNull();
  expect((await requestsOf('1', 'ERASURE'))[0].state).toBe('OPEN');
});

it('the erasure and its request are one transaction: when completing the request fails, the subject is not erased', async () => {
  const before = await requestRows(1);
  await expect(eraseWithNotices(gw.gateway.audit, gw.store.ds, async (store) => {
    const receipt = await markErased(store, 1);
    // A broken actor (client_id is NOT NULL) makes the request's history fail to write.
    if (receipt) await completeErasureRequest(store as unknown as EntityManager, receipt.userId, receipt.recipients.length, { clientId: null as unknown as string, at: new Date(TEST_TODAY) });
    return receipt;
  })).rejects.toThrow();
  expect(await erasedAt(1)).toBeNull();
  expect(await requestRows(1)).toBe(before);
  expect((await requestsOf('1', 'ERASURE'))[0].state).toBe('OPEN');
  // Through the API it works and completes Alice's open request.
  expect((await erase('1')).body.errors).toBeUndefined();
  expect((await requestsOf('1', 'ERASURE')).map((r) => [r.state, r.history.map((h) => h.action)])).toEqual([['DONE', ['OPENED', 'ERASED', 'DONE']]]);
});
