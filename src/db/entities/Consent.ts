import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A subject's consent to one purpose, for every client (clientId null) or one client. Never deleted: withdrawal is a date. */
@Entity('consents')
@Index('idx_consents_user_purpose', ['userId', 'purpose'])
export class Consent {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ type: 'varchar', length: 64 })
  purpose!: string;

  @Index('idx_consents_client')
  @Column({ name: 'client_id', type: 'varchar', length: 64, nullable: true })
  clientId!: string | null;

  @Column({ name: 'by_guardian', type: 'boolean', default: false })
  byGuardian!: boolean;

  @Column({ name: 'granted_at', type: 'datetime' })
  grantedAt!: Date;

  @Column({ name: 'withdrawn_at', type: 'datetime', nullable: true })
  withdrawnAt!: Date | null;
}
