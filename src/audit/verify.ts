import type { DataSource } from 'typeorm';
import { now } from '../clock';
import { isMysql } from '../db/data-source';
import type { FieldRecord } from '../enforcement/disclosure';
import { BatchFormatError, decodeRecords, GENESIS_HASH, hashBatch, StoredBatch } from './batch';
import { BATCH_SELECT_COLUMNS, fromDbTime, SELECT_COLUMNS, toDbTime, toStoredBatch, toStoredRecord } from './columns';
import { hashRecord } from './hash';
import { RECORD_COLUMNS, StoredAuditRecord } from './record';

export type Tampering = 'changed' | 'removed' | 'inserted' | 'head-mismatch';

/** audit_batches: the chain itself; audit_events: its projection, one row per record. */
export type AuditTable = 'audit_batches' | 'audit_events';

/**
 * The first row where a chain stops verifying: a batch (its id and batch seq) or a record of the
 * projection (its id and record seq). For `removed`, `seq` is the first missing seq and `id` the
 * row found in its place (null when the end is missing).
 */
export interface FirstBad {
  table: AuditTable;
  id: number | null;
  seq: number;
  problem: Tampering;
  detail: string;
}

export interface ChainReport {
  chainId: string;
  /** Records covered by the head this verification started from. */
  length: number;
  /** Batches covered by it (0: a chain written record by record, or one no writer registered). */
  batches: number;
  headHash: string;
  ok: boolean;
  firstBad?: FirstBad;
}

export interface VerifyProgress {
  chainId: string;
  /** Records checked in this chain, and in all chains so far. */
  chainChecked: number;
  chainTotal: number;
  checked: number;
  total: number;
}

export interface VerifyOptions {
  /** Records per query: memory stays bounded by one page (and a few batches), whatever the chain's length. */
  pageSize?: number;
  /** Stamp each registered chain's last_verified_* columns (default true). */
  record?: boolean;
}

interface HeadRow {
  chainId: string;
  /** Last batch (0: a chain written record by record, before the batch log). */
  batch: number;
  /** Last record. */
  seq: number;
  hash: string;
  projectedBatch: number;
  projectedSeq: number;
}

const readHeads = async (ds: DataSource): Promise<HeadRow[]> =>
  (await ds.query(`SELECT c.chain_id, c.head_batch, c.head_seq, c.head_hash, p.projected_batch, p.projected_seq
                    FROM audit_chains c LEFT JOIN audit_projection_progress p ON p.chain_id = c.chain_id ORDER BY c.started_at, c.chain_id`)).map(
    (r: Record<string, unknown>) => ({
      chainId: String(r.chain_id), batch: Number(r.head_batch), seq: Number(r.head_seq), hash: String(r.head_hash),
      // No progress row (removed): nothing counts as projected, so any audit_events row of the chain is reported.
      projectedBatch: Number(r.projected_batch ?? 0), projectedSeq: Number(r.projected_seq ?? 0),
    }),
  );

/** One chain's rows of one table in seq order, a page at a time, with look-ahead. */
class ChainRows<T extends { seq: number }> {
  private rows: T[] = [];
  private pos = 0;
  private last: number | null = null;
  private done = false;

  constructor(private readonly fetch: (after: number | null, limit: number) => Promise<T[]>, private readonly pageSize: number) {}

  async peek(k = 0): Promise<T | undefined> {
    while (this.rows.length - this.pos <= k && !this.done) {
      const page = await this.fetch(this.last, this.pageSize);
      if (page.length < this.pageSize) this.done = true;
      if (page.length) this.last = page[page.length - 1].seq;
      this.rows = this.rows.slice(this.pos).concat(page);
      this.pos = 0;
    }
    return this.rows[this.pos + k];
  }

  async take(): Promise<T | undefined> {
    const r = await this.peek();
    if (r) this.pos++;
    return r;
  }
}

function pageQuery<T>(ds: DataSource, table: AuditTable, columns: string, chainId: string, upTo: number, map: (row: Record<string, unknown>) => T) {
  return async (after: number | null, limit: number): Promise<T[]> => {
    const rows: Record<string, unknown>[] = await ds.query(
      `SELECT ${columns} FROM ${table} WHERE chain_id = ? AND seq <= ?${after === null ? '' : ' AND seq > ?'} ORDER BY seq LIMIT ${limit}`,
      after === null ? [chainId, upTo] : [chainId, upTo, after],
    );
    return rows.map(map);
  };
}

