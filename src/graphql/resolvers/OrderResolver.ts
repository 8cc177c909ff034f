import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Order, OrderItem, PaymentAccount, User } from '../../db/entities';
import { Sensitive } from '../directives';
import { GatewayContext, toIso } from '../../request/context';
import { Order as OrderType, OrderItem as OrderItemType } from '../types/Order';
import { PaymentAccount as PaymentAccountType } from '../types/PaymentAccount';
import { User as UserType } from '../types/User';

@Resolver(() => OrderType)
export class OrderResolver {
  @Sensitive('transaction.order')
  @FieldResolver(() => [OrderItemType], { nullable: true })
  items(@Root() order: Order, @Ctx() ctx: GatewayContext): Promise<OrderItem[]> {
    return ctx.loaders.itemsByOrder.load(order.id);
  }

  @FieldResolver(() => String)
  createdAt(@Root() order: Order): string {
    return toIso(order.createdAt) ?? '';
  }

  @FieldResolver(() => UserType, { nullable: true })
  user(@Root() order: Order, @Ctx() ctx: GatewayContext): Promise<User | null> {
    return ctx.loaders.userById.load(order.userId);
  }

  @FieldResolver(() => PaymentAccountType, { nullable: true })
  async paymentAccount(@Root() order: Order, @Ctx() ctx: GatewayContext): Promise<PaymentAccount | null> {
    return order.paymentAccountId == null ? null : ctx.loaders.paymentAccountById.load(order.paymentAccountId);
  }
}
