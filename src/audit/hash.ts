import { createHash } from 'node:crypto';
import type { AuditFacts, AuditRecord } from './record';

/** The prev_hash of a chain's first record. */
export const GENESIS_HASH = '0'.repeat(64);

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

/** A chain's committed head: the last record's seq and hash (0 and the genesis hash when empty). */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/**
 * Give records their place in a chain after `head`: consecutive seq, each hashed over the one
 * before. (Objects built in one literal shape: this runs for every field a response releases.)
 */
export function sealRecords(chainId: string, head: ChainHead, facts: readonly AuditFacts[]): { records: AuditRecord[]; head: ChainHead } {
  const records: AuditRecord[] = new Array(facts.length);
  let { seq, hash } = head;
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i];
    const r: AuditRecord = {
      chainId, seq: ++seq, requestId: f.requestId, at: f.at, clientId: f.clientId, purpose: f.purpose, caseRef: f.caseRef,
      subjectId: f.subjectId, entity: f.entity, entityId: f.entityId, field: f.field, category: f.category, decision: f.decision,
      mask: f.mask, reason: f.reason, basis: f.basis, policyVersion: f.policyVersion, consentId: f.consentId, prevHash: hash, hash: '',
    };
    r.hash = hash = hashRecord(r.prevHash, r);
    records[i] = r;
  }
  return { records, head: { seq, hash } };
}
