import { AuditorOnly } from '../../enforcement/audience';
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Recipient as RecipientRow } from '../../audit/review';
import { listChains } from '../../audit/verify';
import { now } from '../../clock';
import { Client } from '../../db/entities';
import { requirePurpose } from '../../enforcement/guards';
import { badInput } from '../../errors';
import { CATEGORIES, CompiledPolicy, purposeCovers, PURPOSES, Scope, SCOPE_MEANING, SCOPES, scopeOf } from '../../policy';
import { clientActivity, decisionTotals, issueDownload, logReview, MAX_RANGE_MS, subjectState, VerificationJob } from '../../review';
import { GatewayContext, rowId, toIso } from '../../request/context';
import {
  AuditChainStatus, ChainVerification, ClientActivity, ClientDecisionTotals, ConsoleClient, ConsoleSession, PurposeScope, RecordsDownload, RecordsFormat, SubjectReview,
} from '../types/Console';
import { toConsent } from './ConsentResolver';
import { Recipient } from '../types/AuditReport';

/** The path of the streaming download route (src/http/records-download.ts). */
export const RECORDS_DOWNLOAD_PATH = '/console/records';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const ISO = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d))?$/;

function instant(value: string, arg: string): Date {
  const d = ISO.test(value) ? new Date(value) : null;
  if (!d || Number.isNaN(d.getTime())) throw badInput(`"${arg}" must be an ISO-8601 date or date-time with a zone`, { argument: arg });
  return d;
}

/** A review range [from, to): two instants in order, at most MAX_RANGE_MS apart. */
function range(from: string, to: string): { start: Date; end: Date } {
  const start = instant(from, 'from');
  const end = instant(to, 'to');
  if (start >= end) throw badInput('"from" must be before "to"', { argument: 'from' });
  if (end.getTime() - start.getTime() > MAX_RANGE_MS) throw badInput(`a range is at most ${MAX_RANGE_MS / 86_400_000} days`, { argument: 'to' });
  return { start, end };
}

function subjectIdOf(value: string): number {
  const id = rowId(value);
  if (id === null) throw badInput('"subjectId" must be a user id', { argument: 'subjectId' });
  return id;
}

/**
 * The relationship scope of each purpose a client is registered for (SPEC §11): one entry per
 * registered purpose and scope, since a parent (`legal`) covers children that could differ. A
 * registered purpose the policy no longer has gives no entry.
 */
export function purposeScopes(policy: CompiledPolicy, registered: readonly string[]): PurposeScope[] {
  const out: PurposeScope[] = [];
  for (const purpose of registered) {
    const byScope = new Map<Scope, string[]>();
    for (const p of policy.purposes) {
      if (!purposeCovers(policy, purpose, p)) continue;
      const scope = scopeOf(policy, p);
      byScope.set(scope, [...(byScope.get(scope) ?? []), p]);
    }
    for (const scope of SCOPES) {
      const declarable = byScope.get(scope);
      if (declarable) out.push({ purpose, scope, meaning: SCOPE_MEANING[scope], declarable });
    }
  }
  return out;
}

function toVerification(job: VerificationJob): ChainVerification {
  return {
    id: job.id, state: job.state, checked: job.checked, total: job.total, startedAt: job.startedAt, finishedAt: job.finishedAt,
    ok: job.ok, detail: job.detail,
    chains: job.chains.map((r) => ({
      chainId: r.chainId, length: r.length, ok: r.ok,
      firstBadRecordId: r.firstBad?.id ?? null, problem: r.firstBad?.problem ?? null, detail: r.firstBad?.detail ?? null,
    })),
  };
}

/**
 * What the review console (SPEC §9) asks beyond SPEC §6. Auditors declaring `audit.review` only
 * (anyone else: FORBIDDEN); every call is written to the operations log with the ids it concerns.
 */
@Resolver()
export class ConsoleResolver {
  @AuditorOnly()
  @Query(() => ConsoleSession, { description: 'Who is signed in, the gateway\'s clock and the policy vocabulary. Auditors only.' })
  consoleSession(@Ctx() ctx: GatewayContext): ConsoleSession {
    requirePurpose(ctx, 'audit.review', 'auditor');
    logReview(ctx, 'consoleSession');
    return { clientId: ctx.caller.id, displayName: ctx.caller.displayName, serverTime: now().toISOString(), purposes: [...PURPOSES], categories: [...CATEGORIES] };
  }

  @AuditorOnly()
  @Query(() => [ConsoleClient], { description: 'Every registered client (no key material), with the relationship scope of each purpose it is registered for. Auditors only.' })
  async consoleClients(@Ctx() ctx: GatewayContext): Promise<ConsoleClient[]> {
    const { policy } = requirePurpose(ctx, 'audit.review', 'auditor');
    logReview(ctx, 'consoleClients');
    const rows = await ctx.ds.getRepository(Client).find({ order: { id: 'ASC' } });
    return rows.map((c) => ({
      id: c.id, displayName: c.displayName, kind: c.kind, role: c.role, purposes: [...c.purposes], providers: [...(c.providers ?? [])],
      scopes: purposeScopes(policy, c.purposes), disabled: c.disabledAt != null,
    }));
  }

