import { AuditorOnly } from '../../enforcement/audience';
import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { parseAuditFilter } from '../../audit/filter';
import { disclosureReport, listAuditEvents, Recipient as RecipientRow } from '../../audit/review';
import { requirePurpose } from '../../enforcement/guards';
import { badInput } from '../../errors';
import { GatewayContext, rowId } from '../../request/context';
import { Connection, pageWindow, toConnection } from '../pagination';
import { AuditEventConnection, AuditFilter } from '../types/AuditEvent';
import { Recipient } from '../types/AuditReport';
import type { StoredAuditRecord } from '../../audit/record';

/** The review API of SPEC §6: only for auditors declaring `audit.review`. */
@Resolver()
export class AuditResolver {
  @AuditorOnly()
  @Query(() => AuditEventConnection, { description: 'Audit records, newest first.' })
  async auditEvents(
    @Ctx() ctx: GatewayContext,
    @Arg('filter', () => AuditFilter, { nullable: true }) filter?: AuditFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<Connection<StoredAuditRecord>> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    const q = parseAuditFilter(filter);
    const w = pageWindow({ first: first ?? 50, after }, 50);
    return toConnection(await listAuditEvents(ctx.audit, ctx.ds, q, w), w);
  }

  @AuditorOnly()
  @Query(() => [Recipient], { description: 'One row per client that received (ALLOW or MASK) any of the subject\'s data.' })
  async disclosureReport(@Arg('subjectId', () => ID) subjectId: string, @Ctx() ctx: GatewayContext): Promise<RecipientRow[]> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    const id = rowId(subjectId);
    if (id === null) throw badInput('"subjectId" must be a user id', { argument: 'subjectId' });
    return disclosureReport(ctx.audit, ctx.ds, id);
  }
}
