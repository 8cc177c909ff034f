import { fixedClock, useClock } from '../../src/clock';
import { ClientRegistry } from '../../src/callers/registry';
import { GqlResponse, KEYS, startTestGateway, TestGateway, TEST_TODAY } from '../helpers/gateway';

/**
 * SPEC §7, data-subject requests over real HTTP (the privacy policy's §6: "we will reply within 30 days"):
 * opened, listed with `overdue`, closed DONE or REFUSED on a §6(6) ground, each step in the history.
 */
let gw: TestGateway;
/** A second client registered for `account` (a help desk), to tell who acted in a request's history. */
const HELPDESK_KEY = 'test-helpdesk-key-0123456789abcdef';
beforeAll(async () => {
  gw = await startTestGateway();
  await new ClientRegistry(gw.store.ds, 0).create({ id: 'helpdesk', displayName: 'Help desk', kind: 'internal', role: 'reader', purposes: ['account'], providers: [] }, HELPDESK_KEY);
});
afterAll(async () => { await gw?.close(); });

const DAY = 86_400_000;
const KINDS = ['ACCESS', 'CORRECTION', 'ERASURE', 'CONSENT_CHANGE', 'EXPLANATION'] as const;
const GROUNDS = ['STATE_SECURITY', 'PUBLIC_SECURITY', 'CRIMINAL_INVESTIGATION', 'ABUSE_OF_RIGHTS', 'HARM_TO_OTHERS', 'TRADE_SECRET'] as const;
const REQUEST = 'id userId kind state note openedAt dueAt closedAt outcome refusalGround overdue openedBy history { at action clientId detail }';
const iso = (s: string) => new Date(s).toISOString();

interface Req {
  id: string; userId: string; kind: string; state: string; note: string | null; openedAt: string; dueAt: string; closedAt: string | null;
  outcome: string | null; refusalGround: string | null; overdue: boolean; openedBy: string;
  history: { at: string; action: string; clientId: string; detail: string | null }[];
}

function open(userId: string, kind: string, opts: { key?: string; purpose?: string; note?: string | null } = {}): Promise<GqlResponse> {
  return gw.gql(opts.key ?? KEYS.account, `mutation O($input: OpenSubjectRequestInput!) { openSubjectRequest(input: $input) { ${REQUEST} } }`, {
    purpose: opts.purpose ?? 'account', variables: { input: { userId, kind, ...(opts.note !== undefined ? { note: opts.note } : {}) } },
  });
}

async function opened(userId: string, kind: string, note?: string): Promise<Req> {
  const r = await open(userId, kind, { note });
  expect(r.body.errors).toBeUndefined();
  return r.body.data.openSubjectRequest;
}

function close(id: string, outcome: string, refusalGround?: string | null, opts: { key?: string; purpose?: string } = {}): Promise<GqlResponse> {
  return gw.gql(opts.key ?? KEYS.account, `mutation C($input: CloseSubjectRequestInput!) { closeSubjectRequest(input: $input) { ${REQUEST} } }`, {
    purpose: opts.purpose ?? 'account', variables: { input: { id, outcome, ...(refusalGround !== undefined ? { refusalGround } : {}) } },
  });
}

function list(filter: Record<string, unknown> | null, opts: { key?: string; purpose?: string } = {}): Promise<GqlResponse> {
  return gw.gql(opts.key ?? KEYS.account, `query L($filter: SubjectRequestFilter) { subjectRequests(filter: $filter) { ${REQUEST} } }`, {
    purpose: opts.purpose ?? 'account', variables: { filter },
  });
}

async function listed(filter: Record<string, unknown> | null): Promise<Req[]> {
  const r = await list(filter);
  expect(r.body.errors).toBeUndefined();
  return r.body.data.subjectRequests;
}

/** The request as the API lists it now. */
async function current(id: string): Promise<Req> {
  const all = await listed(null);
  const found = all.find((r) => r.id === id);
  if (!found) throw new Error(`request ${id} not listed`);
  return found;
}

