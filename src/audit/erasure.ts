import { IsNull, type DataSource } from 'typeorm';
import { now } from '../clock';
import { User } from '../db/entities';
import { recipientsOf, Recipient } from './review';

export interface ErasureReceipt {
  userId: number;
  erasedAt: string;
  /** The clients to notify: every one that received some of the subject's data (the disclosure report). */
  recipients: Recipient[];
}

/**
 * Mark a subject erased (SPEC §7): from then on every field decision about them is
 * SUBJECT_ERASED. Idempotent: a second request keeps the first date. Null for an unknown user.
 * Runs inside eraseWithNotices' transaction, which first waits for the audit projection, so the
 * recipients include every disclosure committed before the request. It must not wait for the
 * projection itself: on SQLite the transaction holds the write lock from its BEGIN, and the
 * projection writes on a connection of its own, so each would wait for the other.
 */
export async function markErased(store: DataSource, userId: number): Promise<ErasureReceipt | null> {
  const users = store.getRepository(User);
  // The condition makes concurrent requests agree on one date.
  await users.update({ id: userId, erasedAt: IsNull() }, { erasedAt: now() });
  const user = await users.findOne({ where: { id: userId }, select: { id: true, erasedAt: true } });
  if (!user || !user.erasedAt) return null;
  return { userId: user.id, erasedAt: user.erasedAt.toISOString(), recipients: await recipientsOf(store, user.id) };
}
