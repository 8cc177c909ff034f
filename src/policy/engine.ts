import { policyFingerprint, stampedVersion } from './fingerprint';
import type { PolicyDocument, PurposeDefinition } from './load';
import type { Scope } from './scope';
import type { Category, LegalBasis, MaskKind, Purpose } from './vocabulary';

export type Decision = 'ALLOW' | 'MASK' | 'DENY';
export type Reason =
  | 'POLICY_ALLOWS'
  | 'POLICY_MASKS'
  | 'SUBJECT_ERASED'
  | 'CONSENT_MISSING'
  | 'GUARDIAN_CONSENT_MISSING'
  | 'PURPOSE_FORBIDS'
  | 'OUT_OF_SCOPE'
  | 'RETENTION_EXPIRED';

/** The decision on one field; shared and frozen, never allocated per call. */
export interface FieldDecision {
  readonly decision: Decision;
  readonly mask: MaskKind | null;
  readonly reason: Reason;
  /** The basis of the declared purpose. */
  readonly basis: LegalBasis;
  /** `<purpose where the cell is defined>/<category>`, or `default-deny/<category>`. */
  readonly rule: string;
}

/** Facts about one data subject for the request's purpose and client, computed once per subject per request. */
export interface SubjectFacts {
  readonly erased: boolean;
  readonly minor: boolean;
  /** The consent a consent-basis purpose relies on; null when none matches (or the purpose is not consent-based). */
  readonly consentId: string | null;
  readonly consentByGuardian: boolean;
}

/** What the policy gives a purpose for a category before any subject is known (operation checks, per-client SDL, diffs). */
export interface CellDescription {
  readonly decision: Decision;
  readonly mask: MaskKind | null;
  readonly reason: Reason;
  readonly basis: LegalBasis;
  readonly rule: string;
  /** Subject facts that can still deny a cell the table allows or masks, in the order they are applied. */
  readonly conditions: readonly Reason[];
}

export type PurposeResolution =
  | { readonly ok: true; readonly purpose: Purpose; readonly basis: LegalBasis; readonly caseRefRequired: boolean }
  | { readonly ok: false; readonly code: 'PURPOSE_UNKNOWN' };

/** One purpose × category, with every outcome decideField can return precomputed. */
interface Cell {
  readonly consentBased: boolean;
  readonly table: FieldDecision;
  readonly erased: FieldDecision;
  readonly retentionExpired: FieldDecision;
  readonly consentMissing: FieldDecision;
  readonly guardianConsentMissing: FieldDecision;
  readonly description: CellDescription;
}

interface PurposeNode {
  readonly resolution: PurposeResolution & { ok: true };
  readonly consentBased: boolean;
  /** About whom it releases anything (SPEC §11). */
  readonly scope: Scope;
  /** The purpose itself and every ancestor: a consent or client registration for any of them covers it. */
  readonly coveredBy: ReadonlySet<string>;
  readonly cells: Lookup<Cell>;
}

/** A frozen null-prototype object: a string-keyed lookup several times faster than Map.get, and safe for any key. */
type Lookup<T> = { readonly [key: string]: T | undefined };

function lookup<T>(entries: Iterable<readonly [string, T]>): Lookup<T> {
  const table: Record<string, T> = Object.create(null) as Record<string, T>;
  for (const [key, value] of entries) table[key] = value;
  return Object.freeze(table);
}

/** A retention period as enforcement reads it: on `entity` rows, `days` after their `field` timestamp. */
export interface RetentionRule {
  readonly category: Category;
  readonly days: number;
  readonly entity: string;
  readonly field: string;
  /** `days` in milliseconds. */
  readonly ms: number;
}

