import type { DataSource } from 'typeorm';
import { fromDbTime, SELECT_COLUMNS, toDbTime, toStoredRecord } from './columns';
import { encodeHeader, encodeRecord, ExportFormat } from './encode';
import { AuditQuery, filterConditions } from './filter';
import type { AuditReads } from './adapter';

export interface ExportOptions {
  /** Records per query; memory stays bounded by one page whatever the total. */
  pageSize?: number;
  /** Called after each page with the number of records written so far. */
  onProgress?(written: number): void;
}

/** The SQL of one export page, oldest first, after the last record of the previous page. */
export function exportPageSql(q: AuditQuery, pageSize: number, after: { at: string; id: number } | null): { sql: string; params: unknown[] } {
  const { conditions, params } = filterConditions(q);
  if (after) {
    // Same as (at, id) > (after.at, after.id), spelt so that both optimisers see a range on `at`.
    conditions.push('at >= ? AND (at > ? OR id > ?)');
    params.push(after.at, after.at, after.id);
  }
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT ${SELECT_COLUMNS} FROM audit_events ${where} ORDER BY at, id LIMIT ${pageSize}`, params };
}

/** How many records a filter selects (for a progress bar's total). */
export async function countRecords(audit: AuditReads, ds: DataSource, q: AuditQuery): Promise<number> {
  await audit.settled();
  const { conditions, params } = filterConditions(q);
  const [row] = await ds.query(`SELECT COUNT(*) AS n FROM audit_events ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}`, params);
  return Number(row.n);
}

/**
 * Stream every record a filter selects, oldest first, encoded, to `write` (which may return a
 * promise to apply back-pressure, as a socket or stdout does). Keyset pages over (at, id), the
 * order of the filter indexes, so each page is one index range and nothing accumulates.
 * Resolves with the number of records written. Starts once every batch committed so far is
 * projected (in a CLI's own process, it projects what is pending itself).
 */
export async function exportRecords(
  audit: AuditReads,
  ds: DataSource,
  q: AuditQuery,
  format: ExportFormat,
  write: (chunk: string) => void | Promise<void>,
  options: ExportOptions = {},
): Promise<number> {
  const pageSize = options.pageSize ?? 1000;
  await audit.settled();
  let written = 0;
  let last: { at: string; id: number } | null = null;
  const header = encodeHeader(format);
  if (header) await write(header);
  for (;;) {
    const { sql, params } = exportPageSql(q, pageSize, last);
    const rows: Record<string, unknown>[] = await ds.query(sql, params);
    if (!rows.length) break;
    let chunk = '';
    for (const row of rows) chunk += encodeRecord(format, toStoredRecord(row));
    await write(chunk);
    written += rows.length;
    options.onProgress?.(written);
    const tail = rows[rows.length - 1];
    last = { at: toDbTime(fromDbTime(tail.at)), id: Number(tail.id) };
    if (rows.length < pageSize) break;
  }
  return written;
}
