import { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, ID, Info, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { CorrectionNotice as NoticeRow } from '../../db/entities/CorrectionNotice';
import type { SubjectRequest as RequestRow } from '../../db/entities/SubjectRequest';
import { ForPurpose } from '../../enforcement/audience';
import { isReviewer, requirePurpose } from '../../enforcement/guards';
import { sensitiveFields } from '../../enforcement/sensitive-fields';
import { asBadInput, badInput, gatewayError } from '../../errors';
import { log } from '../../log';
import { acknowledgeCorrectionNotice, CorrectableField, correctSubject, listCorrectionNotices } from '../../rights/corrections';
import { Actor, closeRequest, findRequest, historyOf, isOverdue, listRequests, MAX_REQUESTS_PAGE, openRequest } from '../../rights/requests';
import { GatewayContext, rowId, toIso } from '../../request/context';
import {
  CloseSubjectRequestInput, CorrectionNotice, CorrectionNoticeStatus, CorrectSubjectInput, OpenSubjectRequestInput, SubjectRequest, SubjectRequestFilter,
} from '../types/SubjectRequest';

/** Requests as the API shows them, with their history (one query for all). */
async function toRequests(ctx: GatewayContext, rows: RequestRow[]): Promise<SubjectRequest[]> {
  const history = await historyOf(ctx.ds, rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id, userId: r.userId, kind: r.kind, state: r.state, note: r.note, openedAt: toIso(r.openedAt) ?? '', dueAt: toIso(r.dueAt) ?? '',
    closedAt: toIso(r.closedAt), outcome: r.state === 'OPEN' ? null : r.state, refusalGround: r.refusalGround, overdue: isOverdue(r, ctx.request.at), openedBy: r.openedBy,
    history: (history.get(r.id) ?? []).map((e) => ({ at: toIso(e.at) ?? '', action: e.action, clientId: e.clientId, detail: e.detail })),
  }));
}

function toNotice(n: NoticeRow): CorrectionNotice {
  return { id: n.id, subjectId: n.userId, clientId: n.clientId, requestId: n.requestId, categories: [...n.categories], status: n.status, openedAt: toIso(n.openedAt) ?? '', acknowledgedAt: toIso(n.acknowledgedAt) };
}

const actor = (ctx: GatewayContext): Actor => ({ clientId: ctx.caller.id, at: ctx.request.at, requestId: ctx.request.id });

/**
 * Data-subject requests (SPEC §7, the privacy policy's §6): opened, worked and closed by clients
 * declaring `account`, due in 30 days; the queue is also open to auditors under `audit.review`
 * (the console's Requests view). Correction notices go to the clients that received what changed.
 */
