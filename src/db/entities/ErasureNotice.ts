import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ErasureNoticeStatus = 'OPEN' | 'ACKNOWLEDGED';

/**
 * A recipient's duty to delete an erased subject's data (SPEC §10): one per (subject, client
 * that received the subject's data), opened with the erasure, closed by the recipient's acknowledgement.
 */
@Entity('erasure_notices')
@Index('uq_erasure_notices_user_client', ['userId', 'clientId'], { unique: true })
@Index('idx_erasure_notices_client_status', ['clientId', 'status'])
export class ErasureNotice {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: ErasureNoticeStatus;

  @Column({ name: 'opened_at', type: 'datetime' })
  openedAt!: Date;

  @Column({ name: 'acknowledged_at', type: 'datetime', nullable: true })
  acknowledgedAt!: Date | null;

  /** The request that acknowledged it, to find it in the operations log. */
  @Column({ name: 'acknowledged_request_id', type: 'varchar', length: 64, nullable: true })
  acknowledgedRequestId!: string | null;
}
