import { createHash } from 'node:crypto';
import { GENESIS_HASH } from './batch';
import type { AuditFacts, AuditRecord } from './record';

/**
 * The record-by-record chain of the first audit store (before migration 1764500000000), kept
 * so that chains written then still verify: each audit_events row hashed over the one before.
 * Chains written since are chains of batches (src/audit/batch.ts).
 */

export { GENESIS_HASH };

/** Bumped if the encoding ever changes, so that old and new records can never hash alike. */
const ENCODING = 'pg-audit-v1';

/**
 * The canonical encoding a record's hash covers: every field but id and the hashes, in a fixed
 * order, nulls explicit, `at` as an ISO string. A JSON array, so that no field's content can
 * shift another field's boundary.
 */
export function canonicalEncoding(r: Omit<AuditRecord, 'prevHash' | 'hash'>): string {
  return JSON.stringify([
    ENCODING, r.chainId, r.seq, r.requestId, r.at, r.clientId, r.purpose, r.caseRef, r.subjectId,
    r.entity, r.entityId, r.field, r.category, r.decision, r.mask, r.reason, r.basis, r.policyVersion, r.consentId,
  ]);
}

/** SHA-256 (hex) over the previous record's hash and this record's canonical encoding. */
export function hashRecord(prevHash: string, r: Omit<AuditRecord, 'prevHash' | 'hash'>): string {
  return createHash('sha256').update(prevHash + '\n' + canonicalEncoding(r)).digest('hex');
}

/** Records placed in a record-by-record chain after (seq, hash): how such chains were written (tests build them with it). */
export function sealRecords(chainId: string, head: { seq: number; hash: string }, facts: readonly AuditFacts[]): { records: AuditRecord[]; head: { seq: number; hash: string } } {
  const records: AuditRecord[] = new Array(facts.length);
  let { seq, hash } = head;
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i];
    const r: AuditRecord = { chainId, seq: ++seq, ...f, prevHash: hash, hash: '' };
    r.hash = hash = hashRecord(r.prevHash, r);
    records[i] = r;
  }
  return { records, head: { seq, hash } };
}
