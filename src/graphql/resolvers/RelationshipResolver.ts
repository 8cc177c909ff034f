import { AuditorOnly, ForPurpose } from '../../enforcement/audience';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { AppAuthorization as AuthorizationRow } from '../../db/entities/AppAuthorization';
import { requirePurpose } from '../../enforcement/guards';
import { asBadInput } from '../../errors';
import { log } from '../../log';
import { appAuthorizations, authorizeApp, revokeApp } from '../../relationships/authorizations';
import { CaseView, closeCase, listCases, registerCase } from '../../relationships/cases';
import { GatewayContext, rowId, toIso } from '../../request/context';
import { AppAuthorization, AppAuthorizationInput, LegalCase, RegisterCaseInput } from '../types/Relationship';

function toAuthorization(a: AuthorizationRow): AppAuthorization {
  return { id: a.id, userId: a.userId, clientId: a.clientId, authorizedAt: toIso(a.authorizedAt) ?? '', revokedAt: toIso(a.revokedAt), active: a.revokedAt == null };
}

function toCase(c: CaseView): LegalCase {
  return { ...c, purposes: [...c.purposes], subjectIds: [...c.subjectIds], expiresAt: toIso(c.expiresAt) ?? '', openedAt: toIso(c.openedAt) ?? '', closedAt: toIso(c.closedAt) };
}

/**
 * The relationship facts of SPEC §11 that the gateway records itself: app authorisations (for
 * `account`, like consents) and legal cases (for auditors under `audit.review`). Each change is
 * kept with its history and logged with ids only.
 */
@Resolver()
export class RelationshipResolver {
  @ForPurpose('account')
  @Mutation(() => AppAuthorization, { description: 'The user authorises a third-party app to see them. Idempotent.' })
  async authorizeApp(@Arg('input') input: AppAuthorizationInput, @Ctx() ctx: GatewayContext): Promise<AppAuthorization> {
    const d = requirePurpose(ctx, 'account');
    const row = await asBadInput(() => authorizeApp(ctx.ds, d.policy, rowId(input.userId), input.userId, input.clientId, { requestId: ctx.request.id, at: ctx.request.at }));
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'authorizeApp', userId: row.userId, app: row.clientId, authorizationId: row.id }, 'app authorised');
    return toAuthorization(row);
  }

  @ForPurpose('account')
  @Mutation(() => AppAuthorization, { description: 'The user revokes an app: from the next request on it sees nothing of them.' })
  async revokeApp(@Arg('input') input: AppAuthorizationInput, @Ctx() ctx: GatewayContext): Promise<AppAuthorization> {
    requirePurpose(ctx, 'account');
    const row = await asBadInput(() => revokeApp(ctx.ds, rowId(input.userId), input.userId, input.clientId, { requestId: ctx.request.id, at: ctx.request.at }));
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'revokeApp', userId: row.userId, app: row.clientId, authorizationId: row.id }, 'app revoked');
    return toAuthorization(row);
  }

  @ForPurpose('account')
  @Query(() => [AppAuthorization], { description: "A user's app authorisations, active and revoked, oldest first." })
  async appAuthorizations(@Arg('userId', () => ID) userId: string, @Ctx() ctx: GatewayContext): Promise<AppAuthorization[]> {
    requirePurpose(ctx, 'account');
    return (await appAuthorizations(ctx.ds, rowId(userId))).map(toAuthorization);
  }

  @AuditorOnly()
  @Mutation(() => LegalCase, { description: 'Register a legal case: its purposes may then be declared with its reference, about its subjects only, until it expires.' })
  async registerCase(@Arg('input') input: RegisterCaseInput, @Ctx() ctx: GatewayContext): Promise<LegalCase> {
    const d = requirePurpose(ctx, 'audit.review', 'auditor');
    const c = await asBadInput(() => registerCase(ctx.ds, d.policy, input, ctx.caller.id, ctx.request.at));
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'registerCase', caseRef: c.caseRef, purposes: c.purposes, subjects: c.subjectIds.length }, 'legal case registered');
    return toCase(c);
  }

  @AuditorOnly()
  @Mutation(() => LegalCase, { description: 'Close a legal case: from the next request on, citing it is refused with CASE_UNKNOWN. Idempotent.' })
  async closeCase(@Arg('caseRef') caseRef: string, @Ctx() ctx: GatewayContext): Promise<LegalCase> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    const c = await asBadInput(() => closeCase(ctx.ds, caseRef, ctx.request.at));
    log.info({ requestId: ctx.request.id, client: ctx.caller.id, action: 'closeCase', caseRef: c.caseRef }, 'legal case closed');
    return toCase(c);
  }

  @AuditorOnly()
  @Query(() => [LegalCase], { description: 'Legal cases, newest first; `open: true` only those that can be cited now, `false` only closed or expired ones.' })
  async legalCases(@Ctx() ctx: GatewayContext, @Arg('open', () => Boolean, { nullable: true }) open?: boolean | null): Promise<LegalCase[]> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    return (await listCases(ctx.ds, ctx.request.at, open)).map(toCase);
  }
}
