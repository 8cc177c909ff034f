import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import { SubjectRequest, SubjectRequestEvent, User } from '../db/entities';
import type { RefusalGround, SubjectRequestKind, SubjectRequestState } from '../db/entities/SubjectRequest';
import { toDbTime } from '../audit/columns';
import { RightsError } from './errors';

/** The privacy policy's §6(6): "We will reply within 30 days." */
export const REPLY_DAYS = 30;
const DAY_MS = 86_400_000;

export const REQUEST_KINDS: readonly SubjectRequestKind[] = ['ACCESS', 'CORRECTION', 'ERASURE', 'CONSENT_CHANGE', 'EXPLANATION'];
export const REFUSAL_GROUNDS: readonly RefusalGround[] = ['STATE_SECURITY', 'PUBLIC_SECURITY', 'CRIMINAL_INVESTIGATION', 'ABUSE_OF_RIGHTS', 'HARM_TO_OTHERS', 'TRADE_SECRET'];

/** Who acts on a request, and when (the request's clock reading). */
export interface Actor {
  readonly clientId: string;
  readonly at: Date;
  /** The gateway request, when acting through the API. */
  readonly requestId?: string | null;
}

export function dueAtFor(openedAt: Date): Date {
  return new Date(openedAt.getTime() + REPLY_DAYS * DAY_MS);
}

/** Open past its due date at `at`. */
export function isOverdue(r: Pick<SubjectRequest, 'state' | 'dueAt'>, at: Date): boolean {
  return r.state === 'OPEN' && new Date(r.dueAt).getTime() < at.getTime();
}

/** Records one step of a request's history, in the caller's transaction. */
export async function recordEvent(m: EntityManager | DataSource, requestId: number, action: SubjectRequestEvent['action'], actor: Actor, detail: string | null = null): Promise<void> {
  await m.getRepository(SubjectRequestEvent).insert({ requestId, at: actor.at, action, clientId: actor.clientId, detail: detail?.slice(0, 255) ?? null, gatewayRequestId: actor.requestId ?? null });
}

/** The user a request is about, which must exist. */
export async function requestSubject(m: EntityManager | DataSource, userId: number | null, raw: string): Promise<User> {
  const user = userId === null ? null : await m.getRepository(User).findOne({ where: { id: userId } });
  if (!user) throw new RightsError('UNKNOWN_USER', `No user ${JSON.stringify(String(raw).slice(0, 32))}`, 'userId');
  return user;
}

/** Opens a request (SPEC §7): due 30 days after, on the clock's reading. */
export async function openRequest(ds: DataSource, input: { userId: number | null; rawUserId: string; kind: SubjectRequestKind; note?: string | null }, actor: Actor): Promise<SubjectRequest> {
  if (!REQUEST_KINDS.includes(input.kind)) throw new RightsError('WRONG_KIND', `"${String(input.kind).slice(0, 32)}" is not a request kind`, 'kind');
  const note = input.note?.trim() || null;
  if (note !== null && note.length > 500) throw new RightsError('BAD_VALUE', 'A note is at most 500 characters', 'note');
  return ds.transaction(async (m) => {
    const user = await requestSubject(m, input.userId, input.rawUserId);
    if (user.erasedAt && input.kind === 'CORRECTION') throw new RightsError('SUBJECT_ERASED', `User ${user.id} is erased: there is nothing left to correct`, 'userId');
    const row = await m.getRepository(SubjectRequest).save(m.create(SubjectRequest, {
      userId: user.id, kind: input.kind, state: 'OPEN', note, openedAt: actor.at, dueAt: dueAtFor(actor.at), closedAt: null, refusalGround: null, openedBy: actor.clientId,
    }));
    await recordEvent(m, row.id, 'OPENED', actor);
    return row;
  });
}

export interface RequestFilter {
  readonly userId?: number | null;
  readonly kind?: SubjectRequestKind | null;
  readonly state?: SubjectRequestState | null;
  /** true: only open requests past their due date; false: only the others. */
  readonly overdue?: boolean | null;
}

/** The most requests one call lists (a page: the next starts `after` the last one listed). */
export const MAX_REQUESTS_PAGE = 500;

/** A page of the list: at most `first` requests (1 to MAX_REQUESTS_PAGE; the API checks it), those listed after the request `after` (its due date and id). */
export interface RequestPage {
  readonly first: number;
  readonly after: Pick<SubjectRequest, 'id' | 'dueAt'> | null;
}

/**
 * Requests, the oldest due first (then by id), a page at a time. Every filter is applied by the
 * query itself, so that a page is never cut short by rows dropped after the limit, however many
 * requests match ahead of it.
 */
export async function listRequests(ds: DataSource, filter: RequestFilter, at: Date, page: RequestPage = { first: MAX_REQUESTS_PAGE, after: null }): Promise<SubjectRequest[]> {
  const now = toDbTime(at.toISOString());
  const qb = ds.getRepository(SubjectRequest).createQueryBuilder('r');
  if (filter.userId != null) qb.andWhere('r.user_id = :userId', { userId: filter.userId });
  if (filter.kind) qb.andWhere('r.kind = :kind', { kind: filter.kind });
  if (filter.state) qb.andWhere('r.state = :state', { state: filter.state });
  // Overdue (isOverdue): open, and due strictly before now.
  if (filter.overdue === true) qb.andWhere("r.state = 'OPEN' AND r.due_at < :now", { now });
  if (filter.overdue === false) qb.andWhere("(r.state <> 'OPEN' OR r.due_at >= :now)", { now });
  if (page.after) {
    qb.andWhere('(r.due_at > :afterDue OR (r.due_at = :afterDue AND r.id > :afterId))', { afterDue: toDbTime(new Date(page.after.dueAt).toISOString()), afterId: page.after.id });
  }
  return qb.orderBy('r.due_at', 'ASC').addOrderBy('r.id', 'ASC').take(page.first).getMany();
}

