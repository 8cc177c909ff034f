import { Column, Entity, Index } from 'typeorm';
import { AuditRequestColumns } from './audit-request-columns';

/**
 * One field decision as the sharing audit keeps it (SPEC §6): who received which category
 * of whose data, for what, and under which rule; never the value. Append-only: the gateway
 * inserts these rows (src/audit/projection-step.ts, run by src/audit/mysql and src/audit/sqlite) and has no update or delete path for them.
 * Records are hash-chained per writer (chainId, seq); see src/audit/hash.ts.
 */
@Entity('audit_events')
@Index('uq_audit_events_chain_seq', ['chainId', 'seq'], { unique: true })
@Index('idx_audit_events_subject', ['subjectId', 'at'])
@Index('idx_audit_events_client', ['clientId', 'at'])
@Index('idx_audit_events_purpose', ['purpose', 'at'])
@Index('idx_audit_events_at', ['at'])
export class AuditEvent extends AuditRequestColumns {
  @Column({ name: 'subject_id', type: 'int', nullable: true })
  subjectId!: number | null;

  @Column({ type: 'varchar', length: 32 })
  entity!: string;

  @Column({ name: 'entity_id', type: 'varchar', length: 64 })
  entityId!: string;

  @Column({ type: 'varchar', length: 64 })
  field!: string;

  @Column({ type: 'varchar', length: 64 })
  category!: string;

  @Column({ type: 'varchar', length: 8 })
  decision!: 'ALLOW' | 'MASK' | 'DENY';

  @Column({ type: 'varchar', length: 16, nullable: true })
  mask!: string | null;

  @Column({ type: 'varchar', length: 32 })
  reason!: string;

  @Column({ type: 'varchar', length: 32 })
  basis!: string;

  @Column({ name: 'consent_id', type: 'varchar', length: 64, nullable: true })
  consentId!: string | null;
}
