import type { Browser, Page } from 'playwright-core';
import { KEYS, startTestGateway, TEST_TODAY, TestGateway } from '../helpers/gateway';
import { review } from './api';
import { ConsolePage, ensureConsoleBuilt, launchChromium, openConsole, openView, signIn } from './browser';

// Callbacks given to page.evaluate/$eval run in the browser; the project's tsconfig has no DOM lib
// (adding it would change Node's own types for every file), so the few browser globals are declared here.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
type HTMLSelectElement = any;

/**
 * Strings that clients supply reach the console as data and must be shown as text, never
 * interpreted as HTML (SPEC §9). A client display name is free text at registration, so it is
 * sent through the registry and real traffic. A case reference cannot carry markup through the
 * API (declare-purpose accepts only [A-Za-z0-9._:/-]; checked below), and purposes come from the
 * policy's vocabulary; so a record carrying the markup in case_ref and purpose is written
 * straight into the store, as an older or foreign writer could have left it. (This file keeps its
 * own store: that record is not on any registered chain, so the audit would rightly report it.)
 */
const MARKUP = '<img src=x onerror=alert(1)>';

let gw: TestGateway;
let browser: Browser;
let tab: ConsolePage;
let page: Page;

beforeAll(async () => {
  ensureConsoleBuilt();
  gw = await startTestGateway();
  // A payment partner of Alice's provider, so that it receives her data (SPEC §11: its scope is `provider`).
  await gw.gateway.registry.create({ id: 'xss-partner', displayName: MARKUP, kind: 'partner', role: 'reader', purposes: ['service.payment'], providers: ['ALIPAY'] }, 'test-xss-partner-key');
  const sent = await gw.gql('test-xss-partner-key', `{ user(id: 1) { username realName phone birthDate } }`, { purpose: 'service.payment' });
  expect(sent.status).toBe(200);
  expect(sent.body.data.user.username).toBe('alice');
  // A provider name the registry would refuse, as an older or foreign writer could have left it.
  await gw.store.ds.query(`UPDATE clients SET providers = ? WHERE id = 'xss-partner'`, [JSON.stringify(['ALIPAY', MARKUP])]);

  const refused = await gw.gql(KEYS.legal, `{ user(id: 1) { phone } }`, { headers: { 'x-purpose': 'legal.criminal-investigation', 'x-case-ref': MARKUP } });
  expect(refused.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');

  const at = TEST_TODAY.replace('T', ' ').replace('Z', '.000');
  await gw.store.ds.query(
    `INSERT INTO audit_events (chain_id, seq, request_id, at, client_id, purpose, case_ref, subject_id, entity, entity_id, field, category, decision, mask, reason, basis, policy_version, consent_id, prev_hash, hash)
     VALUES ('foreign', 1, 'foreign-request', ?, 'legal-desk', ?, ?, 1, 'User', '1', 'phone', 'contact.phone', 'ALLOW', NULL, 'POLICY_ALLOWS', 'legal-exception', '2026-11-01.1', NULL, ?, ?)`,
    [at, MARKUP, MARKUP, '0'.repeat(64), 'f'.repeat(64)],
  );
  browser = await launchChromium();
  tab = await openConsole(browser, gw.url);
  page = tab.page;
  await signIn(page, KEYS.security);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

/** No element was made from the markup and nothing ran (an alert would be a dialog). */
async function expectInert(): Promise<void> {
  expect(await page.evaluate(() => document.querySelectorAll('img, [onerror]').length)).toBe(0);
  expect(tab.problems).toEqual([]);
}

it('shows a client display name as text in the Clients view', async () => {
  await openView(page, 'clients');
  await page.waitForSelector('[data-testid=client-list] tr[data-client=xss-partner]');
  expect(await page.textContent('[data-testid=client-list] tr[data-client=xss-partner] .display-name')).toBe(MARKUP);
  expect(await page.textContent('[data-testid=client-list] tr[data-client=xss-partner] td.scopes')).toBe(`service.payment → provider (ALIPAY, ${MARKUP})`);
  expect(await page.$$eval('[data-testid=client-list] tr[data-client=xss-partner] td.providers .tag', (tags) => tags.map((t) => t.textContent))).toEqual(['ALIPAY', MARKUP]);
  await page.selectOption('[data-testid=client-select]', 'xss-partner');
  await page.waitForSelector('canvas[data-testid=decision-chart][data-client=xss-partner]');
  expect(await page.textContent('[data-testid=activity-totals] .client-name')).toBe(MARKUP);
  expect(await page.$$eval('[data-testid=client-scopes] td.meaning .tag.provider', (tags) => tags.map((t) => t.textContent))).toEqual(['ALIPAY', MARKUP]);
  expect(await page.$eval('[data-testid=client-select]', (s) => (s as HTMLSelectElement).selectedOptions[0].textContent)).toBe(`${MARKUP} (xss-partner)`);
  await expectInert();
});

it('shows it as text among the recipients of the Subject view, and a purpose from the store as text', async () => {
  const { disclosureReport } = await review(gw, `{ disclosureReport(subjectId: 1) { clientId purposes } }`);
  expect(disclosureReport.map((r: { clientId: string }) => r.clientId)).toContain('xss-partner');
  await openView(page, 'subject');
  await page.fill('input[name=subjectId]', '1');
  await page.click('form.filters button[type=submit]');
  await page.waitForSelector('[data-testid=disclosure-report] tr[data-client=xss-partner]');
  expect(await page.textContent('[data-testid=disclosure-report] tr[data-client=xss-partner] td:first-child')).toBe(`${MARKUP} (xss-partner)`);
  const legalPurposes = await page.$$eval('[data-testid=disclosure-report] tr[data-client=legal-desk] td:nth-child(3) .tag', (tags) => tags.map((t) => t.textContent));
  expect(legalPurposes).toContain(MARKUP);
  await expectInert();
});

it('shows a case reference and a purpose as text in the Events table and details', async () => {
  await openView(page, 'events');
  await page.selectOption('select[name=clientId]', 'legal-desk');
  await page.click('form.filters button[type=submit]');
  const row = '[data-testid=events-table] tr:has(td:text-is("<img src=x onerror=alert(1)>"))';
  await page.waitForSelector(row);
  await page.click(row);
  expect(await page.textContent('[data-testid=record-details] dd[data-field=caseRef]')).toBe(MARKUP);
  expect(await page.textContent('[data-testid=record-details] dd[data-field=purpose]')).toBe(MARKUP);
  await page.selectOption('select[name=clientId]', 'xss-partner');
  await page.click('form.filters button[type=submit]');
  await page.waitForSelector('[data-testid=events-table] tbody tr td:text-is("xss-partner")');
  await page.click('[data-testid=events-table] tbody tr');
  expect(await page.textContent('[data-testid=record-details] dd[data-field=clientId]')).toBe(`${MARKUP} (xss-partner)`);
  await expectInert();
});

it('shows a request note, a history step and a correction notice from the store as text in the Requests and Subject views', async () => {
  const opened = await gw.gql(KEYS.account, `mutation($input: OpenSubjectRequestInput!) { openSubjectRequest(input: $input) { id note } }`, {
    variables: { input: { userId: '1', kind: 'ACCESS', note: MARKUP } }, purpose: 'account',
  });
  expect(opened.body.data.openSubjectRequest.note).toBe(MARKUP);
  const id = opened.body.data.openSubjectRequest.id as string;
  // A step and a notice as an older or foreign writer could have left them (the gateway writes only ids, names and counts there).
  const at = TEST_TODAY.replace('T', ' ').replace('Z', '');
  await gw.store.ds.query(`INSERT INTO subject_request_events (request_id, at, action, client_id, detail, gateway_request_id) VALUES (?, ?, ?, ?, ?, NULL)`, [Number(id), at, MARKUP, MARKUP, MARKUP]);
  await gw.store.ds.query(
    `INSERT INTO correction_notices (user_id, client_id, request_id, categories, status, opened_at, acknowledged_at, acknowledged_request_id) VALUES (1, 'xss-partner', ?, ?, 'OPEN', ?, NULL, NULL)`,
    [Number(id), JSON.stringify([MARKUP]), at],
  );

  await openView(page, 'requests');
  const row = `[data-testid=requests] tr[data-request="${id}"]`;
  await page.waitForSelector(row);
  expect(await page.textContent(`${row} td.note`)).toBe(MARKUP);
  await page.click(`${row} [data-testid=toggle-history]`);
  const history = `tr[data-history-of="${id}"]`;
  await page.waitForSelector(`${history} [data-testid=request-history]`);
  expect(await page.textContent(`${history} dd[data-field=note]`)).toBe(MARKUP);
  const step = await page.$$eval(`${history} tbody tr`, (trs) => trs.map((tr) => [...tr.children].slice(1).map((td) => td.textContent)));
  expect(step[step.length - 1]).toEqual([MARKUP, MARKUP, MARKUP]);
  await expectInert();

  await page.click(`${row} [data-testid=subject-link]`);
  await page.waitForSelector(`[data-testid=subject-requests] tr[data-request="${id}"]`);
  expect(await page.textContent(`[data-testid=subject-requests] tr[data-request="${id}"] td.note`)).toBe(MARKUP);
  await page.waitForSelector('[data-testid=correction-notices] tr[data-client=xss-partner]');
  expect(await page.textContent('[data-testid=correction-notices] tr[data-client=xss-partner] td.categories')).toBe(MARKUP);
  expect(await page.textContent('[data-testid=correction-notices] tr[data-client=xss-partner] td:first-child')).toBe(`${MARKUP} (xss-partner)`);
  await expectInert();
});
