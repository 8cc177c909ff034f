import DataLoader from 'dataloader';
import { DataSource, In, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Consent, Device, Order, OrderItem, PaymentAccount, User } from '../db/entities';
import type { PageWindow } from '../graphql/pagination';
import { decideScope, isUnrestricted, NO_ROWS, RelationshipFacts, RowScope } from '../policy/scope';
import { executionTimeout } from '../request/deadline';
import { relationshipColumns, scopeFilter, ScopedEntity } from './scope-sql';
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
 *
 * Rows are scoped (SPEC §11) in the same statement that reads them: lists keep only the rows in
 * the request's scope (a WHERE on the relationship), and a row asked for by id comes back with its
 * relationship facts, decided by src/policy (decideScope). A row out of scope is returned as
 * null, exactly as a missing one; `hiddenSubject` keeps its owner for the audit record.
 *
 * The scope starts as NO_ROWS (fail closed) and is set once the purpose is decided, before
 * execution (`useScope`). It lives here, not on the context, because Apollo hands plugins and
 * resolvers a shallow copy of the context, and the loaders are what they all share.
 */
export function createLoaders(ds: DataSource, abandoned: () => boolean = () => false) {
  /** Every statement starts here: none for a request given up at its deadline (src/request/deadline.ts). */
  const live = (): void => {
    if (abandoned()) throw executionTimeout();
  };
  const repo = <T extends object>(e: new () => T) => {
    live();
    return ds.getRepository(e);
  };
  let current: RowScope = NO_ROWS;
  const scopeOf = () => current;
  /** Adds the request's scope filter to a query over `entity` under `alias`. */
  const scoped = <T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, entity: ScopedEntity, alias: string): SelectQueryBuilder<T> => {
    const f = scopeFilter(scopeOf(), entity, alias);
    return f ? qb.andWhere(f.sql, f.params) : qb;
  };
  const listOf = <T extends ObjectLiteral>(e: new () => T, entity: ScopedEntity, column: string, ids: readonly number[]) =>
    scoped(repo(e).createQueryBuilder('r').where(`r.${column} IN (:...ids)`, { ids: [...ids] }), entity, 'r').orderBy('r.id', 'ASC').getMany();

  /** Out-of-scope rows asked for by id: `Entity:id` → the subject they belong to (for the audit only). */
  const hidden = new Map<string, number>();

  /**
   * Rows by id with the request's scope decided per row: unrestricted, a plain lookup. Otherwise
   * first one statement that reads only each row's id, subject and relationship facts, for
   * src/policy to decide, then the rows in scope. A missing id and an out-of-scope one cost the
   * same: that first statement, with one short row or none, and nothing else (SPEC §11: no
   * difference a client can measure).
   */
  const scopedById = async <T extends { id: number }>(e: new () => T, entity: ScopedEntity, ids: readonly number[]): Promise<T[]> => {
    const scope = scopeOf();
    if (isUnrestricted(scope)) return repo(e).findBy({ id: In([...ids]) } as never);
    const { columns, params } = relationshipColumns(scope, entity, 'r');
    const qb = repo(e).createQueryBuilder('r').select('r.id', 'id').addSelect(entity === 'User' ? 'r.id' : 'r.user_id', 'subject')
      .where('r.id IN (:...ids)', { ids: [...ids], ...params });
    for (const c of columns) qb.addSelect(c.sql, c.name);
    const visibleIds: number[] = [];
    for (const row of (await qb.getRawMany()) as Record<string, unknown>[]) {
      const facts: Partial<Record<string, boolean>> = {};
      for (const c of columns) facts[c.relationship] = Number(row[c.name]) === 1;
      const id = Number(row.id);
      if (decideScope(scope, facts as RelationshipFacts)) visibleIds.push(id);
      else hidden.set(`${entity}:${id}`, Number(row.subject));
    }
    return visibleIds.length ? repo(e).findBy({ id: In(visibleIds) } as never) : [];
  };

  const consentsByUser = new DataLoader<number, Consent[]>(async (ids) =>
    groupBy(ids, await repo(Consent).find({ where: { userId: In([...ids]) }, order: { id: 'ASC' } }), (c) => c.userId));

  const subjects = new SubjectCache(consentsByUser);

  /** Users as data subjects, whatever the scope: enforcement needs the facts of every row's owner. */
  const subjectById = new DataLoader<number, User | null>(async (ids) => {
    const rows = await repo(User).findBy({ id: In([...ids]) });
    await subjects.addUsers(rows);
    return byId(ids, rows);
  });
  subjects.attachUserLoader(subjectById);

  /** Users as API rows (`user(id:)`, `order.user`): in the request's scope, or null. */
  const userById = new DataLoader<number, User | null>(async (ids) => {
    if (isUnrestricted(scopeOf())) return subjectById.loadMany(ids) as Promise<(User | null)[]>;
    // Only visible users become subjects: loading a hidden one's consents would be one statement
    // more than a missing id costs, a timing difference the client could measure (SPEC §11).
    const visible = await scopedById(User, 'User', ids);
    for (const u of visible) subjectById.prime(u.id, u);
    await subjects.addUsers(visible);
    return byId(ids, visible);
  });

  /** Load rows, then the facts of their subjects, in one step. */
  const withSubjects = async <T extends { userId: number }>(rows: T[]): Promise<T[]> => {
    await subjects.ensure(rows.map((r) => r.userId));
    return rows;
  };

  const paymentAccountsByUser = new DataLoader<number, PaymentAccount[]>(async (ids) =>
    groupBy(ids, await withSubjects(await listOf(PaymentAccount, 'PaymentAccount', 'user_id', ids)), (a) => a.userId));

  const devicesByUser = new DataLoader<number, Device[]>(async (ids) =>
    groupBy(ids, await withSubjects(await listOf(Device, 'Device', 'user_id', ids)), (d) => d.userId));

  const paymentAccountById = new DataLoader<number, PaymentAccount | null>(async (ids) =>
    byId(ids, await withSubjects(await scopedById(PaymentAccount, 'PaymentAccount', ids))));

  const orderById = new DataLoader<number, Order | null>(async (ids) =>
    byId(ids, await withSubjects(await scopedById(Order, 'Order', ids))));

  const deviceById = new DataLoader<number, Device | null>(async (ids) =>
    byId(ids, await withSubjects(await scopedById(Device, 'Device', ids))));

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
        let cond = 'r.user_id IN (:...userIds)';
        if (w.afterId !== null) cond += ' AND r.id < :afterId';
        if (w.beforeId !== null) cond += ' AND r.id > :beforeId';
        // Pages are over the orders in scope: the filter is inside the numbering.
        const filter = scopeFilter(scopeOf(), 'Order', 'r');
        if (filter) cond += ` AND ${filter.sql}`;
        const dir = w.forward ? 'DESC' : 'ASC';
        const rows = await repo(Order).createQueryBuilder('o')
          .where(
            `o.id IN (SELECT ranked.id FROM (SELECT r.id, ROW_NUMBER() OVER (PARTITION BY r.user_id ORDER BY r.id ${dir}) AS rn ` +
            `FROM orders r WHERE ${cond}) ranked WHERE ranked.rn <= :limit)`,
            { userIds, afterId: w.afterId, beforeId: w.beforeId, limit: w.size + 1, ...filter?.params },
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
    userById, subjectById, consentsByUser, paymentAccountsByUser, devicesByUser, paymentAccountById,
    orderById, deviceById, itemsByOrder, ordersByUser, subjects,
    /** The request's row scope. */
    scope: scopeOf,
    /** Throws EXECUTION_TIMEOUT if the request was given up (for reads that do not go through these loaders). */
    live,
    /** Sets the request's row scope, once its purpose is decided and before any row is read. */
    useScope: (scope: RowScope): void => {
      current = scope;
    },
    /** Adds the scope's filter to a list query (the users page). */
    scoped,
    /** The subject of a row that was asked for by id and is out of scope; undefined for a missing row. */
    hiddenSubject: (entity: ScopedEntity, id: number): number | undefined => hidden.get(`${entity}:${id}`),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
