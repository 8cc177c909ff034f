/**
 * Relationship scope (SPEC §11): about which subjects, and from which rows, a purpose releases
 * anything at all. The table of §4 says *what* a purpose releases; the scope says *about whom*.
 * Pure: the store computes the relationship facts of a row (in SQL, src/loaders/scope-sql.ts),
 * this module decides.
 */

/** The scopes a purpose can have in the policy file. */
export const SCOPES = ['all', 'orders', 'provider', 'authorized', 'case'] as const;
export type Scope = (typeof SCOPES)[number];

/** What puts a row in scope, one relationship per scope but `all`. */
export type Relationship = 'channel' | 'provider' | 'authorization' | 'case';

/** The relationship each scope checks (`all` checks none). */
export const SCOPE_RELATIONSHIP: Readonly<Record<Exclude<Scope, 'all'>, Relationship>> = Object.freeze({
  orders: 'channel',
  provider: 'provider',
  authorized: 'authorization',
  case: 'case',
});

/** What each scope means, in the words the README, `/schema.graphql` and `policy:diff` show. */
export const SCOPE_MEANING: Readonly<Record<Scope, string>> = Object.freeze({
  all: 'every subject and row',
  orders: 'orders placed through the client (order channel), and the users who placed them',
  provider: "payment accounts of the client's registered providers, the orders paid with them, and their owners",
  authorized: 'users who authorised the app and have not revoked it',
  case: 'subjects named in the declared legal case, for that purpose, until it expires or is closed',
});

export function isScope(name: string): name is Scope {
  return (SCOPES as readonly string[]).includes(name);
}

/**
 * The relationships of one row with the calling client, as the store found them. A fact that
 * was not computed is absent, and an absent fact never puts a row in scope (fail closed).
 * - `channel`: the order was placed through the client; for a user, one of their orders was;
 *   for a payment account, it paid such an order; for a device, its owner placed such an order.
 * - `provider`: the payment account's provider is one the client is registered for; an order
 *   was paid with such an account; a user or device owner holds one.
 * - `authorization`: the row's subject has authorised the client (app) and not revoked it.
 * - `case`: the row's subject is named in the request's registered legal case.
 */
export type RelationshipFacts = Readonly<Partial<Record<Relationship, boolean>>>;

/**
 * The row scope of one request: the scopes any of which puts a row in scope, and the client's
 * registration the relationships are read against. One scope when a purpose is declared; without
 * a purpose, the scopes of every purpose the client may declare (an operation without a purpose
 * sees no categorised field, and never a row it could not see by declaring one).
 */
export interface RowScope {
  /** Distinct; `all` alone when unrestricted; empty when nothing is in scope. */
  readonly scopes: readonly Scope[];
  /** The name clients see in OUT_OF_SCOPE errors (`provider`, or `orders|provider` without a purpose). */
  readonly label: string;
  readonly clientId: string;
  /** Payment providers the client is registered for (`provider` scope). */
  readonly providers: readonly string[];
  /** The registered, open case of the request (`case` scope); null when none was declared. */
  readonly caseRef: string | null;
}

/** True when no relationship needs checking: every row is in scope. */
export function isUnrestricted(scope: RowScope): boolean {
  return scope.scopes.includes('all');
}

/** The relationships the store must compute for this request's rows, in a fixed order. */
export function relationshipsOf(scope: RowScope): readonly Relationship[] {
  if (isUnrestricted(scope)) return [];
  const out: Relationship[] = [];
  for (const s of scope.scopes) {
    if (s === 'all') continue;
    // A case scope with no declared case can put nothing in scope.
    if (s === 'case' && scope.caseRef === null) continue;
    const r = SCOPE_RELATIONSHIP[s];
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** Decides one row: in scope when the scope is `all`, or when the row has the relationship of one of the request's scopes. */
export function decideScope(scope: RowScope, facts: RelationshipFacts): boolean {
  if (isUnrestricted(scope)) return true;
  for (const r of relationshipsOf(scope)) if (facts[r] === true) return true;
  return false;
}

/** Builds a request's row scope from the scopes of its purposes (deduplicated; `all` absorbs the rest). */
export function rowScope(scopes: Iterable<Scope>, client: { readonly id: string; readonly providers: readonly string[] }, caseRef: string | null): RowScope {
  const distinct = [...new Set(scopes)];
  const effective: Scope[] = distinct.includes('all') ? ['all'] : distinct.sort((a, b) => SCOPES.indexOf(a) - SCOPES.indexOf(b));
  return Object.freeze({
    scopes: Object.freeze(effective),
    label: effective.length ? effective.join('|') : 'none',
    clientId: client.id,
    providers: Object.freeze([...client.providers]),
    caseRef,
  });
}

/** Every row in scope: the request path with enforcement off (benchmark variant B only). */
export const UNRESTRICTED: RowScope = rowScope(['all'], { id: '', providers: [] }, null);

/** No row in scope: what a request whose scope was never decided sees (fail closed). */
export const NO_ROWS: RowScope = rowScope([], { id: '', providers: [] }, null);

/**
 * Whether a scope change discloses about more subjects (`widens`), fewer (`narrows`), or other
 * ones (`widens`, since some subjects become visible that were not: a widening needs notice).
 */
export function compareScopes(from: Scope, to: Scope): 'same' | 'widens' | 'narrows' {
  if (from === to) return 'same';
  if (to === 'all') return 'widens';
  if (from === 'all') return 'narrows';
  return 'widens';
}

/** A case reference: what X-Case-Ref and @purpose(caseRef:) accept (SPEC §2), and what a case is registered under. */
export const CASE_REF = /^[A-Za-z0-9][A-Za-z0-9._:\/-]{0,63}$/;

/** A legal case as the scope needs it: valid for a request only while open, unexpired and for its purpose. */
export interface CaseFacts {
  readonly caseRef: string;
  readonly purposes: readonly string[];
  readonly expiresAt: Date;
  readonly closedAt: Date | null;
}

/** True when the case may be relied on at `at` for `purpose` (SPEC §11: otherwise CASE_UNKNOWN). */
export function caseValidFor(c: CaseFacts | null, purpose: string, at: Date): boolean {
  return c !== null && c.closedAt === null && c.expiresAt.getTime() > at.getTime() && c.purposes.includes(purpose);
}

/** Payment providers a client may be registered for. */
export const PAYMENT_PROVIDERS = ['ALIPAY', 'WECHAT_PAY', 'BANK_CARD'] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number];

export function isPaymentProvider(name: string): name is PaymentProviderName {
  return (PAYMENT_PROVIDERS as readonly string[]).includes(name);
}