/** A policy ready for per-field decisions: every declarable purpose × category is a lookup. */
export interface CompiledPolicy {
  /**
   * What disclosures and audit records carry: the declared version and the fingerprint of the
   * policy's content, `2026-12-02.1+3f9a2c1d`, so that a file edited without a new version
   * cannot pass for the one reviewed under it.
   */
  readonly version: string;
  /** The `version:` the file declares, `2026-12-02.1`. */
  readonly declaredVersion: string;
  /** policyFingerprint of the document: 8 hex characters of the SHA-256 of its canonical form. */
  readonly hash: string;
  /** Retention periods by category (SPEC §7). */
  readonly retention: Lookup<RetentionRule>;
  /** Declarable purposes, in file order. */
  readonly purposes: readonly Purpose[];
  readonly categories: readonly Category[];
  /** Every purpose of the tree, parents included: what a client may be registered for. */
  readonly purposeTree: ReadonlySet<string>;
  /** Internal: the precomputed cells of each declarable purpose; read them through the functions below. */
  readonly nodes: Lookup<PurposeNode>;
}

const UNKNOWN_PURPOSE: PurposeResolution = Object.freeze({ ok: false, code: 'PURPOSE_UNKNOWN' });
const ERASURE_ONLY: readonly Reason[] = Object.freeze(['SUBJECT_ERASED']);
const CONSENT_CONDITIONS: readonly Reason[] = Object.freeze(['SUBJECT_ERASED', 'CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING']);
const ERASURE_RETENTION: readonly Reason[] = Object.freeze(['SUBJECT_ERASED', 'RETENTION_EXPIRED']);
const CONSENT_RETENTION: readonly Reason[] = Object.freeze(['SUBJECT_ERASED', 'RETENTION_EXPIRED', 'CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING']);
const NO_CONDITIONS: readonly Reason[] = Object.freeze([]);

/** Compiles a validated policy document: inherits every cell down the purpose tree and freezes the outcomes. */
export function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  const definitions = new Map(doc.purposes.map((p) => [p.name, p]));
  const rules = new Map(doc.rules.map((r) => [`${r.purpose}/${r.category}`, r]));
  const retained = new Set(doc.retention.map((r) => r.category));
  const nodes = new Map<string, PurposeNode>();

  for (const purpose of doc.purposes.filter((p) => p.declarable)) {
    const lineage = ancestry(purpose, definitions);
    const basis = purpose.basis as LegalBasis;
    const consentBased = basis === 'consent';
    const cells: Array<[string, Cell]> = [];
    for (const { name: category } of doc.categories) {
      // The nearest purpose up the tree with a rule for this category defines the cell.
      const definedAt = lineage.find((name) => rules.has(`${name}/${category}`));
      const rule = definedAt === undefined ? undefined : rules.get(`${definedAt}/${category}`);
      const ruleName = definedAt === undefined ? `default-deny/${category}` : `${definedAt}/${category}`;
      const decision: Decision = rule?.decision ?? 'DENY';
      const mask = (rule?.mask ?? null) as MaskKind | null;
      const reason: Reason = decision === 'ALLOW' ? 'POLICY_ALLOWS' : decision === 'MASK' ? 'POLICY_MASKS' : 'PURPOSE_FORBIDS';
      const deny = (why: Reason): FieldDecision => Object.freeze({ decision: 'DENY', mask: null, reason: why, basis, rule: ruleName });
      const kept = retained.has(category);
      const conditions = decision === 'DENY' ? NO_CONDITIONS : consentBased ? (kept ? CONSENT_RETENTION : CONSENT_CONDITIONS) : kept ? ERASURE_RETENTION : ERASURE_ONLY;
      cells.push([
        category,
        Object.freeze({
          consentBased,
          table: decision === 'DENY' ? deny('PURPOSE_FORBIDS') : Object.freeze({ decision, mask, reason, basis, rule: ruleName }),
          erased: deny('SUBJECT_ERASED'),
          retentionExpired: deny('RETENTION_EXPIRED'),
          consentMissing: deny('CONSENT_MISSING'),
          guardianConsentMissing: deny('GUARDIAN_CONSENT_MISSING'),
          description: Object.freeze({ decision, mask, reason, basis, rule: ruleName, conditions }),
        }),
      ]);
    }
    nodes.set(
      purpose.name,
      Object.freeze({
        resolution: Object.freeze({ ok: true as const, purpose: purpose.name as Purpose, basis, caseRefRequired: purpose.caseRefRequired }),
        consentBased,
        scope: purpose.scope,
        coveredBy: new Set(lineage),
        cells: lookup(cells),
      }),
    );
  }

  const hash = policyFingerprint(doc);
  return Object.freeze({
    version: stampedVersion(doc.version, hash),
    declaredVersion: doc.version,
    hash,
    retention: lookup(doc.retention.map((r) => {
      const [entity, field] = r.from.split('.');
      return [r.category, Object.freeze({ category: r.category as Category, days: r.days, entity, field, ms: r.days * 86_400_000 })] as const;
    })),
    purposes: Object.freeze([...nodes.keys()] as Purpose[]),
    categories: Object.freeze(doc.categories.map((c) => c.name as Category)),
    purposeTree: new Set(definitions.keys()),
    nodes: lookup(nodes),
  });
}

