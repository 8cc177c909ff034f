import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { KEYS, startTestGateway, TEST_TODAY, TestGateway } from '../helpers/gateway';
import { review } from './api';
import { ConsolePage, ensureConsoleBuilt, launchChromium, openConsole, openView, SCREENSHOTS, signIn } from './browser';
import { sendDemoTraffic } from './traffic';

// Callbacks given to page.evaluate/$eval run in the browser; the project's tsconfig has no DOM lib,
// so the few browser globals are declared here (as in console.test.ts).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, location: any, getComputedStyle: any;
type HTMLElement = any;
type HTMLSelectElement = any;

/**
 * The console's data-subject requests (SPEC §7, issue #20) and the Clients view's default (issue
 * #22) in headless Chromium against the gateway over HTTP. Requests are opened, corrected and
 * refused through the API as the account service; an overdue and a due-soon one are written
 * straight into the store with old dates (the gateway's clock is fixed at TEST_TODAY, and the
 * console reads `overdue` from it). What the console shows is compared with what the API answers.
 */
let gw: TestGateway;
let browser: Browser;
let tab: ConsolePage;
let page: Page;

const DAY = 86_400_000;
/** The console's page of requests (REQUESTS_PAGE in src/console/components/Requests.tsx, which jest cannot load). */
const REQUESTS_PAGE = 100;
const ids: Record<'access' | 'corrected' | 'correction' | 'refused' | 'overdue' | 'soon', string> = {} as never;

const REQUEST_FIELDS = 'id userId kind state note openedAt dueAt closedAt outcome refusalGround overdue openedBy history { at action clientId detail }';
interface ApiRequest { id: string; userId: string; kind: string; state: string; note: string | null; refusalGround: string | null; overdue: boolean; dueAt: string; history: { action: string; clientId: string; detail: string | null }[] }

async function requests(filter: Record<string, unknown> | null): Promise<ApiRequest[]> {
  return (await review(gw, `query($f: SubjectRequestFilter) { subjectRequests(filter: $f) { ${REQUEST_FIELDS} } }`, { f: filter })).subjectRequests;
}

async function account(query: string, variables?: Record<string, unknown>): Promise<any> {
  const r = await gw.gql(KEYS.account, query, { variables, purpose: 'account' });
  if (r.status !== 200 || r.body.errors) throw new Error(`account call failed: ${r.status} ${JSON.stringify(r.body).slice(0, 800)}`);
  return r.body.data;
}

const OPEN = `mutation($input: OpenSubjectRequestInput!) { openSubjectRequest(input: $input) { id } }`;
const open = async (userId: number, kind: string, note?: string) => (await account(OPEN, { input: { userId: String(userId), kind, note } })).openSubjectRequest.id as string;

/** A request as an older writer could have left it: opened `daysAgo` before TEST_TODAY, due 30 days after, with its OPENED step. */
async function insertRequest(userId: number, kind: string, daysAgo: number, note: string): Promise<string> {
  const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
  const opened = new Date(TEST_TODAY).getTime() - daysAgo * DAY;
  await gw.store.ds.query(
    `INSERT INTO subject_requests (user_id, kind, state, note, opened_at, due_at, closed_at, refusal_ground, opened_by) VALUES (?, ?, 'OPEN', ?, ?, ?, NULL, NULL, 'account-service')`,
    [userId, kind, note, at(opened), at(opened + 30 * DAY)],
  );
  const [{ id }] = await gw.store.ds.query(`SELECT id FROM subject_requests WHERE note = ?`, [note]);
  await gw.store.ds.query(
    `INSERT INTO subject_request_events (request_id, at, action, client_id, detail, gateway_request_id) VALUES (?, ?, 'OPENED', 'account-service', NULL, NULL)`,
    [id, at(opened)],
  );
  return String(id);
}

