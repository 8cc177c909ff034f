import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { gatewayError } from '../errors';
import type { GatewayContext } from '../request/context';
import { applyMask, Category, CompiledPolicy, decideField, FieldDecision, retentionExpired, retentionFor, SubjectFacts } from '../policy';
import type { Disclosure } from './disclosure';
import { scopeSingleRow, SINGLE_ROW_FIELDS } from './row-scope';
import { SensitiveField, sensitiveFields } from './sensitive-fields';

/** A row that belongs to a data subject: a user itself, or a row with its owner's id. */
interface SubjectRow {
  id: number;
  userId?: number;
  provider?: string;
}

export interface EnforcementOptions {
  policy: CompiledPolicy;
  pseudonymSecret: string;
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown>)?.then === 'function';
}

/**
 * Wrap every single-row field in its scope check (row-scope.ts), and every `@sensitive` field,
 * and only those, in one synchronous policy decision:
 * denied fields resolve to null without touching their resolver; masked ones are masked
 * after it. Every decision is noted for the audit. Other fields keep their resolvers as
 * they are (no per-field Promise, no global middleware).
 */
export function enforceSchema(schema: GraphQLSchema, options: EnforcementOptions): GraphQLSchema {
  const fields = sensitiveFields(schema);
  const { policy, pseudonymSecret } = options;

  const wrap = (meta: SensitiveField, resolve: GraphQLFieldResolver<SubjectRow, GatewayContext>): GraphQLFieldResolver<SubjectRow, GatewayContext> => {
    const isUser = meta.typeName === 'User';
    const categoryOf = (row: SubjectRow): Category => (meta.cardCategory !== null && row.provider === 'BANK_CARD' ? meta.cardCategory : meta.category);
    // The field's retention period, looked up once: most fields have none and pay nothing per row.
    const retention = meta.cardCategory === null ? retentionFor(policy, meta.category, meta.typeName) : null;

    const release = (row: SubjectRow, args: Record<string, unknown>, ctx: GatewayContext, info: GraphQLResolveInfo, d: Disclosure, subjectId: number, facts: SubjectFacts): unknown => {
      const category = categoryOf(row);
      const expired = retention !== null && retentionExpired(retention, (row as unknown as Record<string, Date | null>)[retention.field], d.at);
      const decision: FieldDecision = decideField(policy, d.purpose, category, facts, expired);
      d.note(decision, category, meta.typeName, String(row.id), subjectId, facts.consentId, info);
      if (decision.decision === 'DENY') return null;
      const value = resolve(row, args, ctx, info);
      if (decision.decision === 'ALLOW') return value;
      const mask = decision.mask!;
      const maskCtx = { secret: pseudonymSecret, clientId: d.clientId };
      return isPromiseLike(value) ? Promise.resolve(value).then((v) => applyMask(mask, v, maskCtx)) : applyMask(mask, value, maskCtx);
    };

    return (row, args, ctx, info) => {
      const d = ctx.request.disclosure;
      // The purpose plugin refuses such operations before execution; this is the last line.
      if (!d) throw gatewayError('PURPOSE_REQUIRED', 'Declare a purpose to read personal fields');
      const subjectId = isUser ? row.id : row.userId!;
      const subject = ctx.loaders.subjects.peek(subjectId);
      if (subject) return release(row, args, ctx, info, d, subjectId, d.factsFor(subject));
      // Rare path: a row whose subject no loader has met yet.
      return ctx.loaders.subjects.ensure([subjectId]).then(() => {
        const loaded = ctx.loaders.subjects.peek(subjectId);
        const facts: SubjectFacts = loaded ? d.factsFor(loaded) : { erased: true, minor: true, consentId: null, consentByGuardian: false };
        return release(row, args, ctx, info, d, subjectId, facts);
      });
    };
  };

  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
      const single = SINGLE_ROW_FIELDS.get(`${typeName}.${fieldName}`);
      if (single) return { ...config, resolve: scopeSingleRow(single, (config.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<Record<string, unknown>, GatewayContext>) };
      const meta = fields.get(`${typeName}.${fieldName}`);
      if (!meta) return config;
      return { ...config, resolve: wrap(meta, (config.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<SubjectRow, GatewayContext>) };
    },
  });
}