/** The purpose, then its parent, up to the root. */
function ancestry(purpose: PurposeDefinition, definitions: ReadonlyMap<string, PurposeDefinition>): string[] {
  const lineage: string[] = [];
  for (let p: PurposeDefinition | undefined = purpose; p; p = p.parent === null ? undefined : definitions.get(p.parent)) {
    lineage.push(p.name);
  }
  return lineage;
}

function nodeOf(policy: CompiledPolicy, purpose: Purpose): PurposeNode {
  const node = policy.nodes[purpose];
  // Purposes arrive through resolvePurpose; anything else here is a programming error.
  if (!node) throw new Error(`purpose "${purpose}" is not declarable in policy ${policy.version}`);
  return node;
}

function cellOf(policy: CompiledPolicy, purpose: Purpose, category: Category): Cell {
  const cell = nodeOf(policy, purpose).cells[category];
  if (!cell) throw new Error(`category "${category}" is not in policy ${policy.version}`);
  return cell;
}

/**
 * Decides one field: the table cell, then the subject conditions of SPEC §4 in order
 * (erased, retention expired (SPEC §7), consent missing, guardian consent missing), then the
 * table's own denial. `expired`: the value is past its category's retention on its row
 * (retentionExpired, computed by enforcement only for fields with a retention period).
 */
export function decideField(policy: CompiledPolicy, purpose: Purpose, category: Category, facts: SubjectFacts, expired = false): FieldDecision {
  const cell = cellOf(policy, purpose, category);
  if (facts.erased) return cell.erased;
  if (expired) return cell.retentionExpired;
  if (cell.consentBased) {
    if (facts.consentId === null) return cell.consentMissing;
    if (facts.minor && !facts.consentByGuardian) return cell.guardianConsentMissing;
  }
  return cell.table;
}

/**
 * The static answer for a purpose and category, with the conditions that could still deny it.
 * With `entity` (the field's type), RETENTION_EXPIRED is listed only when the category's
 * retention period applies to that entity's rows, as enforcement applies it.
 */
export function describeCell(policy: CompiledPolicy, purpose: Purpose, category: Category, entity?: string): CellDescription {
  const description = cellOf(policy, purpose, category).description;
  if (entity === undefined || !description.conditions.includes('RETENTION_EXPIRED') || retentionFor(policy, category, entity)) return description;
  return { ...description, conditions: description.conditions.filter((c) => c !== 'RETENTION_EXPIRED') };
}

/** Resolves a declared purpose name; unknown names and non-declarable parents are PURPOSE_UNKNOWN. */
export function resolvePurpose(policy: CompiledPolicy, name: string): PurposeResolution {
  return policy.nodes[name]?.resolution ?? UNKNOWN_PURPOSE;
}

/** True when `granted` (a consent's or a registration's purpose) is the purpose itself or one of its ancestors. */
export function purposeCovers(policy: CompiledPolicy, granted: string, purpose: Purpose): boolean {
  return nodeOf(policy, purpose).coveredBy.has(granted);
}

