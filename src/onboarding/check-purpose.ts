import { getDirectiveValues, OperationDefinitionNode } from 'graphql';
import { purposeDirective } from '../graphql/directives';
import { CompiledPolicy, judgePurpose, LegalBasis, Purpose, purposeRejectionMessage } from '../policy';

/** The purpose rejections of SPEC §2 that a check reports instead of throwing. */
export type PurposeRejection = 'PURPOSE_REQUIRED' | 'PURPOSE_UNKNOWN' | 'PURPOSE_CONFLICT' | 'PURPOSE_NOT_PERMITTED';

export type CheckedPurpose =
  /** purpose null: none declared, and none needed since no personal field is selected. */
  | { readonly ok: true; readonly purpose: Purpose | null; readonly basis: LegalBasis | null; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly code: PurposeRejection; readonly message: string; readonly name: string | null; readonly basis: LegalBasis | null };

/**
 * The purpose an operation would run under for `client`, decided as the gateway decides it
 * (SPEC §2, same order as declarePurpose, both on judgePurpose): `given` plays the X-Purpose header, the
 * operation's @purpose the directive. A missing case reference is only a warning here,
 * since X-Case-Ref can still bring it at run time.
 */
export function checkPurpose(
  policy: CompiledPolicy,
  operation: OperationDefinitionNode,
  given: string | null,
  client: { readonly id: string; readonly purposes: readonly string[] },
  selectsPersonal: boolean,
): CheckedPurpose {
  const warnings: string[] = [];
  let fromDirective: string | null = null;
  let hasCaseRef = false;
  try {
    const args = getDirectiveValues(purposeDirective, operation, {}) as { name?: string; caseRef?: string } | undefined;
    fromDirective = args?.name?.trim() || null;
    hasCaseRef = !!args?.caseRef?.trim();
  } catch {
    // @purpose(name: $variable): only the request will tell.
    warnings.push('@purpose takes its name from a variable; the check cannot know it, pass `purpose`');
  }
  const reject = (code: PurposeRejection, message: string, name: string | null, basis: LegalBasis | null = null): CheckedPurpose =>
    ({ ok: false, code, message: `${code}: ${message}`, name: name?.slice(0, 64) ?? null, basis });
  if (fromDirective !== null && given !== null && fromDirective !== given) {
    const asked = judgePurpose(policy, given, client.purposes);
    return reject('PURPOSE_CONFLICT', `the operation declares purpose "${fromDirective.slice(0, 64)}" but the check asks for "${given.slice(0, 64)}"`, given, 'basis' in asked ? asked.basis : null);
  }
  const name = fromDirective ?? given;
  if (name === null) {
    return selectsPersonal
      ? reject('PURPOSE_REQUIRED', 'the operation selects personal fields and declares no purpose', null)
      : { ok: true, purpose: null, basis: null, warnings };
  }
  const resolved = judgePurpose(policy, name, client.purposes);
  if (!resolved.ok) return reject(resolved.code, purposeRejectionMessage(resolved, name, client.id), name, 'basis' in resolved ? resolved.basis : null);
  if (resolved.caseRefRequired && !hasCaseRef) {
    warnings.push(`CASE_REF_REQUIRED: purpose "${resolved.purpose}" needs a case reference at run time (@purpose(caseRef:) or X-Case-Ref)`);
  }
  return { ok: true, purpose: resolved.purpose, basis: resolved.basis, warnings };
}
