import type { DataSource } from 'typeorm';
import type { AuditReads } from '../../src/audit';

/** One audit record as these tests compare it: which field of which row, and what was decided. */
export interface AuditRow {
  entity: string;
  entityId: string;
  field: string;
  decision: string;
  mask: string | null;
}

/** The audit records of one request, read straight from the `audit_events` table (once every committed batch is projected into it), sorted. */
export async function auditRows(audit: AuditReads, ds: DataSource, requestId: string): Promise<AuditRow[]> {
  await audit.settled();
  const rows: { entity: string; entity_id: string; field: string; decision: string; mask: string | null }[] = await ds.query(
    'SELECT entity, entity_id, field, decision, mask FROM audit_events WHERE request_id = ?', [requestId]);
  return rows.map((r) => ({ entity: r.entity, entityId: String(r.entity_id), field: r.field, decision: r.decision, mask: r.mask ?? null })).sort(byKey);
}

export function row(entity: string, entityId: string | number, field: string, decision: string, mask: string | null = null): AuditRow {
  return { entity, entityId: String(entityId), field, decision, mask };
}

const key = (r: AuditRow) => `${r.entity}/${r.entityId}/${r.field}/${r.decision}/${r.mask}`;
export const byKey = (a: AuditRow, b: AuditRow) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** Count of audit records per request id (for many requests at once). */
export async function auditCounts(audit: AuditReads, ds: DataSource, requestIds: string[]): Promise<Map<string, number>> {
  await audit.settled();
  const out = new Map<string, number>();
  for (let i = 0; i < requestIds.length; i += 500) {
    const chunk = requestIds.slice(i, i + 500);
    const rows: { request_id: string; n: number | string }[] = await ds.query(
      `SELECT request_id, COUNT(*) AS n FROM audit_events WHERE request_id IN (${chunk.map(() => '?').join(',')}) GROUP BY request_id`, chunk);
    for (const r of rows) out.set(r.request_id, Number(r.n));
  }
  return out;
}
