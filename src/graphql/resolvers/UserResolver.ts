import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { Device, PaymentAccount, User } from '../../db/entities';
import { isMinorOn } from '../../policy/subject';
import { GatewayContext } from '../../request/context';
import { pageWindow, toConnection } from '../pagination';
import { Device as DeviceType } from '../types/Device';
import { OrderConnection } from '../types/Order';
import { PaymentAccount as PaymentAccountType } from '../types/PaymentAccount';
import { User as UserType } from '../types/User';

@Resolver(() => UserType)
export class UserResolver {
  @FieldResolver(() => Boolean, { description: 'Under 14 on the day of the request.' })
  isMinor(@Root() user: User, @Ctx() ctx: GatewayContext): boolean {
    return isMinorOn(user.birthDate, ctx.request.at);
  }

  @FieldResolver(() => [PaymentAccountType])
  paymentAccounts(@Root() user: User, @Ctx() ctx: GatewayContext): Promise<PaymentAccount[]> {
    return ctx.loaders.paymentAccountsByUser.load(user.id);
  }

  @FieldResolver(() => OrderConnection)
  async orders(
    @Root() user: User,
    @Ctx() ctx: GatewayContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    const w = pageWindow({ first, after });
    return toConnection(await ctx.loaders.ordersByUser.load({ userId: user.id, window: w }), w);
  }

  @FieldResolver(() => [DeviceType])
  devices(@Root() user: User, @Ctx() ctx: GatewayContext): Promise<Device[]> {
    return ctx.loaders.devicesByUser.load(user.id);
  }
}
