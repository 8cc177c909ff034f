import type { DataSource, EntityManager } from 'typeorm';
import { now } from '../clock';
import type { AuditReads } from '../audit';
import { CorrectionNotice } from '../db/entities/CorrectionNotice';
import { ErasureNotice, ErasureNoticeStatus } from '../db/entities/ErasureNotice';

const DAY_MS = 86_400_000;

/**
 * Opens one notice per recipient of an erased subject's data, inside the caller's transaction.
 * Idempotent: a recipient that already has a notice for the subject keeps it (and its state).
 */
export async function openErasureNotices(m: EntityManager, userId: number, recipients: readonly string[], at: Date = now()): Promise<void> {
  const clientIds = [...new Set(recipients)];
  if (!clientIds.length) return;
  await m.createQueryBuilder().insert().into(ErasureNotice)
    .values(clientIds.map((clientId) => ({ userId, clientId, status: 'OPEN' as const, openedAt: at, acknowledgedAt: null, acknowledgedRequestId: null })))
    // On a duplicate (subject, client) only: keep the row as it is. (INSERT IGNORE would also swallow other errors on MySQL.)
    .orUpdate(['user_id'], ['user_id', 'client_id'])
    .execute();
}

/**
 * Runs an erasure `mark` (which writes the erasure and returns its recipients) and opens
 * their notices in one transaction: either the subject is erased and every recipient has its
 * notice, or neither. `mark` gets the transaction as its store.
 */
export async function eraseWithNotices<R extends { userId: number; recipients: readonly { clientId: string }[] } | null>(
  audit: AuditReads,
  ds: DataSource,
  mark: (store: DataSource) => Promise<R>,
): Promise<R> {
  // Every disclosure committed so far is projected before the transaction begins (so the report
  // names its recipient): not inside it, where SQLite's write lock, held from BEGIN, would keep
  // the projection's own connection waiting (see markErased).
  await audit.settled();
  return ds.transaction(async (m) => {
    // The erasure functions read and write through getRepository/query, which the transaction's manager provides.
    const receipt = await mark(m as unknown as DataSource);
    if (receipt) await openErasureNotices(m, receipt.userId, receipt.recipients.map((r) => r.clientId));
    return receipt;
  });
}

/** Whole days a notice has been (or was, until acknowledged) open. */
export function ageDays(notice: Pick<ErasureNotice, 'openedAt' | 'acknowledgedAt'>, today: Date = now()): number {
  const end = notice.acknowledgedAt ?? today;
  return Math.max(0, Math.floor((new Date(end).getTime() - new Date(notice.openedAt).getTime()) / DAY_MS));
}

export interface NoticeFilter<Status extends string = ErasureNoticeStatus> {
  readonly clientId?: string | null;
  readonly status?: Status | null;
  readonly subjectId?: number | null;
}

/** A recipient's notice about a subject: erasure notices here, correction notices (src/rights/corrections.ts) alike. */
type NoticeEntity = typeof ErasureNotice | typeof CorrectionNotice;

/** Notices of one kind, oldest first: a client's, a subject's, or all. */
export function listNotices<E extends NoticeEntity>(ds: DataSource, entity: E, filter: NoticeFilter<InstanceType<E>['status']>): Promise<InstanceType<E>[]> {
  return ds.getRepository<InstanceType<E>>(entity).find({
    where: {
      ...(filter.clientId ? { clientId: filter.clientId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.subjectId != null ? { userId: filter.subjectId } : {}),
    } as never,
    order: { openedAt: 'ASC', id: 'ASC' } as never,
  });
}

/**
 * The recipient confirms it acted on a notice. Idempotent: acknowledging again changes nothing
 * and returns the notice as first acknowledged (the status condition makes concurrent
 * acknowledgements agree on one time). Null when the client has no such notice.
 */
export async function acknowledgeNotice<E extends NoticeEntity>(ds: DataSource, entity: E, noticeId: number, clientId: string, requestId: string, at: Date): Promise<InstanceType<E> | null> {
  const repo = ds.getRepository<InstanceType<E>>(entity);
  await repo.update({ id: noticeId, clientId, status: 'OPEN' } as never, { status: 'ACKNOWLEDGED', acknowledgedAt: at, acknowledgedRequestId: requestId } as never);
  return repo.findOne({ where: { id: noticeId, clientId } as never });
}

/** Erasure notices, oldest first. */
export function listErasureNotices(ds: DataSource, filter: NoticeFilter): Promise<ErasureNotice[]> {
  return listNotices(ds, ErasureNotice, filter);
}

/** The recipient confirms deletion (see acknowledgeNotice). */
export function acknowledgeErasureNotice(ds: DataSource, noticeId: number, clientId: string, requestId: string): Promise<ErasureNotice | null> {
  return acknowledgeNotice(ds, ErasureNotice, noticeId, clientId, requestId, now());
}