/** The one error of a refused operation: [HTTP status, code, reason, argument]. */
function refusal(r: GqlResponse): [number, string, string | undefined, string | undefined] {
  expect(r.body.errors).toHaveLength(1);
  const e = r.body.errors[0].extensions;
  return [r.status, e.code, e.reason, e.argument];
}

async function rowCounts(): Promise<[number, number]> {
  const [[a], [b]] = await Promise.all([
    gw.store.ds.query('SELECT COUNT(*) AS n FROM subject_requests'),
    gw.store.ds.query('SELECT COUNT(*) AS n FROM subject_request_events'),
  ]);
  return [Number(a.n), Number(b.n)];
}

/** Runs `body` with the gateway's clock at `at`, restoring the test clock after. */
async function at<T>(when: string, body: () => Promise<T>): Promise<T> {
  const restore = useClock(fixedClock(when));
  try {
    return await body();
  } finally {
    restore();
  }
}

describe('opening', () => {
  it.each(KINDS)('opens a %s request: OPEN, opened now by the clock, due 30 days later, its history one OPENED step', async (kind) => {
    const before = await rowCounts();
    const r = await opened('1', kind, `  the subject asks: ${kind}  `);
    expect(r).toEqual({
      id: expect.stringMatching(/^\d+$/), userId: '1', kind, state: 'OPEN', note: `the subject asks: ${kind}`,
      openedAt: iso(TEST_TODAY), dueAt: '2026-12-25T12:00:00.000Z', closedAt: null, outcome: null, refusalGround: null, overdue: false,
      openedBy: 'account-service', history: [{ at: iso(TEST_TODAY), action: 'OPENED', clientId: 'account-service', detail: null }],
    });
    expect(await rowCounts()).toEqual([before[0] + 1, before[1] + 1]);
    // Listed with the same content.
    expect(await current(r.id)).toEqual(r);
  });

  it('a blank note is no note', async () => {
    expect((await opened('1', 'ACCESS', '   ')).note).toBeNull();
    expect((await opened('1', 'ACCESS')).note).toBeNull();
  });

  it.each([
    ['2026-11-25T12:00:00.000Z', '2026-12-25T12:00:00.000Z'],
    ['2026-02-10T08:30:15.000Z', '2026-03-12T08:30:15.000Z'], // across a 28-day February
    ['2024-02-10T23:59:59.000Z', '2024-03-11T23:59:59.000Z'], // across a leap February
    ['2026-12-20T00:00:00.000Z', '2027-01-19T00:00:00.000Z'], // across the year
  ])('opened at %s (by the clock) is due exactly 30 days later, %s', async (openedAt, dueAt) => {
    const r = await at(openedAt, () => opened('3', 'EXPLANATION'));
    expect([r.openedAt, r.dueAt]).toEqual([openedAt, dueAt]);
    expect(Date.parse(r.dueAt) - Date.parse(r.openedAt)).toBe(30 * DAY);
    expect(r.history[0].at).toBe(openedAt);
    // Close it again, so that it leaves the overdue queue to the tests below.
    expect((await close(r.id, 'DONE')).body.errors).toBeUndefined();
  });

  it('a clock reading with milliseconds: the request as opened is the request as listed afterwards', async () => {
    const r = await at('2026-02-10T08:30:15.250Z', () => opened('3', 'EXPLANATION'));
    expect([r.openedAt, r.dueAt]).toEqual(['2026-02-10T08:30:15.250Z', '2026-03-12T08:30:15.250Z']);
    // The same request read back: the same times (openedAt, dueAt, the OPENED step).
    const listed = await current(r.id);
    expect([listed.openedAt, listed.dueAt, listed.history[0].at]).toEqual([r.openedAt, r.dueAt, r.history[0].at]);
    expect((await close(r.id, 'DONE')).body.errors).toBeUndefined();
  });

  it('an unknown user: BAD_USER_INPUT UNKNOWN_USER naming userId, and nothing is written', async () => {
    const before = await rowCounts();
    for (const userId of ['999', '0', 'abc', '-1', '1e3']) {
      expect(refusal(await open(userId, 'ACCESS'))).toEqual([400, 'BAD_USER_INPUT', 'UNKNOWN_USER', 'userId']);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('a note over 500 characters is refused (BAD_VALUE), nothing written', async () => {
    const before = await rowCounts();
    expect(refusal(await open('1', 'ACCESS', { note: 'x'.repeat(501) }))).toEqual([400, 'BAD_USER_INPUT', 'BAD_VALUE', 'note']);
    expect(await rowCounts()).toEqual(before);
    expect((await opened('1', 'ACCESS', 'x'.repeat(500))).note).toHaveLength(500);
  });

  it('an unknown kind is refused by the schema, nothing written', async () => {
    const before = await rowCounts();
    const r = await open('1', 'DELETION');
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    expect(await rowCounts()).toEqual(before);
  });
});

describe('who may', () => {
  it('only clients declaring `account` may open: others are FORBIDDEN (or not permitted the purpose), nothing written', async () => {
    const before = await rowCounts();
    const cases: [string, string, number, string][] = [
      [KEYS.mall, 'service.fulfilment', 403, 'FORBIDDEN'],
      [KEYS.risk, 'security.risk-control', 403, 'FORBIDDEN'],
      [KEYS.security, 'audit.review', 403, 'FORBIDDEN'],
      [KEYS.mall, 'account', 403, 'PURPOSE_NOT_PERMITTED'],
      [KEYS.security, 'account', 403, 'PURPOSE_NOT_PERMITTED'],
    ];
    for (const [key, purpose, status, code] of cases) {
      const r = await open('1', 'ACCESS', { key, purpose });
      expect([purpose, r.status, r.body.errors[0].extensions.code]).toEqual([purpose, status, code]);
    }
    // No purpose at all.
    const bare = await gw.gql(KEYS.account, 'mutation { openSubjectRequest(input: { userId: "1", kind: ACCESS }) { id } }');
    expect(bare.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await rowCounts()).toEqual(before);
  });

  it('only clients declaring `account` may close: the request stays OPEN', async () => {
    const r = await opened('2', 'ACCESS');
    for (const [key, purpose] of [[KEYS.mall, 'service.fulfilment'], [KEYS.security, 'audit.review'], [KEYS.risk, 'security.risk-control']]) {
      const c = await close(r.id, 'DONE', undefined, { key, purpose });
      expect([c.status, c.body.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect(await current(r.id)).toMatchObject({ state: 'OPEN', closedAt: null, history: [{ action: 'OPENED' }] });
  });

  it('auditors declaring audit.review may list the queue (the same as account sees); other readers may not', async () => {
    const mine = await listed(null);
    expect(mine.length).toBeGreaterThan(5);
    const review = await list(null, { key: KEYS.security, purpose: 'audit.review' });
    expect(review.body.errors).toBeUndefined();
    expect(review.body.data.subjectRequests).toEqual(mine);
    const filtered = await list({ userId: '2' }, { key: KEYS.security, purpose: 'audit.review' });
    expect(filtered.body.data.subjectRequests.map((r: Req) => r.id)).toEqual(mine.filter((r) => r.userId === '2').map((r) => r.id));
    for (const [key, purpose] of [[KEYS.mall, 'service.fulfilment'], [KEYS.risk, 'security.risk-control'], [KEYS.analytics, 'analytics']]) {
      const r = await list(null, { key, purpose });
      expect([purpose, r.status, r.body.errors[0].extensions.code, r.body.data?.subjectRequests]).toEqual([purpose, 403, 'FORBIDDEN', undefined]);
    }
    // The auditor without declaring audit.review is a client like any other.
    const undeclared = await gw.gql(KEYS.security, `{ subjectRequests { id } }`);
    expect(undeclared.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('listing', () => {
  it('filters by user, kind and state, the oldest due first', async () => {
    const all = await listed(null);
    expect(all.map((r) => r.dueAt)).toEqual([...all.map((r) => r.dueAt)].sort());
    const alice = await listed({ userId: '1' });
    expect(alice.length).toBeGreaterThan(0);
    expect(alice).toEqual(all.filter((r) => r.userId === '1'));
    const erasures = await listed({ kind: 'ERASURE' });
    expect(erasures.length).toBeGreaterThan(0);
    expect(erasures).toEqual(all.filter((r) => r.kind === 'ERASURE'));
    const done = await listed({ state: 'DONE' });
    expect(done.length).toBeGreaterThan(0);
    expect(done).toEqual(all.filter((r) => r.state === 'DONE'));
    expect(await listed({ userId: '1', kind: 'CORRECTION', state: 'OPEN' })).toEqual(all.filter((r) => r.userId === '1' && r.kind === 'CORRECTION' && r.state === 'OPEN'));
    expect(await listed({ userId: '4' })).toEqual([]);
  });

  it('a userId that is not an id is refused', async () => {
    const r = await list({ userId: 'alice' });
    expect([r.status, r.body.errors[0].extensions.code, r.body.errors[0].extensions.argument]).toEqual([400, 'BAD_USER_INPUT', 'userId']);
  });
});

describe('overdue', () => {
  it('`overdue` and the overdue filter follow the clock past dueAt (strictly after), and a closed request is never overdue', async () => {
    // Open two requests for Tom (user 4) a week before the test day: due 2026-12-18T12:00Z.
    const [a, b] = await at('2026-11-18T12:00:00Z', async () => [await opened('4', 'ACCESS'), await opened('4', 'CONSENT_CHANGE')]);
    expect([a.dueAt, b.dueAt]).toEqual(['2026-12-18T12:00:00.000Z', '2026-12-18T12:00:00.000Z']);
    const tom = (filter: Record<string, unknown> = {}) => listed({ userId: '4', ...filter });
    const ids = (rows: Req[]) => rows.map((r) => r.id);

    expect((await tom()).map((r) => r.overdue)).toEqual([false, false]);
    expect(await tom({ overdue: true })).toEqual([]);
    expect(ids(await tom({ overdue: false }))).toEqual([a.id, b.id]);

    // Earlier on the due day: not yet (the comparison is of times, not of text).
    await at('2026-12-18T00:00:00.000Z', async () => {
      expect((await tom()).map((r) => r.overdue)).toEqual([false, false]);
      expect(await tom({ overdue: true })).toEqual([]);
    });

    // Exactly at dueAt: still in time.
    await at('2026-12-18T12:00:00.000Z', async () => {
      expect((await tom()).map((r) => r.overdue)).toEqual([false, false]);
      expect(await tom({ overdue: true })).toEqual([]);
    });

    // One second later: both overdue, in the list, the filter and the whole queue.
    await at('2026-12-18T12:00:01.000Z', async () => {
      expect((await tom()).map((r) => r.overdue)).toEqual([true, true]);
      expect(ids(await tom({ overdue: true }))).toEqual([a.id, b.id]);
      expect(await tom({ overdue: false })).toEqual([]);
      const queue = await listed({ overdue: true });
      expect(ids(queue)).toEqual(expect.arrayContaining([a.id, b.id]));
      expect(queue.every((r) => r.overdue && r.state === 'OPEN')).toBe(true);
      // overdue wins over a conflicting state filter: no closed request is overdue.
      expect(await tom({ overdue: true, state: 'DONE' })).toEqual([]);
      // Closing one takes it out of the overdue queue.
      const closed = (await close(a.id, 'DONE')).body.data.closeSubjectRequest;
      expect(closed).toMatchObject({ state: 'DONE', overdue: false, closedAt: '2026-12-18T12:00:01.000Z' });
      expect(ids(await tom({ overdue: true }))).toEqual([b.id]);
      expect(ids(await tom({ overdue: false }))).toEqual([a.id]);
      // Through the auditors' view too.
      const review = await list({ userId: '4', overdue: true }, { key: KEYS.security, purpose: 'audit.review' });
      expect(ids(review.body.data.subjectRequests)).toEqual([b.id]);
    });

    // Back on the test day: nothing of Tom's overdue any more.
    expect(await tom({ overdue: true })).toEqual([]);
    expect((await tom()).find((r) => r.id === b.id)?.overdue).toBe(false);
  });
});

describe('closing', () => {
  it('DONE: state and outcome DONE, closedAt from the clock, the history OPENED then DONE by the acting client', async () => {
    const r = await opened('2', 'ACCESS');
    const done = await at('2026-11-30T08:00:00Z', async () => {
      const c = await close(r.id, 'DONE', undefined, { key: HELPDESK_KEY });
      expect(c.body.errors).toBeUndefined();
      return c.body.data.closeSubjectRequest as Req;
    });
    expect(done).toEqual({
      ...r, state: 'DONE', outcome: 'DONE', closedAt: '2026-11-30T08:00:00.000Z', refusalGround: null, overdue: false,
      history: [
        { at: iso(TEST_TODAY), action: 'OPENED', clientId: 'account-service', detail: null },
        { at: '2026-11-30T08:00:00.000Z', action: 'DONE', clientId: 'helpdesk', detail: null },
      ],
    });
    expect(done.openedBy).toBe('account-service');
    expect(await current(r.id)).toEqual(done);
    const [row] = await gw.store.ds.query('SELECT state, refusal_ground FROM subject_requests WHERE id = ?', [Number(r.id)]);
    expect([row.state, row.refusal_ground]).toEqual(['DONE', null]);
  });

  it.each(GROUNDS)('REFUSED on the ground %s: the ground is kept and named in the history', async (ground) => {
    const r = await opened('2', 'EXPLANATION');
    const c = await close(r.id, 'REFUSED', ground);
    expect(c.body.errors).toBeUndefined();
    const refused: Req = c.body.data.closeSubjectRequest;
    expect(refused).toMatchObject({ state: 'REFUSED', outcome: 'REFUSED', refusalGround: ground, closedAt: iso(TEST_TODAY), overdue: false });
    expect(refused.history).toEqual([
      { at: iso(TEST_TODAY), action: 'OPENED', clientId: 'account-service', detail: null },
      { at: iso(TEST_TODAY), action: 'REFUSED', clientId: 'account-service', detail: ground },
    ]);
    expect(await current(r.id)).toEqual(refused);
    expect((await listed({ state: 'REFUSED' })).map((x) => x.id)).toContain(r.id);
  });

  it('REFUSED without a ground: BAD_USER_INPUT REFUSAL_GROUND_REQUIRED, and the request stays OPEN', async () => {
    const r = await opened('2', 'ACCESS');
    const before = await rowCounts();
    for (const ground of [undefined, null]) {
      expect(refusal(await close(r.id, 'REFUSED', ground))).toEqual([400, 'BAD_USER_INPUT', 'REFUSAL_GROUND_REQUIRED', 'refusalGround']);
    }
    expect(await rowCounts()).toEqual(before);
    expect(await current(r.id)).toEqual(r);
    // And it can still be refused properly afterwards.
    expect((await close(r.id, 'REFUSED', 'ABUSE_OF_RIGHTS')).body.data.closeSubjectRequest.state).toBe('REFUSED');
  });

  it('a ground that is not one of §6(6) is refused by the schema, the request stays OPEN', async () => {
    const r = await opened('2', 'ACCESS');
    const c = await close(r.id, 'REFUSED', 'TOO_BUSY');
    expect(c.status).toBe(400);
    expect(c.body.data).toBeUndefined();
    // In a variable (as here): BAD_USER_INPUT, as docs/api.md says; written in the document, GRAPHQL_VALIDATION_FAILED.
    expect(c.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const literal = await gw.gql(KEYS.account, `mutation { closeSubjectRequest(input: { id: "${r.id}", outcome: REFUSED, refusalGround: TOO_BUSY }) { id } }`, { purpose: 'account' });
    expect([literal.status, literal.body.errors[0].extensions.code]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    expect(await current(r.id)).toEqual(r);
  });

  it('DONE with a refusal ground: BAD_USER_INPUT GROUND_WITHOUT_REFUSAL, the request stays OPEN', async () => {
    const r = await opened('2', 'ACCESS');
    const before = await rowCounts();
    expect(refusal(await close(r.id, 'DONE', 'TRADE_SECRET'))).toEqual([400, 'BAD_USER_INPUT', 'GROUND_WITHOUT_REFUSAL', 'refusalGround']);
    expect(await rowCounts()).toEqual(before);
    expect(await current(r.id)).toEqual(r);
  });

  it('closing twice: REQUEST_CLOSED, and the first closing stands', async () => {
    const r = await opened('2', 'ACCESS');
    const first: Req = (await close(r.id, 'DONE')).body.data.closeSubjectRequest;
    const before = await rowCounts();
    expect(refusal(await close(r.id, 'DONE'))).toEqual([400, 'BAD_USER_INPUT', 'REQUEST_CLOSED', 'id']);
    expect(refusal(await close(r.id, 'REFUSED', 'HARM_TO_OTHERS'))).toEqual([400, 'BAD_USER_INPUT', 'REQUEST_CLOSED', 'id']);
    expect(await rowCounts()).toEqual(before);
    expect(await current(r.id)).toEqual(first);

    const refused: Req = (await close((await opened('2', 'ACCESS')).id, 'REFUSED', 'STATE_SECURITY')).body.data.closeSubjectRequest;
    expect(refusal(await close(refused.id, 'DONE'))).toEqual([400, 'BAD_USER_INPUT', 'REQUEST_CLOSED', 'id']);
    expect(await current(refused.id)).toEqual(refused);
  });

  it('two concurrent closings: exactly one wins, the other is REQUEST_CLOSED, one closing step in the history', async () => {
    const r = await opened('2', 'ACCESS');
    const results = await Promise.all([close(r.id, 'DONE'), close(r.id, 'REFUSED', 'TRADE_SECRET'), close(r.id, 'DONE', undefined, { key: HELPDESK_KEY })]);
    const won = results.filter((x) => !x.body.errors);
    const lost = results.filter((x) => x.body.errors);
    expect(won).toHaveLength(1);
    for (const l of lost) expect(refusal(l)).toEqual([400, 'BAD_USER_INPUT', 'REQUEST_CLOSED', 'id']);
    const final = await current(r.id);
    expect(final).toEqual(won[0].body.data.closeSubjectRequest);
    expect(final.history.map((h) => h.action)).toEqual(['OPENED', final.state]);
  });

  it('an unknown request: UNKNOWN_REQUEST, nothing written', async () => {
    const before = await rowCounts();
    for (const id of ['99999', 'x1', '0']) {
      expect(refusal(await close(id, 'DONE'))).toEqual([400, 'BAD_USER_INPUT', 'UNKNOWN_REQUEST', 'id']);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('an ERASURE request is not closed DONE by hand (USE_REQUEST_ERASURE), but may be refused on a ground', async () => {
    const r = await opened('3', 'ERASURE');
    const before = await rowCounts();
    expect(refusal(await close(r.id, 'DONE'))).toEqual([400, 'BAD_USER_INPUT', 'USE_REQUEST_ERASURE', 'outcome']);
    expect(await rowCounts()).toEqual(before);
    expect(await current(r.id)).toEqual(r);
    const refused = (await close(r.id, 'REFUSED', 'CRIMINAL_INVESTIGATION')).body.data.closeSubjectRequest;
    expect(refused).toMatchObject({ state: 'REFUSED', refusalGround: 'CRIMINAL_INVESTIGATION' });
    expect(refused.history.map((h: Req['history'][number]) => h.action)).toEqual(['OPENED', 'REFUSED']);
    // Refusing an erasure request erases nobody.
    const [lily] = await gw.store.ds.query('SELECT erased_at FROM users WHERE id = 3');
    expect(lily.erased_at).toBeNull();
  });
});

it('the stored history holds exactly the steps this file caused, by the clients that acted', async () => {
  const rows: Record<string, unknown>[] = await gw.store.ds.query('SELECT * FROM subject_request_events');
  expect(rows.length).toBeGreaterThan(0);
  expect(new Set(rows.map((r) => r.action))).toEqual(new Set(['OPENED', 'DONE', 'REFUSED']));
  expect(new Set(rows.map((r) => r.client_id))).toEqual(new Set(['account-service', 'helpdesk']));
});

describe('paging', () => {
  it('`overdue: false` is applied before the page is cut: a page of the requests in time is full even when more overdue ones are due earlier', async () => {
    // Lily (user 3): three CONSENT_CHANGE requests opened in October (overdue on the test day), two opened today.
    const late = await at('2026-10-01T09:00:00Z', async () => [await opened('3', 'CONSENT_CHANGE'), await opened('3', 'CONSENT_CHANGE'), await opened('3', 'CONSENT_CHANGE')]);
    const inTime = [await opened('3', 'CONSENT_CHANGE'), await opened('3', 'CONSENT_CHANGE')];
    const page = async (filter: Record<string, unknown>, first: number) => {
      const r = await gw.gql(KEYS.account, `query L($filter: SubjectRequestFilter, $first: Int) { subjectRequests(filter: $filter, first: $first) { id overdue } }`, {
        purpose: 'account', variables: { filter: { userId: '3', kind: 'CONSENT_CHANGE', ...filter }, first },
      });
      expect(r.body.errors).toBeUndefined();
      return r.body.data.subjectRequests as { id: string; overdue: boolean }[];
    };
    expect(await page({}, 5)).toEqual([...late, ...inTime].map((r, i) => ({ id: r.id, overdue: i < 3 })));
    expect((await page({ overdue: false }, 2)).map((r) => r.id)).toEqual(inTime.map((r) => r.id));
    expect((await page({ overdue: true }, 2)).map((r) => r.id)).toEqual(late.slice(0, 2).map((r) => r.id));
    expect((await page({ state: 'OPEN', overdue: false }, 1)).map((r) => r.id)).toEqual([inTime[0].id]);
  });

  it('`first` and `after` walk the whole list in order, each request once, with the filter kept', async () => {
    const all = await listed(null);
    expect(all.length).toBeGreaterThan(6);
    const walk = async (filter: Record<string, unknown> | null, size: number): Promise<string[]> => {
      const seen: string[] = [];
      for (let after: string | null = null; ;) {
        const r = await gw.gql(KEYS.security, `query L($filter: SubjectRequestFilter, $first: Int, $after: ID) { subjectRequests(filter: $filter, first: $first, after: $after) { id } }`, {
          purpose: 'audit.review', variables: { filter, first: size, after },
        });
        expect(r.body.errors).toBeUndefined();
        const ids = (r.body.data.subjectRequests as { id: string }[]).map((x) => x.id);
        expect(ids.length).toBeLessThanOrEqual(size);
        seen.push(...ids);
        if (ids.length < size) return seen;
        after = ids[ids.length - 1];
      }
    };
    expect(await walk(null, 4)).toEqual(all.map((r) => r.id));
    expect(await walk(null, 1)).toEqual(all.map((r) => r.id));
    const open = all.filter((r) => r.state === 'OPEN').map((r) => r.id);
    expect(open.length).toBeGreaterThan(2);
    expect(await walk({ state: 'OPEN' }, 2)).toEqual(open);
  });

  it('a `first` outside 1–500 and an `after` that names no request are BAD_USER_INPUT, naming the argument', async () => {
    const ask = (variables: Record<string, unknown>) => gw.gql(KEYS.account, `query L($first: Int, $after: ID) { subjectRequests(first: $first, after: $after) { id } }`, { purpose: 'account', variables });
    for (const [variables, argument] of [[{ first: 0 }, 'first'], [{ first: -1 }, 'first'], [{ first: 501 }, 'first'], [{ after: 'nope' }, 'after'], [{ after: '99999999' }, 'after']] as const) {
      const r = await ask(variables);
      expect([r.status, r.body.errors?.[0]?.extensions?.code, r.body.errors?.[0]?.extensions?.argument]).toEqual([400, 'BAD_USER_INPUT', argument]);
      expect(r.body.data?.subjectRequests ?? null).toBeNull();
    }
    const all = await listed(null);
    const r = await ask({ first: 500 });
    expect(r.body.data.subjectRequests.map((x: { id: string }) => x.id)).toEqual(all.map((x) => x.id));
  });
});
