import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One hash chain of audit batches: each writer (gateway process) appends to its own, so that
 * several processes never contend for one chain head. The head (head_batch, head_seq,
 * head_hash) moves in the same transaction as the batches it covers; the projection moves
 * projected_* with the audit_events rows it writes; `npm run audit:verify` stamps the
 * last_verified_* columns. Chains from before the batch log have head_batch 0.
 */
@Entity('audit_chains')
export class AuditChain {
  @PrimaryColumn({ name: 'chain_id', type: 'varchar', length: 32 })
  chainId!: string;

  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt!: Date;

  /** seq of the last batch (0: a chain written record by record, before the batch log). */
  @Column({ name: 'head_batch', type: 'bigint', default: 0 })
  headBatch!: number;

  /** seq of the last record: the number of records in the chain. */
  @Column({ name: 'head_seq', type: 'bigint' })
  headSeq!: number;

  /** The last batch's hash (the last record's, for a chain written record by record). */
  @Column({ name: 'head_hash', type: 'varchar', length: 64 })
  headHash!: string;

  /** The last batch (and its last record) projected into audit_events. */
  @Column({ name: 'projected_batch', type: 'bigint', default: 0 })
  projectedBatch!: number;

  @Column({ name: 'projected_seq', type: 'bigint', default: 0 })
  projectedSeq!: number;

  @Column({ name: 'last_verified_at', type: 'datetime', precision: 3, nullable: true })
  lastVerifiedAt!: Date | null;

  @Column({ name: 'last_verified_ok', type: 'boolean', nullable: true })
  lastVerifiedOk!: boolean | null;

  @Column({ name: 'last_verified_detail', type: 'varchar', length: 255, nullable: true })
  lastVerifiedDetail!: string | null;
}
