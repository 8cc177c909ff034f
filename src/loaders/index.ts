import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { Consent, Device, Order, OrderItem, PaymentAccount, User } from '../db/entities';
import type { PageWindow } from '../graphql/pagination';
import { SubjectCache } from './subjects';

export { SubjectCache } from './subjects';
export type { Subject } from './subjects';

/** Group rows by a key, keeping an entry (possibly empty) for every requested key. */
function groupBy<T>(keys: readonly number[], rows: T[], keyOf: (row: T) => number): T[][] {
  const map = new Map<number, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return keys.map((k) => map.get(k)!);
}

function byId<T extends { id: number }>(keys: readonly number[], rows: T[]): (T | null)[] {
  const map = new Map(rows.map((r) => [r.id, r]));
  return keys.map((k) => map.get(k) ?? null);
}

const windowKey = (w: PageWindow) => `${w.size}|${w.afterId}|${w.beforeId}|${w.forward}`;

export interface OrdersKey {
  userId: number;
  window: PageWindow;
}

/**
 * Every access path to the stores, batched and cached for one request only (a consent
 * withdrawn between two requests is never served from a cache). Loaders that return rows
 * of a data subject make sure that subject's facts are loaded too, so that enforcement can
 * decide each field synchronously.
 */
export function createLoaders(ds: DataSource) {
  const repo = <T extends object>(e: new () => T) => ds.getRepository(e);

  const consentsByUser = new DataLoader<number, Consent[]>(async (ids) =>
    groupBy(ids, await repo(Consent).find({ where: { userId: In([...ids]) }, order: { id: 'ASC' } }), (c) => c.userId));

  const subjects = new SubjectCache(consentsByUser);

  const userById = new DataLoader<number, User | null>(async (ids) => {
    const rows = await repo(User).findBy({ id: In([...ids]) });
    await subjects.addUsers(rows);
    return byId(ids, rows);
  });
  subjects.attachUserLoader(userById);

  /** Load rows, then the facts of their subjects, in one step. */
  const withSubjects = async <T extends { userId: number }>(rows: T[]): Promise<T[]> => {
    await subjects.ensure(rows.map((r) => r.userId));
    return rows;
  };

  const paymentAccountsByUser = new DataLoader<number, PaymentAccount[]>(async (ids) =>
    groupBy(ids, await withSubjects(await repo(PaymentAccount).find({ where: { userId: In([...ids]) }, order: { id: 'ASC' } })), (a) => a.userId));

  const devicesByUser = new DataLoader<number, Device[]>(async (ids) =>
    groupBy(ids, await withSubjects(await repo(Device).find({ where: { userId: In([...ids]) }, order: { id: 'ASC' } })), (d) => d.userId));

  const paymentAccountById = new DataLoader<number, PaymentAccount | null>(async (ids) =>
    byId(ids, await withSubjects(await repo(PaymentAccount).findBy({ id: In([...ids]) }))));

  const orderById = new DataLoader<number, Order | null>(async (ids) =>
    byId(ids, await withSubjects(await repo(Order).findBy({ id: In([...ids]) }))));

  const deviceById = new DataLoader<number, Device | null>(async (ids) =>
    byId(ids, await withSubjects(await repo(Device).findBy({ id: In([...ids]) }))));

  const itemsByOrder = new DataLoader<number, OrderItem[]>(async (ids) =>
    groupBy(ids, await repo(OrderItem).find({ where: { orderId: In([...ids]) }, order: { id: 'ASC' } }), (i) => i.orderId));

  /**
   * One page of orders for many users in one statement: a window function numbers each
   * user's orders (newest first) and keeps size + 1 of them.
   */
  const ordersByUser = new DataLoader<OrdersKey, Order[], string>(
    async (keys) => {
      // One statement per distinct page window (usually one for the whole list).
      const groups = new Map<string, OrdersKey[]>();
      for (const k of keys) {
        const g = windowKey(k.window);
        const group = groups.get(g);
        if (group) group.push(k);
        else groups.set(g, [k]);
      }
      const result = new Map<OrdersKey, Order[]>();
      for (const group of groups.values()) {
        const w = group[0].window;
        const userIds = [...new Set(group.map((k) => k.userId))];
        let cond = 'user_id IN (:...userIds)';
        if (w.afterId !== null) cond += ' AND id < :afterId';
        if (w.beforeId !== null) cond += ' AND id > :beforeId';
        const dir = w.forward ? 'DESC' : 'ASC';
        const rows = await repo(Order).createQueryBuilder('o')
          .where(
            `o.id IN (SELECT ranked.id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY id ${dir}) AS rn ` +
            `FROM orders WHERE ${cond}) ranked WHERE ranked.rn <= :limit)`,
            { userIds, afterId: w.afterId, beforeId: w.beforeId, limit: w.size + 1 },
          )
          .orderBy('o.id', dir)
          .getMany();
        await withSubjects(rows);
        const perUser = groupBy(userIds, rows, (o) => o.userId);
        const byUser = new Map(userIds.map((id, i) => [id, perUser[i]]));
        for (const k of group) result.set(k, byUser.get(k.userId) ?? []);
      }
      return keys.map((k) => result.get(k) ?? []);
    },
    { cacheKeyFn: (k) => `${k.userId}|${windowKey(k.window)}` },
  );

  return {
    userById, consentsByUser, paymentAccountsByUser, devicesByUser, paymentAccountById,
    orderById, deviceById, itemsByOrder, ordersByUser, subjects,
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
