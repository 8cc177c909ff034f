import { GraphQLResolveInfo, Kind } from 'graphql';
import { Arg, Ctx, ID, Info, Int, Query, Resolver } from 'type-graphql';
import type { Device, Order, User } from '../../db/entities';
import { loadUserPage } from '../../loaders/user-page';
import { GatewayContext, rowId } from '../../request/context';
import { pageWindow, toConnection } from '../pagination';
import { Device as DeviceType } from '../types/Device';
import { Order as OrderType } from '../types/Order';
import { User as UserType } from '../types/User';
import { UserConnection } from '../types/UserConnection';

/** The entry points: thin, they load and return; enforcement wraps the personal fields. */
@Resolver()
export class QueryResolver {
  @Query(() => UserType, { nullable: true })
  async user(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<User | null> {
    const n = rowId(id);
    return n === null ? null : ctx.loaders.userById.load(n);
  }

  @Query(() => UserConnection)
  async users(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('last', () => Int, { nullable: true }) last?: number,
    @Arg('before', () => String, { nullable: true }) before?: string,
  ) {
    // `first` has a default (SPEC §3), so only the query text tells whether the client gave both.
    const firstGiven = info.fieldNodes.some((n) => n.arguments?.some((a) =>
      a.name.value === 'first' && (a.value.kind !== Kind.VARIABLE || info.variableValues[a.value.name.value] !== undefined)));
    const w = pageWindow({ first: last != null && !firstGiven ? null : first, after, last, before });
    return toConnection(await loadUserPage(ctx.ds, ctx.loaders, w), w);
  }

  @Query(() => OrderType, { nullable: true })
  async order(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Order | null> {
    const n = rowId(id);
    return n === null ? null : ctx.loaders.orderById.load(n);
  }

  @Query(() => DeviceType, { nullable: true })
  async device(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Device | null> {
    const n = rowId(id);
    return n === null ? null : ctx.loaders.deviceById.load(n);
  }
}
