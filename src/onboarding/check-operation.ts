import { DocumentNode, FragmentDefinitionNode, GraphQLError, GraphQLSchema, Kind, OperationDefinitionNode, parse, specifiedRules, validate } from 'graphql';
import type { SensitiveField } from '../enforcement/sensitive-fields';
import { Category, CompiledPolicy, Decision, describeCell, LegalBasis, MaskKind, Purpose, Reason, Scope, scopeOf } from '../policy';
import { checkPurpose, CheckedPurpose, PurposeRejection } from './check-purpose';
import { describeInclusion, ExpansionLimitExceeded, selectedFields } from './selected-fields';

/** What the policy gives one categorised field of an operation, for the checked client and purpose. */
export interface FieldCheck {
  /** The operation's name (null for an anonymous one). */
  readonly operation: string | null;
  /** The response path, lists as `*`: `user.orders.edges.*.node.recipientPhone`. */
  readonly path: string;
  /** Schema coordinate, `Order.recipientPhone`. */
  readonly field: string;
  readonly category: Category;
  readonly decision: Decision;
  readonly mask: MaskKind | null;
  /** POLICY_ALLOWS, POLICY_MASKS, PURPOSE_FORBIDS, or the purpose rejection that denies every field. */
  readonly reason: Reason | PurposeRejection;
  readonly basis: LegalBasis | null;
  /** The policy rule that defines the cell (`service/contact.phone`); null when the purpose is rejected. */
  readonly rule: string | null;
  /**
   * What can still deny the field at run time, in the order the gateway applies them: first
   * OUT_OF_SCOPE (the purpose's scope is not `all`: a row outside it is never returned, SPEC §11),
   * then the subject facts SUBJECT_ERASED, CONSENT_MISSING, GUARDIAN_CONSENT_MISSING. Empty for a denied field.
   */
  readonly conditions: readonly Reason[];
  /** Variable-dependent @include/@skip under which the field is executed, one alternative each; empty: always. */
  readonly includedIf: readonly string[];
  /** The row condition under which this category applies (a bank card's accountNo is financial.card); null: always. */
  readonly when: string | null;
}

export interface CheckedOperation {
  readonly name: string | null;
  readonly type: 'query' | 'mutation' | 'subscription';
  readonly purpose: string | null;
  /** The relationship scope of the purpose (SPEC §11); null when the purpose is refused or none is declared. */
  readonly scope: Scope | null;
  /** The code the gateway would refuse this operation with, or null. */
  readonly rejection: PurposeRejection | null;
}

export interface OperationCheck {
  /** The document parses and passes GraphQL validation against the gateway's schema. */
  readonly valid: boolean;
  /** The purpose checked, when every checked operation has the same one. */
  readonly purpose: string | null;
  /** The relationship scope of `purpose` (SPEC §11), when every checked operation runs under the same accepted purpose. */
  readonly scope: Scope | null;
  readonly policyVersion: string;
  /** Invalid: the parse or validation messages. Valid: the purpose rejections the gateway would answer with. */
  readonly errors: readonly string[];
  /** What does not stop the check but will matter at run time (a case reference to send…). */
  readonly warnings: readonly string[];
  readonly operations: readonly CheckedOperation[];
  readonly fields: readonly FieldCheck[];
}

export interface CheckRequest {
  readonly document: string;
  /** Plays the X-Purpose header; the operation's @purpose applies when absent. */
  readonly purpose?: string | null;
  /** Check only this operation of the document. */
  readonly operationName?: string | null;
  /** The client the check is for: its registration decides which purposes it may declare. */
  readonly client: { readonly id: string; readonly purposes: readonly string[] };
  /** No "Did you mean …" in validation messages (every client but an internal one). */
  readonly hideSuggestions?: boolean;
}

export interface CheckContext {
  readonly schema: GraphQLSchema;
  readonly fields: ReadonlyMap<string, SensitiveField>;
  readonly policy: CompiledPolicy;
}

/** A document longer than this is refused outright: a check never needs to be bigger than a request body. */
export const MAX_DOCUMENT_LENGTH = 100_000;
const MAX_TOKENS = 50_000;
const CARD_ROW = 'provider = BANK_CARD';
const OTHER_ROW = 'provider != BANK_CARD';

function invalid(policy: CompiledPolicy, errors: string[]): OperationCheck {
  return { valid: false, purpose: null, scope: null, policyVersion: policy.version, errors, warnings: [], operations: [], fields: [] };
}

function parseDocument(text: string): DocumentNode | GraphQLError {
  try {
    return parse(text, { maxTokens: MAX_TOKENS, noLocation: false });
  } catch (e) {
    if (e instanceof GraphQLError) return e;
    throw e;
  }
}

/**
 * Checks a GraphQL document against the policy without reading any data (SPEC §10): for
 * each categorised field that execution would resolve, at the path it would resolve it,
 * what the policy gives the client for the purpose, and the subject facts that can still
 * deny it. Decisions come from describeCell, the engine's own static answer.
 */
