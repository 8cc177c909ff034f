import { fixedClock, useClock } from '../../src/clock';
import { log } from '../../src/log';
import { ACTIVITY_SQL, chainGroupsSql, ChainVerifications, rollUpActivity } from '../../src/review';
import { KEYS, startTestGateway, TEST_TODAY, TestGateway } from '../helpers/gateway';
import { usingMysql } from '../helpers/store';
import { allEvents, review } from './api';
import { sendDemoTraffic } from './traffic';

/**
 * The auditor-only queries the console adds to the API (SPEC §9), over HTTP: who may call them,
 * that the Clients aggregation equals the records it summarises and runs on its index, the
 * verification job and its progress, the single-use download links, and the operations log.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await sendDemoTraffic(gw);
  await gw.gateway.registry.create({ id: 'audit-reader', kind: 'internal', role: 'reader', purposes: ['audit.review'] }, 'test-audit-reader-key');
});
afterAll(async () => { await gw?.close(); });

type Counts = { allow: number; mask: number; deny: number };

const CALLS: [string, string][] = [
  ['consoleSession', '{ consoleSession { clientId } }'],
  ['consoleClients', '{ consoleClients { id } }'],
  ['clientActivity', '{ clientActivity(clientId: "mall-app", from: "2026-11-24", to: "2026-11-26") { bucket } }'],
  ['clientDecisionTotals', '{ clientDecisionTotals(from: "2026-11-24", to: "2026-11-26") { clientId } }'],
  ['auditChainStatus', '{ auditChainStatus { chainId } }'],
  ['chainVerification', '{ chainVerification(id: "x") { id } }'],
  ['subjectReview', '{ subjectReview(subjectId: 1) { exists } }'],
  ['startChainVerification', 'mutation { startChainVerification { id } }'],
  ['createRecordsDownload', 'mutation { createRecordsDownload(subjectId: 1, format: CSV) { url } }'],
];

describe('who may ask', () => {
  it.each(CALLS)('%s: FORBIDDEN to a reader registered for audit.review, and to anyone declaring another purpose', async (_name, query) => {
    const reader = await gw.gql('test-audit-reader-key', query, { purpose: 'audit.review' });
    expect(reader.status).toBe(403);
    expect(reader.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(Object.values(reader.body.data ?? {}).every((v) => v === null)).toBe(true);
    const other = await gw.gql(KEYS.account, query, { purpose: 'account' });
    expect(other.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const none = await gw.gql(KEYS.security, query);
    expect(none.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const partner = await gw.gql(KEYS.mall, query, { purpose: 'audit.review' });
    expect(partner.body.errors[0].extensions.code).toBe('PURPOSE_NOT_PERMITTED');
  });

  it('answers the auditor, and writes each call to the operations log with ids only', async () => {
    const info = jest.spyOn(log, 'info');
    try {
      for (const [name, query] of CALLS) {
        const r = await gw.gql(KEYS.security, query, { purpose: 'audit.review' });
        expect(r.body.errors).toBeUndefined();
        const line = info.mock.calls.find(([fields]) => (fields as { action?: string }).action === name);
        if (name === 'chainVerification') continue; // an unknown job: nothing to record
        expect(line).toBeDefined();
        expect(line![0]).toMatchObject({ client: 'security-console', purpose: 'audit.review', requestId: expect.any(String) });
        expect(JSON.stringify(line)).not.toContain(KEYS.security);
      }
    } finally {
      info.mockRestore();
    }
  });
});

describe('clientActivity', () => {
  const key = (d: string) => d.toLowerCase() as keyof Counts;

  it.each(['mall-app', 'pay-alipay', 'analytics-sdk', 'account-service', 'legal-desk'])('equals the records it summarises for %s, per hour, per category and per denial reason', async (clientId) => {
    const from = '2026-11-24T12:00:00Z';
    const to = '2026-11-25T12:00:00Z';
    const { clientActivity: a } = await review(gw, `query($c: ID!) { clientActivity(clientId: $c, from: "${from}", to: "${to}") {
      clientId from to bucket buckets { start allow mask deny } categories { category allow mask deny } denialReasons { reason count } } }`, { c: clientId });
    const records = await allEvents(gw, { clientId, from, to });
    expect(records.length).toBeGreaterThan(0);

    const hours = new Map<string, Counts>();
    const categories = new Map<string, Counts>();
    const reasons = new Map<string, number>();
    for (const r of records) {
      const hour = r.at.slice(0, 13) + ':00:00.000Z';
      if (!hours.has(hour)) hours.set(hour, { allow: 0, mask: 0, deny: 0 });
      hours.get(hour)![key(r.decision)]++;
      if (!categories.has(r.category)) categories.set(r.category, { allow: 0, mask: 0, deny: 0 });
      categories.get(r.category)![key(r.decision)]++;
      if (r.decision === 'DENY') reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    }
    expect(a).toMatchObject({ clientId, from: '2026-11-24T12:00:00.000Z', to: '2026-11-25T12:00:00.000Z', bucket: 'HOUR' });
    expect(a.buckets).toHaveLength(24);
    expect(a.buckets[0].start).toBe('2026-11-24T12:00:00.000Z');
    for (const b of a.buckets) expect({ allow: b.allow, mask: b.mask, deny: b.deny }).toEqual(hours.get(b.start) ?? { allow: 0, mask: 0, deny: 0 });
    expect(Object.fromEntries(a.categories.map((c: Counts & { category: string }) => [c.category, { allow: c.allow, mask: c.mask, deny: c.deny }]))).toEqual(Object.fromEntries(categories));
    expect(Object.fromEntries(a.denialReasons.map((r: { reason: string; count: number }) => [r.reason, r.count]))).toEqual(Object.fromEntries(reasons));
    const counts = a.denialReasons.map((r: { count: number }) => r.count);
    expect(counts).toEqual([...counts].sort((x: number, y: number) => y - x));
  });

  it('buckets by day beyond three days, every day present, and refuses ranges it should not run', async () => {
    const { clientActivity: a } = await review(gw, `{ clientActivity(clientId: "mall-app", from: "2026-10-27", to: "2026-11-26") { bucket buckets { start allow mask deny } } }`);
    expect(a.bucket).toBe('DAY');
    expect(a.buckets).toHaveLength(30);
    const total = (await allEvents(gw, { clientId: 'mall-app' })).length;
    expect(a.buckets[29].start).toBe('2026-11-25T00:00:00.000Z');
    expect(a.buckets.reduce((n: number, b: Counts) => n + b.allow + b.mask + b.deny, 0)).toBe(total);
    for (const [args, argument] of [
      ['from: "2026-11-25", to: "2026-11-25"', 'from'],
      ['from: "2025-01-01", to: "2026-11-25"', 'to'],
      ['from: "yesterday", to: "2026-11-25"', 'from'],
      ['from: "2026-11-24", to: "2026-11-25T00:00:00"', 'to'],
    ] as const) {
      const r = await gw.gql(KEYS.security, `{ clientActivity(clientId: "mall-app", ${args}) { bucket } }`, { purpose: 'audit.review' });
      expect(r.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
  });

  it('counts every record exactly once, however much is counted in the hourly table and by whom', async () => {
    const truth = async () => {
      const { clientActivity: a } = await review(gw, `{ clientActivity(clientId: "mall-app", from: "2026-11-20", to: "2026-11-26") {
        buckets { start allow mask deny } categories { category allow mask deny } denialReasons { reason count } } }`);
      return a;
    };
    const before = await truth();
    const records = await allEvents(gw, { clientId: 'mall-app' });
    const total = (a: { buckets: Counts[] }) => a.buckets.reduce((n, b) => n + b.allow + b.mask + b.deny, 0);
    expect(total(before)).toBe(records.length);
    // A little counted, then two counters at once (two gateway processes), then everything.
    await rollUpActivity(gw.store.ds, gw.gateway.audit.projection, { batch: 7 });
    expect(await truth()).toEqual(before);
    await Promise.all([rollUpActivity(gw.store.ds, gw.gateway.audit.projection, { batch: 40 }), rollUpActivity(gw.store.ds, gw.gateway.audit.projection, { batch: 40 })]);
    expect(await truth()).toEqual(before);
    while ((await rollUpActivity(gw.store.ds, gw.gateway.audit.projection)) > 0);
    expect(await truth()).toEqual(before);
    const [{ n }] = await gw.store.ds.query(`SELECT SUM(n) AS n FROM audit_activity_hours WHERE client_id = 'mall-app'`);
    expect(Number(n)).toBe(records.length);
    // New traffic lands past the counts, and is counted at once all the same.
    await gw.gql(KEYS.mall, `{ order(id: 1) { recipientName recipientPhone } }`, { purpose: 'service.after-sales' });
    expect(total(await truth())).toBe(records.length + 2);
  });

  it('reads the hourly counts by their primary key and the uncounted records by (chain_id, seq), never a whole table', async () => {
    const params = ['mall-app', '2026-10-27 00:00:00.000', '2026-11-26 00:00:00.000'];
    const plan = async (q: string, p: unknown[]) => usingMysql
      ? (await gw.store.ds.query(`EXPLAIN ${q}`, p)).map((r: { type: string; key: string }) => `${r.type} ${r.key}`).join(' | ')
      : (await gw.store.ds.query(`EXPLAIN QUERY PLAN ${q}`, p)).map((r: { detail: string }) => r.detail).join(' | ');
    for (const [q, p] of [[ACTIVITY_SQL.series, params], [ACTIVITY_SQL.categories, params], [ACTIVITY_SQL.denialReasons, params], [ACTIVITY_SQL.totals(3), ['mall-app', 'docs-app', 'risk-engine', ...params.slice(1)]]] as const) {
      expect(await plan(q, [...p])).toMatch(usingMysql ? /^range PRIMARY$/ : /SEARCH audit_activity_hours USING (PRIMARY KEY|INDEX sqlite_autoindex_audit_activity_hours_1) \(client_id=\? AND hour>\? AND hour<\?\)/);
    }
    const tail = chainGroupsSql(gw.store.ds, ' AND client_id = ? AND at >= ? AND at < ?');
    expect(await plan(tail, ['c', 10, 20, ...params])).toMatch(usingMysql ? /^range uq_audit_events_chain_seq$/ : /SEARCH audit_events USING INDEX uq_audit_events_chain_seq \(chain_id=\? AND seq>\? AND seq<\?\)/);
  });
});

describe('clientDecisionTotals', () => {
  const ACTIVITY_TOTAL = `query($c: ID!, $from: String!, $to: String!) { clientActivity(clientId: $c, from: $from, to: $to) { buckets { allow mask deny } } }`;
  const totalsOf = async (from: string, to: string) =>
    (await review(gw, `query($from: String!, $to: String!) { clientDecisionTotals(from: $from, to: $to) { clientId allow mask deny } }`, { from, to })).clientDecisionTotals as (Counts & { clientId: string })[];

  it('equals each registered client\'s clientActivity added up, the busiest first, clients without decisions left out', async () => {
    const from = '2026-11-20T00:00:00Z';
    const to = '2026-11-26T00:00:00Z';
    const totals = await totalsOf(from, to);
    expect(totals.length).toBeGreaterThan(2);
    const clients: { id: string }[] = (await review(gw, '{ consoleClients { id } }')).consoleClients;
    const expected: (Counts & { clientId: string })[] = [];
    for (const { id } of clients) {
      const { clientActivity: a } = await review(gw, ACTIVITY_TOTAL, { c: id, from, to });
      const sum = (k: keyof Counts) => a.buckets.reduce((n: number, b: Counts) => n + b[k], 0);
      if (sum('allow') + sum('mask') + sum('deny') > 0) expected.push({ clientId: id, allow: sum('allow'), mask: sum('mask'), deny: sum('deny') });
    }
    const total = (c: Counts) => c.allow + c.mask + c.deny;
    expected.sort((a, b) => total(b) - total(a) || (a.clientId < b.clientId ? -1 : 1));
    expect(totals).toEqual(expected);
    // And record by record: every client's total is its number of audit records in the range.
    for (const t of totals) expect([t.clientId, total(t)]).toEqual([t.clientId, (await allEvents(gw, { clientId: t.clientId })).length]);
  });

  it('counts records not yet in the hourly table as well as those that are, each once', async () => {
    const from = '2026-11-20T00:00:00Z';
    const to = '2026-11-26T00:00:00Z';
    const before = await totalsOf(from, to);
    await gw.gql(KEYS.mall, `{ order(id: 1) { recipientName recipientPhone } }`, { purpose: 'service.after-sales' });
    const after = await totalsOf(from, to);
    const mall = (list: (Counts & { clientId: string })[]) => list.find((c) => c.clientId === 'mall-app')!;
    expect(mall(after).allow + mall(after).mask + mall(after).deny).toBe(mall(before).allow + mall(before).mask + mall(before).deny + 2);
    while ((await rollUpActivity(gw.store.ds, gw.gateway.audit.projection)) > 0);
    expect(await totalsOf(from, to)).toEqual(after);
  });

  it('an empty range gives no client; a bad range is refused like clientActivity\'s', async () => {
    expect(await totalsOf('2020-01-01T00:00:00Z', '2020-01-02T00:00:00Z')).toEqual([]);
    for (const [args, argument] of [['from: "yesterday", to: "2026-11-26"', 'from'], ['from: "2026-11-26", to: "2026-11-20"', 'from'], ['from: "2025-01-01", to: "2026-11-26"', 'to']] as const) {
      const r = await gw.gql(KEYS.security, `{ clientDecisionTotals(${args}) { clientId } }`, { purpose: 'audit.review' });
      expect(r.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
  });
});

describe('chain verification', () => {
  it('reports progress page by page up to every record, then PASSED, and stamps the chain', async () => {
    const jobs = new ChainVerifications(gw.store.ds, { pageSize: 25 });
    const seen: [number, number][] = [];
    jobs.onProgress = (j) => seen.push([j.checked, j.total]);
    const job = jobs.start('security-console');
    expect(jobs.start('someone-else')).toBe(job); // one at a time: a second start joins it
    while (job.state === 'RUNNING') await new Promise((r) => setTimeout(r, 5));
    const { auditChainStatus } = await review(gw, `{ auditChainStatus { chainId length lastVerifiedOk lastVerifiedAt } }`);
    const total = auditChainStatus.reduce((n: number, c: { length: number }) => n + c.length, 0);
    expect(job).toMatchObject({ state: 'PASSED', ok: true, checked: total, total });
    expect(seen.length).toBeGreaterThanOrEqual(Math.floor(total / 25));
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThan(seen[i - 1][0]);
    expect(seen[seen.length - 1]).toEqual([total, total]);
    for (const c of auditChainStatus) expect(c).toMatchObject({ lastVerifiedOk: true, lastVerifiedAt: '2026-11-25T12:00:00.000Z' });
  });

  it('over the API: started, polled, FAILED naming the record that was changed', async () => {
    const [victim] = await allEvents(gw, { clientId: 'risk-engine', subjectId: '1' });
    await gw.store.ds.query(`UPDATE audit_events SET reason = CASE WHEN reason = 'PURPOSE_FORBIDS' THEN 'POLICY_ALLOWS' ELSE 'PURPOSE_FORBIDS' END WHERE id = ?`, [Number(victim.id)]);
    try {
      const { startChainVerification: started } = await review(gw, `mutation { startChainVerification { id state } }`);
      let job = started;
      while (job.state === 'RUNNING') {
        await new Promise((r) => setTimeout(r, 20));
        job = (await review(gw, `query($id: ID!) { chainVerification(id: $id) { id state checked total ok detail chains { chainId ok firstBadRecordId problem } } }`, { id: started.id })).chainVerification;
      }
      expect(job).toMatchObject({ state: 'FAILED', ok: false });
      expect(job.chains.find((c: { ok: boolean }) => !c.ok)).toMatchObject({ firstBadRecordId: victim.id, problem: 'changed' });
      expect(job.detail).toContain(`record ${victim.id}`);
      const { auditChainStatus } = await review(gw, `{ auditChainStatus { lastVerifiedOk lastVerifiedDetail } }`);
      expect(auditChainStatus.some((c: { lastVerifiedOk: boolean; lastVerifiedDetail: string }) => c.lastVerifiedOk === false && c.lastVerifiedDetail.includes(`record ${victim.id}`))).toBe(true);
    } finally {
      await gw.store.ds.query(`UPDATE audit_events SET reason = ? WHERE id = ?`, [victim.reason, Number(victim.id)]);
    }
  });
});

describe('records download links', () => {
  const link = async (subjectId: number, format = 'NDJSON') =>
    (await review(gw, `mutation { createRecordsDownload(subjectId: ${subjectId}, format: ${format}) { url expiresAt format } }`)).createRecordsDownload;

  it('streams every record of the subject once, and only once', async () => {
    const d = await link(3);
    expect(d.expiresAt).toBe('2026-11-25T12:01:00.000Z');
    const res = await fetch(`${gw.url}${d.url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="subject-3-audit-records.ndjson"');
    const ids = (await res.text()).trim().split('\n').map((l) => String(JSON.parse(l).id));
    expect(ids.sort()).toEqual((await allEvents(gw, { subjectId: '3' })).map((e) => e.id).sort());
    const again = await fetch(`${gw.url}${d.url}`);
    expect(again.status).toBe(404);
    expect(((await again.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it('expires after a minute, refuses made-up tokens, and dies with its auditor', async () => {
    const d = await link(1, 'CSV');
    const restore = useClock(fixedClock(new Date(new Date(TEST_TODAY).getTime() + 61_000).toISOString()));
    try {
      expect((await fetch(`${gw.url}${d.url}`)).status).toBe(404);
    } finally {
      restore();
    }
    for (const token of ['', 'x', 'A'.repeat(43), `${d.url.split('=')[1]}x`]) {
      expect((await fetch(`${gw.url}/console/records?token=${token}`)).status).toBe(404);
    }
    expect((await fetch(`${gw.url}/console/records`, { method: 'POST' })).status).toBe(405);

    await gw.gateway.registry.create({ id: 'leaving-auditor', kind: 'internal', role: 'auditor', purposes: ['audit.review'] }, 'test-leaving-auditor-key');
    const r = await gw.gql('test-leaving-auditor-key', `mutation { createRecordsDownload(subjectId: 1, format: CSV) { url } }`, { purpose: 'audit.review' });
    await gw.store.ds.query(`UPDATE clients SET role = 'reader' WHERE id = 'leaving-auditor'`);
    expect((await fetch(`${gw.url}${r.body.data.createRecordsDownload.url}`)).status).toBe(403);
  });

  it('subjectReview: consents with their state and who gave them; an unknown subject does not exist', async () => {
    const { subjectReview: tom } = await review(gw, `{ subjectReview(subjectId: 4) { exists erased consents { purpose byGuardian active } } }`);
    expect(tom).toEqual({ exists: true, erased: false, consents: [{ purpose: 'personalization', byGuardian: true, active: true }] });
    const { subjectReview: erin } = await review(gw, `{ subjectReview(subjectId: 5) { erased erasedAt } }`);
    expect(erin).toEqual({ erased: true, erasedAt: '2026-06-01T00:00:00.000Z' });
    const { subjectReview: nobody } = await review(gw, `{ subjectReview(subjectId: 999) { exists erased consents { id } } }`);
    expect(nobody).toEqual({ exists: false, erased: false, consents: [] });
  });
});
