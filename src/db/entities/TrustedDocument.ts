import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A document registered for one client, by the SHA-256 of its text exactly as given, with the
 * policy check it passed when registered. A client flagged trusted-documents-only may run nothing else.
 */
@Entity('trusted_documents')
@Index('uq_trusted_documents_client_sha256', ['clientId', 'sha256'], { unique: true })
export class TrustedDocument {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  /** Lower-case hex SHA-256 of the UTF-8 text. */
  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ type: 'text' })
  document!: string;

  @Column({ name: 'operation_names', type: 'simple-json' })
  operationNames!: (string | null)[];

  /** The OperationCheck at registration (with the policy version it was made under). */
  @Column({ name: 'check_json', type: 'text' })
  checkJson!: string;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt!: Date;
}
