import type { DataSource } from 'typeorm';
import type { AuditReads } from '../audit';
import { fromDbTime, toDbTime } from '../audit/columns';
import { backgroundLoop, type BackgroundLoop } from '../background-loop';
import { now } from '../clock';
import { backgroundRows } from '../db/background-rows';
import { CorrectionNotice } from '../db/entities';
import { log } from '../log';
import { openErasureNotices } from '../onboarding/erasure-notices';
import { recordEvent } from './requests';

/**
 * The late recipients of an erasure or a correction (SPEC §7, §10: one notice per recipient).
 * `requestErasure` and `correctSubject` list the recipients from the audit as it stands when they
 * run. A request that read the subject just before, but committed its records just after that
 * listing (on this gateway or another), sent the data (an erased subject's, or the value just
 * corrected) without its client getting a notice. This follow-up closes the gap: for every
 * erasure and correction of the last window, it waits for the audit projection (every gateway's
 * committed records), lists the recipients again and opens the notice each one lacks.
 *
 * - Erasure: any client that received (ALLOW or MASK) the subject's data and has no erasure
 *   notice about them. Nothing is released about an erased subject (SUBJECT_ERASED), so every
 *   such client is a request's in flight.
 * - Correction: any client that received a changed category of the subject in a request that
 *   started before the correction ended (its records' `at` up to `corrected_at` plus
 *   CLOCK_SLACK_MS, for clocks of other gateways and the commit itself) and has no notice of that
 *   correction. A client that read within the slack after the correction may get a notice it does
 *   not need, never the reverse.
 *
 * The window covers the longest a released request can take from its field decisions to its
 * committed records: the execution timeout (a query past it is given up before its commit) plus
 * the audit's commit timeout, with a margin. The gateway runs it every RIGHTS_FOLLOW_UP_MS
 * (startRightsFollowUp); its reads are background work (src/db/background-rows.ts), each one
 * index range (idx_users_erased_at, idx_subject_corrections_at), empty nearly always.
 */

export interface LateNotice {
  kind: 'ERASURE' | 'CORRECTION';
  subjectId: number;
  clientId: string;
  /** CORRECTION: the correction's request, and the changed categories the client received. */
  requestId?: number;
  categories?: string[];
}

/** Who the history of a request names for a notice the follow-up added (SubjectRequestEvent.clientId). */
export const FOLLOW_UP_ACTOR = 'purposegate';

/** The NOTICE_ADDED step of a request's history: which recipient, and why (never a value). */
const noticeAdded = (kind: 'erasure' | 'correction', clientId: string) => `${kind} notice for ${clientId}: it received the data from a request in flight`;

/** How far past a correction a request's start still counts as before it (other gateways' clocks, the commit). */
export const CLOCK_SLACK_MS = 1_000;

/** How long after an erasure or correction its recipients are listed again: what a request may take from its decisions to its commit, plus a margin. */
export function followUpWindowMs(executionTimeoutMs: number, commitTimeoutMs: number): number {
  return executionTimeoutMs + commitTimeoutMs + 30_000;
}

const sinceParam = (at: Date, windowMs: number) => toDbTime(new Date(at.getTime() - windowMs).toISOString());

const lateLog = (n: LateNotice) => log.warn({ kind: n.kind, subjectId: n.subjectId, clientId: n.clientId, requestId: n.requestId, categories: n.categories },
  `${n.kind === 'ERASURE' ? 'erasure' : 'correction'} notice opened afterwards: the client received the subject's data from a request in flight when it ran`);

/** One pass over recent erasures: the notices it opened (usually none). */
export async function followUpErasures(audit: AuditReads, ds: DataSource, windowMs: number, at: Date = now()): Promise<LateNotice[]> {
  const erased = await backgroundRows<{ id: unknown }>(ds, 'SELECT id FROM users WHERE erased_at >= ? ORDER BY id', [sinceParam(at, windowMs)]);
  if (!erased.length) return [];
  await audit.settled(); // every gateway's records committed so far
  const opened: LateNotice[] = [];
  for (const subjectId of erased.map((r) => Number(r.id))) {
    const recipients = await backgroundRows<{ client_id: string }>(ds, "SELECT DISTINCT client_id FROM audit_events WHERE subject_id = ? AND decision IN ('ALLOW', 'MASK')", [subjectId]);
    if (!recipients.length) continue;
    const notified = new Set((await backgroundRows<{ client_id: string }>(ds, 'SELECT client_id FROM erasure_notices WHERE user_id = ?', [subjectId])).map((n) => String(n.client_id)));
    const late = recipients.map((r) => String(r.client_id)).filter((c) => !notified.has(c)).sort();
    if (!late.length) continue;
    await ds.transaction(async (m) => {
      await openErasureNotices(m, subjectId, late, at);
      // The subject's erasure request (requestErasure completes one, or opens and completes it) records it.
      const [request] = await m.query("SELECT id FROM subject_requests WHERE user_id = ? AND kind = 'ERASURE' ORDER BY id DESC LIMIT 1", [subjectId]);
      if (request) for (const clientId of late) await recordEvent(m, Number(request.id), 'NOTICE_ADDED', { clientId: FOLLOW_UP_ACTOR, at }, noticeAdded('erasure', clientId));
    });
    for (const clientId of late) opened.push({ kind: 'ERASURE', subjectId, clientId });
  }
  opened.forEach(lateLog);
  return opened;
}

