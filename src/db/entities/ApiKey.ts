import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A client's API key, stored only as its SHA-256 (keys are random, so a slow hash adds nothing). */
@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('idx_api_keys_client')
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Index('uq_api_keys_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  /** The first characters of the key, to tell keys apart in listings. */
  @Column({ name: 'key_prefix', type: 'varchar', length: 12 })
  keyPrefix!: string;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'datetime', nullable: true })
  revokedAt!: Date | null;
}
