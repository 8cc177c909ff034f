import type { DataSource } from 'typeorm';
import { badInput } from '../errors';
import type { PageWindow } from '../graphql/pagination';
import { fromDbTime, SELECT_COLUMNS, toDbTime, toStoredRecord } from './columns';
import { AuditQuery, filterConditions } from './filter';
import type { AuditReads } from './adapter';
import type { StoredAuditRecord } from './record';

/**
 * The SQL of one page of records, newest first, ordered by (at, id) so that every filter reads
 * one range of its index (see the migration). `after` is the last record of the previous page.
 * Asks for size + 1 rows so that toConnection can tell whether there is more.
 */
export function auditEventsPageSql(q: AuditQuery, size: number, after: { at: string; id: number } | null): { sql: string; params: unknown[] } {
  const { conditions, params } = filterConditions(q);
  if (after) {
    // Same as (at, id) < (after.at, after.id), spelt so that both optimisers see a range on `at`.
    conditions.push('at <= ? AND (at < ? OR id < ?)');
    params.push(after.at, after.at, after.id);
  }
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT ${SELECT_COLUMNS} FROM audit_events ${where} ORDER BY at DESC, id DESC LIMIT ${size + 1}`, params };
}

/**
 * One page of records; the cursor is a record id, whose time is looked up by key. Reads after
 * the projection has caught up with every committed batch (read-your-writes).
 */
export async function listAuditEvents(audit: AuditReads, ds: DataSource, q: AuditQuery, w: PageWindow): Promise<StoredAuditRecord[]> {
  await audit.settled();
  let after: { at: string; id: number } | null = null;
  if (w.afterId !== null) {
    const [cursor] = await ds.query('SELECT at FROM audit_events WHERE id = ?', [w.afterId]);
    if (!cursor) throw badInput('"after" names no record (it may have been archived)', { argument: 'after' });
    after = { at: toDbTime(fromDbTime(cursor.at)), id: w.afterId };
  }
  const { sql, params } = auditEventsPageSql(q, w.size, after);
  return (await ds.query(sql, params) as Record<string, unknown>[]).map(toStoredRecord);
}

/** A client that received (ALLOW or MASK) some of a subject's data: what, for what, when, how often. */
export interface Recipient {
  clientId: string;
  categories: string[];
  purposes: string[];
  firstAt: string;
  lastAt: string;
  count: number;
}

export const DISCLOSURE_REPORT_SQL = `SELECT client_id, category, purpose, MIN(at) AS first_at, MAX(at) AS last_at, COUNT(*) AS n
  FROM audit_events
 WHERE subject_id = ? AND decision IN ('ALLOW', 'MASK')
 GROUP BY client_id, category, purpose`;

/**
 * "Who has my data?" (SPEC §6): one row per client that received any of the subject's data,
 * grouped in the database over the subject's index range; the few (client, category, purpose)
 * groups are folded per client here, which needs no GROUP_CONCAT and so runs on both stores.
 */
export async function disclosureReport(audit: AuditReads, ds: DataSource, subjectId: number): Promise<Recipient[]> {
  await audit.settled(); // every disclosure committed so far counts
  return recipientsOf(ds, subjectId);
}

/**
 * The disclosure report over what audit_events holds now, without waiting for the projection:
 * for a transaction whose caller waited for it before it began (see markErased).
 */
export async function recipientsOf(ds: DataSource, subjectId: number): Promise<Recipient[]> {
  const groups: Record<string, unknown>[] = await ds.query(DISCLOSURE_REPORT_SQL, [subjectId]);
  const byClient = new Map<string, { categories: Set<string>; purposes: Set<string>; firstAt: string; lastAt: string; count: number }>();
  for (const g of groups) {
    const clientId = String(g.client_id);
    const firstAt = fromDbTime(g.first_at);
    const lastAt = fromDbTime(g.last_at);
    let r = byClient.get(clientId);
    if (!r) byClient.set(clientId, (r = { categories: new Set(), purposes: new Set(), firstAt, lastAt, count: 0 }));
    r.categories.add(String(g.category));
    r.purposes.add(String(g.purpose));
    if (firstAt < r.firstAt) r.firstAt = firstAt;
    if (lastAt > r.lastAt) r.lastAt = lastAt;
    r.count += Number(g.n);
  }
  return [...byClient.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([clientId, r]) => ({ clientId, categories: [...r.categories].sort(), purposes: [...r.purposes].sort(), firstAt: r.firstAt, lastAt: r.lastAt, count: r.count }));
}
