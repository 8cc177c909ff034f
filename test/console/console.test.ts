import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { KEYS, startTestGateway, TestGateway } from '../helpers/gateway';
import { allEvents, eventPages, review } from './api';
import { ConsolePage, ensureConsoleBuilt, launchChromium, openConsole, openView, SCREENSHOTS, signIn, submitKey } from './browser';
import { sendDemoTraffic } from './traffic';

// Callbacks given to page.evaluate/$eval run in the browser; the project's tsconfig has no DOM lib
// (adding it would change Node's own types for every file), so the few browser globals are declared here.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, window: any, localStorage: any, sessionStorage: any, location: any, devicePixelRatio: number;
type HTMLElement = any;
type HTMLSelectElement = any;
type HTMLCanvasElement = any;

/**
 * The review console (SPEC §9, issue 8) in a real headless Chromium against the gateway over
 * HTTP, on the demo data plus demo traffic sent through the API. What the console shows is
 * compared with what the review API answers for the same question.
 */
let gw: TestGateway;
let browser: Browser;
let tab: ConsolePage;
let page: Page;

beforeAll(async () => {
  ensureConsoleBuilt();
  gw = await startTestGateway();
  await sendDemoTraffic(gw);
  // A withdrawn consent, so that the Subject view has both states to show.
  const w = await gw.gql(KEYS.account, `mutation { withdrawConsent(input: { userId: 1, purpose: "marketing.push" }) { id } }`, { purpose: 'account' });
  expect(w.body.errors).toBeUndefined();
  // Bob asks to be erased; the mall confirms it deleted his data, the account service has not yet.
  const erased = await gw.gql(KEYS.account, `mutation { requestErasure(userId: 2) { recipients { clientId } } }`, { purpose: 'account' });
  expect(erased.body.data.requestErasure.recipients.map((r: { clientId: string }) => r.clientId)).toEqual(['account-service', 'mall-app']);
  const notices = await gw.gql(KEYS.mall, `{ erasureNotices { id } }`);
  const ack = await gw.gql(KEYS.mall, `mutation($id: ID!) { acknowledgeErasure(noticeId: $id) { status } }`, { variables: { id: notices.body.data.erasureNotices[0].id } });
  expect(ack.body.data.acknowledgeErasure.status).toBe('ACKNOWLEDGED');
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
  tab = await openConsole(browser, gw.url);
  page = tab.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

afterEach(() => {
  // No page error, no CSP violation, no dialog (an executed alert) in any test.
  expect(tab?.problems ?? []).toEqual([]);
});

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });

/** The ids in the Events table once they are exactly `expected` (fails with what is shown instead). */
async function expectEventRows(expected: string[]): Promise<void> {
  try {
    if (expected.length === 0) {
      await page.waitForSelector('text=No audit record matches these filters.', { timeout: 10_000 });
    } else {
      await page.waitForFunction(
        (ids) => [...document.querySelectorAll('[data-testid=events-table] tbody tr')].map((tr) => (tr as HTMLElement).dataset.id).join(',') === ids,
        expected.join(','), { timeout: 10_000 },
      );
    }
  } catch {
    const shown = await page.$$eval('[data-testid=events-table] tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id));
    throw new Error(`the Events table shows [${shown.join(',')}], the API answers [${expected.join(',')}]`);
  }
}

describe('sign-in', () => {
  it('serves /console with a CSP that forbids inline scripts and other origins', async () => {
    const res = await fetch(`${gw.url}/console`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file of its own
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('refuses a reader key with a clear reason, and an unknown key', async () => {
    await submitKey(page, KEYS.mall);
    await expect(page.textContent('[data-testid=signin-error]')).resolves.toContain('not an auditor');
    await shot('signin');
    await submitKey(page, 'no-such-key');
    await page.waitForFunction(() => document.querySelector('[data-testid=signin-error]')?.textContent?.includes('unknown, expired or revoked'));
    expect(await page.$('header.top nav')).toBeNull();
  });

  it('accepts the auditor key and keeps it out of URLs, storage and cookies', async () => {
    await signIn(page, KEYS.security);
    expect(await page.textContent('header .who')).toContain('Security console');
    expect(page.url()).not.toContain(KEYS.security);
    const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
    expect(stored).toEqual({ local: 0, session: 0, cookie: '' });
    expect(await tab.context.cookies()).toEqual([]);
    // The key is not left in the sign-in field either: the form is gone.
    expect(await page.$('#key')).toBeNull();
  });

  it('runs no inline script even if one is injected, and talks to no other host', async () => {
    const ran = await page.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string }) => violations.push(e.violatedDirective));
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
      await new Promise((r) => setTimeout(r, 50));
      return { ran: (window as unknown as { __inlineRan?: boolean }).__inlineRan === true, violations };
    });
    expect(ran.ran).toBe(false);
    expect(ran.violations.join(',')).toMatch(/script-src/);
    // That violation is reported on the console as an error: expected here, so cleared.
    tab.problems.length = 0;
    for (const url of tab.requests) expect(url.startsWith(gw.url)).toBe(true);
  });
});

