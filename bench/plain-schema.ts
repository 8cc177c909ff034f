import { buildSchema, GraphQLObjectType, GraphQLSchema, printSchema } from 'graphql';
import type { Device, Order, User } from '../src/db/entities';
import type { GatewayContext } from '../src/request/context';
import { rowId, toIso } from '../src/request/context';
import { buildGatewaySchema } from '../src/graphql/schema';
import { pageWindow, toConnection } from '../src/graphql/pagination';
import { loadUserPage } from '../src/loaders/user-page';
import { isMinorOn } from '../src/policy';

type Resolver = (source: any, args: any, ctx: GatewayContext) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Variant C, the lower bound: the same SDL and the same loaders, built with graphql-js alone
 * (no type-graphql, no Apollo, no enforcement).
 */
export function plainSchema(): GraphQLSchema {
  const schema = buildSchema(printSchema(buildGatewaySchema()));
  const resolvers: Record<string, Record<string, Resolver>> = {
    Query: {
      user: (_s, { id }, ctx) => { const n = rowId(id); return n === null ? null : ctx.loaders.userById.load(n); },
      users: async (_s, args, ctx) => { const w = pageWindow(args); return toConnection(await loadUserPage(ctx.ds, ctx.loaders, w), w); },
      order: (_s, { id }, ctx) => { const n = rowId(id); return n === null ? null : ctx.loaders.orderById.load(n); },
      device: (_s, { id }, ctx) => { const n = rowId(id); return n === null ? null : ctx.loaders.deviceById.load(n); },
    },
    User: {
      isMinor: (u: User, _a, ctx) => isMinorOn(u.birthDate, ctx.request.at),
      paymentAccounts: (u: User, _a, ctx) => ctx.loaders.paymentAccountsByUser.load(u.id),
      devices: (u: User, _a, ctx) => ctx.loaders.devicesByUser.load(u.id),
      orders: async (u: User, args, ctx) => { const w = pageWindow(args); return toConnection(await ctx.loaders.ordersByUser.load({ userId: u.id, window: w }), w); },
    },
    Order: {
      items: (o: Order, _a, ctx) => ctx.loaders.itemsByOrder.load(o.id),
      createdAt: (o: Order) => toIso(o.createdAt) ?? '',
      user: (o: Order, _a, ctx) => ctx.loaders.userById.load(o.userId),
      paymentAccount: (o: Order, _a, ctx) => (o.paymentAccountId == null ? null : ctx.loaders.paymentAccountById.load(o.paymentAccountId)),
    },
    Device: {
      location: (d: Device) => (d.lat == null || d.lng == null ? null : { lat: d.lat, lng: d.lng, accuracyM: d.accuracyM ?? 0 }),
      lastSeenAt: (d: Device) => toIso(d.lastSeenAt),
    },
  };
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName) as GraphQLObjectType;
    for (const [name, resolve] of Object.entries(fields)) type.getFields()[name].resolve = resolve as never;
  }
  return schema;
}
