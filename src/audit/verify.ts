import type { DataSource } from 'typeorm';
import { now } from '../clock';
import { fromDbTime, SELECT_COLUMNS, toDbTime, toStoredRecord } from './columns';
import { GENESIS_HASH, hashRecord } from './hash';
import type { StoredAuditRecord } from './record';

export type Tampering = 'changed' | 'removed' | 'inserted' | 'head-mismatch';

/**
 * The first record where a chain stops verifying. For `removed`, `seq` is the first missing
 * sequence number and `id` the record found in its place (null when the chain's end is missing).
 */
export interface FirstBad {
  id: number | null;
  seq: number;
  problem: Tampering;
  detail: string;
}

export interface ChainReport {
  chainId: string;
  /** Records covered by the head this verification started from. */
  length: number;
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
  /** Records per query: memory stays bounded by one page, whatever the chain's length. */
  pageSize?: number;
  /** Stamp each registered chain's last_verified_* columns (default true). */
  record?: boolean;
}

interface HeadRow {
  chainId: string;
  seq: number;
  hash: string;
}

const readHeads = async (ds: DataSource): Promise<HeadRow[]> =>
  (await ds.query('SELECT chain_id, head_seq, head_hash FROM audit_chains ORDER BY started_at, chain_id')).map(
    (r: Record<string, unknown>) => ({ chainId: String(r.chain_id), seq: Number(r.head_seq), hash: String(r.head_hash) }),
  );

/**
 * Walk one chain in seq order up to the head read at the start (a writer may keep appending
 * meanwhile), and name the first record that breaks it.
 *
 * Each record must carry the next seq, link to the previous record's hash, and hash to its own
 * stored hash. When a link breaks, the records on either side tell what happened: a record that
 * links past its predecessor shows the predecessor was inserted; an intact record whose link does
 * not match shows the predecessor was changed (and its hash recomputed to hide it).
 */
async function walkChain(ds: DataSource, head: HeadRow, pageSize: number, progress: (checked: number) => void): Promise<FirstBad | undefined> {
  let expectedSeq = 1;
  let prev: StoredAuditRecord | null = null;
  let lastSeq: number | null = null;
  for (;;) {
    const rows: Record<string, unknown>[] = await ds.query(
      `SELECT ${SELECT_COLUMNS} FROM audit_events WHERE chain_id = ? AND seq <= ?${lastSeq === null ? '' : ' AND seq > ?'} ORDER BY seq LIMIT ${pageSize}`,
      lastSeq === null ? [head.chainId, head.seq] : [head.chainId, head.seq, lastSeq],
    );
    for (const row of rows) {
      const r = toStoredRecord(row);
      if (r.seq < expectedSeq) return { id: r.id, seq: r.seq, problem: 'inserted', detail: `seq ${r.seq} appears out of order (expected ${expectedSeq})` };
      if (r.seq > expectedSeq) {
        const missing = r.seq - 1 > expectedSeq ? `seq ${expectedSeq}..${r.seq - 1}` : `seq ${expectedSeq}`;
        return { id: r.id, seq: expectedSeq, problem: 'removed', detail: `${missing} missing before record ${r.id}` };
      }
      const intact = hashRecord(r.prevHash, r) === r.hash;
      if (r.prevHash !== (prev ? prev.hash : GENESIS_HASH)) {
        if (prev && r.prevHash === prev.prevHash) return { id: prev.id, seq: prev.seq, problem: 'inserted', detail: `record ${r.id} (seq ${r.seq}) links past it` };
        if (prev && intact) return { id: prev.id, seq: prev.seq, problem: 'changed', detail: `its hash no longer matches the link in record ${r.id} (seq ${r.seq})` };
        return { id: r.id, seq: r.seq, problem: 'changed', detail: 'its link to the previous record does not match' };
      }
      if (!intact) return { id: r.id, seq: r.seq, problem: 'changed', detail: 'its content does not match its hash' };
      prev = r;
      expectedSeq++;
    }
    if (rows.length) {
      lastSeq = prev!.seq;
      progress(lastSeq);
    }
    if (rows.length < pageSize) break;
  }
  if ((prev?.seq ?? 0) < head.seq) {
    const seq = (prev?.seq ?? 0) + 1;
    return { id: null, seq, problem: 'removed', detail: `seq ${seq}..${head.seq} missing at the end (the head is seq ${head.seq})` };
  }
  if ((prev?.hash ?? GENESIS_HASH) !== head.hash) {
    return { id: prev?.id ?? null, seq: prev?.seq ?? 0, problem: 'head-mismatch', detail: 'the last record does not hash to the chain head' };
  }
  return afterHead(ds, head);
}

/**
 * Records past the head the walk started from are legitimate only if the head has moved over
 * them since (the writer moves it in the same transaction as it inserts). Read them before the
 * head, so that a commit landing in between is counted in the head as well.
 */
