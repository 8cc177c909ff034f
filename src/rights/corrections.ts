import { DataSource, EntityManager } from 'typeorm';
import type { AuditReads } from '../audit';
import { recipientsOf } from '../audit/review';
import { now } from '../clock';
import { CorrectionNotice, SubjectCorrection, SubjectRequest, User } from '../db/entities';
import type { CorrectionNoticeStatus } from '../db/entities/CorrectionNotice';
import { acknowledgeNotice, listNotices, NoticeFilter } from '../onboarding/erasure-notices';
import { RightsError } from './errors';
import { Actor, finish, openRequestOf, recordEvent, requestSubject } from './requests';

/** The profile fields a correction may change (SPEC §7), with the longest value each column holds. */
export const CORRECTABLE = { nickname: 64, signature: 255, gender: 16, realName: 128, phone: 32, city: 64 } as const;
export type CorrectableField = keyof typeof CORRECTABLE;
const GENDERS = ['MALE', 'FEMALE', 'OTHER'];
const PHONE = /^\+?[0-9][0-9 -]{2,30}$/;

export type Corrections = Partial<Record<CorrectableField, string | null>>;

/** Checks the new values; an error names the field, never the value. */
function checkValues(changes: Corrections): [CorrectableField, string | null][] {
  const given = (Object.keys(CORRECTABLE) as CorrectableField[]).filter((f) => changes[f] !== undefined).map((f) => [f, changes[f] ?? null] as [CorrectableField, string | null]);
  if (!given.length) throw new RightsError('NOTHING_TO_CORRECT', `Give at least one of ${Object.keys(CORRECTABLE).join(', ')}`, 'input');
  for (const [field, value] of given) {
    if (value === null) continue;
    if (value.length > CORRECTABLE[field]) throw new RightsError('BAD_VALUE', `${field} is at most ${CORRECTABLE[field]} characters`, field);
    if (field === 'gender' && !GENDERS.includes(value)) throw new RightsError('BAD_VALUE', `gender is one of ${GENDERS.join(', ')}`, field);
    if (field === 'phone' && !PHONE.test(value)) throw new RightsError('BAD_VALUE', 'phone is digits, with an optional leading + and spaces or dashes', field);
  }
  return given;
}

/**
 * Corrects a subject's profile under an open CORRECTION request (SPEC §7): writes only the fields
 * given, opens one correction notice per client that received (ALLOW or MASK, from the audit) the
 * category of a field whose value changed, and closes the request DONE, in one transaction.
 * Neither the notices nor the request's history hold a value: field names and categories only.
 */
export async function correctSubject(
  audit: AuditReads,
  ds: DataSource,
  input: { userId: number | null; rawUserId: string; requestId: number | null; rawRequestId: string; changes: Corrections },
  categoryOf: (field: CorrectableField) => string,
  actor: Actor,
): Promise<{ request: SubjectRequest; notices: CorrectionNotice[] }> {
  const given = checkValues(input.changes);
  // Every disclosure committed so far is projected before the transaction (as erasure does):
  // inside it, SQLite's write lock would keep the projection waiting.
  await audit.settled();
  return ds.transaction(async (m) => {
    const user = await requestSubject(m, input.userId, input.rawUserId);
    if (user.erasedAt) throw new RightsError('SUBJECT_ERASED', `User ${user.id} is erased: there is nothing left to correct`, 'userId');
    const request = await openRequestOf(m, input.requestId, input.rawRequestId, ['CORRECTION']);
    if (request.userId !== user.id) throw new RightsError('WRONG_KIND', `Request ${request.id} is about another user`, 'requestId');
    const changed = given.filter(([field, value]) => (user[field] ?? null) !== value);
    if (changed.length) await m.getRepository(User).update({ id: user.id }, Object.fromEntries(changed));
    const categories = new Set(changed.map(([field]) => categoryOf(field)));
    const notices = await openCorrectionNotices(m, user.id, request.id, categories, actor.at);
    const fields = changed.map(([f]) => f).join(', ') || 'none changed';
    await recordEvent(m, request.id, 'CORRECTED', actor, `fields: ${fields}; notices: ${notices.length}`);
    await finish(m, request, 'DONE', actor);
    // For the follow-up (src/rights/follow-up.ts): a request in flight now may still send the old values.
    if (categories.size) await m.getRepository(SubjectCorrection).insert({ requestId: request.id, userId: user.id, categories: [...categories].sort(), correctedAt: now() });
    return { request, notices };
  });
}

/** One notice per client that received any of `categories` of the subject, naming those it received. */
async function openCorrectionNotices(m: EntityManager, userId: number, requestId: number, categories: ReadonlySet<string>, at: Date): Promise<CorrectionNotice[]> {
  if (!categories.size) return [];
  const recipients = await recipientsOf(m as unknown as DataSource, userId);
  const rows = recipients
    .map((r) => ({ clientId: r.clientId, categories: r.categories.filter((c) => categories.has(c)).sort() }))
    .filter((r) => r.categories.length)
    .map((r) => m.create(CorrectionNotice, { userId, clientId: r.clientId, requestId, categories: r.categories, status: 'OPEN', openedAt: at, acknowledgedAt: null, acknowledgedRequestId: null }));
  return rows.length ? m.getRepository(CorrectionNotice).save(rows) : [];
}

/** Correction notices, oldest first (the same listing as erasure notices). */
export function listCorrectionNotices(ds: DataSource, filter: NoticeFilter<CorrectionNoticeStatus>): Promise<CorrectionNotice[]> {
  return listNotices(ds, CorrectionNotice, filter);
}

/** The recipient confirms it corrected its copy (see acknowledgeNotice). */
export function acknowledgeCorrectionNotice(ds: DataSource, noticeId: number, clientId: string, requestId: string, at: Date): Promise<CorrectionNotice | null> {
  return acknowledgeNotice(ds, CorrectionNotice, noticeId, clientId, requestId, at);
}
