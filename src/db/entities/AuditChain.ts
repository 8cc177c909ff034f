import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One hash chain of audit records: each writer (gateway process) appends to its own, so that
 * several processes never contend for one chain head. The head moves in the same transaction
 * as the records it covers; `npm run audit:verify` stamps the last_verified_* columns.
 */
@Entity('audit_chains')
export class AuditChain {
  @PrimaryColumn({ name: 'chain_id', type: 'varchar', length: 32 })
  chainId!: string;

  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt!: Date;

  @Column({ name: 'head_seq', type: 'bigint' })
  headSeq!: number;

  @Column({ name: 'head_hash', type: 'varchar', length: 64 })
  headHash!: string;

  @Column({ name: 'last_verified_at', type: 'datetime', precision: 3, nullable: true })
  lastVerifiedAt!: Date | null;

  @Column({ name: 'last_verified_ok', type: 'boolean', nullable: true })
  lastVerifiedOk!: boolean | null;

  @Column({ name: 'last_verified_detail', type: 'varchar', length: 255, nullable: true })
  lastVerifiedDetail!: string | null;
}
