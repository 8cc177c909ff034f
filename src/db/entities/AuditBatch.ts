import { Column, Entity, Index } from 'typeorm';
import { AuditRequestColumns } from './audit-request-columns';

/**
 * One request's audit records as the sharing audit commits them (SPEC §6): the request's
 * fields and its field decisions encoded in `records` (src/audit/batch.ts), hash-chained per
 * writer by (chainId, seq). This is the durable, tamper-evident record; audit_events is its
 * projection, one row per record. Append-only: the gateway has no update or delete path for it.
 */
@Entity('audit_batches')
@Index('uq_audit_batches_chain_seq', ['chainId', 'seq'], { unique: true })
export class AuditBatch extends AuditRequestColumns {
  /** seq of the batch's first record in the chain (audit_events.seq = first_seq + ordinal). */
  @Column({ name: 'first_seq', type: 'bigint' })
  firstSeq!: number;

  @Column({ name: 'record_count', type: 'int' })
  recordCount!: number;

  /** MEDIUMTEXT on MySQL/MariaDB (the migration's choice; TypeORM only reads it). */
  @Column({ type: 'text' })
  records!: string;
}
