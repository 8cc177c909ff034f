import { getDirectiveValues, GraphQLError, OperationDefinitionNode } from 'graphql';
import type { Caller } from '../callers/registry';
import { gatewayError } from '../errors';
import { purposeDirective } from '../graphql/directives';
import { CompiledPolicy, judgePurpose, LegalBasis, Purpose, purposeRejectionMessage } from '../policy';
import { CASE_REF } from '../policy/scope';

export interface DeclaredPurpose {
  purpose: Purpose;
  basis: LegalBasis;
  caseRef: string | null;
}


/** One declared value from the operation and/or its header; different values conflict. */
function agree(fromOperation: string | null, fromHeader: string | null, what: string): string | null {
  if (fromOperation !== null && fromHeader !== null && fromOperation !== fromHeader) {
    throw gatewayError('PURPOSE_CONFLICT', `The operation declares ${what} "${fromOperation}" but the header says "${fromHeader}"`);
  }
  return fromOperation ?? fromHeader;
}

function headerValue(v: string | undefined): string | null {
  const t = v?.trim();
  return t ? t : null;
}

/**
 * The purpose of an operation, from `@purpose(name:, caseRef:)` or `X-Purpose`/`X-Case-Ref`,
 * checked in this order: conflict, unknown, not registered for this caller, missing case
 * reference. Returns null when none is declared; throws the rejection otherwise.
 */
export function declarePurpose(
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  headers: ReadonlyMap<string, string>,
  caller: Caller,
  policy: CompiledPolicy,
): DeclaredPurpose | null {
  let args: { name?: string; caseRef?: string } | undefined;
  try {
    args = getDirectiveValues(purposeDirective, operation, variables) as typeof args;
  } catch (e) {
    throw gatewayError('BAD_USER_INPUT', `@purpose: ${(e as GraphQLError).message}`);
  }
  const name = agree(args?.name?.trim() || null, headerValue(headers.get('x-purpose')), 'purpose');
  const caseRef = agree(args?.caseRef?.trim() || null, headerValue(headers.get('x-case-ref')), 'case reference');
  if (name === null) return null;
  const resolved = judgePurpose(policy, name, caller.purposes);
  if (!resolved.ok) throw gatewayError(resolved.code, purposeRejectionMessage(resolved, name, caller.id));
  if (resolved.caseRefRequired) {
    if (caseRef === null) throw gatewayError('CASE_REF_REQUIRED', `Purpose "${resolved.purpose}" needs a case reference (@purpose(caseRef:) or X-Case-Ref)`);
    if (!CASE_REF.test(caseRef)) throw gatewayError('BAD_USER_INPUT', 'A case reference is 1-64 letters, digits and . _ : / -');
  }
  return { purpose: resolved.purpose, basis: resolved.basis, caseRef: resolved.caseRefRequired ? caseRef : caseRef && CASE_REF.test(caseRef) ? caseRef : null };
}