/** The columns of a projected row against the record its batch holds at that place (RECORD_COLUMNS, in order); the first that differs, or null. */
function difference(row: StoredAuditRecord, b: StoredBatch, r: FieldRecord, seq: number | null): string | null {
  for (const c of RECORD_COLUMNS) {
    const want = c.from === 'seq' ? seq ?? row.seq : c.from === 'batch' ? b[c.key as keyof StoredBatch] : r[c.key as keyof FieldRecord];
    if (row[c.key] !== want) return c.column;
  }
  return null;
}

/**
 * A chain of batches, in seq order up to the head read at the start (writers and the projection
 * may go on meanwhile):
 * - each batch carries the next seq and the next record numbering, links to the previous batch's
 *   hash and hashes to its own; the last one is the head. When a link breaks, the batches on
 *   either side tell what happened, as for records before: a batch that links past its
 *   predecessor shows the predecessor was inserted; an intact batch whose link does not match
 *   shows the predecessor was changed (and rehashed to hide it).
 * - every projected batch (up to projected_batch) has exactly its records in audit_events, at
 *   seq first_seq + ordinal, equal column by column to what the batch holds. A batch's
 *   projection is compared only once the next link (or the head) vouched for the batch, so that
 *   a changed batch is named as the batch, not as the rows that still hold the original.
 */
async function walkBatchChain(ds: DataSource, head: HeadRow, pageSize: number, progress: (checked: number) => void): Promise<FirstBad | undefined> {
  const batches = new ChainRows(pageQuery(ds, 'audit_batches', BATCH_SELECT_COLUMNS, head.chainId, head.batch, toStoredBatch), Math.min(100, Math.max(1, Math.ceil(pageSize / 20))));
  const events = new ChainRows(pageQuery(ds, 'audit_events', SELECT_COLUMNS, head.chainId, head.projectedSeq, toStoredRecord), pageSize);
  const batchBad = (b: { id: number | null; seq: number }, problem: Tampering, detail: string): FirstBad => ({ table: 'audit_batches', id: b.id, seq: b.seq, problem, detail });
  let reported = 0;
  const report = (n: number) => {
    if (n > reported) progress((reported = n));
  };

  /** The projection of a batch whose place in the chain is confirmed. */
  const checkProjection = async (b: StoredBatch): Promise<FirstBad | undefined> => {
    let records: FieldRecord[];
    try {
      records = decodeRecords(b.records, b.recordCount);
    } catch (e) {
      // Hashed as it is: written so by someone with the code, not by the writer.
      return batchBad(b, 'changed', `its records cannot be read (${e instanceof BatchFormatError ? e.message : 'unreadable'})`);
    }
    if (b.seq > head.projectedBatch) {
      report(b.firstSeq + b.recordCount - 1); // not projected yet: the batch alone is checked
      return undefined;
    }
    for (let i = 0; i < records.length; i++) {
      const seq = b.firstSeq + i;
      const row = await events.peek();
      if (!row || row.seq > seq) {
        const missing = row ? (row.seq - 1 > seq ? `seq ${seq}..${row.seq - 1}` : `seq ${seq}`) : `seq ${seq}..${head.projectedSeq}`;
        return { table: 'audit_events', id: row?.id ?? null, seq, problem: 'removed', detail: row ? `${missing} missing before record ${row.id}` : `${missing} missing at the end of the projection` };
      }
      const differs = difference(row, b, records[i], seq);
      if (differs) {
        const next = await events.peek(1);
        if (next && next.seq === seq + 1 && !difference(next, b, records[i], null)) {
          return { table: 'audit_events', id: row.id, seq, problem: 'inserted', detail: `record ${next.id} (seq ${next.seq}) holds what seq ${seq} should` };
        }
        return { table: 'audit_events', id: row.id, seq, problem: 'changed', detail: `its ${differs} does not match record ${i} of batch ${b.seq} (id ${b.id})` };
      }
      await events.take();
      if ((i + 1) % pageSize === 0) report(seq);
    }
    report(b.firstSeq + b.recordCount - 1);
    return undefined;
  };

  let prev: StoredBatch | null = null;
  let expectedBatch = 1;
  let expectedSeq = 1;
  let projectedEnd = head.projectedBatch === 0 ? 0 : -1;
  for (let b: StoredBatch | undefined; (b = await batches.take());) {
    if (b.seq < expectedBatch) return batchBad(b, 'inserted', `batch seq ${b.seq} appears out of order (expected ${expectedBatch})`);
    if (b.seq > expectedBatch) {
      const missing = b.seq - 1 > expectedBatch ? `batch seq ${expectedBatch}..${b.seq - 1}` : `batch seq ${expectedBatch}`;
      return batchBad({ id: b.id, seq: expectedBatch }, 'removed', `${missing} missing before batch ${b.id}`);
    }
    const intact = hashBatch(b.prevHash, b) === b.hash;
    if (b.prevHash !== (prev ? prev.hash : GENESIS_HASH)) {
      if (prev && b.prevHash === prev.prevHash) return batchBad(prev, 'inserted', `batch ${b.id} (seq ${b.seq}) links past it`);
      if (prev && intact) return batchBad(prev, 'changed', `its hash no longer matches the link in batch ${b.id} (seq ${b.seq})`);
      return batchBad(b, 'changed', 'its link to the previous batch does not match');
    }
    if (!intact) return batchBad(b, 'changed', 'its content does not match its hash');
    if (b.firstSeq !== expectedSeq) return batchBad(b, 'changed', `its records are numbered from ${b.firstSeq}, the chain is at ${expectedSeq}`);
    // b vouches for prev: now prev's projection can be compared.
    if (prev) {
      const bad = await checkProjection(prev);
      if (bad) return bad;
    }
    prev = b;
    expectedBatch++;
    expectedSeq += b.recordCount;
    if (b.seq === head.projectedBatch) projectedEnd = expectedSeq - 1;
  }
  if (expectedBatch - 1 < head.batch) {
    const missing = expectedBatch < head.batch ? `batch seq ${expectedBatch}..${head.batch}` : `batch seq ${expectedBatch}`;
    return batchBad({ id: null, seq: expectedBatch }, 'removed', `${missing} missing at the end (the head is batch ${head.batch})`);
  }
  if ((prev?.hash ?? GENESIS_HASH) !== head.hash) return batchBad({ id: prev?.id ?? null, seq: prev?.seq ?? 0 }, 'head-mismatch', 'the last batch does not hash to the chain head');
  if (expectedSeq - 1 !== head.seq) return batchBad({ id: prev?.id ?? null, seq: prev?.seq ?? 0 }, 'head-mismatch', `the head counts ${head.seq} records, the batches ${expectedSeq - 1}`);
  if (prev) {
    const bad = await checkProjection(prev);
    if (bad) return bad;
  }
  const extra = await events.peek();
  if (extra) return { table: 'audit_events', id: extra.id, seq: extra.seq, problem: 'inserted', detail: `no projected batch holds seq ${extra.seq}` };
  if (projectedEnd !== head.projectedSeq) {
    return { table: 'audit_events', id: null, seq: head.projectedSeq, problem: 'head-mismatch', detail: `the projection progress (batch ${head.projectedBatch}, record ${head.projectedSeq}) does not match the batches` };
  }
  return (await beyond(ds, head, 'audit_batches', head.batch, 'head_batch')) ?? beyond(ds, head, 'audit_events', head.projectedSeq, 'projected_seq');
}

