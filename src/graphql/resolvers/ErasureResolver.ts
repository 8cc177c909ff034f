import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { ErasureReceipt as Receipt, markErased } from '../../audit/erasure';
import { User } from '../../db/entities';
import { ForPurpose } from '../../enforcement/audience';
import { requirePurpose } from '../../enforcement/guards';
import { badInput } from '../../errors';
import { eraseWithNotices } from '../../onboarding/erasure-notices';
import { completeErasureRequest } from '../../rights/requests';
import { GatewayContext, rowId } from '../../request/context';
import { ErasureReceipt } from '../types/AuditReport';

/** The erasure half of SPEC §7, for clients declaring `account`. */
@Resolver()
export class ErasureResolver {
  @ForPurpose('account')
  @Mutation(() => ErasureReceipt, { description: 'Mark the subject erased (idempotent) and list the clients that received their data; completes the subject\'s open ERASURE request, or opens and completes one, in the same transaction.' })
  async requestErasure(@Arg('userId', () => ID) userId: string, @Ctx() ctx: GatewayContext): Promise<Receipt> {
    requirePurpose(ctx, 'account');
    const id = rowId(userId);
    // One transaction: the erasure mark, a notice for each recipient (SPEC §10) and the ERASURE request done (SPEC §7).
    const receipt = id === null ? null : await eraseWithNotices(ctx.audit, ctx.ds, async (store) => {
      const before = await store.getRepository(User).findOne({ where: { id }, select: { id: true, erasedAt: true } });
      const r = await markErased(store, id);
      // eraseWithNotices hands the transaction's manager as the store.
      if (r) await completeErasureRequest(store as unknown as EntityManager, r.userId, r.recipients.length, { clientId: ctx.caller.id, at: ctx.request.at, requestId: ctx.request.id }, before?.erasedAt != null);
      return r;
    });
    if (!receipt) throw badInput(`No user ${JSON.stringify(String(userId).slice(0, 32))}`, { argument: 'userId' });
    return receipt;
  }
}
