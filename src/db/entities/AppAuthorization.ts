import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A user's authorisation of a third-party app (SPEC §11, `authorized` scope). Never deleted:
 * revoking sets `revokedAt`, and authorising again adds a row, so the history stays, like consents.
 */
@Entity('app_authorizations')
@Index('idx_app_authorizations_user_client', ['userId', 'clientId', 'revokedAt'])
@Index('idx_app_authorizations_client', ['clientId'])
export class AppAuthorization {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ name: 'authorized_at', type: 'datetime' })
  authorizedAt!: Date;

  @Column({ name: 'revoked_at', type: 'datetime', nullable: true })
  revokedAt!: Date | null;

  /** The requests that authorised and revoked it, to find them in the operations log. */
  @Column({ name: 'authorized_request_id', type: 'varchar', length: 64, nullable: true })
  authorizedRequestId!: string | null;

  @Column({ name: 'revoked_request_id', type: 'varchar', length: 64, nullable: true })
  revokedRequestId!: string | null;
}