/**
 * Rows past the head (or projection progress) the walk started from are legitimate only if it
 * has moved over them since (the writer and the projection move it in the same transaction as
 * they insert). Read them before the head, so that a commit landing in between is counted in the
 * head as well.
 */
async function beyond(ds: DataSource, head: HeadRow, table: AuditTable, from: number, column: 'head_batch' | 'projected_seq' | 'head_seq'): Promise<FirstBad | undefined> {
  const [past] = await ds.query(`SELECT MAX(seq) AS seq FROM ${table} WHERE chain_id = ? AND seq > ?`, [head.chainId, from]);
  if (past?.seq == null) return undefined;
  const [current] = await ds.query(`SELECT ${column} AS seq FROM ${column === 'projected_seq' ? 'audit_projection_progress' : 'audit_chains'} WHERE chain_id = ?`, [head.chainId]);
  const upTo = Number(current?.seq ?? 0);
  if (Number(past.seq) <= upTo) return undefined;
  const [first] = await ds.query(`SELECT id, seq FROM ${table} WHERE chain_id = ? AND seq > ? ORDER BY seq LIMIT 1`, [head.chainId, upTo]);
  const what = table === 'audit_batches' ? `past the chain head (batch ${upTo})` : column === 'projected_seq' ? `past the projection (record ${upTo})` : `past the chain head (seq ${upTo})`;
  return { table, id: Number(first.id), seq: Number(first.seq), problem: 'inserted', detail: what };
}

