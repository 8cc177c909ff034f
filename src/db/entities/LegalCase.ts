import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A legal case registered by the security team (SPEC §11, `case` scope): a legal purpose
 * releases data only about the subjects it names, for the purposes it names, until it expires
 * or is closed. Never deleted.
 */
@Entity('legal_cases')
export class LegalCase {
  @PrimaryColumn({ name: 'case_ref', type: 'varchar', length: 64 })
  caseRef!: string;

  /** The legal purposes it may be declared with. */
  @Column({ type: 'simple-json' })
  purposes!: string[];

  @Column({ name: 'expires_at', type: 'datetime' })
  expiresAt!: Date;

  @Column({ name: 'opened_at', type: 'datetime' })
  openedAt!: Date;

  /** The client (an auditor, or `cli`) that registered it. */
  @Column({ name: 'opened_by', type: 'varchar', length: 64 })
  openedBy!: string;

  @Column({ name: 'closed_at', type: 'datetime', nullable: true })
  closedAt!: Date | null;
}

/** A subject named in a legal case: one row per (case, user). */
@Entity('legal_case_subjects')
@Index('idx_legal_case_subjects_user', ['userId'])
export class LegalCaseSubject {
  @PrimaryColumn({ name: 'case_ref', type: 'varchar', length: 64 })
  caseRef!: string;

  @PrimaryColumn({ name: 'user_id', type: 'int' })
  userId!: number;
}