beforeAll(async () => {
  ensureConsoleBuilt();
  gw = await startTestGateway();
  await sendDemoTraffic(gw);
  ids.access = await open(1, 'ACCESS', 'Alice asks for a copy of everything held about her');
  ids.corrected = await open(1, 'CORRECTION', 'Alice goes by Ally now');
  await account(`mutation($input: CorrectSubjectInput!) { correctSubject(input: $input) { id state } }`, { input: { userId: '1', requestId: ids.corrected, nickname: 'Ally' } });
  ids.correction = await open(3, 'CORRECTION', "Lily's guardian: the city is wrong");
  ids.refused = await open(1, 'EXPLANATION', 'How is my risk score computed?');
  await account(`mutation($input: CloseSubjectRequestInput!) { closeSubjectRequest(input: $input) { state } }`, { input: { id: ids.refused, outcome: 'REFUSED', refusalGround: 'TRADE_SECRET' } });
  ids.overdue = await insertRequest(1, 'CONSENT_CHANGE', 33, 'Withdraw every marketing consent (asked by letter)');
  ids.soon = await insertRequest(3, 'ACCESS', 25, 'A copy for the guardian');
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
  tab = await openConsole(browser, gw.url);
  page = tab.page;
  await signIn(page, KEYS.security);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

afterEach(() => {
  // No page error, no CSP violation, no dialog in any test.
  expect(tab?.problems ?? []).toEqual([]);
});

/** The ids of a request table once they are exactly `expected` (fails with what is shown instead). */
async function expectRequestRows(expected: string[], table = 'requests'): Promise<void> {
  const selector = `[data-testid=${table}] tbody tr[data-request]`;
  try {
    await page.waitForFunction(
      ([sel, want]) => [...document.querySelectorAll(sel)].map((tr) => (tr as HTMLElement).dataset.request).join(',') === want,
      [selector, expected.join(',')] as const, { timeout: 10_000 },
    );
  } catch {
    const shown = await page.$$eval(selector, (trs) => trs.map((tr) => (tr as HTMLElement).dataset.request));
    throw new Error(`the ${table} table shows [${shown.join(',')}], the API answers [${expected.join(',')}]`);
  }
}

const row = (id: string, table = 'requests') => `[data-testid=${table}] tr[data-request="${id}"]`;

async function applyFilters(f: { state?: string; kind?: string; overdue?: boolean }): Promise<void> {
  await page.selectOption('[data-testid=request-state]', f.state ?? 'OPEN');
  await page.selectOption('[data-testid=request-kind]', f.kind ?? '');
  await page.setChecked('[data-testid=request-overdue]', !!f.overdue);
  await page.click('.requests form.filters button[type=submit]');
}

describe('Requests', () => {
  it('lists the open requests by default, the oldest due first, as subjectRequests answers', async () => {
    await openView(page, 'requests');
    const open = await requests({ state: 'OPEN' });
    expect(open.map((r) => r.id)).toEqual([ids.overdue, ids.soon, ids.access, ids.correction]);
    await expectRequestRows(open.map((r) => r.id));
    expect(new URL(page.url()).searchParams.get('view')).toBe('requests');
    expect(await page.title()).toBe('Requests · PurposeGate review console');
    // Every column: id, subject, kind, opened, due, state, note.
    const cells = await page.$$eval('[data-testid=requests] tbody tr[data-request]', (trs) => trs.map((tr) => [...tr.children].slice(0, 7).map((td) => td.textContent)));
    expect(cells[2]).toEqual([`▸ #${ids.access}`, '1', 'ACCESS', '2026-11-25 12:00:00Z', 'in 30 days2026-12-25', 'open', 'Alice asks for a copy of everything held about her']);
  });

  it('marks the overdue request in red and in words, and highlights the one due within 7 days', async () => {
    const [overdue] = await requests({ overdue: true });
    expect(overdue).toMatchObject({ id: ids.overdue, overdue: true, state: 'OPEN' });
    const o = await page.$eval(row(ids.overdue), (tr) => ({
      cls: (tr as HTMLElement).className, due: tr.querySelector('td.due .when').textContent, state: tr.querySelector('td.state').textContent,
      colour: getComputedStyle(tr.querySelector('td.due .when')).color,
    }));
    expect(o.cls.split(' ')).toContain('overdue');
    expect(o.due).toBe('3 days overdue');
    expect(o.state).toBe('openoverdue');
    expect(o.colour).toBe('rgb(194, 65, 59)'); // --deny
    const s = await page.$eval(row(ids.soon), (tr) => ({ cls: (tr as HTMLElement).className, due: tr.querySelector('td.due').textContent }));
    expect(s.cls.split(' ')).toContain('due-soon');
    expect(s.cls.split(' ')).not.toContain('overdue');
    expect(s.due).toBe('in 5 daysdue soon2026-11-30');
    const a = await page.$eval(row(ids.access), (tr) => (tr as HTMLElement).className);
    expect(a).toBe('');
    expect(await page.textContent('[data-testid=requests-summary]')).toBe('4 requests · 1 overdue · 1 due within 7 days');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'requests.png') });
  });

  it('filters by state, kind and overdue, with the filters in the URL', async () => {
    await applyFilters({ state: 'REFUSED' });
    const refused = await requests({ state: 'REFUSED' });
    expect(refused.map((r) => [r.id, r.refusalGround])).toEqual([[ids.refused, 'TRADE_SECRET']]);
    await expectRequestRows([ids.refused]);
    expect(await page.textContent(`${row(ids.refused)} [data-testid=refusal-ground]`)).toBe('TRADE_SECRET');
    expect(await page.textContent(`${row(ids.refused)} td.state`)).toMatch(/^refused TRADE_SECRET2026-11-25 12:00:00Z$/);
    expect(new URL(page.url()).searchParams.get('state')).toBe('REFUSED');

    await applyFilters({ state: 'any', kind: 'CORRECTION' });
    const corrections = await requests({ kind: 'CORRECTION' });
    expect(corrections.map((r) => r.id)).toEqual([ids.corrected, ids.correction]);
    await expectRequestRows(corrections.map((r) => r.id));
    expect(await page.textContent(`${row(ids.corrected)} td.state`)).toMatch(/^done/);
    const url = new URL(page.url());
    expect([url.searchParams.get('state'), url.searchParams.get('kind')]).toEqual(['any', 'CORRECTION']);

    await applyFilters({ overdue: true });
    await expectRequestRows([ids.overdue]);
    expect(new URL(page.url()).searchParams.get('overdue')).toBe('true');

    await applyFilters({ state: 'any' });
    await expectRequestRows((await requests(null)).map((r) => r.id));
    expect((await requests(null)).length).toBe(6);
  });

  it('opens a shared link with its filters', async () => {
    const other = await openConsole(browser, gw.url, '?view=requests&state=any&kind=ACCESS');
    try {
      await signIn(other.page, KEYS.security);
      const expected = (await requests({ kind: 'ACCESS' })).map((r) => r.id).join(',');
      await other.page.waitForFunction((want) => [...document.querySelectorAll('[data-testid=requests] tbody tr[data-request]')].map((tr) => (tr as HTMLElement).dataset.request).join(',') === want, expected);
      expect(await other.page.$eval('[data-testid=request-kind]', (s) => (s as HTMLSelectElement).value)).toBe('ACCESS');
      expect(await other.page.$eval('[data-testid=request-state]', (s) => (s as HTMLSelectElement).value)).toBe('any');
      expect(other.problems).toEqual([]);
    } finally {
      await other.context.close();
    }
  });

  it('expands a request to its history, as the API records it', async () => {
    await applyFilters({ state: 'any', kind: 'CORRECTION' });
    await expectRequestRows([ids.corrected, ids.correction]);
    const [corrected] = (await requests({ kind: 'CORRECTION' })).filter((r) => r.id === ids.corrected);
    expect(corrected.history.map((e) => e.action)).toEqual(['OPENED', 'CORRECTED', 'DONE']);
    expect(await page.getAttribute(`${row(ids.corrected)} [data-testid=toggle-history]`, 'aria-expanded')).toBe('false');
    await page.click(`${row(ids.corrected)} td.kind`); // a click anywhere on the row
    await page.waitForSelector(`tr[data-history-of="${ids.corrected}"] [data-testid=request-history]`);
    expect(await page.getAttribute(`${row(ids.corrected)} [data-testid=toggle-history]`, 'aria-expanded')).toBe('true');
    const steps = await page.$$eval(`tr[data-history-of="${ids.corrected}"] tbody tr`, (trs) => trs.map((tr) => [
      (tr as HTMLElement).dataset.action, tr.querySelector('.by').textContent, tr.querySelector('.detail-text').textContent,
    ]));
    expect(steps.map(([a]) => a)).toEqual(corrected.history.map((e) => e.action));
    for (const [, by] of steps) expect(by).toContain('account-service');
    expect(steps.map(([, , d]) => d)).toEqual(corrected.history.map((e) => e.detail ?? '—'));
    expect(await page.textContent(`tr[data-history-of="${ids.corrected}"] dd[data-field=note]`)).toBe('Alice goes by Ally now');
    // The toggle closes it again.
    await page.click(`${row(ids.corrected)} [data-testid=toggle-history]`);
    await page.waitForSelector(`tr[data-history-of="${ids.corrected}"]`, { state: 'detached' });
  });

  it('links a request to its subject', async () => {
    await page.click(`${row(ids.correction)} [data-testid=subject-link]`);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'subject' && new URL(location.href).searchParams.get('subjectId') === '3');
    await expectRequestRows((await requests({ userId: '3' })).map((r) => r.id), 'subject-requests');
  });
});