/**
 * A chain written record by record (before the batch log): each audit_events row must carry the
 * next seq, link to the previous row's hash and hash to its own stored hash.
 */
async function walkRecordChain(ds: DataSource, head: HeadRow, pageSize: number, progress: (checked: number) => void): Promise<FirstBad | undefined> {
  const rows = new ChainRows(pageQuery(ds, 'audit_events', SELECT_COLUMNS, head.chainId, head.seq, toStoredRecord), pageSize);
  const bad = (r: { id: number | null; seq: number }, problem: Tampering, detail: string): FirstBad => ({ table: 'audit_events', id: r.id, seq: r.seq, problem, detail });
  let expectedSeq = 1;
  let prev: StoredAuditRecord | null = null;
  for (let r: StoredAuditRecord | undefined; (r = await rows.take());) {
    if (r.seq < expectedSeq) return bad(r, 'inserted', `seq ${r.seq} appears out of order (expected ${expectedSeq})`);
    if (r.seq > expectedSeq) {
      const missing = r.seq - 1 > expectedSeq ? `seq ${expectedSeq}..${r.seq - 1}` : `seq ${expectedSeq}`;
      return bad({ id: r.id, seq: expectedSeq }, 'removed', `${missing} missing before record ${r.id}`);
    }
    const intact = hashRecord(r.prevHash, r) === r.hash;
    if (r.prevHash !== (prev ? prev.hash : GENESIS_HASH)) {
      if (prev && r.prevHash === prev.prevHash) return bad(prev, 'inserted', `record ${r.id} (seq ${r.seq}) links past it`);
      if (prev && intact) return bad(prev, 'changed', `its hash no longer matches the link in record ${r.id} (seq ${r.seq})`);
      return bad(r, 'changed', 'its link to the previous record does not match');
    }
    if (!intact) return bad(r, 'changed', 'its content does not match its hash');
    prev = r;
    expectedSeq++;
    if (r.seq % pageSize === 0) progress(r.seq);
  }
  if (prev) progress(prev.seq);
  if ((prev?.seq ?? 0) < head.seq) {
    const seq = (prev?.seq ?? 0) + 1;
    return bad({ id: null, seq }, 'removed', `seq ${seq}..${head.seq} missing at the end (the head is seq ${head.seq})`);
  }
  if ((prev?.hash ?? GENESIS_HASH) !== head.hash) return bad({ id: prev?.id ?? null, seq: prev?.seq ?? 0 }, 'head-mismatch', 'the last record does not hash to the chain head');
  return beyond(ds, head, 'audit_events', head.seq, 'head_seq');
}

/**
 * Rows under a chain id that no writer registered: inserted wholesale (batches first, then
 * records). A chain registered since the walk read the chain heads is a writer that started
 * meanwhile (it registers its chain before or with its first batch; the rows are read first, so
 * its registration is seen): not this run's to check.
 */
async function unregisteredChains(ds: DataSource, registered: Set<string>): Promise<ChainReport[]> {
  const out = new Map<string, ChainReport>();
  for (const table of ['audit_batches', 'audit_events'] as const) {
    const ids: string[] = (await ds.query(`SELECT DISTINCT chain_id FROM ${table}`)).map((r: Record<string, unknown>) => String(r.chain_id));
    for (const chainId of ids.filter((id) => !registered.has(id) && !out.has(id)).sort()) {
      if ((await ds.query('SELECT chain_id FROM audit_chains WHERE chain_id = ?', [chainId])).length > 0) continue; // started during this run
      const [first] = await ds.query(`SELECT id, seq FROM ${table} WHERE chain_id = ? ORDER BY seq LIMIT 1`, [chainId]);
      const [count] = await ds.query(`SELECT COUNT(*) AS n FROM ${table} WHERE chain_id = ?`, [chainId]);
      out.set(chainId, {
        chainId, length: Number(count.n), batches: 0, headHash: '', ok: false,
        firstBad: { table, id: Number(first.id), seq: Number(first.seq), problem: 'inserted', detail: 'its chain was never registered by a writer' },
      });
    }
  }
  return [...out.values()].sort((a, b) => (a.chainId < b.chainId ? -1 : 1));
}

/** How a first bad row is named in reports: "batch 12 (seq 3)" or "record 345 (seq 27)". */
export function nameFirstBad(b: FirstBad): string {
  return `${b.table === 'audit_batches' ? 'batch' : 'record'} ${b.id ?? '-'} (seq ${b.seq})`;
}

