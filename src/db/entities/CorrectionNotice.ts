import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

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
