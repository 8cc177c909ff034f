import type { Disclosure, FieldRecord } from '../enforcement/disclosure';

/**
 * One audit record as stored and hashed (SPEC §6), before the database gives it an id.
 * Strings and ids only: the value of the field never reaches the audit.
 */
export interface AuditRecord {
  chainId: string;
  seq: number;
  requestId: string;
  /** ISO-8601 UTC with milliseconds, the form the hash covers. */
  at: string;
  clientId: string;
  purpose: string;
  caseRef: string | null;
  subjectId: number | null;
  entity: string;
  entityId: string;
  field: string;
  category: string;
  decision: 'ALLOW' | 'MASK' | 'DENY';
  mask: string | null;
  reason: string;
  basis: string;
  policyVersion: string;
  consentId: string | null;
  prevHash: string;
  hash: string;
}

/** A stored record: what the review API, the export and verify read back. */
export interface StoredAuditRecord extends AuditRecord {
  id: number;
}

/** The part of a record that comes from the request and the field decision (no chain position yet). */
export type AuditFacts = Omit<AuditRecord, 'chainId' | 'seq' | 'prevHash' | 'hash'>;

/**
 * Where a record's column comes from in its batch (src/audit/batch.ts):
 * - `batch`: the batch row's column of the same name (the request's fields, the chain, the hashes);
 * - `seq`: the batch's first_seq + the entry's ordinal;
 * - `group`: position `at` of a group, `[entity, field, …, [entry, …]]` (one per distinct decision);
 * - `entry`: position `at` of an entry, `[ordinal, …]` (one per record; trailing nulls left out).
 */
export type RecordSource = { from: 'batch' } | { from: 'seq' } | { from: 'group'; at: number } | { from: 'entry'; at: number };

/** How a value is held: text (at most `width` characters), an integer, a time, or a decision (coded A/M/D in the batch). */
export type RecordType = 'text' | 'int' | 'time' | 'decision';

export interface RecordColumn {
  key: keyof AuditRecord;
  column: string;
  type: RecordType;
  /** audit_events' width for text (a longer value cannot be audited as is). */
  width?: number;
  nullable?: boolean;
  from: RecordSource['from'];
  /** Position in its group or entry. */
  at?: number;
  /** An entry value left out (null) when it equals this other entry column as a string (entityId: the subject id). */
  impliedBy?: keyof AuditRecord;
}

/**
 * THE record's columns, once: the audit_events column, its type and width, and where the batch
 * encoding keeps it. The batch encoding and decoding (batch.ts), the row reader (columns.ts) and
 * both stores' projection SQL (projectionSelect, used by src/audit/mysql and src/audit/sqlite)
 * are derived from it. In AuditRecord order, which is audit_events' column order.
 */
export const RECORD_COLUMNS: readonly RecordColumn[] = [
  { key: 'chainId', column: 'chain_id', type: 'text', from: 'batch' },
  { key: 'seq', column: 'seq', type: 'int', from: 'seq' },
  { key: 'requestId', column: 'request_id', type: 'text', width: 64, from: 'batch' },
  { key: 'at', column: 'at', type: 'time', from: 'batch' },
  { key: 'clientId', column: 'client_id', type: 'text', width: 64, from: 'batch' },
  { key: 'purpose', column: 'purpose', type: 'text', width: 64, from: 'batch' },
  { key: 'caseRef', column: 'case_ref', type: 'text', width: 64, nullable: true, from: 'batch' },
  { key: 'subjectId', column: 'subject_id', type: 'int', nullable: true, from: 'entry', at: 1 },
  { key: 'entity', column: 'entity', type: 'text', width: 32, from: 'group', at: 0 },
  { key: 'entityId', column: 'entity_id', type: 'text', width: 64, from: 'entry', at: 2, impliedBy: 'subjectId' },
  { key: 'field', column: 'field', type: 'text', width: 64, from: 'group', at: 1 },
  { key: 'category', column: 'category', type: 'text', width: 64, from: 'group', at: 2 },
  { key: 'decision', column: 'decision', type: 'decision', from: 'group', at: 3 },
  { key: 'mask', column: 'mask', type: 'text', width: 16, nullable: true, from: 'group', at: 4 },
  { key: 'reason', column: 'reason', type: 'text', width: 32, from: 'group', at: 5 },
  { key: 'basis', column: 'basis', type: 'text', width: 32, from: 'group', at: 6 },
  { key: 'policyVersion', column: 'policy_version', type: 'text', width: 64, from: 'batch' },
  { key: 'consentId', column: 'consent_id', type: 'text', width: 64, nullable: true, from: 'entry', at: 3 },
  { key: 'prevHash', column: 'prev_hash', type: 'text', from: 'batch' },
  { key: 'hash', column: 'hash', type: 'text', from: 'batch' },
];

const positioned = (from: 'group' | 'entry') => RECORD_COLUMNS.filter((c) => c.from === from).sort((a, b) => a.at! - b.at!);
/** A group's fields, in position order; the group's entries follow them. */
export const GROUP_COLUMNS = positioned('group');
/** An entry's fields after its ordinal (position 0), in position order. */
export const ENTRY_COLUMNS = positioned('entry');
/** The decisions' codes in a batch. */
export const DECISION_CODE = { ALLOW: 'A', MASK: 'M', DENY: 'D' } as const;

/** The widths of the text columns, by record key. */
export const COLUMN_WIDTH: Readonly<Partial<Record<keyof AuditRecord, number>>> = Object.fromEntries(RECORD_COLUMNS.filter((c) => c.width).map((c) => [c.key, c.width]));

/**
 * How a store's SQL names each part of a batch being unfolded: `batch(column)` a batch row's
 * column, `group(i)` / `entry(i)` position i of the group / entry (`entry(0)` the ordinal),
 * `text(expr)` an integer as text.
 */
export interface UnfoldDialect {
  batch(column: string): string;
  group(at: number, c: RecordColumn): string;
  entry(at: number, c: RecordColumn): string;
  text(expr: string): string;
}

/** The SELECT list that unfolds one record per entry, in RECORD_COLUMNS order (each store's projection SQL). */
export function projectionSelect(d: UnfoldDialect): string {
  const expr = (c: RecordColumn): string => {
    if (c.from === 'batch') return d.batch(c.column);
    if (c.from === 'seq') return `${d.batch('first_seq')} + ${d.entry(0, c)}`;
    const v = c.from === 'group' ? d.group(c.at!, c) : d.entry(c.at!, c);
    if (c.type === 'decision') return `CASE ${v} ${Object.entries(DECISION_CODE).map(([name, code]) => `WHEN '${code}' THEN '${name}'`).join(' ')} END`;
    if (c.impliedBy) return `COALESCE(${v}, ${d.text(expr(RECORD_COLUMNS.find((o) => o.key === c.impliedBy)!))})`;
    return v;
  };
  return RECORD_COLUMNS.map(expr).join(', ');
}

/** The request-level fields of a disclosure joined with one field decision. */
export function auditFacts(d: Disclosure, r: FieldRecord, at: string = d.at.toISOString()): AuditFacts {
  return {
    requestId: d.requestId,
    at,
    clientId: d.clientId,
    purpose: d.purpose,
    caseRef: d.caseRef,
    subjectId: r.subjectId,
    entity: r.entity,
    entityId: r.entityId,
    field: r.field,
    category: r.category,
    decision: r.decision,
    mask: r.mask,
    reason: r.reason,
    basis: r.basis,
    policyVersion: d.policy.version,
    consentId: r.consentId,
  };
}
