import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { ErasureNotice as NoticeRow } from '../../db/entities/ErasureNotice';
import { isReviewer } from '../../enforcement/guards';
import { badInput, gatewayError } from '../../errors';
import { log } from '../../log';
import { acknowledgeErasureNotice, ageDays, listErasureNotices } from '../../onboarding/erasure-notices';
import { GatewayContext, rowId, toIso } from '../../request/context';
import { ErasureNotice, ErasureNoticeStatus } from '../types/OnboardingNotice';

function toNotice(n: NoticeRow, today: Date): ErasureNotice {
  return { id: n.id, subjectId: n.userId, clientId: n.clientId, status: n.status, openedAt: toIso(n.openedAt) ?? '', acknowledgedAt: toIso(n.acknowledgedAt), ageDays: ageDays(n, today) };
}

/**
 * Erasure notices (SPEC §10): a recipient sees and acknowledges its own; an auditor declaring
 * audit.review sees every one. Each call is recorded in the operations log (ids only).
 */
@Resolver()
export class OnboardingNoticeResolver {
  @Query(() => [ErasureNotice], { description: 'Erasure notices, oldest first: a client sees its own; an auditor declaring audit.review sees all, or one client\'s with `clientId`. `subjectId` narrows to one erased subject (the console\'s Subject view).' })
  async erasureNotices(
    @Ctx() ctx: GatewayContext,
    @Arg('status', () => ErasureNoticeStatus, { nullable: true }) status?: keyof typeof ErasureNoticeStatus | null,
    @Arg('clientId', () => ID, { nullable: true }) clientId?: string | null,
    @Arg('subjectId', () => ID, { nullable: true, description: 'Only the notices about this erased subject.' }) subjectId?: string | null,
  ): Promise<ErasureNotice[]> {
    const reviewer = isReviewer(ctx);
    if (!reviewer && clientId != null && clientId !== ctx.caller.id) {
      throw gatewayError('FORBIDDEN', 'A client sees its own erasure notices; only an auditor declaring "audit.review" may name another client');
    }
    const subject = subjectId == null ? null : rowId(subjectId);
    if (subjectId != null && subject === null) throw badInput('"subjectId" must be a user id', { argument: 'subjectId' });
    const notices = await listErasureNotices(ctx.ds, { clientId: reviewer ? clientId : ctx.caller.id, status, subjectId: subject });
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'erasureNotices', reviewer, clientId: clientId ?? null, subjectId: subject, status: status ?? null, count: notices.length }, 'erasure notices');
    return notices.map((n) => toNotice(n, ctx.request.at));
  }

  @Mutation(() => ErasureNotice, { description: 'The recipient confirms it deleted the subject\'s data. Idempotent; only the notice\'s recipient may.' })
  async acknowledgeErasure(@Arg('noticeId', () => ID) noticeId: string, @Ctx() ctx: GatewayContext): Promise<ErasureNotice> {
    const id = rowId(noticeId);
    if (id === null) throw badInput('"noticeId" must be a notice id', { argument: 'noticeId' });
    const notice = await acknowledgeErasureNotice(ctx.ds, id, ctx.caller.id, ctx.request.id);
    // Another client's notice and a missing one look the same: no probing for who must delete what.
    if (!notice) throw gatewayError('FORBIDDEN', `Client "${ctx.caller.id}" has no erasure notice ${id}`);
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'acknowledgeErasure', noticeId: id, subjectId: notice.userId }, 'erasure notice acknowledged');
    return toNotice(notice, ctx.request.at);
  }
}