describe('Events', () => {
  const FILTERS: Record<string, string>[] = [
    { clientId: 'mall-app' },
    { decision: 'DENY' },
    { subjectId: '1', purpose: 'service.payment' },
    { category: 'contact.phone', decision: 'ALLOW' },
    { clientId: 'analytics-sdk', subjectId: '2', decision: 'DENY' },
    { clientId: 'docs-app', category: 'identity.name' },
    { from: '2026-11-25T10:00:00.000Z', to: '2026-11-25T11:00:00.000Z', clientId: 'risk-engine' },
  ];

  it('shows the newest records first, as the API does', async () => {
    await openView(page, 'events');
    const [first] = await eventPages(gw, null, 50);
    await expectEventRows(first.map((e) => e.id));
  });

  it.each(FILTERS)('narrows to exactly what auditEvents returns for %j, with the filters in the URL', async (filter) => {
    await page.click('form.filters button.secondary'); // Clear
    for (const [k, v] of Object.entries(filter)) {
      if (k === 'from' || k === 'to') await page.fill(`input[name=${k}]`, v.slice(0, 16));
      else if (k === 'subjectId') await page.fill('input[name=subjectId]', v);
      else await page.selectOption(`select[name=${k}]`, v);
    }
    await page.selectOption('select[name=first]', '100');
    await page.click('form.filters button[type=submit]');
    const matching = await allEvents(gw, filter);
    expect(matching.length).toBeGreaterThan(0);
    expect(matching.length).toBeLessThan((await allEvents(gw, null)).length);
    const [firstPage] = await eventPages(gw, filter, 100);
    await expectEventRows(firstPage.map((e) => e.id));
    const url = new URL(page.url());
    for (const [k, v] of Object.entries(filter)) expect(url.searchParams.get(k)).toBe(v);
    expect(page.url()).not.toContain(KEYS.security);
  });

  it('says so when nothing matches (the docs app never asked for a card)', async () => {
    await page.click('form.filters button.secondary');
    await page.selectOption('select[name=clientId]', 'docs-app');
    await page.selectOption('select[name=category]', 'financial.card');
    await page.click('form.filters button[type=submit]');
    expect(await allEvents(gw, { clientId: 'docs-app', category: 'financial.card' })).toEqual([]);
    await expectEventRows([]);
    expect(await page.isDisabled('[data-testid=next-page]')).toBe(true);
  });

  it('opens a shared link with its filters in a new tab (after sign-in there)', async () => {
    const filter = { clientId: 'pay-alipay', decision: 'MASK' };
    const other = await openConsole(browser, gw.url, `?view=events&clientId=pay-alipay&decision=MASK&first=100`);
    try {
      await signIn(other.page, KEYS.security);
      const expected = (await allEvents(gw, filter)).map((e) => e.id);
      expect(expected.length).toBeGreaterThan(0);
      await other.page.waitForFunction(
        (ids) => [...document.querySelectorAll('[data-testid=events-table] tbody tr')].map((tr) => (tr as HTMLElement).dataset.id).join(',') === ids,
        expected.join(','),
      );
      expect(await other.page.$eval('select[name=clientId]', (s) => (s as HTMLSelectElement).value)).toBe('pay-alipay');
      expect(other.problems).toEqual([]);
    } finally {
      await other.context.close();
    }
  });

  it('pages forwards to the end and back to the start with the cursors of the API', async () => {
    await page.click('form.filters button.secondary');
    await page.selectOption('select[name=first]', '25');
    await page.click('form.filters button[type=submit]');
    const pages = await eventPages(gw, null, 25);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    await expectEventRows(pages[0].map((e) => e.id));
    for (let i = 1; i < pages.length; i++) {
      await page.click('[data-testid=next-page]');
      await expectEventRows(pages[i].map((e) => e.id));
      await expect(page.textContent('[data-testid=page-label]')).resolves.toContain(`Page ${i + 1}`);
    }
    expect(await page.isDisabled('[data-testid=next-page]')).toBe(true);
    for (let i = pages.length - 2; i >= 0; i--) {
      await page.click('[data-testid=prev-page]');
      await expectEventRows(pages[i].map((e) => e.id));
    }
    expect(await page.isDisabled('[data-testid=prev-page]')).toBe(true);
  });

  it('shows every field of one record in the details panel', async () => {
    await page.click('form.filters button.secondary');
    const legal = (await allEvents(gw, { clientId: 'legal-desk', subjectId: '1' }))[0];
    await page.selectOption('select[name=clientId]', 'legal-desk');
    await page.fill('input[name=subjectId]', '1');
    await page.click('form.filters button[type=submit]');
    await page.waitForSelector(`[data-testid=events-table] tr[data-id="${legal.id}"]`);
    await page.click(`[data-testid=events-table] tr[data-id="${legal.id}"]`);
    const details = await page.$$eval('[data-testid=record-details] dd', (dds) => Object.fromEntries(dds.map((d) => [(d as HTMLElement).dataset.field, d.textContent])));
    expect(details).toMatchObject({
      id: legal.id, requestId: legal.requestId, purpose: 'legal.criminal-investigation', caseRef: 'GA-2026-0117', subjectId: '1',
      entity: legal.entity, entityId: legal.entityId, field: legal.field, category: legal.category, decision: legal.decision,
      reason: legal.reason, basis: legal.basis, policyVersion: legal.policyVersion,
    });
    expect(details.clientId).toContain('legal-desk');
    expect(details.at).toBe(legal.at.replace('T', ' ').replace('.000Z', 'Z'));
    await shot('events');
  });
});