  @AuditorOnly()
  @Query(() => ClientActivity, { description: 'One client\'s decisions over [from, to): per hour or day, per category, top denial reasons, rows refused by scope. Auditors only.' })
  async clientActivity(
    @Arg('clientId', () => ID) clientId: string,
    @Arg('from') from: string,
    @Arg('to') to: string,
    @Ctx() ctx: GatewayContext,
  ): Promise<ClientActivity> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    if (!CLIENT_ID.test(clientId)) throw badInput('"clientId" must be a client id', { argument: 'clientId' });
    const { start, end } = range(from, to);
    logReview(ctx, 'clientActivity', { clientId, from: start.toISOString(), to: end.toISOString() });
    return clientActivity(ctx.audit, ctx.ds, clientId, start, end);
  }

  @AuditorOnly()
  @Query(() => [ClientDecisionTotals], {
    description: 'Every registered client\'s field decisions over [from, to), widened to whole hours, in one aggregation: the clients with any, the most decisions first (the Clients view opens on the first). Auditors only.',
  })
  async clientDecisionTotals(@Arg('from') from: string, @Arg('to') to: string, @Ctx() ctx: GatewayContext): Promise<ClientDecisionTotals[]> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    const { start, end } = range(from, to);
    logReview(ctx, 'clientDecisionTotals', { from: start.toISOString(), to: end.toISOString() });
    const clients = await ctx.ds.getRepository(Client).find({ select: { id: true }, order: { id: 'ASC' } });
    return decisionTotals(ctx.audit, ctx.ds, clients.map((c) => c.id), start, end);
  }

  @AuditorOnly()
  @Query(() => [AuditChainStatus], { description: 'Every audit chain: length, head hash, last verification. Auditors only.' })
  async auditChainStatus(@Ctx() ctx: GatewayContext): Promise<AuditChainStatus[]> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    logReview(ctx, 'auditChainStatus');
    return (await listChains(ctx.ds)).map((c) => ({
      chainId: c.chainId, startedAt: c.startedAt, length: c.headSeq, headHash: c.headHash,
      lastVerifiedAt: c.lastVerifiedAt, lastVerifiedOk: c.lastVerifiedOk, lastVerifiedDetail: c.lastVerifiedDetail,
    }));
  }

  @AuditorOnly()
  @Mutation(() => ChainVerification, { description: 'Verify every audit chain now (as `npm run audit:verify`), in the background; poll chainVerification. Auditors only.' })
  async startChainVerification(@Ctx() ctx: GatewayContext): Promise<ChainVerification> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    const job = await ctx.verifications.startShared(ctx.caller.id); // jobs are in the store: any replica answers the polls
    logReview(ctx, 'startChainVerification', { job: job.id });
    return toVerification(job);
  }

  @AuditorOnly()
  @Query(() => ChainVerification, { nullable: true, description: 'A verification\'s progress and result; null once forgotten. Auditors only.' })
  async chainVerification(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<ChainVerification | null> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    const job = await ctx.verifications.get(id);
    // Polled several times a second: only the outcome is worth a log line.
    if (job && job.state !== 'RUNNING') logReview(ctx, 'chainVerification', { job: job.id, state: job.state });
    return job ? toVerification(job) : null;
  }

  @AuditorOnly()
  @Query(() => SubjectReview, { description: 'A subject\'s erasure state and every consent, withdrawn ones included. Auditors only.' })
  async subjectReview(@Arg('subjectId', () => ID) subjectId: string, @Ctx() ctx: GatewayContext): Promise<SubjectReview> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    const id = subjectIdOf(subjectId);
    logReview(ctx, 'subjectReview', { subjectId: id });
    const s = await subjectState(ctx.ds, id);
    return { subjectId: id, exists: s.exists, erased: s.erasedAt != null, erasedAt: toIso(s.erasedAt), consents: s.consents.map(toConsent) };
  }

  @AuditorOnly()
  @Mutation(() => RecordsDownload, { description: 'A single-use link, valid for a minute, to a streaming download of the subject\'s audit records. Auditors only.' })
  async createRecordsDownload(
    @Arg('subjectId', () => ID) subjectId: string,
    @Arg('format', () => RecordsFormat) format: keyof typeof RecordsFormat,
    @Ctx() ctx: GatewayContext,
  ): Promise<RecordsDownload> {
    requirePurpose(ctx, 'audit.review', 'auditor');
    const id = subjectIdOf(subjectId);
    const { token, expiresAt } = await issueDownload(ctx.ds, { clientId: ctx.caller.id, subjectId: id, format: format === 'CSV' ? 'csv' : 'ndjson' });
    logReview(ctx, 'createRecordsDownload', { subjectId: id, format });
    return { url: `${RECORDS_DOWNLOAD_PATH}?token=${token}`, expiresAt, format };
  }
}

/** A recipient's scopes (SPEC §11: the disclosure report shows scopes too), wherever it is read: disclosureReport and requestErasure's receipt. */
@Resolver(() => Recipient)
export class RecipientResolver {
  @FieldResolver(() => [PurposeScope], { description: 'The relationship scope, under the policy now in force, of each purpose it received the subject\'s data for: about whom that purpose lets it see anything at all.' })
  scopes(@Root() r: RecipientRow, @Ctx() ctx: GatewayContext): PurposeScope[] {
    // Read under a declared purpose only (audit.review, account): its policy is the gateway's.
    const policy = ctx.request.disclosure?.policy;
    return policy ? purposeScopes(policy, r.purposes) : [];
  }
}
