import { Relationship, relationshipsOf, RowScope } from '../policy/scope';

/** The rows a scope applies to, and the SQL that finds each relationship of one (SPEC §11). */
export type ScopedEntity = 'User' | 'Order' | 'PaymentAccount' | 'Device';

/** A WHERE fragment with named parameters (TypeORM's `:name` / `:...list`), or none when every row is in scope. */
export interface ScopeFilter {
  readonly sql: string;
  readonly params: Record<string, unknown>;
}

// Parameter names are prefixed so that they never collide with a loader's own.
const PARAMS = (scope: RowScope) => ({ scopeClient: scope.clientId, scopeProviders: scope.providers.length ? [...scope.providers] : [''], scopeCase: scope.caseRef ?? '' });

/** The relationship of a user (by the id expression `user`) with the client. */
function userRelationship(r: Relationship, user: string): string {
  switch (r) {
    case 'channel': return `EXISTS (SELECT 1 FROM orders sc_o WHERE sc_o.user_id = ${user} AND sc_o.channel = :scopeClient)`;
    case 'provider': return `EXISTS (SELECT 1 FROM payment_accounts sc_p WHERE sc_p.user_id = ${user} AND sc_p.provider IN (:...scopeProviders))`;
    case 'authorization': return `EXISTS (SELECT 1 FROM app_authorizations sc_a WHERE sc_a.user_id = ${user} AND sc_a.client_id = :scopeClient AND sc_a.revoked_at IS NULL)`;
    case 'case': return `EXISTS (SELECT 1 FROM legal_case_subjects sc_c WHERE sc_c.user_id = ${user} AND sc_c.case_ref = :scopeCase)`;
  }
}

/**
 * The SQL for one relationship of a row of `entity` under `alias` (the fact that src/policy/scope.ts
 * names: see RelationshipFacts). Orders and payment accounts have row-level relationships
 * (channel, provider); everything else is the relationship of the row's subject.
 */
export function relationshipSql(entity: ScopedEntity, alias: string, r: Relationship): string {
  if (entity === 'User') return userRelationship(r, `${alias}.id`);
  if (entity === 'Order') {
    if (r === 'channel') return `${alias}.channel = :scopeClient`;
    if (r === 'provider') return `EXISTS (SELECT 1 FROM payment_accounts sc_p WHERE sc_p.id = ${alias}.payment_account_id AND sc_p.provider IN (:...scopeProviders))`;
  }
  if (entity === 'PaymentAccount') {
    if (r === 'channel') return `EXISTS (SELECT 1 FROM orders sc_o WHERE sc_o.payment_account_id = ${alias}.id AND sc_o.channel = :scopeClient)`;
    if (r === 'provider') return `${alias}.provider IN (:...scopeProviders)`;
  }
  return userRelationship(r, `${alias}.user_id`);
}

/**
 * The rows of `entity` in the request's scope, as a WHERE fragment: any of the request's
 * relationships (SPEC §11), `1 = 0` when none can hold, null when every row is in scope.
 */
export function scopeFilter(scope: RowScope, entity: ScopedEntity, alias: string): ScopeFilter | null {
  if (scope.scopes.includes('all')) return null;
  const relationships = relationshipsOf(scope);
  if (!relationships.length) return { sql: '1 = 0', params: {} };
  const sql = relationships.map((r) => relationshipSql(entity, alias, r)).join(' OR ');
  return { sql: relationships.length > 1 ? `(${sql})` : sql, params: PARAMS(scope) };
}

/** The selected columns of each relationship, for a by-id lookup that decides in src/policy (decideScope). */
export function relationshipColumns(scope: RowScope, entity: ScopedEntity, alias: string): { columns: { relationship: Relationship; sql: string; name: string }[]; params: Record<string, unknown> } {
  const columns = relationshipsOf(scope).map((relationship) => ({ relationship, sql: `CASE WHEN ${relationshipSql(entity, alias, relationship)} THEN 1 ELSE 0 END`, name: `scope_${relationship}` }));
  return { columns, params: columns.length ? PARAMS(scope) : {} };
}