describe('Subject', () => {
  it('lists exactly the clients of disclosureReport for Alice, with consents and erasure state', async () => {
    await openView(page, 'subject');
    await page.fill('input[name=subjectId]', '1');
    await page.click('form.filters button[type=submit]');
    const { disclosureReport, consents } = await review(gw, `{ disclosureReport(subjectId: 1) { clientId count firstAt lastAt scopes { purpose scope } } subjectReview(subjectId: 1) { consents { id purpose active byGuardian } } }`)
      .then((d) => ({ disclosureReport: d.disclosureReport as { clientId: string; count: number; scopes: { purpose: string; scope: string }[] }[], consents: d.subjectReview.consents as { id: string; active: boolean }[] }));
    expect(disclosureReport.length).toBeGreaterThanOrEqual(6);
    await page.waitForSelector('[data-testid=disclosure-report]');
    const shown = await page.$$eval('[data-testid=disclosure-report] tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.client, tr.lastElementChild!.textContent]));
    expect(shown).toEqual(disclosureReport.map((r) => [r.clientId, r.count.toLocaleString('en-US')]));
    // Each purpose with its relationship scope, as the API gives it (SPEC §11), e.g. the mall's `orders`.
    const scopes = await page.$$eval('[data-testid=disclosure-report] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('[data-scope-of]')].map((s) => `${(s as HTMLElement).dataset.scopeOf}:${s.textContent}`)));
    expect(scopes).toEqual(disclosureReport.map((r) => r.scopes.map((x) => `${x.purpose}: scope ${x.scope}`)));
    expect(scopes.flat()).toContain('service.fulfilment: scope orders');
    // Denied-only clients received nothing: the analytics SDK got Alice's data (consent), the account service only asked about others.
    expect(shown.map(([c]) => c)).not.toContain('account-service');

    const consentRows = await page.$$eval('[data-testid=consents] tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(consentRows).toHaveLength(consents.length);
    expect(consentRows.map((r) => [r[0], r[2], r[5]])).toEqual([
      ['personalization', 'the subject', 'granted'],
      ['marketing.push', 'the subject', 'withdrawn'],
      ['analytics', 'the subject', 'granted'],
    ]);
    expect(await page.textContent('[data-testid=erasure-state]')).toBe('Not erased');
    await shot('subject');
  });

  it('shows a guardian\'s consent for Tom and the erasure of Erin', async () => {
    await page.fill('input[name=subjectId]', '4');
    await page.click('form.filters button[type=submit]');
    // Until subject 4's answer arrives the view still shows subject 1's (whose consents are all the subject's own).
    await page.waitForFunction(() => new URL(location.href).searchParams.get('subjectId') === '4' && [...document.querySelectorAll('[data-testid=consents] tbody tr td:nth-child(3)')].some((td) => td.textContent === 'guardian'));
    const { subjectReview } = await review(gw, '{ subjectReview(subjectId: 4) { consents { purpose byGuardian } } }');
    const tom = subjectReview.consents as { purpose: string; byGuardian: boolean }[];
    expect(tom.some((c) => c.byGuardian)).toBe(true);
    const rows = await page.$$eval('[data-testid=consents] tbody tr', (trs) => trs.map((tr) => [tr.children[0].textContent, tr.children[2].textContent]));
    expect(rows).toEqual(tom.map((c) => [c.purpose, c.byGuardian ? 'guardian' : 'the subject']));
    await page.fill('input[name=subjectId]', '5');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => document.querySelector('[data-testid=erasure-state]')?.textContent?.startsWith('Erased'));
    expect(await page.textContent('[data-testid=erasure-state]')).toBe('Erased 2026-06-01 00:00:00Z');
  });

  it('shows an erased subject\'s erasure notices, open and acknowledged, as erasureNotices returns them', async () => {
    await page.fill('input[name=subjectId]', '2');
    await page.click('form.filters button[type=submit]');
    // The view shows the previous subject's answer until subject 2's arrives: wait for subject 2's erasure.
    await page.waitForFunction(() => document.querySelector('[data-testid=erasure-state]')?.textContent === 'Erased 2026-11-25 12:00:00Z' && !!document.querySelector('[data-testid=erasure-notices]'));
    const { erasureNotices } = await review(gw, `{ erasureNotices(subjectId: 2) { id clientId status } }`);
    const rows = await page.$$eval('[data-testid=erasure-notices] tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.client, (tr as HTMLElement).dataset.status]));
    expect(rows).toEqual(erasureNotices.map((n: { clientId: string; status: string }) => [n.clientId, n.status]));
    expect(rows).toEqual(expect.arrayContaining([['mall-app', 'ACKNOWLEDGED'], ['account-service', 'OPEN']]));
    await shot('subject-erased');
  });

  it.each(['csv', 'ndjson'] as const)('downloads every record of the subject as %s, streamed through a single-use link', async (format) => {
    await page.fill('input[name=subjectId]', '1');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => document.querySelector('[data-testid=erasure-state]')?.textContent === 'Not erased' && !!document.querySelector('[data-testid=disclosure-report]')); // subject 1's answer, not the previous one's
    const expected = await allEvents(gw, { subjectId: '1' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=download-${format}]`)]);
    expect(download.suggestedFilename()).toBe(`subject-1-audit-records.${format}`);
    const text = readFileSync((await download.path())!, 'utf8');
    let ids: string[];
    if (format === 'csv') {
      const [header, ...lines] = text.trimEnd().split('\r\n');
      const cols = header.split(',');
      expect(cols).toEqual(expect.arrayContaining(['id', 'at', 'clientId', 'purpose', 'subjectId', 'category', 'decision', 'hash']));
      ids = lines.map((l) => l.split(',')[cols.indexOf('id')]);
      for (const l of lines) expect(l.split(',')[cols.indexOf('subjectId')]).toBe('1');
    } else {
      const records = text.trimEnd().split('\n').map((l) => JSON.parse(l));
      for (const r of records) expect(r.subjectId).toBe(1);
      ids = records.map((r) => String(r.id));
    }
    expect(ids.length).toBe(expected.length);
    expect(new Set(ids)).toEqual(new Set(expected.map((e) => e.id)));
    // The link was for one use: the key never appeared in it, and it opens nothing a second time.
    const link = download.url();
    expect(link).toMatch(/\/console\/records\?token=[A-Za-z0-9_-]{43}$/);
    expect(link).not.toContain(KEYS.security);
    expect((await fetch(link)).status).toBe(404);
  });
});

describe('Clients', () => {
  const DEMO_CLIENTS = ['mall-app', 'pay-alipay', 'risk-engine', 'analytics-sdk', 'docs-app', 'account-service', 'legal-desk'];
  const from = '2026-11-24T13:00:00.000Z';
  const to = '2026-11-25T13:00:00.000Z';

  it.each(DEMO_CLIENTS)('draws %s\'s decisions per hour, stacked, from the database aggregation', async (clientId) => {
    await openView(page, 'clients');
    await page.selectOption('[data-testid=range-select]', '24h');
    await page.selectOption('[data-testid=client-select]', clientId);
    const { clientActivity: activity } = await review(gw, `query($c: ID!, $from: String!, $to: String!) { clientActivity(clientId: $c, from: $from, to: $to) {
      bucket buckets { start allow mask deny } categories { category allow mask deny } denialReasons { reason count } } }`, { c: clientId, from, to });
    expect(activity.bucket).toBe('HOUR');
    expect(activity.buckets).toHaveLength(24);
    const nonEmpty = activity.buckets.filter((b: { allow: number; mask: number; deny: number }) => b.allow + b.mask + b.deny > 0);
    expect(nonEmpty.length).toBeGreaterThanOrEqual(1);

    await page.waitForSelector(`canvas[data-testid=decision-chart][data-client="${clientId}"]`);
    const table = await page.$$eval('[data-testid=chart-data] tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(table).toEqual(activity.buckets.map((b: { start: string; allow: number; mask: number; deny: number }) => [b.start, String(b.allow), String(b.mask), String(b.deny)]));

    // The canvas is drawn: bars in each decision's colour for each decision the client got (the
    // legend, at the bottom, is left out of the count).
    const painted = await page.$eval('canvas[data-testid=decision-chart]', (c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height - 40 * devicePixelRatio).data;
      const colours: Record<string, [number, number, number]> = { allow: [0x2f, 0x8f, 0x5b], mask: [0xd4, 0x9a, 0x1f], deny: [0xc2, 0x41, 0x3b] };
      const counts: Record<string, number> = { allow: 0, mask: 0, deny: 0 };
      for (let i = 0; i < data.length; i += 4) {
        for (const [k, [r, g, b]] of Object.entries(colours)) if (data[i] === r && data[i + 1] === g && data[i + 2] === b && data[i + 3] === 255) counts[k]++;
      }
      return counts;
    });
    for (const k of ['allow', 'mask', 'deny'] as const) {
      const total = activity.buckets.reduce((n: number, b: Record<string, number>) => n + b[k], 0);
      if (total > 0) expect(painted[k]).toBeGreaterThan(0);
      else expect(painted[k]).toBe(0);
    }

    const categories = await page.$$eval('[data-testid=categories] tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.category));
    expect(categories).toEqual(activity.categories.map((c: { category: string }) => c.category));
    const reasons = await page.$$eval('[data-testid=denial-reasons] tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.reason, tr.lastElementChild!.textContent]));
    expect(reasons).toEqual(activity.denialReasons.map((r: { reason: string; count: number }) => [r.reason, String(r.count)]));
    expect(new URL(page.url()).searchParams.get('clientId')).toBe(clientId);
    if (clientId === 'mall-app') await shot('clients');
  });

  it('shows each client\'s relationship scope per registered purpose, and its providers, as consoleClients answers', async () => {
    const { consoleClients } = await review(gw, '{ consoleClients { id providers scopes { purpose scope } } }');
    const api = (consoleClients as { id: string; providers: string[]; scopes: { purpose: string; scope: string }[] }[])
      .map((c) => [c.id, c.scopes.map((s) => `${s.purpose}=${s.scope}`), c.providers]);
    await page.waitForSelector('[data-testid=client-list] tr[data-client=pay-unionpay] td.scopes .tag.scope');
    const shown = await page.$$eval('[data-testid=client-list] tbody tr', (trs) => trs.map((tr) => [
      (tr as HTMLElement).dataset.client,
      [...tr.querySelectorAll('td.scopes .tag.scope')].map((t) => `${(t as HTMLElement).dataset.purpose}=${(t as HTMLElement).dataset.scope}`),
      [...tr.querySelectorAll('td.providers .tag')].map((t) => t.textContent),
    ]));
    expect(shown).toEqual(api);
    // The default policy's scopes (SPEC §11) for the demo clients.
    const byId = Object.fromEntries(shown.map(([id, scopes, providers]) => [id, [scopes, providers]]));
    expect(byId).toMatchObject({
      'pay-alipay': [['service.payment=provider'], ['ALIPAY']],
      'pay-wechat': [['service.payment=provider'], ['WECHAT_PAY']],
      'pay-unionpay': [['service.payment=provider'], ['BANK_CARD']],
      'mall-app': [['service.fulfilment=orders', 'service.after-sales=orders', 'personalization=all'], []],
      'docs-app': [['third-party-app=authorized'], []],
      'legal-desk': [['legal=case'], []],
      'risk-engine': [['security.risk-control=all'], []],
      'account-service': [['account=all'], []],
      'security-console': [['audit.review=all'], []],
    });
    expect(await page.textContent('[data-testid=client-list] tr[data-client=pay-alipay] td.scopes')).toBe('service.payment → provider (ALIPAY)');
  });

  it('shows pay-alipay\'s provider scope with ALIPAY and its OUT_OF_SCOPE count after it asked for user 2 by id', async () => {
    // Bob (user 2) pays only with WeChat Pay: Alipay asking for him by id gets null and OUT_OF_SCOPE, audited once as field *.
    const asked = await gw.gql(KEYS.alipay, '{ user(id: 2) { username realName } }', { purpose: 'service.payment' });
    expect(asked.body.data).toEqual({ user: null });
    expect(asked.body.errors.map((e: { extensions: { code: string; scope: string } }) => e.extensions)).toEqual([{ code: 'OUT_OF_SCOPE', scope: 'provider' }]);
    const refused = (await allEvents(gw, { clientId: 'pay-alipay', from, to, decision: 'DENY' })).filter((e) => e.reason === 'OUT_OF_SCOPE');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const e of refused) expect(e).toMatchObject({ subjectId: '2', entity: 'User', entityId: '2', field: '*', category: '*', decision: 'DENY' });
    const { clientActivity: activity } = await review(gw, `{ clientActivity(clientId: "pay-alipay", from: "${from}", to: "${to}") { outOfScope denialReasons { reason count } } }`);
    expect(activity.outOfScope).toBe(refused.length);

    await page.selectOption('[data-testid=range-select]', '24h');
    await page.selectOption('[data-testid=client-select]', 'mall-app');
    await page.waitForSelector('canvas[data-testid=decision-chart][data-client=mall-app]');
    await page.selectOption('[data-testid=client-select]', 'pay-alipay');
    await page.waitForSelector('canvas[data-testid=decision-chart][data-client=pay-alipay]');
    const scopes = await page.$$eval('[data-testid=client-scopes] tbody tr', (trs) => trs.map((tr) => [
      (tr as HTMLElement).dataset.purpose, tr.querySelector('td.scope')!.textContent,
      [...tr.querySelectorAll('td.meaning .tag.provider')].map((t) => t.textContent),
    ]));
    expect(scopes).toEqual([['service.payment', 'provider', ['ALIPAY']]]);
    await page.waitForFunction((n) => document.querySelector('[data-testid=out-of-scope-count]')?.textContent === n, String(refused.length));
    // The same denials among its denial reasons.
    const reasons = await page.$$eval('[data-testid=denial-reasons] tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.reason, tr.lastElementChild!.textContent]));
    expect(reasons).toContainEqual(['OUT_OF_SCOPE', String(refused.length)]);
    await shot('clients-scope');

    // A client whose scope is not `provider` lists no provider, and shows a count of 0 when nothing was refused.
    await page.selectOption('[data-testid=client-select]', 'risk-engine');
    await page.waitForSelector('canvas[data-testid=decision-chart][data-client=risk-engine]');
    expect(await page.$$eval('[data-testid=client-scopes] tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.purpose, (tr as HTMLElement).dataset.scope]))).toEqual([['security.risk-control', 'all']]);
    expect(await page.$$('[data-testid=client-scopes] .tag.provider')).toHaveLength(0);
    await page.waitForFunction(() => document.querySelector('[data-testid=out-of-scope-count]')?.textContent === '0');
  });

  it('switches to day buckets for a longer range', async () => {
    await page.selectOption('[data-testid=client-select]', 'mall-app');
    await page.selectOption('[data-testid=range-select]', '30d');
    await page.waitForSelector('canvas[data-testid=decision-chart][data-bucket=DAY]');
    const rows = await page.$$eval('[data-testid=chart-data] tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.start));
    expect(rows).toHaveLength(30);
    expect(rows[rows.length - 1]).toBe('2026-11-25T00:00:00.000Z');
  });
});

describe('Integrity', () => {
  it('lists each chain and verifies it now, with progress, as intact', async () => {
    await openView(page, 'integrity');
    const { auditChainStatus: chains } = await review(gw, `{ auditChainStatus { chainId length headHash } }`);
    expect(chains.length).toBeGreaterThanOrEqual(1);
    await page.waitForSelector('[data-testid=chains] tbody tr');
    const rows = await page.$$eval('[data-testid=chains] tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.chain, tr.children[2].textContent, (tr.children[3] as HTMLElement).title]));
    expect(rows).toEqual(chains.map((c: { chainId: string; length: number; headHash: string }) => [c.chainId, c.length.toLocaleString('en-US'), c.headHash]));
    await page.click('[data-testid=verify-now]');
    await page.waitForSelector('[data-testid=verification][data-state=PASSED]');
    await page.waitForSelector('[data-testid=chains] tbody tr[data-result=ok]');
    expect(await page.textContent('[data-testid=verification]')).toContain('Every chain is intact');
    await shot('integrity');
  });

  it('reports a broken chain, naming the record, after a record is tampered with in the database', async () => {
    const [victim] = await allEvents(gw, { clientId: 'pay-alipay', subjectId: '1' });
    expect(victim.purpose).toBe('service.payment');
    await gw.store.ds.query(`UPDATE audit_events SET purpose = 'research' WHERE id = ?`, [Number(victim.id)]);
    await page.click('[data-testid=verify-now]');
    await page.waitForSelector('[data-testid=verification][data-state=FAILED]');
    expect(await page.textContent('[data-testid=verification]')).toContain(`record ${victim.id}`);
    await page.waitForSelector('[data-testid=chains] tbody tr[data-result=broken]');
    expect(await page.textContent('[data-testid=chains] tbody tr[data-result=broken]')).toContain('BROKEN');
    await shot('integrity-broken');
  });
});

describe('session end', () => {
  it('sends the user back to sign-in when the key is revoked', async () => {
    await gw.gateway.registry.create({ id: 'second-auditor', displayName: 'Second auditor', kind: 'internal', role: 'auditor', purposes: ['audit.review'] }, 'test-second-auditor-key');
    const other = await openConsole(browser, gw.url, '?view=integrity');
    try {
      await signIn(other.page, 'test-second-auditor-key');
      await other.page.waitForSelector('[data-testid=chains]');
      await gw.gateway.registry.revokeKeys('second-auditor');
      await openView(other.page, 'events');
      await other.page.waitForSelector('[data-testid=signin-notice]');
      expect(await other.page.textContent('[data-testid=signin-notice]')).toContain('no longer accepted');
      expect(await other.page.$('header.top nav')).toBeNull();
      // Signing in again with the revoked key is refused.
      await submitKey(other.page, 'test-second-auditor-key');
      await other.page.waitForSelector('[data-testid=signin-error]');
      expect(other.problems).toEqual([]);
    } finally {
      await other.context.close();
    }
  });

  it('signs out on request, forgetting the key', async () => {
    await page.click('header .who button');
    await page.waitForSelector('#key');
    expect(await page.$('header.top nav')).toBeNull();
    expect(await page.$('[data-testid=signin-notice]')).toBeNull();
  });
});
