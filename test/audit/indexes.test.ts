import { createAudit } from '../../src/audit';
import { exportPageSql } from '../../src/audit/export';
import { parseAuditFilter, AuditFilterInput } from '../../src/audit/filter';
import { auditEventsPageSql, DISCLOSURE_REPORT_SQL } from '../../src/audit/review';
import type { Purpose } from '../../src/policy';
import { createTestStore, TestStore } from '../helpers/store';
import { disclosure, fieldRecord } from './fixtures';

/**
 * Issue 4: a filter by subject, client, purpose or time range stays fast at 10 million records
 * because each is one range of an index, read in the order of the page (no sort of the matches).
 * This checks the plans the databases choose for the review and export queries, on a table
 * with enough spread (and, on MariaDB, fresh statistics) that a full scan is not an option.
 * (Plans at 10M records on MariaDB: src/audit/README.md.)
 */
let store: TestStore;
const CLIENTS = ['mall-app', 'pay-alipay', 'risk-engine', 'analytics-sdk', 'docs-app', 'account-service', 'legal-desk'];
const PURPOSES: Purpose[] = ['service.fulfilment', 'service.payment', 'security.risk-control', 'analytics', 'third-party-app', 'account', 'legal.criminal-investigation', 'personalization'];
const CATEGORIES = ['contact.phone', 'identity.name', 'device.info', 'location.coarse', 'profile.basic'] as const;

beforeAll(async () => {
  store = await createTestStore();
  const audit = createAudit(store.ds);
  const commits: Promise<void>[] = [];
  for (let i = 0; i < 4000; i++) {
    const subjectId = 1 + ((i * 7919) % 2000);
    commits.push(audit.commit(disclosure({
      clientId: CLIENTS[i % CLIENTS.length], purpose: PURPOSES[i % PURPOSES.length],
      at: new Date(Date.UTC(2026, 8, 1) + i * 37 * 60_000),
      records: CATEGORIES.map((category, k) => fieldRecord({ subjectId, category, decision: (['ALLOW', 'MASK', 'DENY'] as const)[(i + k) % 3] })),
    })));
  }
  await Promise.all(commits);
  await audit.close();
  if (store.kind === 'mysql') await store.ds.query('ANALYZE TABLE audit_events');
  else await store.ds.query('ANALYZE');
}, 120_000);
afterAll(async () => {
  await store?.drop();
});

/** A cursor inside every case's time range. */
const AFTER = { at: '2026-09-05 12:00:00.000', id: 10_000 };

/** [name, filter, index the plan must use]; each with and without a cursor. */
const CASES: [string, AuditFilterInput, string][] = [
  ['subject', { subjectId: 17 }, 'idx_audit_events_subject'],
  ['subject and time range', { subjectId: 17, from: '2026-09-05', to: '2026-10-01' }, 'idx_audit_events_subject'],
  ['client', { clientId: 'docs-app' }, 'idx_audit_events_client'],
  ['client and time range', { clientId: 'docs-app', from: '2026-09-05', to: '2026-09-06' }, 'idx_audit_events_client'],
  ['purpose', { purpose: 'analytics' }, 'idx_audit_events_purpose'],
  ['purpose and time range', { purpose: 'analytics', from: '2026-09-05', to: '2026-09-06' }, 'idx_audit_events_purpose'],
  ['time range', { from: '2026-09-05', to: '2026-09-06' }, 'idx_audit_events_at'],
];

interface Plan { keys: string[]; sorts: boolean; text: string }

async function plan(sql: string, params: unknown[]): Promise<Plan> {
  if (store.kind === 'mysql') {
    const rows: Record<string, unknown>[] = await store.ds.query(`EXPLAIN ${sql}`, params);
    return { keys: rows.map((r) => String(r.key)), sorts: rows.some((r) => /filesort|temporary/i.test(String(r.Extra))), text: JSON.stringify(rows) };
  }
  const rows: { detail: string }[] = await store.ds.query(`EXPLAIN QUERY PLAN ${sql}`, params);
  const keys = rows.map((r) => /USING (?:COVERING )?INDEX (\w+)/.exec(r.detail)?.[1] ?? r.detail);
  return { keys, sorts: rows.some((r) => /TEMP B-TREE/.test(r.detail)), text: rows.map((r) => r.detail).join(' | ') };
}

describe.each(CASES)('filter by %s %j: one range of %s, no sort', (_name, filter, index) => {
  const q = parseAuditFilter(filter);

  test.each([['first page', null], ['a later page', AFTER]] as const)('auditEvents, %s', async (_page, after) => {
    const { sql, params } = auditEventsPageSql(q, 50, after);
    const p = await plan(sql, params);
    expect({ keys: p.keys, sorts: p.sorts, plan: p.text }).toMatchObject({ keys: [index], sorts: false });
  });

  test('the export\'s pages, read forwards', async () => {
    const { sql, params } = exportPageSql(q, 1000, AFTER);
    const p = await plan(sql, params);
    expect({ keys: p.keys, sorts: p.sorts, plan: p.text }).toMatchObject({ keys: [index], sorts: false });
  });
});

test('disclosureReport: the subject\'s range of idx_audit_events_subject', async () => {
  const p = await plan(DISCLOSURE_REPORT_SQL, [17]);
  expect(p.keys[0]).toBe('idx_audit_events_subject');
});
