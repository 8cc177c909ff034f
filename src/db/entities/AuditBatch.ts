import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One request's audit records as the sharing audit commits them (SPEC §6): the request's
 * fields and its field decisions encoded in `records` (src/audit/batch.ts), hash-chained per
 * writer by (chainId, seq). This is the durable, tamper-evident record; audit_events is its
 * projection, one row per record. Append-only: the gateway has no update or delete path for it.
 */
@Entity('audit_batches')
@Index('uq_audit_batches_chain_seq', ['chainId', 'seq'], { unique: true })
export class AuditBatch {
  /** bigint on MySQL/MariaDB; read back as a number (ids stay far below 2^53). */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: number;

  @Column({ name: 'chain_id', type: 'varchar', length: 32 })
  chainId!: string;

  /** 1, 2, 3… per chain, one per batch. */
  @Column({ type: 'bigint' })
  seq!: number;

  /** seq of the batch's first record in the chain (audit_events.seq = first_seq + ordinal). */
  @Column({ name: 'first_seq', type: 'bigint' })
  firstSeq!: number;

  @Column({ name: 'request_id', type: 'varchar', length: 64 })
  requestId!: string;

  /** UTC, millisecond precision. */
  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'varchar', length: 64 })
  purpose!: string;

  @Column({ name: 'case_ref', type: 'varchar', length: 64, nullable: true })
  caseRef!: string | null;

  @Column({ name: 'policy_version', type: 'varchar', length: 64 })
  policyVersion!: string;

  @Column({ name: 'record_count', type: 'int' })
  recordCount!: number;

  /** MEDIUMTEXT on MySQL/MariaDB (the migration's choice; TypeORM only reads it). */
  @Column({ type: 'text' })
  records!: string;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
