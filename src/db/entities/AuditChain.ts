import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One hash chain of audit batches: each writer (gateway process) appends to its own, so that
 * several processes never contend for one chain head. The head (head_batch, head_seq,
 * head_hash) moves in the same transaction as the batches it covers, and nothing else writes the
 * row: the projection's progress is in audit_projection_progress and the last verification's
 * outcome in audit_chain_verifications (migration 1765000000000), so that on a Galera cluster a
 * projector or a verification on another node never fails the writer's commit. Chains from
 * before the batch log have head_batch 0.
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
}
