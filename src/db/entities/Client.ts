import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ClientKind = 'internal' | 'partner' | 'third-party';
export type ClientRole = 'reader' | 'auditor';

/** A registered caller: who it is, what it may declare, and how hard it may call. */
@Entity('clients')
export class Client {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 128 })
  displayName!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: ClientKind;

  @Column({ type: 'varchar', length: 16 })
  role!: ClientRole;

  /** Purposes it may declare; a parent (`legal`) covers its children. */
  @Column({ type: 'simple-json' })
  purposes!: string[];

  /** Payment providers it integrates (SPEC §11, `provider` scope): ALIPAY, WECHAT_PAY, BANK_CARD. */
  @Column({ type: 'simple-json', nullable: true })
  providers!: string[] | null;

  @Column({ name: 'trusted_documents_only', type: 'boolean', default: false })
  trustedDocumentsOnly!: boolean;

  /** Token bucket: sustained requests per second (null: the gateway default). */
  @Column({ name: 'rate_limit_per_second', type: 'int', nullable: true })
  rateLimitPerSecond!: number | null;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt!: Date;

  @Column({ name: 'disabled_at', type: 'datetime', nullable: true })
  disabledAt!: Date | null;
}
