import type { AuditRecord, StoredAuditRecord } from './record';

/** Columns an append writes, in the order of AuditRecord's fields. */
export const INSERT_COLUMNS = [
  'chain_id', 'seq', 'request_id', 'at', 'client_id', 'purpose', 'case_ref', 'subject_id', 'entity', 'entity_id',
  'field', 'category', 'decision', 'mask', 'reason', 'basis', 'policy_version', 'consent_id', 'prev_hash', 'hash',
] as const;

/** Every column a reader selects. */
export const SELECT_COLUMNS = ['id', ...INSERT_COLUMNS].join(', ');

/**
 * Times are stored as UTC 'YYYY-MM-DD HH:MM:SS.mmm': DATETIME(3) on MySQL, text on SQLite that
 * sorts and compares in time order. Neither driver is given a Date, so no session time zone applies.
 */
export function toDbTime(iso: string): string {
  return iso.slice(0, 23).replace('T', ' ');
}

/** A stored time back to ISO: mysql2 returns a Date (the pool's time zone is UTC), SQLite the text above. */
export function fromDbTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const s = String(value);
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s.replace(' ', 'T') + 'Z');
  if (Number.isNaN(d.getTime())) throw new Error('unreadable audit time');
  return d.toISOString();
}

/** One record's parameters for the INSERT, in INSERT_COLUMNS order. */
export function insertParams(r: AuditRecord, out: unknown[]): void {
  out.push(r.chainId, r.seq, r.requestId, toDbTime(r.at), r.clientId, r.purpose, r.caseRef, r.subjectId, r.entity, r.entityId,
    r.field, r.category, r.decision, r.mask, r.reason, r.basis, r.policyVersion, r.consentId, r.prevHash, r.hash);
}

/** A multi-row INSERT for n records. */
export function insertSql(n: number): string {
  const row = `(${INSERT_COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO audit_events (${INSERT_COLUMNS.join(', ')}) VALUES ${new Array(n).fill(row).join(', ')}`;
}

/**
 * Rows per INSERT: below SQLite's 32 766 bound parameters and far below MySQL's packet limit
 * (about 400 bytes a row), large enough that a 1 000-field response is one or two statements.
 */
export const ROWS_PER_INSERT = Math.floor(16_000 / INSERT_COLUMNS.length);

const nullableString = (v: unknown): string | null => (v == null ? null : String(v));

/** A raw row (either driver) as a stored record. */
export function toStoredRecord(row: Record<string, unknown>): StoredAuditRecord {
  return {
    id: Number(row.id),
    chainId: String(row.chain_id),
    seq: Number(row.seq),
    requestId: String(row.request_id),
    at: fromDbTime(row.at),
    clientId: String(row.client_id),
    purpose: String(row.purpose),
    caseRef: nullableString(row.case_ref),
    subjectId: row.subject_id == null ? null : Number(row.subject_id),
    entity: String(row.entity),
    entityId: String(row.entity_id),
    field: String(row.field),
    category: String(row.category),
    decision: String(row.decision) as StoredAuditRecord['decision'],
    mask: nullableString(row.mask),
    reason: String(row.reason),
    basis: String(row.basis),
    policyVersion: String(row.policy_version),
    consentId: nullableString(row.consent_id),
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  };
}
