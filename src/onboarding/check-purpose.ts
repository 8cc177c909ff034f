import type { OperationDefinitionNode } from 'graphql';
import { Declarant, judgeDeclaration } from '../callers/purpose';
import type { CompiledPolicy, LegalBasis, Purpose } from '../policy';

/** The purpose rejections of SPEC §2 that a check reports instead of throwing. */
export type PurposeRejection = 'PURPOSE_REQUIRED' | 'PURPOSE_UNKNOWN' | 'PURPOSE_CONFLICT' | 'PURPOSE_NOT_PERMITTED';

export type CheckedPurpose =
  /** purpose null: none declared, and none needed since no personal field is selected. */
  | { readonly ok: true; readonly purpose: Purpose | null; readonly basis: LegalBasis | null; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly code: PurposeRejection; readonly message: string; readonly name: string | null; readonly basis: LegalBasis | null };

/**
 * The purpose an operation would run under for `client`, judged by callers/purpose.ts as the
 * gateway judges it (SPEC §2): `given` plays the X-Purpose header, the operation's @purpose the
 * directive. A missing case reference is only a warning here, since X-Case-Ref can still bring
 * it at run time. Messages start with their code, as the check lists them.
 */
export function checkPurpose(
  policy: CompiledPolicy,
  operation: OperationDefinitionNode,
  given: string | null,
  client: Declarant,
  selectsPersonal: boolean,
): CheckedPurpose {
  const headers = new Map(given === null ? [] : [['x-purpose', given]]);
  const judged = judgeDeclaration(policy, client, { headers, operation }, 'check');
  if (!judged.ok) return { ok: false, code: judged.code, message: `${judged.code}: ${judged.message}`, name: judged.name, basis: judged.basis };
  if (judged.declared === null) {
    return selectsPersonal
      ? { ok: false, code: 'PURPOSE_REQUIRED', message: 'PURPOSE_REQUIRED: the operation selects personal fields and declares no purpose', name: null, basis: null }
      : { ok: true, purpose: null, basis: null, warnings: judged.warnings };
  }
  return { ok: true, purpose: judged.declared.purpose, basis: judged.declared.basis, warnings: judged.warnings };
}
