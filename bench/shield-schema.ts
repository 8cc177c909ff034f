import { GraphQLError, GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { applyMiddleware, IMiddlewareFieldMap, IMiddlewareFunction } from 'graphql-middleware';
import { allow, rule, shield } from 'graphql-shield';
import type { IRule } from 'graphql-shield';
import type { Disclosure } from '../src/enforcement/disclosure';
import type { EnforcementOptions } from '../src/enforcement/enforce-schema';
import { scopeSingleRow, SINGLE_ROW_FIELDS } from '../src/enforcement/row-scope';
import { SensitiveField, sensitiveFields } from '../src/enforcement/sensitive-fields';
import { gatewayError } from '../src/errors';
import type { GatewayContext } from '../src/request/context';
import { applyMask, Category, CompiledPolicy, decideField, describeCell, FieldDecision, SubjectFacts } from '../src/policy';

/** A row that belongs to a data subject: a user itself, or a row with its owner's id (as src/enforcement/enforce-schema.ts). */
interface SubjectRow {
  id: number;
  userId?: number;
  provider?: string;
}

const FAIL_CLOSED: SubjectFacts = { erased: true, minor: true, consentId: null, consentByGuardian: false };

/** The subject's facts for this request, as the engine reads them: the loaders' subject cache, loaded on a miss. */
async function factsOf(row: SubjectRow, meta: SensitiveField, ctx: GatewayContext, d: Disclosure): Promise<{ subjectId: number; facts: SubjectFacts }> {
  const subjectId = meta.typeName === 'User' ? row.id : row.userId!;
  let subject = ctx.loaders.subjects.peek(subjectId);
  if (!subject) {
    await ctx.loaders.subjects.ensure([subjectId]);
    subject = ctx.loaders.subjects.peek(subjectId);
  }
  return { subjectId, facts: subject ? d.factsFor(subject) : FAIL_CLOSED };
}

const categoryOf = (meta: SensitiveField, row: SubjectRow): Category => (meta.cardCategory !== null && row.provider === 'BANK_CARD' ? meta.cardCategory : meta.category);

/**
 * Variant S, the peer: the same type-graphql schema and resolvers, with the policy's decisions
 * made the way graphql-shield 7 and graphql-middleware 6 are meant to be used.
 * - Permissions: one shield rule per `@sensitive` field, generated from the policy file (the
 *   category's cell for the declared purpose, then the subject's erasure, consent and guardian
 *   consent, exactly as `decideField`), `cache: 'no_cache'` (consent differs per subject, so a
 *   per-request cache would be wrong), every other field `allow` (shield still wraps it).
 *   A denial is what shield reports: the rule returns an error, which becomes the field's
 *   located `GraphQLError` (same message and extensions as the gateway's denial entry).
 * - Masks: a graphql-middleware field middleware on every field that some purpose masks.
 * - Row scope: the same loaders with the same scope (SPEC §11); single rows asked for by id
 *   keep the gateway's OUT_OF_SCOPE wrapper, as a middleware.
 * - Audit: every decision is noted in the request's `Disclosure`, committed by the same writer.
 */
export function shieldSchema(base: GraphQLSchema, { policy, pseudonymSecret }: EnforcementOptions): GraphQLSchema {
  const fields = sensitiveFields(base);
  const rules: Record<string, Record<string, IRule>> = {};
  const masks: Record<string, IMiddlewareFieldMap> = {};
  for (const meta of fields.values()) {
    (rules[meta.typeName] ??= {})[meta.fieldName] = policyRule(policy, meta);
    if (somePurposeMasks(policy, meta)) (masks[meta.typeName] ??= {})[meta.fieldName] = maskMiddleware(policy, pseudonymSecret, meta);
  }
  const scope: Record<string, IMiddlewareFieldMap> = {};
  for (const [key, single] of SINGLE_ROW_FIELDS) {
    const [typeName, fieldName] = key.split('.');
    const mw: IMiddlewareFunction = async (resolve, parent, args, ctx, info) =>
      scopeSingleRow(single, resolve as GraphQLFieldResolver<Record<string, unknown>, GatewayContext>)(parent, args, ctx, info);
    (scope[typeName] ??= {})[fieldName] = mw;
  }
  // allowExternalErrors: a resolver's own error (OUT_OF_SCOPE) stays what it is, as in the gateway.
  const permissions = shield(rules, { fallbackRule: allow, allowExternalErrors: true });
  return applyMiddleware(base, permissions, masks, scope);
}

function somePurposeMasks(policy: CompiledPolicy, meta: SensitiveField): boolean {
  const categories = meta.cardCategory === null ? [meta.category] : [meta.category, meta.cardCategory];
  return policy.purposes.some((p) => categories.some((c) => describeCell(policy, p, c).decision === 'MASK'));
}

/** The permission rule of one field: decide, note the decision for the audit, and report a denial as an error. */
function policyRule(policy: CompiledPolicy, meta: SensitiveField): IRule {
  return rule(`policy:${meta.typeName}.${meta.fieldName}`, { cache: 'no_cache' })(async (row: SubjectRow, _args, ctx: GatewayContext, info: GraphQLResolveInfo) => {
    const d = ctx.request.disclosure;
    if (!d) return gatewayError('PURPOSE_REQUIRED', 'Declare a purpose to read personal fields');
    const { subjectId, facts } = await factsOf(row, meta, ctx, d);
    const category = categoryOf(meta, row);
    const decision: FieldDecision = decideField(policy, d.purpose, category, facts);
    d.note(decision, category, meta.typeName, String(row.id), subjectId, facts.consentId, info);
    if (decision.decision !== 'DENY') return true;
    // Shield reports the denial itself (the field's error): the gateway's plain entry is not appended as well.
    const entry = d.denials.pop()!;
    return new GraphQLError(entry.message, { extensions: entry.extensions });
  });
}

/** The mask of one field, applied after its resolver when the decision (recomputed: a pure lookup) says MASK. */
function maskMiddleware(policy: CompiledPolicy, secret: string, meta: SensitiveField): IMiddlewareFunction {
  return async (resolve, row: SubjectRow, args, ctx: GatewayContext, info) => {
    const value = await resolve(row, args, ctx, info);
    const d = ctx.request.disclosure!;
    const { facts } = await factsOf(row, meta, ctx, d);
    const decision = decideField(policy, d.purpose, categoryOf(meta, row), facts);
    return decision.decision === 'MASK' ? applyMask(decision.mask!, value, { secret, clientId: d.clientId }) : value;
  };
}
