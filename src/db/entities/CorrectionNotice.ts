import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type CorrectionNoticeStatus = 'OPEN' | 'ACKNOWLEDGED';

/**
 * A recipient's duty to correct what it received (SPEC §7): one per (correction request, client
 * that had received a corrected field's category), naming the categories, never a value.
 */
@Entity('correction_notices')
@Index('uq_correction_notices_request_client', ['requestId', 'clientId'], { unique: true })
@Index('idx_correction_notices_client_status', ['clientId', 'status'])
@Index('idx_correction_notices_user', ['userId'])
export class CorrectionNotice {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  /** The subject request (kind CORRECTION) it comes from. */
  @Column({ name: 'request_id', type: 'int' })
  requestId!: number;

  @Column({ type: 'simple-json' })
  categories!: string[];

  @Column({ type: 'varchar', length: 16 })
  status!: CorrectionNoticeStatus;

  @Column({ name: 'opened_at', type: 'datetime', precision: 3 })
  openedAt!: Date;

  @Column({ name: 'acknowledged_at', type: 'datetime', precision: 3, nullable: true })
  acknowledgedAt!: Date | null;

  @Column({ name: 'acknowledged_request_id', type: 'varchar', length: 64, nullable: true })
  acknowledgedRequestId!: string | null;
}

/**
 * A correction that changed something (migration 1765000000001): which categories of which
 * subject, under which request, and when (read as the correction's transaction ends). The rights
 * follow-up reads the recent ones, to give a correction notice to a client that received a
 * changed category from a request in flight as the correction ran (src/rights/follow-up.ts).
 */
@Entity('subject_corrections')
@Index('idx_subject_corrections_at', ['correctedAt'])
export class SubjectCorrection {
  /** The subject request (kind CORRECTION). */
  @PrimaryColumn({ name: 'request_id', type: 'int' })
  requestId!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ type: 'simple-json' })
  categories!: string[];

  @Column({ name: 'corrected_at', type: 'datetime', precision: 3 })
  correctedAt!: Date;
}
