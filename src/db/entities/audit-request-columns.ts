import { Column, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The columns audit_batches and audit_events share: where a row sits in its writer's hash chain
 * and which request it belongs to (SPEC §6's request-level fields). Not an entity itself: each
 * table declares its own columns and indexes beside these.
 */
export abstract class AuditRequestColumns {
  /** bigint on MySQL/MariaDB; read back as a number (ids stay far below 2^53). */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: number;

  @Column({ name: 'chain_id', type: 'varchar', length: 32 })
  chainId!: string;

  /** The row's place in its chain: 1, 2, 3… (per batch in audit_batches, per record in audit_events). */
  @Column({ type: 'bigint' })
  seq!: number;

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

  /** The hash of the batch before (audit_events: of the batch holding the record). */
  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
