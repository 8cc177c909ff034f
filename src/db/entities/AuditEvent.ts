import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One field decision as the sharing audit keeps it (SPEC §6): who received which category
 * of whose data, for what, and under which rule; never the value. Append-only: the gateway
 * inserts these rows (src/audit/store.ts) and has no update or delete path for them.
 * Records are hash-chained per writer (chainId, seq); see src/audit/hash.ts.
 */
@Entity('audit_events')
@Index('uq_audit_events_chain_seq', ['chainId', 'seq'], { unique: true })
@Index('idx_audit_events_subject', ['subjectId', 'at'])
@Index('idx_audit_events_client', ['clientId', 'at'])
@Index('idx_audit_events_purpose', ['purpose', 'at'])
@Index('idx_audit_events_at', ['at'])
// Added by the console's migration (1764400000000-ConsoleReview) for its per-client activity view.
@Index('idx_audit_events_client_activity', ['clientId', 'at', 'decision', 'category', 'reason'])
export class AuditEvent {
  /** bigint on MySQL/MariaDB; read back as a number (ids stay far below 2^53). */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: number;

  @Column({ name: 'chain_id', type: 'varchar', length: 32 })
  chainId!: string;

  @Column({ type: 'bigint' })
  seq!: number;

  @Column({ name: 'request_id', type: 'varchar', length: 64 })
  requestId!: string;

  /** UTC, millisecond precision. */
  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'varchar', length: 64 })
  purpose!: string;

  @Column({ name: 'case_ref', type: 'varchar', length: 64, nullable: true })
  caseRef!: string | null;

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

  @Column({ name: 'policy_version', type: 'varchar', length: 64 })
  policyVersion!: string;

  @Column({ name: 'consent_id', type: 'varchar', length: 64, nullable: true })
  consentId!: string | null;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
