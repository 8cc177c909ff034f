import type { DataSource } from 'typeorm';
import type { AuditReads } from '../audit';
import { toDbTime } from '../audit/columns';
import { now } from '../clock';
import { backgroundRows } from '../db/background-rows';
import { backgroundLoop, type BackgroundLoop } from '../background-loop';
import { log } from '../log';
import { openErasureNotices } from './erasure-notices';

/**
 * The erasure's late recipients (SPEC §10: one notice per recipient). `requestErasure` lists the
 * recipients from the audit as it stands when it runs. A request that read the subject just
 * before (its field decisions were made while the subject was not erased yet) but committed its
 * records just after that listing, on this gateway or another, sent the data without its client
 * getting a notice. This follow-up closes that gap: for every subject erased within the last
 * window, it waits for the audit projection (every gateway's committed records), lists the
 * recipients again and opens a notice for each client that has none. Nothing after an erasure
 * is released about the subject (SUBJECT_ERASED), so any recipient it finds is such a request's.
 *
 * The window covers the longest a released request can take from its field decisions to its
 * committed records: the execution timeout (a query past it is given up before its commit) plus
 * the audit's commit timeout, with a margin. The gateway runs it every few seconds
 * (startErasureFollowUp); the query for recently erased subjects is one index range
 * (idx_users_erased_at), empty nearly always.
 */

export interface LateNotice {
  subjectId: number;
  clientId: string;
}

/** How long after an erasure its recipients are listed again: what a request may take from its decisions to its commit, plus a margin. */
export function followUpWindowMs(executionTimeoutMs: number, commitTimeoutMs: number): number {
  return executionTimeoutMs + commitTimeoutMs + 30_000;
}

/** One pass: the notices it opened (usually none). Its reads are background work (src/db/background-rows.ts). */
export async function followUpErasures(audit: AuditReads, ds: DataSource, windowMs: number, at: Date = now()): Promise<LateNotice[]> {
  const erased = await backgroundRows<{ id: unknown }>(ds, 'SELECT id FROM users WHERE erased_at >= ? ORDER BY id', [toDbTime(new Date(at.getTime() - windowMs).toISOString())]);
  if (!erased.length) return [];
  await audit.settled(); // every gateway's records committed so far
  const opened: LateNotice[] = [];
  for (const subjectId of erased.map((r) => Number(r.id))) {
    const recipients = await backgroundRows<{ client_id: string }>(ds, "SELECT DISTINCT client_id FROM audit_events WHERE subject_id = ? AND decision IN ('ALLOW', 'MASK')", [subjectId]);
    if (!recipients.length) continue;
    const notified = new Set((await backgroundRows<{ client_id: string }>(ds, 'SELECT client_id FROM erasure_notices WHERE user_id = ?', [subjectId])).map((n) => String(n.client_id)));
    const late = recipients.map((r) => String(r.client_id)).filter((c) => !notified.has(c)).sort();
    if (!late.length) continue;
    await ds.transaction((m) => openErasureNotices(m, subjectId, late, at));
    for (const clientId of late) {
      log.warn({ subjectId, clientId }, 'erasure notice opened after the erasure: the client received the subject\'s data from a request in flight when it was erased');
      opened.push({ subjectId, clientId });
    }
  }
  return opened;
}

/** followUpErasures every `intervalMs` until stopped (src/background-loop.ts: a failed pass is logged once and tried again). */
export function startErasureFollowUp(audit: AuditReads, ds: DataSource, windowMs: number, intervalMs = 5_000): BackgroundLoop {
  return backgroundLoop('erasure follow-up', () => followUpErasures(audit, ds, windowMs), { firstDelayMs: intervalMs, next: () => intervalMs, alive: () => ds.isInitialized });
}
