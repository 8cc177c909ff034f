import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { IsNull } from 'typeorm';
import { now } from '../../clock';
import { Client, Consent as ConsentRow, User } from '../../db/entities';
import { ForPurpose } from '../../enforcement/audience';
import { requirePurpose } from '../../enforcement/guards';
import { badInput } from '../../errors';
import { isConsentBased, resolvePurpose } from '../../policy';
import { GatewayContext, rowId, toIso } from '../../request/context';
import { Consent, GrantConsentInput, WithdrawConsentInput } from '../types/Consent';

export function toConsent(c: ConsentRow): Consent {
  return {
    id: c.id, userId: c.userId, purpose: c.purpose, clientId: c.clientId, byGuardian: !!c.byGuardian,
    grantedAt: toIso(c.grantedAt) ?? '', withdrawnAt: toIso(c.withdrawnAt), active: c.withdrawnAt == null,
  };
}

/** Consent management, for clients declaring `account` (SPEC §7). */
@Resolver()
export class ConsentResolver {
  @ForPurpose('account')
  @Query(() => [Consent])
  async consents(@Arg('userId', () => ID) userId: string, @Ctx() ctx: GatewayContext): Promise<Consent[]> {
    requirePurpose(ctx, 'account');
    const id = rowId(userId);
    if (id === null) return [];
    return (await ctx.ds.getRepository(ConsentRow).find({ where: { userId: id }, order: { id: 'ASC' } })).map(toConsent);
  }

  @ForPurpose('account')
  @Mutation(() => Consent)
  async grantConsent(@Arg('input') input: GrantConsentInput, @Ctx() ctx: GatewayContext): Promise<Consent> {
    requirePurpose(ctx, 'account');
    const { userId, purpose, clientId } = await this.check(ctx, input);
    const repo = ctx.ds.getRepository(ConsentRow);
    const active = await repo.findOne({ where: { userId, purpose, clientId: clientId ?? IsNull(), byGuardian: input.byGuardian, withdrawnAt: IsNull() } });
    if (active) return toConsent(active);
    const row = await repo.save(repo.create({ userId, purpose, clientId, byGuardian: input.byGuardian, grantedAt: now(), withdrawnAt: null }));
    return toConsent(row);
  }

  @ForPurpose('account')
  @Mutation(() => Consent)
  async withdrawConsent(@Arg('input') input: WithdrawConsentInput, @Ctx() ctx: GatewayContext): Promise<Consent> {
    requirePurpose(ctx, 'account');
    const { userId, purpose, clientId } = await this.check(ctx, input);
    const repo = ctx.ds.getRepository(ConsentRow);
    const active = await repo.find({ where: { userId, purpose, clientId: clientId ?? IsNull(), withdrawnAt: IsNull() }, order: { id: 'ASC' } });
    if (!active.length) throw badInput(`User ${userId} holds no active consent for "${purpose}"${clientId ? ` to ${clientId}` : ''}`);
    const at = now();
    for (const c of active) c.withdrawnAt = at;
    await repo.save(active);
    return toConsent(active[active.length - 1]);
  }

  private async check(ctx: GatewayContext, input: { userId: string; purpose: string; clientId?: string | null }) {
    const userId = rowId(input.userId);
    const user = userId === null ? null : await ctx.ds.getRepository(User).findOne({ where: { id: userId } });
    if (!user) throw badInput(`No user ${JSON.stringify(String(input.userId).slice(0, 32))}`, { argument: 'userId' });
    if (user.erasedAt) throw badInput(`User ${user.id} is erased`, { argument: 'userId' });
    const { policy } = requirePurpose(ctx, 'account');
    const resolved = resolvePurpose(policy, input.purpose);
    if (!resolved.ok || !isConsentBased(policy, resolved.purpose)) {
      throw badInput(`"${input.purpose.slice(0, 64)}" is not a purpose that rests on consent`, { argument: 'purpose' });
    }
    const clientId = input.clientId ?? null;
    if (clientId !== null && !(await ctx.ds.getRepository(Client).exists({ where: { id: clientId } }))) {
      throw badInput(`No client "${clientId.slice(0, 64)}"`, { argument: 'clientId' });
    }
    return { userId: user.id, purpose: resolved.purpose as string, clientId };
  }
}
