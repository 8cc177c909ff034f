import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { ErasureReceipt as Receipt, markErased } from '../../audit/erasure';
import { requirePurpose } from '../../enforcement/guards';
import { badInput } from '../../errors';
import { eraseWithNotices } from '../../onboarding/erasure-notices';
import { GatewayContext, rowId } from '../context';
import { ErasureReceipt } from '../types/AuditReport';

/** The erasure half of SPEC §7, for clients declaring `account`. */
@Resolver()
export class ErasureResolver {
  @Mutation(() => ErasureReceipt, { description: 'Mark the subject erased (idempotent) and list the clients that received their data.' })
  async requestErasure(@Arg('userId', () => ID) userId: string, @Ctx() ctx: GatewayContext): Promise<Receipt> {
    requirePurpose(ctx, 'account');
    const id = rowId(userId);
    // One transaction: the erasure mark and a notice for each recipient (SPEC §10).
    const receipt = id === null ? null : await eraseWithNotices(ctx.ds, (store) => markErased(store, id));
    if (!receipt) throw badInput(`No user ${JSON.stringify(String(userId).slice(0, 32))}`, { argument: 'userId' });
    return receipt;
  }
}
