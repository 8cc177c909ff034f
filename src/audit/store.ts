import type { DataSource } from 'typeorm';
import { BatchContent, ChainHead, EMPTY_HEAD, SealedBatch, storedRecords } from './batch';
import { batchInsertSql, batchParams, BATCHES_PER_INSERT, RECORD_CHARS_PER_INSERT, toDbTime } from './columns';

/** What one append knows about its chain before it starts. */
export interface ChainState {
  chainId: string;
  /** ISO time the chain was started (stamped on its audit_chains row at registration). */
  startedAt: string;
  /** Whether audit_chains already has the row; false until the first append commits. */
  registered: boolean;
  head: ChainHead;
}

export interface AppendResult {
  head: ChainHead;
  batches: SealedBatch[];
}

/**
 * The audit's write path for one database kind. `append` runs one transaction: (re)read the
 * chain head if asked, seal the batches after it (one per request), insert them with one
 * multi-row INSERT, and move the head (or register the chain) — all committed together or not
 * at all. Nothing else: audit_events is filled afterwards by the projection.
 */
export interface AuditStore {
  /** `chain` null: the last outcome is unknown (a failed commit may have landed), so read the head first. */
  append(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, batches: readonly BatchContent[]): Promise<AppendResult>;
  /** Throws while the tables the append writes cannot be reached. */
  probe(): Promise<void>;
  /** Release what the store holds open (called once the writer is idle and closed). */
  close?(): Promise<void>;
  /** Encodings at least this long are worth storing deflated here (Infinity: never). */
  readonly deflateFromChars: number;
}

export class AuditStoreError extends Error {}

export const HEAD_SQL = 'SELECT head_batch, head_seq, head_hash FROM audit_chains WHERE chain_id = ?';
export const MOVE_HEAD_SQL = 'UPDATE audit_chains SET head_batch = ?, head_seq = ?, head_hash = ? WHERE chain_id = ? AND head_batch = ?';
export const REGISTER_SQL = 'INSERT INTO audit_chains (chain_id, started_at, head_batch, head_seq, head_hash) VALUES (?, ?, ?, ?, ?)';
/** With the registration, the chain's projection progress row (nothing projected yet); from then on only the projection writes it. */
export const REGISTER_PROGRESS_SQL = 'INSERT INTO audit_projection_progress (chain_id, projected_batch, projected_seq) VALUES (?, 0, 0)';

export function headOf(row: Record<string, unknown> | undefined): { registered: boolean; head: ChainHead } {
  return row ? { registered: true, head: { batch: Number(row.head_batch), seq: Number(row.head_seq), hash: String(row.head_hash) } } : { registered: false, head: EMPTY_HEAD };
}

/** The statements of one append, in order, each with its parameters. */
export function appendStatements(chainId: string, startedAt: string, registered: boolean, before: ChainHead, sealed: AppendResult): [string, unknown[]][] {
  const out: [string, unknown[]][] = [];
  const { batches, head } = sealed;
  for (let i = 0; i < batches.length;) {
    const params: unknown[] = [];
    let n = 0;
    let chars = 0;
    while (i < batches.length && n < BATCHES_PER_INSERT) {
      const size = storedRecords(batches[i]).length;
      if (n > 0 && chars + size > RECORD_CHARS_PER_INSERT) break;
      chars += size;
      batchParams(batches[i++], params);
      n++;
    }
    out.push([batchInsertSql(n), params]);
  }
  if (registered) out.push([MOVE_HEAD_SQL, [head.batch, head.seq, head.hash, chainId, before.batch]]);
  else out.push([REGISTER_SQL, [chainId, toDbTime(startedAt), head.batch, head.seq, head.hash]], [REGISTER_PROGRESS_SQL, [chainId]]);
  return out;
}

/** Throws while the tables an append writes cannot be reached. */
export async function probeTables(ds: DataSource): Promise<void> {
  await ds.query('SELECT id FROM audit_batches WHERE 1 = 0');
  await ds.query('SELECT chain_id FROM audit_chains WHERE 1 = 0');
  await ds.query('SELECT chain_id FROM audit_projection_progress WHERE 1 = 0');
}

