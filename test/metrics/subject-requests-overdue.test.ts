import { fixedClock, useClock } from '../../src/clock';
import { KEYS, startTestGateway, TestGateway, TEST_TODAY } from '../helpers/gateway';
import { parsePrometheusText, sampleValue } from './prometheus-text';

/**
 * `purposegate_subject_requests_overdue` (SPEC §7, §9): data-subject requests still open past
 * their due date (opened + 30 days), counted on the clock at each scrape.
 */
let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw?.close(); });

const DAY = 86_400_000;
const after = (days: number, ms = 0) => new Date(Date.parse(TEST_TODAY) + days * DAY + ms).toISOString();

async function overdue(): Promise<number> {
  const res = await fetch(`${gw.url}/metrics`);
  expect(res.status).toBe(200);
  const families = parsePrometheusText(await res.text());
  expect(families.get('purposegate_subject_requests_overdue')?.type).toBe('gauge');
  return sampleValue(families, 'purposegate_subject_requests_overdue');
}

async function open(userId: string, kind: string): Promise<string> {
  const r = await gw.gql(KEYS.account, `mutation { openSubjectRequest(input: { userId: "${userId}", kind: ${kind} }) { id dueAt } }`, { purpose: 'account' });
  expect(r.body.data.openSubjectRequest.dueAt).toBe(after(30));
  return r.body.data.openSubjectRequest.id;
}

/** Scrapes with the clock at `iso`. */
async function overdueAt(iso: string): Promise<number> {
  const restore = useClock(fixedClock(iso));
  try {
    return await overdue();
  } finally {
    restore();
  }
}

it('counts the open requests past their due date, on the clock, and not the closed ones', async () => {
  expect(await overdue()).toBe(0);
  const access = await open('1', 'ACCESS');
  const explanation = await open('2', 'EXPLANATION');
  expect(await overdue()).toBe(0);
  // Due exactly 30 days after opening: at that instant not yet overdue, a millisecond later both are.
  expect(await overdueAt(after(30))).toBe(0);
  expect(await overdueAt(after(30, 1))).toBe(2);

  const closed = await gw.gql(KEYS.account, `mutation { closeSubjectRequest(input: { id: "${explanation}", outcome: DONE }) { state } }`, { purpose: 'account' });
  expect(closed.body.data.closeSubjectRequest.state).toBe('DONE');
  expect(await overdueAt(after(31))).toBe(1);

  // The queue's own view agrees.
  const restore = useClock(fixedClock(after(31)));
  try {
    const queue = await gw.gql(KEYS.account, '{ subjectRequests(filter: { overdue: true }) { id } }', { purpose: 'account' });
    expect(queue.body.data.subjectRequests.map((r: { id: string }) => r.id)).toEqual([access]);
  } finally {
    restore();
  }
  expect(await overdue()).toBe(0); // back at the test's today
});