export function checkOperation(ctx: CheckContext, request: CheckRequest): OperationCheck {
  const { schema, fields, policy } = ctx;
  if (request.document.length > MAX_DOCUMENT_LENGTH) return invalid(policy, [`The document is longer than ${MAX_DOCUMENT_LENGTH} characters`]);
  const document = parseDocument(request.document);
  if (document instanceof GraphQLError) return invalid(policy, [document.message]);
  const validation = validate(schema, document, specifiedRules, { maxErrors: 50, hideSuggestions: request.hideSuggestions ?? true });
  if (validation.length) return invalid(policy, validation.map((e) => e.message));

  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const chosen = request.operationName ? operations.filter((o) => o.name?.value === request.operationName) : operations;
  if (chosen.length === 0) return invalid(policy, [`Unknown operation named "${String(request.operationName).slice(0, 64)}".`]);

  const checked: CheckedOperation[] = [];
  const out: FieldCheck[] = [];
  const errors: string[] = [];
  const warnings = new Set<string>();
  for (const operation of chosen) {
    let selected;
    try {
      selected = selectedFields(schema, operation, fragments, (type, field) => fields.has(`${type}.${field}`));
    } catch (e) {
      if (e instanceof ExpansionLimitExceeded) return invalid(policy, [`The document is too large to check: ${e.message}`]);
      throw e;
    }
    const purpose = checkPurpose(policy, operation, request.purpose?.trim() || null, request.client, selected.length > 0);
    const name = operation.name?.value ?? null;
    if (purpose.ok) purpose.warnings.forEach((w) => warnings.add(w));
    else errors.push(chosen.length > 1 ? `${name ?? '(anonymous)'}: ${purpose.message}` : purpose.message);
    const scope = purpose.ok && purpose.purpose !== null ? scopeOf(policy, purpose.purpose) : null;
    checked.push({ name, type: operation.operation, purpose: purpose.ok ? purpose.purpose : purpose.name, scope, rejection: purpose.ok ? null : purpose.code });

    for (const s of selected) {
      const meta = fields.get(`${s.typeName}.${s.fieldName}`)!;
      const includedIf = describeInclusion(s.inclusion);
      const variants: [Category, string | null][] = meta.cardCategory ? [[meta.category, OTHER_ROW], [meta.cardCategory, CARD_ROW]] : [[meta.category, null]];
      for (const [category, when] of variants) {
        out.push({ operation: name, path: s.path, field: `${s.typeName}.${s.fieldName}`, category, includedIf, when, ...cellFor(policy, purpose, category, s.typeName) });
      }
    }
  }
  const purposes = new Set(checked.map((c) => c.purpose));
  const scopes = new Set(checked.map((c) => c.scope));
  return {
    valid: true,
    purpose: purposes.size === 1 ? [...purposes][0] : null,
    scope: purposes.size === 1 && scopes.size === 1 ? [...scopes][0] : null,
    policyVersion: policy.version,
    errors,
    warnings: [...warnings],
    operations: checked,
    fields: out,
  };
}

type Cell = Pick<FieldCheck, 'decision' | 'mask' | 'reason' | 'basis' | 'rule' | 'conditions'>;

function cellFor(policy: CompiledPolicy, purpose: CheckedPurpose, category: Category, entity: string): Cell {
  if (!purpose.ok || purpose.purpose === null) {
    // The gateway would refuse the whole operation: nothing of it is received.
    const code: PurposeRejection = purpose.ok ? 'PURPOSE_REQUIRED' : purpose.code;
    return { decision: 'DENY', mask: null, reason: code, basis: purpose.basis, rule: null, conditions: [] };
  }
  const cell = describeCell(policy, purpose.purpose, category, entity);
  return { decision: cell.decision, mask: cell.mask, reason: cell.reason, basis: cell.basis, rule: cell.rule, conditions: withScope(policy, purpose.purpose, cell.decision, cell.conditions) };
}

/** A released field of a scoped purpose can still be refused with its row (OUT_OF_SCOPE), before any subject fact is looked at. */
function withScope(policy: CompiledPolicy, purpose: Purpose, decision: Decision, conditions: readonly Reason[]): readonly Reason[] {
  return decision !== 'DENY' && scopeOf(policy, purpose) !== 'all' ? ['OUT_OF_SCOPE', ...conditions] : conditions;
}

/** Fields the client can never receive, whoever the subject: the check denies every category the field can carry. */
export function neverReceived(check: OperationCheck): FieldCheck[] {
  const byField = new Map<string, FieldCheck[]>();
  for (const f of check.fields) {
    const key = `${f.operation ?? ''}\u0000${f.path}\u0000${f.field}`;
    byField.set(key, [...(byField.get(key) ?? []), f]);
  }
  return [...byField.values()].filter((variants) => variants.every((v) => v.decision === 'DENY')).map((variants) => variants[0]);
}