/**
 * `npm run audit:verify`: check every chain completely — its batches, and their projection in
 * audit_events — page by page, and report each (and, unless told not to, record the outcome on
 * the chain for the console's Integrity view).
 */
export async function verifyChains(ds: DataSource, onProgress?: (p: VerifyProgress) => void, options: VerifyOptions = {}): Promise<ChainReport[]> {
  const pageSize = options.pageSize ?? 2000;
  const heads = await readHeads(ds);
  const total = heads.reduce((n, h) => n + h.seq, 0);
  let done = 0;
  const reports: ChainReport[] = [];
  for (const head of heads) {
    const progress = (chainChecked: number) => onProgress?.({ chainId: head.chainId, chainChecked, chainTotal: head.seq, checked: done + chainChecked, total });
    const firstBad = head.batch === 0 && head.seq > 0 ? await walkRecordChain(ds, head, pageSize, progress) : await walkBatchChain(ds, head, pageSize, progress);
    done += head.seq;
    const report: ChainReport = { chainId: head.chainId, length: head.seq, batches: head.batch, headHash: head.hash, ok: !firstBad, ...(firstBad ? { firstBad } : {}) };
    reports.push(report);
    if (options.record !== false) {
      const detail = firstBad ? `${firstBad.problem} at ${nameFirstBad(firstBad)}: ${firstBad.detail}`.slice(0, 255) : `${head.seq} records`;
      await ds.query(isMysql(ds) ? STAMP_SQL.mysql : STAMP_SQL.sqlite, [head.chainId, toDbTime(now().toISOString()), !firstBad, detail]);
    }
  }
  reports.push(...(await unregisteredChains(ds, new Set(heads.map((h) => h.chainId)))));
  return reports;
}

/**
 * A verification's outcome, on the chain's row of audit_chain_verifications (never on
 * audit_chains, whose row only the chain's writer moves: from another Galera node, a stamp there
 * would fail the writer's next commit's certification).
 */
const STAMP_SQL = {
  mysql: `INSERT INTO audit_chain_verifications (chain_id, last_verified_at, last_verified_ok, last_verified_detail) VALUES (?, ?, ?, ?)
          ON DUPLICATE KEY UPDATE last_verified_at = VALUES(last_verified_at), last_verified_ok = VALUES(last_verified_ok), last_verified_detail = VALUES(last_verified_detail)`,
  sqlite: `INSERT INTO audit_chain_verifications (chain_id, last_verified_at, last_verified_ok, last_verified_detail) VALUES (?, ?, ?, ?)
           ON CONFLICT (chain_id) DO UPDATE SET last_verified_at = excluded.last_verified_at, last_verified_ok = excluded.last_verified_ok, last_verified_detail = excluded.last_verified_detail`,
};

/** A chain as the console's Integrity view lists it. */
export interface ChainSummary {
  chainId: string;
  startedAt: string;
  /** Records in the chain (its last record's seq). */
  headSeq: number;
  /** Batches in the chain (0: written record by record, before the batch log). */
  headBatch: number;
  headHash: string;
  /** Records of the chain already in audit_events. */
  projectedSeq: number;
  lastVerifiedAt: string | null;
  lastVerifiedOk: boolean | null;
  lastVerifiedDetail: string | null;
}

export async function listChains(ds: DataSource): Promise<ChainSummary[]> {
  const rows: Record<string, unknown>[] = await ds.query(
    `SELECT c.chain_id, c.started_at, c.head_batch, c.head_seq, c.head_hash, p.projected_seq, v.last_verified_at, v.last_verified_ok, v.last_verified_detail
       FROM audit_chains c LEFT JOIN audit_projection_progress p ON p.chain_id = c.chain_id LEFT JOIN audit_chain_verifications v ON v.chain_id = c.chain_id
      ORDER BY c.started_at, c.chain_id`,
  );
  return rows.map((r) => ({
    chainId: String(r.chain_id),
    startedAt: fromDbTime(r.started_at),
    headSeq: Number(r.head_seq),
    headBatch: Number(r.head_batch),
    headHash: String(r.head_hash),
    projectedSeq: Number(r.projected_seq ?? 0),
    lastVerifiedAt: r.last_verified_at == null ? null : fromDbTime(r.last_verified_at),
    lastVerifiedOk: r.last_verified_ok == null ? null : Boolean(Number(r.last_verified_ok)),
    lastVerifiedDetail: r.last_verified_detail == null ? null : String(r.last_verified_detail),
  }));
}