@Resolver()
export class SubjectRequestResolver {
  @ForPurpose('account')
  @Mutation(() => SubjectRequest, { description: 'Open a data-subject request; it is due 30 days later.' })
  async openSubjectRequest(@Arg('input') input: OpenSubjectRequestInput, @Ctx() ctx: GatewayContext): Promise<SubjectRequest> {
    requirePurpose(ctx, 'account');
    const row = await asBadInput(() => openRequest(ctx.ds, { userId: rowId(input.userId), rawUserId: input.userId, kind: input.kind, note: input.note }, actor(ctx)));
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'openSubjectRequest', subjectRequest: row.id, userId: row.userId, kind: row.kind }, 'subject request opened');
    return (await toRequests(ctx, [row]))[0];
  }

  @ForPurpose('account', { orAuditor: true })
  @Query(() => [SubjectRequest], {
    description: `Requests, the oldest due first (then by id), at most \`first\` (${MAX_REQUESTS_PAGE}, the most) a call: the next page starts \`after\` the id of the last one listed. For \`account\`, and for auditors under \`audit.review\`.`,
  })
  async subjectRequests(
    @Ctx() ctx: GatewayContext,
    @Arg('filter', () => SubjectRequestFilter, { nullable: true }) filter?: SubjectRequestFilter | null,
    @Arg('first', () => Int, { nullable: true, description: `How many to list, 1 to ${MAX_REQUESTS_PAGE} (default ${MAX_REQUESTS_PAGE}).` }) first?: number | null,
    @Arg('after', () => ID, { nullable: true, description: 'List the requests that come after this one (the last id of the previous page), in the same order and filter.' }) after?: string | null,
  ): Promise<SubjectRequest[]> {
    if (!isReviewer(ctx)) requirePurpose(ctx, 'account');
    const userId = filter?.userId == null ? null : rowId(filter.userId);
    if (filter?.userId != null && userId === null) throw badInput('"userId" must be a user id', { argument: 'userId' });
    if (first != null && (first < 1 || first > MAX_REQUESTS_PAGE)) throw badInput(`"first" must be between 1 and ${MAX_REQUESTS_PAGE}`, { argument: 'first' });
    let from: RequestRow | null = null;
    if (after != null) {
      const id = rowId(after);
      from = id === null ? null : await findRequest(ctx.ds, id);
      if (!from) throw badInput('"after" must be the id of a subject request', { argument: 'after' });
    }
    const page = { first: first ?? MAX_REQUESTS_PAGE, after: from };
    return toRequests(ctx, await listRequests(ctx.ds, { userId, kind: filter?.kind, state: filter?.state, overdue: filter?.overdue }, ctx.request.at, page));
  }

  @ForPurpose('account')
  @Mutation(() => SubjectRequest, { description: 'Close a request DONE, or REFUSED on a ground of the privacy policy\'s §6(6). An ERASURE request is completed by requestErasure.' })
  async closeSubjectRequest(@Arg('input') input: CloseSubjectRequestInput, @Ctx() ctx: GatewayContext): Promise<SubjectRequest> {
    requirePurpose(ctx, 'account');
    const row = await asBadInput(() => closeRequest(ctx.ds, { id: rowId(input.id), rawId: input.id, outcome: input.outcome, refusalGround: input.refusalGround }, actor(ctx)));
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'closeSubjectRequest', subjectRequest: row.id, outcome: row.state, ground: row.refusalGround }, 'subject request closed');
    return (await toRequests(ctx, [row]))[0];
  }

  @ForPurpose('account')
  @Mutation(() => SubjectRequest, { description: 'Correct a subject\'s profile under their open CORRECTION request (closed DONE); every client that received a changed category gets a correction notice.' })
  async correctSubject(@Arg('input') input: CorrectSubjectInput, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo): Promise<SubjectRequest> {
    requirePurpose(ctx, 'account');
    const fields = sensitiveFields(info.schema);
    const categoryOf = (f: CorrectableField) => fields.get(`User.${f}`)?.category ?? 'profile.basic';
    const { nickname, signature, gender, realName, phone, city } = input;
    const { request, notices } = await asBadInput(() => correctSubject(ctx.audit, ctx.ds, {
      userId: rowId(input.userId), rawUserId: input.userId, requestId: rowId(input.requestId), rawRequestId: input.requestId,
      changes: { nickname, signature, gender, realName, phone, city },
    }, categoryOf, actor(ctx)));
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'correctSubject', subjectRequest: request.id, userId: request.userId, notices: notices.map((n) => n.clientId) }, 'subject corrected');
    return (await toRequests(ctx, [request]))[0];
  }

  @Query(() => [CorrectionNotice], { description: 'Correction notices, oldest first: a client sees its own; an auditor declaring audit.review sees all, or one client\'s or subject\'s.' })
  async correctionNotices(
    @Ctx() ctx: GatewayContext,
    @Arg('status', () => CorrectionNoticeStatus, { nullable: true }) status?: keyof typeof CorrectionNoticeStatus | null,
    @Arg('clientId', () => ID, { nullable: true }) clientId?: string | null,
    @Arg('subjectId', () => ID, { nullable: true }) subjectId?: string | null,
  ): Promise<CorrectionNotice[]> {
    const reviewer = isReviewer(ctx);
    if (!reviewer && clientId != null && clientId !== ctx.caller.id) {
      throw gatewayError('FORBIDDEN', 'A client sees its own correction notices; only an auditor declaring "audit.review" may name another client');
    }
    const subject = subjectId == null ? null : rowId(subjectId);
    if (subjectId != null && subject === null) throw badInput('"subjectId" must be a user id', { argument: 'subjectId' });
    const notices = await listCorrectionNotices(ctx.ds, { clientId: reviewer ? clientId : ctx.caller.id, status, subjectId: subject });
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'correctionNotices', reviewer, count: notices.length }, 'correction notices');
    return notices.map(toNotice);
  }

  @Mutation(() => CorrectionNotice, { description: 'The recipient confirms it corrected its copy. Idempotent; only the notice\'s recipient may.' })
  async acknowledgeCorrection(@Arg('noticeId', () => ID) noticeId: string, @Ctx() ctx: GatewayContext): Promise<CorrectionNotice> {
    const id = rowId(noticeId);
    if (id === null) throw badInput('"noticeId" must be a notice id', { argument: 'noticeId' });
    const notice = await acknowledgeCorrectionNotice(ctx.ds, id, ctx.caller.id, ctx.request.id, ctx.request.at);
    // Another client's notice and a missing one look the same.
    if (!notice) throw gatewayError('FORBIDDEN', `Client "${ctx.caller.id}" has no correction notice ${id}`);
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'acknowledgeCorrection', noticeId: id, subjectId: notice.userId }, 'correction notice acknowledged');
    return toNotice(notice);
  }
}
