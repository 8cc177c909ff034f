import { SealedBatch, StoredBatch, storedRecords, storedRecordsJson } from './batch';
import { RECORD_COLUMNS, RecordColumn, StoredAuditRecord } from './record';

/** Columns of an audit_events row, in the order of AuditRecord's fields (the projection writes them all). */
export const INSERT_COLUMNS = RECORD_COLUMNS.map((c) => c.column);

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

/** Columns of an audit_batches row an append writes, in SealedBatch order. */
export const BATCH_COLUMNS = [
  'chain_id', 'seq', 'first_seq', 'request_id', 'at', 'client_id', 'purpose', 'case_ref', 'policy_version', 'record_count', 'records', 'prev_hash', 'hash',
] as const;

/** Every batch column a reader selects. */
export const BATCH_SELECT_COLUMNS = ['id', ...BATCH_COLUMNS].join(', ');

/** One batch's parameters for the INSERT, in BATCH_COLUMNS order. */
export function batchParams(b: SealedBatch, out: unknown[]): void {
  out.push(b.chainId, b.seq, b.firstSeq, b.requestId, toDbTime(b.at), b.clientId, b.purpose, b.caseRef, b.policyVersion, b.recordCount, storedRecords(b), b.prevHash, b.hash);
}

/** A multi-row INSERT for n batches. */
export function batchInsertSql(n: number): string {
  const row = `(${BATCH_COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO audit_batches (${BATCH_COLUMNS.join(', ')}) VALUES ${new Array(n).fill(row).join(', ')}`;
}

/**
 * Batches per INSERT: at most this many rows and this many characters of records, far below
 * SQLite's 32 766 bound parameters and MySQL's max_allowed_packet (16 MiB by default). A request
 * is never split: one larger than the byte bound goes in an INSERT of its own.
 */
export const BATCHES_PER_INSERT = 1000;
export const RECORD_CHARS_PER_INSERT = 4_000_000;

/** A raw audit_batches row (either driver) as a stored batch. */
export function toStoredBatch(row: Record<string, unknown>): StoredBatch {
  return {
    id: Number(row.id),
    chainId: String(row.chain_id),
    seq: Number(row.seq),
    firstSeq: Number(row.first_seq),
    requestId: String(row.request_id),
    at: fromDbTime(row.at),
    clientId: String(row.client_id),
    purpose: String(row.purpose),
    caseRef: row.case_ref == null ? null : String(row.case_ref),
    policyVersion: String(row.policy_version),
    recordCount: Number(row.record_count),
    records: storedRecordsJson(String(row.records)),
    stored: String(row.records),
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  };
}

/** A raw column value (either driver) as the record's type. */
function readColumn(c: RecordColumn, v: unknown): unknown {
  if (v == null && c.nullable) return null;
  if (c.type === 'int') return Number(v);
  if (c.type === 'time') return fromDbTime(v);
  return String(v);
}

/** A raw row (either driver) as a stored record. */
export function toStoredRecord(row: Record<string, unknown>): StoredAuditRecord {
  const out: Record<string, unknown> = { id: Number(row.id) };
  for (const c of RECORD_COLUMNS) out[c.key] = readColumn(c, row[c.column]);
  return out as unknown as StoredAuditRecord;
}
