import type { Disclosure, FieldRecord } from '../enforcement/disclosure';

/**
 * One audit record as stored and hashed (SPEC §6), before the database gives it an id.
 * Strings and ids only: the value of the field never reaches the audit.
 */
export interface AuditRecord {
  chainId: string;
  seq: number;
  requestId: string;
  /** ISO-8601 UTC with milliseconds, the form the hash covers. */
  at: string;
  clientId: string;
  purpose: string;
  caseRef: string | null;
  subjectId: number | null;
  entity: string;
  entityId: string;
  field: string;
  category: string;
  decision: 'ALLOW' | 'MASK' | 'DENY';
  mask: string | null;
  reason: string;
  basis: string;
  policyVersion: string;
  consentId: string | null;
  prevHash: string;
  hash: string;
}

/** A stored record: what the review API, the export and verify read back. */
export interface StoredAuditRecord extends AuditRecord {
  id: number;
}

/** The part of a record that comes from the request and the field decision (no chain position yet). */
export type AuditFacts = Omit<AuditRecord, 'chainId' | 'seq' | 'prevHash' | 'hash'>;

/** The request-level fields of a disclosure joined with one field decision. */
export function auditFacts(d: Disclosure, r: FieldRecord, at: string = d.at.toISOString()): AuditFacts {
  return {
    requestId: d.requestId,
    at,
    clientId: d.clientId,
    purpose: d.purpose,
    caseRef: d.caseRef,
    subjectId: r.subjectId,
    entity: r.entity,
    entityId: r.entityId,
    field: r.field,
    category: r.category,
    decision: r.decision,
    mask: r.mask,
    reason: r.reason,
    basis: r.basis,
    policyVersion: d.policy.version,
    consentId: r.consentId,
  };
}
