import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { Disclosure, FieldRecord } from '../enforcement/disclosure';
import { COLUMN_WIDTH, DECISION_CODE, ENTRY_COLUMNS, GROUP_COLUMNS, RecordColumn } from './record';

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

const DECISION_OF: Record<string, FieldRecord['decision']> = Object.fromEntries(Object.entries(DECISION_CODE).map(([name, code]) => [code, name as FieldRecord['decision']]));

function fits(value: string | null, column: keyof typeof COLUMN_WIDTH): void {
  const width = COLUMN_WIDTH[column]!;
  if (value !== null && (typeof value !== 'string' || value.length > width)) {
    throw new BatchFormatError(`audit ${column} is not a string of at most ${width} characters`);
  }
}

type Row = Record<string, unknown>;
interface Group {
  record: Row;
  entries: string;
}

/** Whether a record belongs to a group (same value in every group column); made once from GROUP_COLUMNS, as fast as written out. */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const sameGroup = new Function('g', 'r', `return ${GROUP_COLUMNS.map((c) => `g.${c.key} === r.${c.key}`).join(' && ')};`) as (g: Row, r: Row) => boolean;

/** A group's leading fields as JSON (without its entries), checked against their columns. */
function groupHeader(r: Row): string {
  let out = '';
  for (const c of GROUP_COLUMNS) {
    const v = r[c.key];
    if (c.type === 'decision') {
      if (!((v as string) in DECISION_CODE)) throw new BatchFormatError('audit decision is not ALLOW, MASK or DENY');
      out += '"' + DECISION_CODE[v as keyof typeof DECISION_CODE] + '",';
    } else {
      fits(v as string | null, c.key);
      out += (v === null ? 'null' : JSON.stringify(v)) + ',';
    }
  }
  return out;
}

/**
 * A record's entry: its ordinal, then ENTRY_COLUMNS (an implied value as null; trailing nulls
 * left out, never the first column). Made once from the table, with each column's name written
 * out: it runs once per record on the request's path, where a loop over the columns measured slower.
 */
const entry = new Function('fits', 'fail', `return function entry(i, r) {
  let out = '[' + i;
  let nulls = '';
  ${ENTRY_COLUMNS.map((c, k) => `{
    const v = r.${c.key};
    ${c.type === 'int' ? `if (v !== null && !Number.isSafeInteger(v)) fail('audit ${c.key} is not an integer');` : `fits(v, '${c.key}');`}
    if (v === null${c.impliedBy ? ` || (r.${c.impliedBy} !== null && v === String(r.${c.impliedBy}))` : ''}) ${k === 0 ? "out += ',null'" : "nulls += ',null'"};
    else { out += nulls + ',' + ${c.type === 'int' ? 'v' : 'JSON.stringify(v)'}; nulls = ''; }
  }`).join('\n  ')}
  return out + ']';
};`)(fits, (m: string) => { throw new BatchFormatError(m); }) as (i: number, r: Row) => string;

/**
 * Encode a request's records (this runs on the request's path, once per request: one Map lookup
 * by field name and a few string comparisons per record; strings are JSON-quoted once per group).
 * The group and entry fields are RECORD_COLUMNS' (src/audit/record.ts).
 */
export function encodeRecords(records: readonly FieldRecord[]): string {
  const byField = new Map<string, Group[]>();
  const groups: Group[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as unknown as Row;
    let candidates = byField.get(r.field as string);
    if (!candidates) byField.set(r.field as string, (candidates = []));
    let g: Group | undefined;
    for (let k = 0; k < candidates.length; k++) {
      if (sameGroup(candidates[k].record, r)) {
        g = candidates[k];
        break;
      }
    }
    if (!g) {
      g = { record: r, entries: '[' + groupHeader(r) + '[' };
      candidates.push(g);
      groups.push(g);
    } else g.entries += ',';
    g.entries += entry(i, r);
  }
  let out = '[';
  for (let j = 0; j < groups.length; j++) out += (j ? ',' : '') + groups[j].entries + ']]';
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

/** A batch value read back as its column's type; undefined if it is not one. */
function decoded(c: RecordColumn, v: unknown, nullable = c.nullable): unknown {
  if (v === null) return nullable ? null : undefined;
  if (c.type === 'int') return Number.isSafeInteger(v) ? v : undefined;
  if (c.type === 'decision') return isString(v) && Object.hasOwn(DECISION_OF, v) ? DECISION_OF[v] : undefined;
  return isString(v) ? v : undefined;
}

/** An entry and its group's fields as a record (the entry's shape checked); made once from the table, like `entry`. */
const decodeEntry = new Function('isString', 'fail', `return function decodeEntry(e, g) {
  ${ENTRY_COLUMNS.map((c) => `let ${c.key} = e[${c.at}] ?? null;
  if (${c.key} !== null && !${c.type === 'int' ? `Number.isSafeInteger(${c.key})` : `isString(${c.key})`}) fail('a record entry is malformed');`).join('\n  ')}
  ${ENTRY_COLUMNS.filter((c) => !c.nullable).map((c) => `if (${c.key} === null) {
    if (${c.impliedBy ? `${c.impliedBy} === null` : 'true'}) fail('a record has neither an ${c.key} nor a ${c.impliedBy ?? 'value'}');
    ${c.key} = String(${c.impliedBy});
  }`).join('\n  ')}
  return { ${[...GROUP_COLUMNS.map((c) => `${c.key}: g.${c.key}`), ...ENTRY_COLUMNS.map((c) => c.key)].join(', ')} };
};`)(isString, (m: string) => { throw new BatchFormatError(m); }) as (e: unknown[], g: Row) => FieldRecord;

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
  const last = GROUP_COLUMNS.length;
  let filled = 0;
  for (const g of groups) {
    if (!Array.isArray(g) || g.length !== last + 1 || !Array.isArray(g[last])) throw new BatchFormatError('a record group is malformed');
    const shared: Row = {};
    for (const c of GROUP_COLUMNS) if ((shared[c.key] = decoded(c, g[c.at!])) === undefined) throw new BatchFormatError('a record group is malformed');
    for (const e of g[last] as unknown[]) {
      if (!Array.isArray(e) || e.length < 2 || e.length > ENTRY_COLUMNS.length + 1) throw new BatchFormatError('a record entry is malformed');
      const ordinal = e[0] as number;
      if (!Number.isSafeInteger(ordinal) || ordinal < 0 || ordinal >= count || out[ordinal]) throw new BatchFormatError('a record ordinal is missing, repeated or out of range');
      out[ordinal] = decodeEntry(e, shared);
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
