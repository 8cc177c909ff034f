import { DirectiveLocation, getDirectiveValues, GraphQLDirective, GraphQLError, GraphQLNonNull, GraphQLString, OperationDefinitionNode } from 'graphql';
import { gatewayError } from '../errors';
import { CompiledPolicy, judgePurpose, LegalBasis, Purpose, purposeRejectionMessage, Scope, scopeOf } from '../policy';
import { CASE_REF } from '../policy/scope';

/**
 * Why a caller asks (SPEC §2), read in one place for every entry point: the GraphQL request
 * (enforcement/plugin.ts), checkOperation (onboarding/check-purpose.ts) and GET /schema.graphql
 * (onboarding/schema-route.ts). A purpose comes from the operation's `@purpose(name:, caseRef:)`
 * and/or the headers `X-Purpose` / `X-Case-Ref`, and is judged in this order: the directive's
 * values, a conflict between directive and header (purpose, then case reference), the purpose
 * unknown, not registered for the caller, then its case reference. PURPOSE_REQUIRED is not
 * decided here: whether a purpose is needed depends on what the operation selects.
 */

/** Declares why an operation asks (SPEC §2); `caseRef` is required for `legal.*` purposes. */
export const purposeDirective = new GraphQLDirective({
  name: 'purpose',
  description: 'The purpose this operation is made for, checked against the caller\'s registration and the policy.',
  locations: [DirectiveLocation.QUERY, DirectiveLocation.MUTATION],
  args: {
    name: { type: new GraphQLNonNull(GraphQLString) },
    caseRef: { type: GraphQLString, description: 'Case reference, required for legal.* purposes.' },
  },
});

/** An accepted declaration, frozen. "None declared" is `null` wherever a DeclaredPurpose is returned. */
export interface DeclaredPurpose {
  readonly purpose: Purpose;
  readonly basis: LegalBasis;
  /** The case the purpose relies on: a well-formed reference, or null (none given, or none needed and not well-formed). */
  readonly caseRef: string | null;
  /** About whom the purpose may disclose anything (SPEC §11). */
  readonly scope: Scope;
}

/** Who declares: a caller's id and the purposes it is registered for (a Caller, or the client a check is for). */
export interface Declarant {
  readonly id: string;
  readonly purposes: readonly string[];
}

/** Request headers by lower-cased name: the GraphQL context's map, or Node's `req.headers`. */
export type RequestHeaders = ReadonlyMap<string, string> | Readonly<Record<string, string | string[] | undefined>>;

/** Where a declaration is read from. */
export interface PurposeSource {
  /** X-Purpose and X-Case-Ref are read from them. */
  readonly headers: RequestHeaders;
  /** The operation whose @purpose is read; none for GET /schema.graphql. */
  readonly operation?: OperationDefinitionNode;
  /** The operation's variables, which @purpose may take its values from. */
  readonly variables?: Readonly<Record<string, unknown>>;
}

/**
 * What the declaration is judged for:
 * - `execute`: a GraphQL request about to run; every rejection applies.
 * - `check`: checkOperation, before any request: the variables and X-Case-Ref are not known yet,
 *   so a @purpose that needs a variable and a missing case reference are warnings, and the
 *   check's `purpose` plays X-Purpose.
 * - `schema`: GET /schema.graphql: no operation, and no case reference is needed to read a schema.
 */
export type DeclarationUse = 'execute' | 'check' | 'schema';

/** Every rejection a declaration can get, with its stable code (errors.ts gives the HTTP status). */
export type DeclarationRejectionCode = 'PURPOSE_CONFLICT' | 'PURPOSE_UNKNOWN' | 'PURPOSE_NOT_PERMITTED' | 'CASE_REF_REQUIRED' | 'BAD_USER_INPUT';

/** The rejections a use can get: only a request to execute has its variables and case reference judged. */
export type RejectionCodeFor<U extends DeclarationUse> = U extends 'execute' ? DeclarationRejectionCode : 'PURPOSE_CONFLICT' | 'PURPOSE_UNKNOWN' | 'PURPOSE_NOT_PERMITTED';

export type DeclarationJudgement<C extends DeclarationRejectionCode = DeclarationRejectionCode> =
  | {
      readonly ok: true;
      /** null: none declared. */
      readonly declared: DeclaredPurpose | null;
      /** What does not stop a check but will matter at run time; always empty for `execute` and `schema`. */
      readonly warnings: readonly string[];
    }
  | {
      readonly ok: false;
      readonly code: C;
      readonly message: string;
      /** The purpose named (in a conflict, the header's), at most 64 characters; null when none. */
      readonly name: string | null;
      /** That purpose's basis, when the policy knows it. */
      readonly basis: LegalBasis | null;
    };

function headerValue(headers: RequestHeaders, name: string): string | null {
  const raw = headers instanceof Map ? headers.get(name) : (headers as Readonly<Record<string, unknown>>)[name];
  const value = typeof raw === 'string' ? raw.trim() : '';
  return value || null;
}

