import type { GraphQLFieldResolver, GraphQLResolveInfo } from 'graphql';
import type { DeclaredPurpose } from '../callers/purpose';
import type { Caller } from '../callers/registry';
import { gatewayError } from '../errors';
import type { GatewayContext } from '../request/context';
import { rowId } from '../request/context';
import type { ScopedEntity } from '../loaders/scope-sql';
import { caseValidFor, CaseFacts, CompiledPolicy, isUnrestricted, registeredScopes, rowScope, RowScope } from '../policy';

/** Reads a registered legal case (null when none has that reference). */
export type CaseLookup = (caseRef: string) => Promise<CaseFacts | null>;

/**
 * The row scope of a request (SPEC §11). With a purpose: that purpose's scope, and for `case`
 * the declared case, which must be registered, open, unexpired and for that purpose, or the
 * whole operation is refused with CASE_UNKNOWN. Without one: any scope the client could declare.
 */
export async function requestScope(policy: CompiledPolicy, caller: Caller, declared: DeclaredPurpose | null, at: Date, cases: CaseLookup): Promise<RowScope> {
  if (!declared) return rowScope(registeredScopes(policy, caller.purposes), caller, null);
  const { scope } = declared;
  if (scope !== 'case') return rowScope([scope], caller, null);
  const found = declared.caseRef === null ? null : await cases(declared.caseRef);
  if (!caseValidFor(found, declared.purpose, at)) {
    // One message for every way a case can fail: a client learns nothing about cases it may not rely on.
    throw gatewayError('CASE_UNKNOWN', `Case reference "${declared.caseRef ?? ''}" is not a registered, open case for purpose "${declared.purpose}"`);
  }
  return rowScope([scope], caller, declared.caseRef);
}

/** A field that returns one row asked for by id: the row's entity and the id that was asked for. */
interface SingleRowField {
  readonly entity: ScopedEntity;
  readonly idOf: (parent: Record<string, unknown>, args: Record<string, unknown>) => unknown;
}

/** Every field that returns a single row by id (SPEC §11: out of scope, it is null with OUT_OF_SCOPE). */
export const SINGLE_ROW_FIELDS: ReadonlyMap<string, SingleRowField> = new Map<string, SingleRowField>([
  ['Query.user', { entity: 'User', idOf: (_p, a) => a.id }],
  ['Query.order', { entity: 'Order', idOf: (_p, a) => a.id }],
  ['Query.device', { entity: 'Device', idOf: (_p, a) => a.id }],
  ['Order.user', { entity: 'User', idOf: (p) => p.userId }],
  ['Order.paymentAccount', { entity: 'PaymentAccount', idOf: (p) => p.paymentAccountId }],
]);

/**
 * Wraps a single-row field: when the loader found nothing under a restricted scope, the row was
 * missing or out of scope, and both answer the same: null with one OUT_OF_SCOPE error, and one
 * audit record (field `*`, reason OUT_OF_SCOPE) when a purpose was declared. No id at all
 * (an order with no payment account) is simply null.
 */
export function scopeSingleRow(meta: SingleRowField, resolve: GraphQLFieldResolver<Record<string, unknown>, GatewayContext>): GraphQLFieldResolver<Record<string, unknown>, GatewayContext> {
  const refuse = (parent: Record<string, unknown>, args: Record<string, unknown>, ctx: GatewayContext, info: GraphQLResolveInfo): null => {
    const asked = meta.idOf(parent, args);
    if (asked == null) return null;
    const scope = ctx.loaders.scope();
    if (isUnrestricted(scope)) return null;
    const entityId = String(asked).slice(0, 64);
    const n = rowId(entityId);
    const subjectId = n === null ? undefined : ctx.loaders.hiddenSubject(meta.entity, n);
    ctx.request.disclosure?.noteOutOfScope(meta.entity, entityId, subjectId ?? null, info);
    throw gatewayError('OUT_OF_SCOPE', `No ${meta.entity} "${entityId}" in scope "${scope.label}"`, { scope: scope.label });
  };
  return (parent, args, ctx, info) => {
    const value = resolve(parent, args, ctx, info) as unknown;
    if (value !== null && typeof (value as PromiseLike<unknown>)?.then === 'function') {
      return (value as Promise<unknown>).then((row) => row ?? refuse(parent, args, ctx, info));
    }
    return value ?? refuse(parent, args, ctx, info);
  };
}