/** One pass over recent corrections: the notices it opened (usually none). */
export async function followUpCorrections(audit: AuditReads, ds: DataSource, windowMs: number, at: Date = now()): Promise<LateNotice[]> {
  const recent = await backgroundRows<{ request_id: unknown; user_id: unknown; categories: unknown; corrected_at: unknown }>(ds,
    'SELECT request_id, user_id, categories, corrected_at FROM subject_corrections WHERE corrected_at >= ? ORDER BY request_id', [sinceParam(at, windowMs)]);
  if (!recent.length) return [];
  await audit.settled();
  const opened: LateNotice[] = [];
  for (const r of recent) {
    const requestId = Number(r.request_id);
    const subjectId = Number(r.user_id);
    const changed = new Set(JSON.parse(String(r.categories)) as string[]);
    const upTo = toDbTime(new Date(new Date(fromDbTime(r.corrected_at)).getTime() + CLOCK_SLACK_MS).toISOString());
    const received = await backgroundRows<{ client_id: string; category: string }>(ds,
      "SELECT DISTINCT client_id, category FROM audit_events WHERE subject_id = ? AND decision IN ('ALLOW', 'MASK') AND at <= ?", [subjectId, upTo]);
    const notified = new Set((await backgroundRows<{ client_id: string }>(ds, 'SELECT client_id FROM correction_notices WHERE request_id = ?', [requestId])).map((n) => String(n.client_id)));
    const byClient = new Map<string, Set<string>>();
    for (const { client_id: clientId, category } of received) {
      if (!changed.has(String(category)) || notified.has(String(clientId))) continue;
      let set = byClient.get(String(clientId));
      if (!set) byClient.set(String(clientId), (set = new Set()));
      set.add(String(category));
    }
    if (!byClient.size) continue;
    const late = [...byClient.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([clientId, c]): LateNotice => ({ kind: 'CORRECTION', subjectId, clientId, requestId, categories: [...c].sort() }));
    await ds.transaction(async (m) => {
      await m.createQueryBuilder().insert().into(CorrectionNotice)
        .values(late.map((n) => ({ userId: subjectId, clientId: n.clientId, requestId, categories: n.categories, status: 'OPEN' as const, openedAt: at, acknowledgedAt: null, acknowledgedRequestId: null })))
        // Another gateway's follow-up opened it first: keep that one. (INSERT IGNORE would also swallow other errors on MySQL.)
        .orUpdate(['request_id'], ['request_id', 'client_id'])
        .execute();
      for (const n of late) await recordEvent(m, requestId, 'NOTICE_ADDED', { clientId: FOLLOW_UP_ACTOR, at }, noticeAdded('correction', n.clientId));
    });
    opened.push(...late);
  }
  opened.forEach(lateLog);
  return opened;
}

/** Both passes, erasures first. */
export async function followUpRights(audit: AuditReads, ds: DataSource, windowMs: number, at: Date = now()): Promise<LateNotice[]> {
  return [...(await followUpErasures(audit, ds, windowMs, at)), ...(await followUpCorrections(audit, ds, windowMs, at))];
}

/** followUpRights every `intervalMs` until stopped (src/background-loop.ts: a failed pass is logged once and tried again). */
export function startRightsFollowUp(audit: AuditReads, ds: DataSource, windowMs: number, intervalMs = 5_000): BackgroundLoop {
  return backgroundLoop('rights follow-up', () => followUpRights(audit, ds, windowMs), { firstDelayMs: intervalMs, next: () => intervalMs, alive: () => ds.isInitialized });
}