/** A client may declare a purpose it is registered for, or a child of one (registered for `legal`: every `legal.*`). */
export function clientMayDeclare(policy: CompiledPolicy, clientPurposes: readonly string[], purpose: Purpose): boolean {
  const coveredBy = nodeOf(policy, purpose).coveredBy;
  return clientPurposes.some((registered) => coveredBy.has(registered));
}

/** A purpose a client declares, judged in SPEC §2's order: known, then registered for this client. */
export type PurposeJudgement =
  | PurposeResolution
  | { readonly ok: false; readonly code: 'PURPOSE_NOT_PERMITTED'; readonly purpose: Purpose; readonly basis: LegalBasis };

/**
 * The one place that orders the purpose checks every entry point shares (the request path,
 * checkOperation, GET /schema.graphql): PURPOSE_UNKNOWN before PURPOSE_NOT_PERMITTED. The checks
 * around it (a conflict between two declarations before, a case reference after) are in
 * src/callers/purpose.ts, which reads every declaration.
 */
export function judgePurpose(policy: CompiledPolicy, name: string, clientPurposes: readonly string[]): PurposeJudgement {
  const resolved = resolvePurpose(policy, name);
  if (!resolved.ok || clientMayDeclare(policy, clientPurposes, resolved.purpose)) return resolved;
  return { ok: false, code: 'PURPOSE_NOT_PERMITTED', purpose: resolved.purpose, basis: resolved.basis };
}

/** The rejection's message, the same wherever the purpose was judged. */
export function purposeRejectionMessage(judgement: PurposeJudgement & { ok: false }, name: string, clientId: string): string {
  return judgement.code === 'PURPOSE_UNKNOWN'
    ? `"${name.slice(0, 64)}" is not a purpose that can be declared; declare a specific purpose such as "service.fulfilment"`
    : `Client "${clientId}" is not registered for purpose "${judgement.purpose}"`;
}

/** True for any purpose of the tree, parents included: the names a client may be registered for. */
export function isRegistrablePurpose(policy: CompiledPolicy, name: string): boolean {
  return policy.purposeTree.has(name);
}

/** True when the purpose's basis is consent, so that subject consent conditions apply. */
export function isConsentBased(policy: CompiledPolicy, purpose: Purpose): boolean {
  return nodeOf(policy, purpose).consentBased;
}

/** The relationship scope of a declarable purpose (SPEC §11). */
export function scopeOf(policy: CompiledPolicy, purpose: Purpose): Scope {
  return nodeOf(policy, purpose).scope;
}

/** The scopes of every purpose a client may declare: what an operation without a purpose may see rows of. */
export function registeredScopes(policy: CompiledPolicy, clientPurposes: readonly string[]): Scope[] {
  const scopes = new Set<Scope>();
  for (const purpose of policy.purposes) if (clientMayDeclare(policy, clientPurposes, purpose)) scopes.add(nodeOf(policy, purpose).scope);
  return [...scopes];
}

/** The retention period of a category on rows of `entity`, or null when its values are kept there without limit. */
export function retentionFor(policy: CompiledPolicy, category: Category, entity: string): RetentionRule | null {
  const rule = policy.retention[category];
  return rule && rule.entity === entity ? rule : null;
}

/**
 * True when a value is past its retention at `at`: its row's timestamp is more than the period
 * ago. A row without that timestamp (a device never seen) has nothing to run from: kept.
 */
export function retentionExpired(rule: RetentionRule, timestamp: Date | string | null | undefined, at: Date): boolean {
  if (timestamp == null) return false;
  const t = timestamp instanceof Date ? timestamp.getTime() : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(timestamp) ? timestamp : timestamp.replace(' ', 'T') + 'Z');
  // An unreadable timestamp counts as expired (fail closed).
  return Number.isNaN(t) || at.getTime() - t > rule.ms;
}
