import type { Disclosure } from '../../src/enforcement/disclosure';
import { fixedClock, useClock } from '../../src/clock';
import { ErasureNotice } from '../../src/db/entities';
import { followUpCorrections, followUpErasures, followUpWindowMs } from '../../src/rights/follow-up';
import { eraseWithNotices } from '../../src/onboarding/erasure-notices';
import { markErased } from '../../src/audit/erasure';
import { disclosure, fieldRecord } from '../audit/fixtures';
import { KEYS, startTestGateway, TestGateway, TEST_TODAY } from '../helpers/gateway';

/**
 * The erasure and correction races (SPEC §7, §10: one notice per recipient): a request that read
 * a subject just before it was erased or corrected, but committed its records just after
 * requestErasure / correctSubject listed the recipients, sent the data; its client gets its
 * notice from the follow-up, on the gateway's own loop (RIGHTS_FOLLOW_UP_MS), and exactly once.
 */
let gw: TestGateway;
/** While armed, the next request's audit commit (that one only) waits until opened; `held` resolves once it waits. */
let gate: { opened: Promise<void>; reached: () => void } | null = null;

function armGate(): { open: () => void; held: Promise<void> } {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const held = new Promise<void>((r) => (reached = r));
  gate = { opened, reached };
  return { open, held };
}

beforeAll(async () => {
  gw = await startTestGateway({ RIGHTS_FOLLOW_UP_MS: '100' }, {
    commit: (core) => async (d: Disclosure) => {
      const g = gate;
      gate = null;
      if (g) {
        g.reached();
        await g.opened;
      }
      return core.audit.commit(d);
    },
  });
});
afterAll(async () => { await gw?.close(); });

const review = { 'x-purpose': 'audit.review' };
const noticesOf = async (subjectId: string) => ((await gw.gql(KEYS.security, '{ erasureNotices { subjectId clientId status } }', { headers: review })).body.data.erasureNotices as { subjectId: string; clientId: string; status: string }[])
  .filter((n) => n.subjectId === subjectId);

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a request in flight when its subject is erased: the data is sent, the receipt misses it, and the follow-up opens its notice', async () => {
  // Bob (user 2): the mall reads his phone; its commit is held until after the erasure.
  const { open, held } = armGate();
  const reading = gw.gql(KEYS.mall, '{ user(id: 2) { phone } }', { purpose: 'service.fulfilment' });
  await held;
  const erasure = await gw.gql(KEYS.account, 'mutation { requestErasure(userId: "2") { userId recipients { clientId } } }', { purpose: 'account' });
  expect(erasure.body.data.requestErasure.recipients).toEqual([]); // the mall's records were not committed yet
  open();
  const read = await reading;
  expect([read.status, read.body.data.user.phone]).toEqual([200, '13987654321']);
  // The gateway's follow-up (every 100 ms here) opens the mall's notice, which the mall sees as its own.
  const notices = await until(() => noticesOf('2'), (n) => n.length > 0);
  expect(notices).toEqual([{ subjectId: '2', clientId: 'mall-app', status: 'OPEN' }]);
  const own = (await gw.gql(KEYS.mall, '{ erasureNotices { subjectId status } }')).body.data.erasureNotices;
  expect(own).toContainEqual({ subjectId: '2', status: 'OPEN' });
  // The erasure request's history records it, by the gateway, naming the client.
  const history = async (userId: string, kind: string) => (await gw.gql(KEYS.account, `{ subjectRequests(filter: { userId: "${userId}", kind: ${kind} }) { history { action clientId detail } } }`, { purpose: 'account' }))
    .body.data.subjectRequests[0].history as { action: string; clientId: string; detail: string }[];
  expect((await history('2', 'ERASURE')).filter((e) => e.action === 'NOTICE_ADDED')).toEqual([
    { action: 'NOTICE_ADDED', clientId: 'purposegate', detail: 'erasure notice for mall-app: it received the data from a request in flight' },
  ]);
  // The disclosure report names the mall too.
  const report = await gw.gql(KEYS.security, '{ disclosureReport(subjectId: "2") { clientId } }', { headers: review });
  expect(report.body.data.disclosureReport.map((r: { clientId: string }) => r.clientId)).toEqual(['mall-app']);
});