/** One request by id, or null (a page's `after`). */
export function findRequest(ds: DataSource, id: number): Promise<SubjectRequest | null> {
  return ds.getRepository(SubjectRequest).findOne({ where: { id } });
}

/** Open requests past their due date (the metrics' gauge). */
export async function countOverdue(ds: DataSource, at: Date): Promise<number> {
  return ds.getRepository(SubjectRequest).count({ where: { state: 'OPEN', dueAt: LessThan(at) } });
}

/** An open request of the given kinds, or a RightsError saying why not. */
export async function openRequestOf(m: EntityManager | DataSource, id: number | null, raw: string, kinds?: readonly SubjectRequestKind[]): Promise<SubjectRequest> {
  const r = id === null ? null : await m.getRepository(SubjectRequest).findOne({ where: { id } });
  if (!r) throw new RightsError('UNKNOWN_REQUEST', `No subject request ${JSON.stringify(String(raw).slice(0, 32))}`, 'id');
  if (r.state !== 'OPEN') throw new RightsError('REQUEST_CLOSED', `Request ${r.id} is already ${r.state}`, 'id');
  if (kinds && !kinds.includes(r.kind)) throw new RightsError('WRONG_KIND', `Request ${r.id} is a ${r.kind} request, not ${kinds.join(' or ')}`, 'requestId');
  return r;
}

/**
 * Closes a request DONE or REFUSED. A refusal names a ground of the policy's §6(6), and only a
 * refusal does; an erasure is completed by requestErasure, which erases in the same transaction.
 */
export async function closeRequest(ds: DataSource, input: { id: number | null; rawId: string; outcome: 'DONE' | 'REFUSED'; refusalGround?: RefusalGround | null }, actor: Actor): Promise<SubjectRequest> {
  const ground = input.refusalGround ?? null;
  if (input.outcome === 'REFUSED' && ground === null) throw new RightsError('REFUSAL_GROUND_REQUIRED', `A refusal names its ground: one of ${REFUSAL_GROUNDS.join(', ')}`, 'refusalGround');
  if (input.outcome === 'DONE' && ground !== null) throw new RightsError('GROUND_WITHOUT_REFUSAL', 'A refusal ground goes only with outcome REFUSED', 'refusalGround');
  if (ground !== null && !REFUSAL_GROUNDS.includes(ground)) throw new RightsError('BAD_VALUE', `"${String(ground).slice(0, 32)}" is not a refusal ground`, 'refusalGround');
  return ds.transaction(async (m) => {
    const r = await openRequestOf(m, input.id, input.rawId);
    if (r.kind === 'ERASURE' && input.outcome === 'DONE') throw new RightsError('USE_REQUEST_ERASURE', `Request ${r.id} is completed by requestErasure, which erases the subject and notifies the recipients`, 'outcome');
    await finish(m, r, input.outcome, actor, ground);
    return r;
  });
}

/** Closes an open request in the caller's transaction (the status condition lets one of two concurrent closings win). */
export async function finish(m: EntityManager, r: SubjectRequest, outcome: 'DONE' | 'REFUSED', actor: Actor, ground: RefusalGround | null = null, detail: string | null = null): Promise<void> {
  const res = await m.getRepository(SubjectRequest).update({ id: r.id, state: 'OPEN' }, { state: outcome, closedAt: actor.at, refusalGround: ground });
  if (!res.affected) throw new RightsError('REQUEST_CLOSED', `Request ${r.id} was closed meanwhile`, 'id');
  Object.assign(r, { state: outcome, closedAt: actor.at, refusalGround: ground });
  await recordEvent(m, r.id, outcome, actor, detail ?? ground);
}

/**
 * Inside requestErasure's transaction: completes the subject's open ERASURE request, or opens and
 * completes one, so that every erasure is a tracked request. Asking again for a subject already
 * erased completes an open request if there is one, and otherwise adds none (null).
 */
export async function completeErasureRequest(m: EntityManager, userId: number, recipients: number, actor: Actor, alreadyErased = false): Promise<SubjectRequest | null> {
  const repo = m.getRepository(SubjectRequest);
  let r = await repo.findOne({ where: { userId, kind: 'ERASURE', state: 'OPEN' }, order: { id: 'ASC' } });
  if (!r && alreadyErased) return null;
  if (!r) {
    r = await repo.save(m.create(SubjectRequest, { userId, kind: 'ERASURE', state: 'OPEN', note: null, openedAt: actor.at, dueAt: dueAtFor(actor.at), closedAt: null, refusalGround: null, openedBy: actor.clientId }));
    await recordEvent(m, r.id, 'OPENED', actor);
  }
  await recordEvent(m, r.id, 'ERASED', actor, alreadyErased ? 'already erased' : `${recipients} recipient(s) notified`);
  await finish(m, r, 'DONE', actor);
  return r;
}

/** A request's history, oldest first. */
export async function historyOf(ds: DataSource, requestIds: readonly number[]): Promise<Map<number, SubjectRequestEvent[]>> {
  const out = new Map<number, SubjectRequestEvent[]>(requestIds.map((id) => [id, []]));
  if (!requestIds.length) return out;
  const rows = await ds.getRepository(SubjectRequestEvent).find({ where: { requestId: In([...requestIds]) }, order: { id: 'ASC' } });
  for (const e of rows) out.get(e.requestId)?.push(e);
  return out;
}