describe('Subject', () => {
  it('shows user 1\'s requests and correction notices beside the erasure state', async () => {
    await page.fill('input[name=subjectId]', '1');
    await page.click('form.filters button[type=submit]');
    const mine = await requests({ userId: '1' });
    expect(mine.map((r) => r.id).sort()).toEqual([ids.access, ids.corrected, ids.refused, ids.overdue].sort());
    await expectRequestRows(mine.map((r) => r.id), 'subject-requests');
    expect(await page.textContent('[data-testid=erasure-state]')).toBe('Not erased');
    // The same component: overdue marked, the refusal's ground shown; no subject column in a subject's own list.
    expect(await page.$eval(row(ids.overdue, 'subject-requests'), (tr) => (tr as HTMLElement).className)).toContain('overdue');
    expect(await page.textContent(`${row(ids.refused, 'subject-requests')} [data-testid=refusal-ground]`)).toBe('TRADE_SECRET');
    expect(await page.$$(`[data-testid=subject-requests] [data-testid=subject-link]`)).toHaveLength(0);

    const { correctionNotices } = await review(gw, `{ correctionNotices(subjectId: 1) { id clientId requestId categories status } }`);
    expect(correctionNotices.length).toBeGreaterThanOrEqual(1);
    await page.waitForSelector('[data-testid=correction-notices][data-subject="1"]');
    const shown = await page.$$eval('[data-testid=correction-notices] tbody tr', (trs) => trs.map((tr) => [
      (tr as HTMLElement).dataset.client, (tr as HTMLElement).dataset.request, (tr as HTMLElement).dataset.status,
      [...tr.querySelectorAll('td.categories .tag')].map((t) => t.textContent), tr.children[3].textContent,
    ]));
    expect(shown).toEqual(correctionNotices.map((n: { clientId: string; requestId: string; categories: string[]; status: string }) => [n.clientId, n.requestId, n.status, n.categories, 'open']));
    for (const n of correctionNotices) expect(n.requestId).toBe(ids.corrected);
    // The clients that received Alice's nickname in the demo traffic, e.g. the mall.
    expect(shown.map(([c]) => c)).toContain('mall-app');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'subject-requests.png'), fullPage: true });
  });

  it('downloads the access copy of an ACCESS request with the key in a header, and shows COPY_ISSUED after', async () => {
    const copyCalls: Request[] = [];
    const listen = (r: Request) => { if (r.url().includes('/console/subject-copy')) copyCalls.push(r); };
    page.on('request', listen);
    try {
      // Only ACCESS requests that were not refused offer a copy.
      expect(await page.$$eval('[data-testid=subject-requests] [data-testid=download-copy]', (bs) => bs.map((b) => (b as HTMLElement).closest('tr').dataset.request))).toEqual([ids.access]);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${row(ids.access, 'subject-requests')} [data-testid=download-copy]`)]);
      expect(download.suggestedFilename()).toBe(`subject-1-access-copy-${ids.access}.json`);
      const copy = JSON.parse(readFileSync((await download.path())!, 'utf8'));
      expect(copy).toMatchObject({ format: 'purposegate-access-copy/1', issuedBy: 'security-console', request: { id: Number(ids.access), kind: 'ACCESS' }, subject: { id: '1', username: 'alice', nickname: 'Ally' } });
      expect(copy.correctionNotices.length).toBeGreaterThanOrEqual(1);
      // The key went in the Authorization header, never in a URL.
      expect(copyCalls.map((r) => r.url())).toEqual([`${gw.url}/console/subject-copy?request=${ids.access}`]);
      expect((await copyCalls[0].allHeaders()).authorization).toBe(`Bearer ${KEYS.security}`);
      for (const url of tab.requests) expect(url).not.toContain(KEYS.security);
    } finally {
      page.off('request', listen);
    }
    // The list is read again: the request's history has the copy.
    await page.click(`${row(ids.access, 'subject-requests')} [data-testid=toggle-history]`);
    await page.waitForSelector(`tr[data-history-of="${ids.access}"] tr[data-action=COPY_ISSUED]`);
    const [access] = (await requests({ userId: '1' })).filter((r) => r.id === ids.access);
    expect(access.history.map((e) => [e.action, e.clientId])).toEqual([['OPENED', 'account-service'], ['COPY_ISSUED', 'security-console']]);
  });

  it('says why when the gateway refuses the copy (a request closed meanwhile)', async () => {
    // The soon-due ACCESS request of user 3 is refused through the API after the console listed it.
    await page.fill('input[name=subjectId]', '3');
    await page.click('form.filters button[type=submit]');
    await page.waitForSelector(`${row(ids.soon, 'subject-requests')} [data-testid=download-copy]`);
    await account(`mutation($input: CloseSubjectRequestInput!) { closeSubjectRequest(input: $input) { state } }`, { input: { id: ids.soon, outcome: 'REFUSED', refusalGround: 'ABUSE_OF_RIGHTS' } });
    await page.click(`${row(ids.soon, 'subject-requests')} [data-testid=download-copy]`);
    await page.waitForSelector(`${row(ids.soon, 'subject-requests')} .copy-download [role=alert]`);
    // The browser reports the route's 400 on the console: expected here.
    tab.problems.splice(0, tab.problems.length, ...tab.problems.filter((p) => !/status of 400/.test(p)));
    expect(await page.textContent(`${row(ids.soon, 'subject-requests')} .copy-download [role=alert]`)).toBe(`Request ${ids.soon} was refused (ABUSE_OF_RIGHTS): no copy is issued`);
    // Still signed in.
    expect(await page.$('header.top nav')).not.toBeNull();
  });
});

describe('Clients', () => {
  /** Every client's decisions in the view's default range (the last 7 days, by day, ending with the gateway's day). */
  async function busiest(): Promise<{ clientId: string; total: number; first: string }> {
    const to = new Date(Math.floor(new Date(TEST_TODAY).getTime() / DAY) * DAY + DAY).toISOString();
    const from = new Date(new Date(to).getTime() - 7 * DAY).toISOString();
    const { consoleClients } = await review(gw, '{ consoleClients { id } }');
    let best = { clientId: '', total: 0 };
    for (const { id } of consoleClients as { id: string }[]) {
      const { clientActivity } = await review(gw, `query($c: ID!, $from: String!, $to: String!) { clientActivity(clientId: $c, from: $from, to: $to) { buckets { allow mask deny } } }`, { c: id, from, to });
      const total = (clientActivity.buckets as { allow: number; mask: number; deny: number }[]).reduce((n, b) => n + b.allow + b.mask + b.deny, 0);
      if (total > best.total) best = { clientId: id, total };
    }
    return { ...best, first: consoleClients[0].id };
  }

  it('opens on the busiest client of the range instead of an empty view', async () => {
    const expected = await busiest();
    expect(expected.total).toBeGreaterThan(0);
    expect(expected.clientId).not.toBe(expected.first); // not merely the first of the list
    await openView(page, 'clients');
    await page.waitForSelector(`canvas[data-testid=decision-chart][data-client="${expected.clientId}"]`);
    expect(await page.$eval('[data-testid=client-select]', (s) => (s as HTMLSelectElement).value)).toBe(expected.clientId);
    expect(new URL(page.url()).searchParams.get('clientId')).toBe(expected.clientId);
    expect(await page.textContent('[data-testid=busiest-note]')).toContain(`${expected.total.toLocaleString('en-US')} field decisions`);
    const shown = await page.$$eval('[data-testid=chart-data] tbody tr', (trs) => trs.reduce((n, tr) => n + [...tr.children].slice(1).reduce((m, td) => m + Number(td.textContent), 0), 0));
    expect(shown).toBe(expected.total);
    // Back leaves the Clients view rather than returning to an empty one (the choice replaced the entry).
    await page.goBack();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'subject');
  });

  it('keeps a client named in the URL, and does not count the others then', async () => {
    const other = await openConsole(browser, gw.url, '?view=clients&clientId=docs-app&range=24h');
    const bodies: string[] = [];
    other.page.on('request', (r) => { if (r.url().endsWith('/graphql')) bodies.push(r.postData() ?? ''); });
    try {
      await signIn(other.page, KEYS.security);
      await other.page.waitForSelector('canvas[data-testid=decision-chart][data-client=docs-app]');
      await other.page.waitForTimeout(300);
      expect(await other.page.$eval('[data-testid=client-select]', (s) => (s as HTMLSelectElement).value)).toBe('docs-app');
      expect(new URL(other.page.url()).searchParams.get('clientId')).toBe('docs-app');
      expect(bodies.some((b) => b.includes('ConsoleDecisionTotals'))).toBe(false);
      expect(await other.page.$('[data-testid=busiest-note]')).toBeNull();
      // A different range without a client opens on that range's busiest.
      await other.page.goto(`${gw.url}/console?view=clients&range=24h`);
      await signIn(other.page, KEYS.security);
      await other.page.waitForFunction(() => !!new URL(location.href).searchParams.get('clientId'));
      expect(bodies.some((b) => b.includes('ConsoleDecisionTotals'))).toBe(true);
      expect(other.problems).toEqual([]);
    } finally {
      await other.context.close();
    }
  });
});

describe('Requests, more than a page', () => {
  it(`shows ${REQUESTS_PAGE} at a time, the oldest due first, and "Show more" appends the next ones as subjectRequests pages them`, async () => {
    // Bob (user 2): 130 open EXPLANATION requests opened 1 to 130 hours ago (none was open before).
    expect(await requests({ state: 'OPEN', kind: 'EXPLANATION' })).toEqual([]);
    for (let i = 1; i <= 130; i++) await insertRequest(2, 'EXPLANATION', i / 24, `Bob's question number ${i}`);
    const all = (await requests({ state: 'OPEN', kind: 'EXPLANATION' })).map((r) => r.id);
    expect(all).toHaveLength(130);

    await openView(page, 'requests');
    await applyFilters({ kind: 'EXPLANATION' });
    await expectRequestRows(all.slice(0, REQUESTS_PAGE));
    expect(await page.textContent('[data-testid=requests-summary]')).toBe(`${REQUESTS_PAGE} requests · the oldest due first, more after these`);
    await page.click('[data-testid=requests-more]');
    await expectRequestRows(all);
    expect(await page.textContent('[data-testid=requests-summary]')).toBe('130 requests');
    expect(await page.$('[data-testid=requests-more]')).toBeNull();
  });

  it('keeps every row shown, past the 500 one call answers, when a copy issued from the list reads it again', async () => {
    // 520 open ACCESS requests of Bob's beside the others': more than five pages of the console's.
    for (let i = 1; i <= 520; i++) await insertRequest(2, 'ACCESS', i / 48, `Bob's copy number ${i}`);
    const all = (await review(gw, `{ a: subjectRequests(filter: { state: OPEN, kind: ACCESS }, first: 500) { id } }`)).a.map((r: { id: string }) => r.id);
    const rest = (await review(gw, `query($after: ID) { b: subjectRequests(filter: { state: OPEN, kind: ACCESS }, first: 500, after: $after) { id } }`, { after: all[all.length - 1] })).b.map((r: { id: string }) => r.id);
    all.push(...rest);
    expect(all.length).toBeGreaterThan(520);

    await openView(page, 'requests');
    await applyFilters({ kind: 'ACCESS' });
    await expectRequestRows(all.slice(0, REQUESTS_PAGE));
    for (let shown = REQUESTS_PAGE; shown < all.length; shown += REQUESTS_PAGE) {
      await page.click('[data-testid=requests-more]');
      await expectRequestRows(all.slice(0, shown + REQUESTS_PAGE));
    }
    expect(await page.$('[data-testid=requests-more]')).toBeNull();

    // The copy of the last one shown (beyond the first 500): the list is read again, whole.
    const last = all[all.length - 1];
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${row(last)} [data-testid=download-copy]`)]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`-access-copy-${last}\\.json$`));
    await page.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('ConsoleSubjectRequests'));
    await expectRequestRows(all);
    await page.click(`${row(last)} [data-testid=toggle-history]`);
    await page.waitForSelector(`tr[data-history-of="${last}"] tr[data-action=COPY_ISSUED]`);
    await expectRequestRows(all);
    expect(await page.textContent('[data-testid=requests-summary]')).toBe(`${all.length} requests`);
    expect(await page.$('[data-testid=requests-more]')).toBeNull();
  });
});
