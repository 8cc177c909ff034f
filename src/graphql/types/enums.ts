import { registerEnumType } from 'type-graphql';

export const Gender = { MALE: 'MALE', FEMALE: 'FEMALE', OTHER: 'OTHER' } as const;
export const PaymentProvider = { ALIPAY: 'ALIPAY', WECHAT_PAY: 'WECHAT_PAY', BANK_CARD: 'BANK_CARD' } as const;
export const OrderStatus = {
  PENDING: 'PENDING', PAID: 'PAID', SHIPPED: 'SHIPPED', DELIVERED: 'DELIVERED', CANCELLED: 'CANCELLED', REFUNDED: 'REFUNDED',
} as const;

registerEnumType(Gender, { name: 'Gender' });
registerEnumType(PaymentProvider, { name: 'PaymentProvider' });
registerEnumType(OrderStatus, { name: 'OrderStatus' });
