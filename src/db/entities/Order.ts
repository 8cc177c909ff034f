import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type OrderStatus = 'PENDING' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED' | 'REFUNDED';

@Entity('orders')
@Index('idx_orders_user_channel', ['userId', 'channel'])
export class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'order_no', type: 'varchar', length: 32, unique: true })
  orderNo!: string;

  @Index('idx_orders_user')
  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Index('idx_orders_payment_account')
  @Column({ name: 'payment_account_id', type: 'int', nullable: true })
  paymentAccountId!: number | null;

  @Column({ type: 'varchar', length: 16 })
  status!: OrderStatus;

  /** The client the order was placed through (SPEC §11): a client id, not personal data. */
  @Column({ type: 'varchar', length: 64, default: '' })
  channel!: string;

  /** Minor units of `currency`. */
  @Column({ name: 'total_amount', type: 'int', nullable: true })
  totalAmount!: number | null;

  @Column({ type: 'varchar', length: 3, nullable: true })
  currency!: string | null;

  @Column({ name: 'recipient_name', type: 'varchar', length: 128, nullable: true })
  recipientName!: string | null;

  @Column({ name: 'recipient_phone', type: 'varchar', length: 32, nullable: true })
  recipientPhone!: string | null;

  @Column({ name: 'shipping_address', type: 'varchar', length: 255, nullable: true })
  shippingAddress!: string | null;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt!: Date;
}
