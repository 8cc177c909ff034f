import type { DataSource } from 'typeorm';
import type { ChainReport } from './verify';

/**
 * Chain heads kept outside the database (`npm run audit:verify -- --heads <file>`). A chain shows
 * any row changed, removed or inserted before its head, but not someone with write access who
 * cuts a chain's end and moves its head back, or removes a whole chain with its audit_chains row:
 * what is left is a shorter chain that verifies. Against that, each verification compares the
 * heads it anchored last time (in a file the database's users cannot write: another host, a
 * write-once bucket) with the chains now: every anchored chain must still exist and still hold
 * the anchored batch (or record) with the anchored hash. Chains only grow, so a good run then
 * anchors the heads it verified, for the next.
 */

export const ANCHOR_FORMAT = 'purposegate-audit-heads/1';

export interface AnchoredHead {
  chainId: string;
  /** Its batches and records when anchored (batches 0: a chain written record by record). */
  batches: number;
  records: number;
  /** The hash of its last batch (or record) then. */
  hash: string;
}

export interface HeadAnchors {
  format: typeof ANCHOR_FORMAT;
  /** When they were anchored (ISO). */
  at: string;
  chains: AnchoredHead[];
}

export interface AnchorProblem {
  chainId: string;
  problem: 'gone' | 'cut back' | 'rewritten';
  detail: string;
}

export class AnchorFileError extends Error {}

/** The heads of a verification that passed, as the file keeps them (chains without a record are left out). */
export function anchorsFrom(reports: readonly ChainReport[], at: Date): HeadAnchors {
  if (reports.some((r) => !r.ok)) throw new Error('only the heads of a verification that passed are anchored');
  return { format: ANCHOR_FORMAT, at: at.toISOString(), chains: reports.filter((r) => r.length > 0).map((r) => ({ chainId: r.chainId, batches: r.batches, records: r.length, hash: r.headHash })) };
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A heads file read back; anything that is not one is an AnchorFileError naming what is wrong. */
export function parseAnchors(text: string, file: string): HeadAnchors {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AnchorFileError(`${file} is not JSON: not a heads file of audit:verify`);
  }
  const d = doc as Partial<HeadAnchors> | null;
  if (!d || d.format !== ANCHOR_FORMAT || typeof d.at !== 'string' || !Array.isArray(d.chains)) throw new AnchorFileError(`${file} is not a heads file of audit:verify (format "${ANCHOR_FORMAT}")`);
  d.chains.forEach((c, i) => {
    if (!c || typeof c.chainId !== 'string' || !c.chainId || !isCount(c.batches) || !isCount(c.records) || c.records === 0 || typeof c.hash !== 'string' || !/^[0-9a-f]{64}$/.test(c.hash)) {
      throw new AnchorFileError(`${file}: chain entry ${i + 1} is malformed`);
    }
  });
  return d as HeadAnchors;
}

/** Every anchored head that the chains no longer hold; none when all are still there. */
export async function checkAnchors(ds: DataSource, anchors: HeadAnchors): Promise<AnchorProblem[]> {
  const problems: AnchorProblem[] = [];
  for (const a of anchors.chains) {
    const table = a.batches > 0 ? 'audit_batches' : 'audit_events';
    const at = a.batches > 0 ? a.batches : a.records;
    const what = a.batches > 0 ? `batch ${at}` : `record ${at}`;
    const [row] = await ds.query(`SELECT hash FROM ${table} WHERE chain_id = ? AND seq = ?`, [a.chainId, at]);
    if (row && String(row.hash) === a.hash) continue;
    if (row) {
      problems.push({ chainId: a.chainId, problem: 'rewritten', detail: `its ${what} no longer has the hash anchored at ${anchors.at}` });
      continue;
    }
    const [{ n }] = await ds.query(`SELECT COUNT(*) AS n FROM ${table} WHERE chain_id = ?`, [a.chainId]);
    const [head] = await ds.query('SELECT head_seq FROM audit_chains WHERE chain_id = ?', [a.chainId]);
    if (Number(n) === 0 && !head) problems.push({ chainId: a.chainId, problem: 'gone', detail: `anchored at ${anchors.at} with ${a.records} records, it is no longer in the store` });
    else problems.push({ chainId: a.chainId, problem: 'cut back', detail: `anchored at ${anchors.at} with ${a.records} records, its ${what} is gone (the chain now holds ${head ? Number(head.head_seq) : 0})` });
  }
  return problems;
}
