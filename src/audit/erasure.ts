import { IsNull, type DataSource } from 'typeorm';
import { now } from '../clock';
import { User } from '../db/entities';
import { auditSettled } from './projection';
import { disclosureReport, Recipient } from './review';

export interface ErasureReceipt {
  userId: number;
  erasedAt: string;
  /** The clients to notify: every one that received some of the subject's data (the disclosure report). */
  recipients: Recipient[];
}

/**
 * Mark a subject erased (SPEC §7): from then on every field decision about them is
 * SUBJECT_ERASED. Idempotent: a second request keeps the first date. Null for an unknown user.
 * The recipients include every disclosure committed before the call (disclosureReport waits
 * for the audit projection).
 */
export async function requestErasure(ds: DataSource, userId: number): Promise<ErasureReceipt | null> {
  // Before this transaction reads anything (its snapshot): every disclosure committed so far is in audit_events.
  await auditSettled(ds);
  const users = ds.getRepository(User);
  // The condition makes concurrent requests agree on one date.
  await users.update({ id: userId, erasedAt: IsNull() }, { erasedAt: now() });
  const user = await users.findOne({ where: { id: userId }, select: { id: true, erasedAt: true } });
  if (!user || !user.erasedAt) return null;
  return { userId: user.id, erasedAt: user.erasedAt.toISOString(), recipients: await disclosureReport(ds, user.id) };
}
