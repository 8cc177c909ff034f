import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { Disclosure, FieldRecord } from '../enforcement/disclosure';

/**
 * An audit batch: one request's field records (SPEC §6), written as ONE row of audit_batches.
 * This row is the durable, hash-chained record of the request; audit_events is a projection of
 * it, one row per record (src/audit/projection.ts).
 *
 * `records` is a JSON array of groups, one per distinct decision "shape", in order of first
 * appearance:
 *
 *     [entity, field, category, decision (A|M|D), mask|null, reason, basis, [entry, …]]
 *     entry = [ordinal, subjectId|null, entityId?, consentId?]
 *
 * `ordinal` is the record's place in the request (0-based; record seq = first_seq + ordinal).
 * `entityId` is null or left out when it is the subject id written as a string; `consentId` is
 * left out when null. A 100-user × 10-field response is about 10–20 groups and 11–18 bytes per
 * record, and both databases can unfold it in SQL (JSON_TABLE / json_each), so the projection
 * costs the gateway's event loop nothing per record.
 */

/** Bumped if the batch encoding or its hash ever changes. */
export const BATCH_ENCODING = 'pg-audit-batch-v1';

/** The prev_hash of a chain's first batch. */
export const GENESIS_HASH = '0'.repeat(64);

/** One request's records, encoded, before the batch has a place in a chain. */
export interface BatchContent {
  requestId: string;
  /** ISO-8601 UTC with milliseconds, the form the hash covers. */
  at: string;
  clientId: string;
  purpose: string;
  caseRef: string | null;
  policyVersion: string;
  recordCount: number;
  /** The records' encoding (JSON, below): what the hash covers. */
  records: string;
  /** What audit_batches.records holds, when not `records` itself (see deflateRecords). */
  stored?: string;
}

/** A batch placed in a chain: its seq, the seq of its first record, and its link. */
export interface SealedBatch extends BatchContent {
  chainId: string;
  seq: number;
  firstSeq: number;
  prevHash: string;
  hash: string;
}

/** A batch as stored (audit_batches row). */
export interface StoredBatch extends SealedBatch {
  id: number;
}

