import { RECORD_COLUMNS, StoredAuditRecord } from './record';

/**
 * The export formats of audit records, shared by `npm run audit:export` and anything that
 * streams the same download over HTTP (the console): one line per record, same field names
 * as the GraphQL AuditEvent.
 */
export type ExportFormat = 'csv' | 'ndjson';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'ndjson'];

/** The stored record's id, then RECORD_COLUMNS' keys in order. */
export const EXPORT_FIELDS: readonly (keyof StoredAuditRecord)[] = ['id', ...RECORD_COLUMNS.map((c) => c.key)];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/**
 * RFC 4180 quoting; and since these files are opened in spreadsheets, a text cell that begins
 * like a formula (= + - @, tab, CR) is prefixed with ' so it stays text. Case references are
 * client-supplied, so this matters.
 */
function csvCell(value: unknown): string {
  if (value == null) return '';
  if (typeof value === 'number') return String(value);
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** What precedes the records: the CSV header line; nothing for NDJSON. */
export function encodeHeader(format: ExportFormat): string {
  return format === 'csv' ? EXPORT_FIELDS.join(',') + '\r\n' : '';
}

/** One record as one line, terminator included. */
export function encodeRecord(format: ExportFormat, r: StoredAuditRecord): string {
  if (format === 'csv') return EXPORT_FIELDS.map((f) => csvCell(r[f])).join(',') + '\r\n';
  const out: Record<string, unknown> = {};
  for (const f of EXPORT_FIELDS) out[f] = r[f];
  return JSON.stringify(out) + '\n';
}