async function afterHead(ds: DataSource, head: HeadRow): Promise<FirstBad | undefined> {
  const [beyond] = await ds.query('SELECT MAX(seq) AS seq FROM audit_events WHERE chain_id = ? AND seq > ?', [head.chainId, head.seq]);
  if (beyond?.seq == null) return undefined;
  const [current] = await ds.query('SELECT head_seq FROM audit_chains WHERE chain_id = ?', [head.chainId]);
  const headSeq = Number(current?.head_seq ?? 0);
  if (Number(beyond.seq) <= headSeq) return undefined;
  const [first] = await ds.query('SELECT id, seq FROM audit_events WHERE chain_id = ? AND seq > ? ORDER BY seq LIMIT 1', [head.chainId, headSeq]);
  return { id: Number(first.id), seq: Number(first.seq), problem: 'inserted', detail: `past the chain head (seq ${headSeq})` };
}

/** Records under a chain id that no writer registered: inserted wholesale. */
async function unregisteredChains(ds: DataSource, registered: Set<string>): Promise<ChainReport[]> {
  const ids: string[] = (await ds.query('SELECT DISTINCT chain_id FROM audit_events')).map((r: Record<string, unknown>) => String(r.chain_id));
  const out: ChainReport[] = [];
  for (const chainId of ids.filter((id) => !registered.has(id)).sort()) {
    const [first] = await ds.query('SELECT id, seq FROM audit_events WHERE chain_id = ? ORDER BY seq LIMIT 1', [chainId]);
    const [count] = await ds.query('SELECT COUNT(*) AS n FROM audit_events WHERE chain_id = ?', [chainId]);
    out.push({
      chainId, length: Number(count.n), headHash: '', ok: false,
      firstBad: { id: Number(first.id), seq: Number(first.seq), problem: 'inserted', detail: 'its chain was never registered by a writer' },
    });
  }
  return out;
}

/**
 * `npm run audit:verify`: check every chain completely, page by page, and report each (and,
 * unless told not to, record the outcome on the chain for the console's Integrity view).
 */
export async function verifyChains(ds: DataSource, onProgress?: (p: VerifyProgress) => void, options: VerifyOptions = {}): Promise<ChainReport[]> {
  const pageSize = options.pageSize ?? 2000;
  const heads = await readHeads(ds);
  const total = heads.reduce((n, h) => n + h.seq, 0);
  let done = 0;
  const reports: ChainReport[] = [];
  for (const head of heads) {
    const firstBad = await walkChain(ds, head, pageSize, (chainChecked) =>
      onProgress?.({ chainId: head.chainId, chainChecked, chainTotal: head.seq, checked: done + chainChecked, total }),
    );
    done += head.seq;
    const report: ChainReport = { chainId: head.chainId, length: head.seq, headHash: head.hash, ok: !firstBad, ...(firstBad ? { firstBad } : {}) };
    reports.push(report);
    if (options.record !== false) {
      const detail = firstBad ? `${firstBad.problem} at record ${firstBad.id ?? '-'} (seq ${firstBad.seq}): ${firstBad.detail}`.slice(0, 255) : `${head.seq} records`;
      await ds.query('UPDATE audit_chains SET last_verified_at = ?, last_verified_ok = ?, last_verified_detail = ? WHERE chain_id = ?', [
        toDbTime(now().toISOString()), !firstBad, detail, head.chainId,
      ]);
    }
  }
  reports.push(...(await unregisteredChains(ds, new Set(heads.map((h) => h.chainId)))));
  return reports;
}

/** A chain as the console's Integrity view lists it. */
export interface ChainSummary {
  chainId: string;
  startedAt: string;
  headSeq: number;
  headHash: string;
  lastVerifiedAt: string | null;
  lastVerifiedOk: boolean | null;
  lastVerifiedDetail: string | null;
}

export async function listChains(ds: DataSource): Promise<ChainSummary[]> {
  const rows: Record<string, unknown>[] = await ds.query(
    'SELECT chain_id, started_at, head_seq, head_hash, last_verified_at, last_verified_ok, last_verified_detail FROM audit_chains ORDER BY started_at, chain_id',
  );
  return rows.map((r) => ({
    chainId: String(r.chain_id),
    startedAt: fromDbTime(r.started_at),
    headSeq: Number(r.head_seq),
    headHash: String(r.head_hash),
    lastVerifiedAt: r.last_verified_at == null ? null : fromDbTime(r.last_verified_at),
    lastVerifiedOk: r.last_verified_ok == null ? null : Boolean(Number(r.last_verified_ok)),
    lastVerifiedDetail: r.last_verified_detail == null ? null : String(r.last_verified_detail),
  }));
}
