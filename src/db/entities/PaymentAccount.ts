import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type PaymentProvider = 'ALIPAY' | 'WECHAT_PAY' | 'BANK_CARD';

@Entity('payment_accounts')
@Index('idx_payment_accounts_user_provider', ['userId', 'provider'])
export class PaymentAccount {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('idx_payment_accounts_user')
  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ type: 'varchar', length: 16 })
  provider!: PaymentProvider;

  @Column({ name: 'account_no', type: 'varchar', length: 128, nullable: true })
  accountNo!: string | null;

  @Column({ name: 'holder_name', type: 'varchar', length: 128, nullable: true })
  holderName!: string | null;

  /** MM/YY, bank cards only. */
  @Column({ name: 'card_expiry', type: 'varchar', length: 5, nullable: true })
  cardExpiry!: string | null;
}