/** A chain's committed head: its last batch, its last record, and the last batch's hash. */
export interface ChainHead {
  /** seq of the last batch (0 when empty). */
  batch: number;
  /** seq of the last record (the number of records in the chain). */
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = Object.freeze({ batch: 0, seq: 0, hash: GENESIS_HASH });

/** A batch that cannot be encoded (a value longer than its audit_events column) or decoded. */
export class BatchFormatError extends Error {}

const DECISION_CODE = { ALLOW: 'A', MASK: 'M', DENY: 'D' } as const;
const DECISION_OF: Record<string, FieldRecord['decision']> = { A: 'ALLOW', M: 'MASK', D: 'DENY' };

/** Widths of the audit_events columns the projection fills (longer values would not fit there). */
export const COLUMN_WIDTH = {
  requestId: 64, clientId: 64, purpose: 64, caseRef: 64, policyVersion: 64,
  entity: 32, entityId: 64, field: 64, category: 64, mask: 16, reason: 32, basis: 32, consentId: 64,
} as const;

function fits(value: string | null, column: keyof typeof COLUMN_WIDTH): void {
  if (value !== null && (typeof value !== 'string' || value.length > COLUMN_WIDTH[column])) {
    throw new BatchFormatError(`audit ${column} is not a string of at most ${COLUMN_WIDTH[column]} characters`);
  }
}

interface Group {
  entity: string;
  field: string;
  category: string;
  decision: FieldRecord['decision'];
  mask: string | null;
  reason: string;
  basis: string;
  entries: string;
}

/**
 * Encode a request's records (this runs on the request's path, once per request: one Map lookup
 * by field name and a few string comparisons per record; strings are JSON-quoted once per group).
 */
export function encodeRecords(records: readonly FieldRecord[]): string {
  const byField = new Map<string, Group[]>();
  const groups: Group[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    let candidates = byField.get(r.field);
    if (!candidates) byField.set(r.field, (candidates = []));
    let g: Group | undefined;
    for (let k = 0; k < candidates.length; k++) {
      const c = candidates[k];
      if (c.category === r.category && c.decision === r.decision && c.reason === r.reason && c.mask === r.mask && c.basis === r.basis && c.entity === r.entity) {
        g = c;
        break;
      }
    }
    if (!g) {
      if (!(r.decision in DECISION_CODE)) throw new BatchFormatError('audit decision is not ALLOW, MASK or DENY');
      fits(r.entity, 'entity'); fits(r.field, 'field'); fits(r.category, 'category'); fits(r.mask, 'mask'); fits(r.reason, 'reason'); fits(r.basis, 'basis');
      g = { entity: r.entity, field: r.field, category: r.category, decision: r.decision, mask: r.mask, reason: r.reason, basis: r.basis, entries: '' };
      candidates.push(g);
      groups.push(g);
    }
    const subject = r.subjectId;
    if (subject !== null && !Number.isSafeInteger(subject)) throw new BatchFormatError('audit subjectId is not an integer');
    fits(r.entityId, 'entityId');
    fits(r.consentId, 'consentId');
    const implied = subject !== null && r.entityId === String(subject);
    let entry = (g.entries ? ',[' : '[') + i + ',' + (subject === null ? 'null' : subject);
    if (r.consentId !== null) entry += ',' + (implied ? 'null' : JSON.stringify(r.entityId)) + ',' + JSON.stringify(r.consentId);
    else if (!implied) entry += ',' + JSON.stringify(r.entityId);
    g.entries += entry + ']';
  }
  let out = '[';
  for (let j = 0; j < groups.length; j++) {
    const g = groups[j];
    out += (j ? ',[' : '[') + JSON.stringify(g.entity) + ',' + JSON.stringify(g.field) + ',' + JSON.stringify(g.category) + ',"' + DECISION_CODE[g.decision] + '",'
      + (g.mask === null ? 'null' : JSON.stringify(g.mask)) + ',' + JSON.stringify(g.reason) + ',' + JSON.stringify(g.basis) + ',[' + g.entries + ']]';
  }
  return out + ']';
}

/** A disclosure as a batch's content (throws BatchFormatError if a value cannot be audited as is). */
export function batchContent(d: Disclosure): BatchContent {
  fits(d.requestId, 'requestId'); fits(d.clientId, 'clientId'); fits(d.purpose, 'purpose'); fits(d.caseRef, 'caseRef'); fits(d.policy.version, 'policyVersion');
  return {
    requestId: d.requestId, at: d.at.toISOString(), clientId: d.clientId, purpose: d.purpose, caseRef: d.caseRef,
    policyVersion: d.policy.version, recordCount: d.records.length, records: encodeRecords(d.records),
  };
}

/** What audit_batches.records holds for a batch: its stored form if it has one, else its JSON. */
export const storedRecords = (b: BatchContent): string => b.stored ?? b.records;

/** Encodings at least this long are stored deflated (below it, deflating costs more than it saves). */
export const DEFLATE_FROM_CHARS = 2048;

/**
 * The records as audit_batches.records holds them: the JSON itself, or from DEFLATE_FROM_CHARS
 * on, "z" + base64 of MySQL's COMPRESS() format (the JSON's byte length, 4 bytes little-endian,
 * then a zlib stream, made by deflateRecords: UNCOMPRESS() reads it on MySQL/MariaDB, storedRecordsJson here and in the
 * SQLite projection). A 1 000-record batch is ~12 KB of JSON and ~4.5 KB stored: under InnoDB's
 * ~8 KB in-row limit, so a commit writes no overflow page (measured on MariaDB: 1.75–1.97 ms
 * per commit with a 15 KB row, 1.25–1.31 ms up to 3 KB). Deflated in the request's own thread
 * (zlib level 1, ~80 µs for 12 KB): handing it to zlib's thread pool measured slower, as the
 * wake-ups cost more than the work. The hash covers the JSON, not its stored form.
 */
export function deflateRecords(json: string): string {
  const raw = Buffer.from(json, 'utf8');
  const z = deflateSync(raw, { level: 1 });
  const out = Buffer.allocUnsafe(4 + z.length);
  out.writeUInt32LE(raw.length, 0);
  z.copy(out, 4);
  return 'z' + out.toString('base64');
}

/**
 * The JSON of stored records (deflateRecords' inverse); anything it cannot inflate is returned as
 * it is, so that it fails as unreadable records (verify names the batch; the projection stops
 * at it). Self-contained (no imports, nothing from module scope): its source also runs in the
 * SQLite projection's worker, as the SQL function pg_audit_records.
 */
export function storedRecordsJson(stored: string): string {
  if (typeof stored !== 'string' || stored.charCodeAt(0) !== 122 /* z */) return stored;
  try {
    const bytes = Buffer.from(stored.slice(1), 'base64');
    const json = (require('node:zlib') as typeof import('node:zlib')).inflateSync(bytes.subarray(4)).toString('utf8');
    return Buffer.byteLength(json, 'utf8') === bytes.readUInt32LE(0) ? json : stored;
  } catch {
    return stored;
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * The records of a batch, in request order. Strict: anything the encoder would not have written
 * (a missing or repeated ordinal, a wrong type) is a BatchFormatError.
 */
export function decodeRecords(text: string, count: number): FieldRecord[] {
  let groups: unknown;
  try {
    groups = JSON.parse(text);
  } catch {
    throw new BatchFormatError('records are not JSON');
  }
  if (!Array.isArray(groups)) throw new BatchFormatError('records are not a list of groups');
  const out: (FieldRecord | undefined)[] = new Array(count);
  let filled = 0;
  for (const g of groups) {
    if (!Array.isArray(g) || g.length !== 8 || !isString(g[0]) || !isString(g[1]) || !isString(g[2]) || !isString(g[3]) || !(g[4] === null || isString(g[4]))
      || !isString(g[5]) || !isString(g[6]) || !Array.isArray(g[7]) || !(g[3] in DECISION_OF)) {
      throw new BatchFormatError('a record group is malformed');
    }
    const decision = DECISION_OF[g[3]];
    for (const e of g[7] as unknown[]) {
      if (!Array.isArray(e) || e.length < 2 || e.length > 4) throw new BatchFormatError('a record entry is malformed');
      const [ordinal, subject, entityId = null, consentId = null] = e as unknown[];
      if (!Number.isSafeInteger(ordinal) || (ordinal as number) < 0 || (ordinal as number) >= count || out[ordinal as number]) throw new BatchFormatError('a record ordinal is missing, repeated or out of range');
      if (!(subject === null || Number.isSafeInteger(subject)) || !(entityId === null || isString(entityId)) || !(consentId === null || isString(consentId))) {
        throw new BatchFormatError('a record entry is malformed');
      }
      if (entityId === null && subject === null) throw new BatchFormatError('a record has neither an entity id nor a subject');
      out[ordinal as number] = {
        subjectId: subject as number | null, entity: g[0], entityId: entityId ?? String(subject), field: g[1], category: g[2] as FieldRecord['category'],
        decision, mask: g[4] as FieldRecord['mask'], reason: g[5] as FieldRecord['reason'], basis: g[6] as FieldRecord['basis'], consentId: consentId as string | null,
      };
      filled++;
    }
  }
  if (filled !== count) throw new BatchFormatError(`records hold ${filled} entries, the batch says ${count}`);
  return out as FieldRecord[];
}

/** The canonical encoding of a batch header: every field but id, records and the hashes, nulls explicit. */
export function canonicalHeader(b: Omit<SealedBatch, 'prevHash' | 'hash' | 'records'>): string {
  return JSON.stringify([BATCH_ENCODING, b.chainId, b.seq, b.firstSeq, b.requestId, b.at, b.clientId, b.purpose, b.caseRef, b.policyVersion, b.recordCount]);
}

/** SHA-256 (hex) over the previous batch's hash, this batch's header and its records as stored. */
export function hashBatch(prevHash: string, b: Omit<SealedBatch, 'prevHash' | 'hash'>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalHeader(b)).update('\n').update(b.records).digest('hex');
}

/** Give batches their place in a chain after `head`: consecutive seq and record numbering, each hashed over the one before. */
export function sealBatches(chainId: string, head: ChainHead, contents: readonly BatchContent[]): { batches: SealedBatch[]; head: ChainHead } {
  let { batch, seq, hash } = head;
  const batches: SealedBatch[] = new Array(contents.length);
  for (let i = 0; i < contents.length; i++) {
    const c = contents[i];
    const b: SealedBatch = { ...c, chainId, seq: ++batch, firstSeq: seq + 1, prevHash: hash, hash: '' };
    b.hash = hash = hashBatch(b.prevHash, b);
    seq += c.recordCount;
    batches[i] = b;
  }
  return { batches, head: { batch, seq, hash } };
}
