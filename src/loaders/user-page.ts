import type { DataSource } from 'typeorm';
import { User } from '../db/entities';
import type { PageWindow } from '../graphql/pagination';
import type { Loaders } from './index';

/**
 * One page of users by id (size + 1 rows, for "is there more"), primed into the per-request
 * user loader with their subjects' facts, so that nested fields and enforcement reuse them.
 */
export async function loadUserPage(ds: DataSource, loaders: Loaders, w: PageWindow): Promise<User[]> {
  loaders.live();
  const qb = ds.getRepository(User).createQueryBuilder('u');
  if (w.afterId !== null) qb.andWhere('u.id > :afterId', { afterId: w.afterId });
  if (w.beforeId !== null) qb.andWhere('u.id < :beforeId', { beforeId: w.beforeId });
  // Only the users in the request's scope (SPEC §11): the page and its cursors are over them.
  loaders.scoped(qb, 'User', 'u');
  const rows = await qb.orderBy('u.id', w.forward ? 'ASC' : 'DESC').take(w.size + 1).getMany();
  for (const r of rows) {
    loaders.userById.prime(r.id, r);
    loaders.subjectById.prime(r.id, r);
  }
  await loaders.subjects.addUsers(rows);
  return rows;
}