function conflictMessage(use: DeclarationUse, what: 'purpose' | 'case reference', fromOperation: string, fromHeader: string): string {
  return use === 'check'
    ? `the operation declares ${what} "${fromOperation.slice(0, 64)}" but the check asks for "${fromHeader.slice(0, 64)}"`
    : `The operation declares ${what} "${fromOperation}" but the header says "${fromHeader}"`;
}

/** Judges the declaration of `source` for `caller` without throwing: the declared purpose (or none), or the rejection. */
export function judgeDeclaration<U extends DeclarationUse>(
  policy: CompiledPolicy,
  caller: Declarant,
  source: PurposeSource,
  use: U,
): DeclarationJudgement<RejectionCodeFor<U>> {
  return judge(policy, caller, source, use) as DeclarationJudgement<RejectionCodeFor<U>>;
}

function judge(policy: CompiledPolicy, caller: Declarant, source: PurposeSource, use: DeclarationUse): DeclarationJudgement {
  const warnings: string[] = [];
  const reject = (code: DeclarationRejectionCode, message: string, name: string | null, basis: LegalBasis | null = null): DeclarationJudgement =>
    Object.freeze({ ok: false as const, code, message, name: name?.slice(0, 64) ?? null, basis });

  let fromDirective = { name: null as string | null, caseRef: null as string | null };
  if (source.operation) {
    try {
      const args = getDirectiveValues(purposeDirective, source.operation, source.variables ?? {}) as { name?: string; caseRef?: string } | undefined;
      fromDirective = { name: args?.name?.trim() || null, caseRef: args?.caseRef?.trim() || null };
    } catch (e) {
      // A check has no variables: @purpose(name: $variable) is known only at run time.
      if (use !== 'check') return reject('BAD_USER_INPUT', `@purpose: ${(e as GraphQLError).message}`, null);
      warnings.push('@purpose takes its name from a variable; the check cannot know it, pass `purpose`');
    }
  }
  const fromHeader = { name: headerValue(source.headers, 'x-purpose'), caseRef: use === 'schema' ? null : headerValue(source.headers, 'x-case-ref') };

  if (fromDirective.name !== null && fromHeader.name !== null && fromDirective.name !== fromHeader.name) {
    const asked = judgePurpose(policy, fromHeader.name, caller.purposes);
    return reject('PURPOSE_CONFLICT', conflictMessage(use, 'purpose', fromDirective.name, fromHeader.name), fromHeader.name, 'basis' in asked ? asked.basis : null);
  }
  if (fromDirective.caseRef !== null && fromHeader.caseRef !== null && fromDirective.caseRef !== fromHeader.caseRef) {
    return reject('PURPOSE_CONFLICT', conflictMessage(use, 'case reference', fromDirective.caseRef, fromHeader.caseRef), fromDirective.name ?? fromHeader.name);
  }
  const name = fromDirective.name ?? fromHeader.name;
  if (name === null) return Object.freeze({ ok: true as const, declared: null, warnings: Object.freeze(warnings) });

  const judged = judgePurpose(policy, name, caller.purposes);
  if (!judged.ok) return reject(judged.code, purposeRejectionMessage(judged, name, caller.id), name, 'basis' in judged ? judged.basis : null);
  const caseRef = use === 'schema' ? null : fromDirective.caseRef ?? fromHeader.caseRef;
  if (judged.caseRefRequired && use === 'execute') {
    if (caseRef === null) return reject('CASE_REF_REQUIRED', `Purpose "${judged.purpose}" needs a case reference (@purpose(caseRef:) or X-Case-Ref)`, judged.purpose, judged.basis);
    if (!CASE_REF.test(caseRef)) return reject('BAD_USER_INPUT', 'A case reference is 1-64 letters, digits and . _ : / -', judged.purpose, judged.basis);
  }
  if (judged.caseRefRequired && use === 'check' && caseRef === null) {
    warnings.push(`CASE_REF_REQUIRED: purpose "${judged.purpose}" needs a case reference at run time (@purpose(caseRef:) or X-Case-Ref)`);
  }
  const declared: DeclaredPurpose = Object.freeze({
    purpose: judged.purpose,
    basis: judged.basis,
    caseRef: caseRef !== null && CASE_REF.test(caseRef) ? caseRef : null,
    scope: scopeOf(policy, judged.purpose),
  });
  return Object.freeze({ ok: true as const, declared, warnings: Object.freeze(warnings) });
}

/**
 * The purpose a GraphQL request runs under: null when none is declared; throws the rejection
 * (PURPOSE_CONFLICT, PURPOSE_UNKNOWN, PURPOSE_NOT_PERMITTED, CASE_REF_REQUIRED, BAD_USER_INPUT).
 */
export function declarePurpose(policy: CompiledPolicy, caller: Declarant, source: PurposeSource): DeclaredPurpose | null {
  const judged = judgeDeclaration(policy, caller, source, 'execute');
  if (!judged.ok) throw gatewayError(judged.code, judged.message);
  return judged.declared;
}