test('a request in flight when its subject is corrected: the old value is sent, the correction misses it, and the follow-up opens its notice', async () => {
  // Alice (user 1): the mall reads her phone; its commit is held until after the correction.
  const opened = await gw.gql(KEYS.account, 'mutation { openSubjectRequest(input: { userId: "1", kind: CORRECTION }) { id } }', { purpose: 'account' });
  const requestId = opened.body.data.openSubjectRequest.id;
  const { open, held } = armGate();
  const reading = gw.gql(KEYS.mall, '{ user(id: 1) { phone city } }', { purpose: 'service.fulfilment' });
  await held;
  const corrected = await gw.gql(KEYS.account, `mutation { correctSubject(input: { userId: "1", requestId: "${requestId}", phone: "13800000000" }) { state } }`, { purpose: 'account' });
  expect(corrected.body.data.correctSubject.state).toBe('DONE');
  open();
  const read = await reading;
  expect([read.status, read.body.data.user.phone]).toEqual([200, '13812345678']); // the value before the correction
  const notices = async () => (await gw.gql(KEYS.mall, '{ correctionNotices { subjectId clientId categories status } }')).body.data.correctionNotices as unknown[];
  expect(await until(notices, (n) => n.length > 0)).toEqual([{ subjectId: '1', clientId: 'mall-app', categories: ['contact.phone'], status: 'OPEN' }]);
  const steps = (await gw.gql(KEYS.account, `{ subjectRequests(filter: { userId: "1", kind: CORRECTION }) { id history { action clientId detail } } }`, { purpose: 'account' }))
    .body.data.subjectRequests.find((r: { id: string }) => r.id === requestId).history as { action: string }[];
  expect(steps.map((e) => e.action)).toEqual(['OPENED', 'CORRECTED', 'DONE', 'NOTICE_ADDED']);
  expect(steps[3]).toEqual({ action: 'NOTICE_ADDED', clientId: 'purposegate', detail: 'correction notice for mall-app: it received the data from a request in flight' });
  // A client that reads the new value well after the correction gets no notice of it.
  const restore = useClock(fixedClock(new Date(new Date(TEST_TODAY).getTime() + 60_000).toISOString()));
  try {
    const after = await gw.gql(KEYS.risk, '{ user(id: 1) { phone } }', { purpose: 'security.risk-control' });
    expect([after.status, after.body.data.user.phone]).toEqual([200, '13800000000']); // the corrected value
    expect(await followUpCorrections(gw.gateway.audit, gw.store.ds, followUpWindowMs(30_000, 10_000))).toEqual([]);
  } finally {
    restore();
  }
  const all = (await gw.gql(KEYS.security, '{ correctionNotices { clientId } }', { headers: review })).body.data.correctionNotices;
  expect(all).toEqual([{ clientId: 'mall-app' }]);
});

describe('followUpErasures', () => {
  const ds = () => gw.store.ds;
  const window = followUpWindowMs(30_000, 10_000);

  test('opens nothing twice, and keeps an acknowledged notice as it is', async () => {
    const audit = gw.gateway.audit;
    // Run by the loop already: nothing left to open.
    expect(await followUpErasures(audit, ds(), window)).toEqual([]);
    await ds().getRepository(ErasureNotice).update({ userId: 2, clientId: 'mall-app' }, { status: 'ACKNOWLEDGED', acknowledgedAt: new Date(TEST_TODAY) });
    expect(await followUpErasures(audit, ds(), window)).toEqual([]);
    expect(await noticesOf('2')).toEqual([{ subjectId: '2', clientId: 'mall-app', status: 'ACKNOWLEDGED' }]);
  });

  test('only subjects erased within the window are followed up', async () => {
    const audit = gw.gateway.audit;
    // Carol (user 3), erased five days before; a record releasing her data to the risk engine lands now.
    const restore = useClock(fixedClock('2026-11-20T12:00:00Z'));
    try {
      await eraseWithNotices(audit, ds(), (m) => markErased(m, 3));
    } finally {
      restore();
    }
    await audit.commit(disclosure({ clientId: 'risk-engine', purpose: 'security.risk-control', records: [fieldRecord({ subjectId: 3, entityId: '3', decision: 'ALLOW' })] }));
    const before = await noticesOf('3');
    expect(before.map((n) => n.clientId)).not.toContain('risk-engine');
    // Outside the window (40 s past the execution timeout): not looked at again.
    expect(await followUpErasures(audit, ds(), window)).toEqual([]);
    expect(await noticesOf('3')).toEqual(before);
    // A window reaching back to her erasure finds the late recipient.
    expect(await followUpErasures(audit, ds(), 10 * 86_400_000)).toEqual([{ kind: 'ERASURE', subjectId: 3, clientId: 'risk-engine' }]);
    expect((await noticesOf('3')).map((n) => n.clientId)).toContain('risk-engine');
  });
});
