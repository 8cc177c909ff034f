import { Category, compareScopes, CompiledPolicy, Decision, describeCell, isConsentBased, MaskKind, Purpose, resolvePurpose, Scope, scopeOf } from '../policy';

/** What one (purpose, category) cell gives, or null where the purpose or category does not exist (nothing is disclosed). */
export interface CellOutcome {
  readonly decision: Decision;
  readonly mask: MaskKind | null;
}

export type CellChangeKind = 'widens' | 'narrows' | 'changes mask';

export interface CellChange {
  readonly purpose: string;
  readonly category: string;
  readonly change: CellChangeKind;
  readonly old: CellOutcome | null;
  readonly new: CellOutcome | null;
}

export type PurposeChangeKind = 'added' | 'removed' | 'now needs consent' | 'no longer needs consent' | 'changes basis' | 'now needs a case reference' | 'no longer needs a case reference';

export interface PurposeChange {
  readonly purpose: string;
  readonly change: PurposeChangeKind;
  readonly old: string | null;
  readonly new: string | null;
}

/**
 * A purpose whose relationship scope (SPEC §11) changes: `narrows` when it stops being `all`,
 * `widens` when it becomes `all`, and `widens` between two other scopes too, since subjects
 * become visible that were not (`otherSubjects`), even as others stop being.
 */
export interface ScopeChange {
  readonly purpose: string;
  readonly change: 'widens' | 'narrows';
  readonly old: Scope;
  readonly new: Scope;
  /** Neither side is `all`: the change swaps one set of subjects for another. */
  readonly otherSubjects: boolean;
}

/** A retention period as the policy file writes it: `days` from `from` (`Device.lastSeenAt`). */
export interface RetentionPeriod {
  readonly days: number;
  readonly from: string;
}

/**
 * A category whose retention period changes (SPEC §7): `widens` when values are kept longer (the
 * period removed, made longer, or running from another timestamp, which keeps some values longer
 * whatever the days), `narrows` when shorter (a period added, or made shorter).
 */
export interface RetentionChange {
  readonly category: string;
  readonly change: 'widens' | 'narrows';
  readonly old: RetentionPeriod | null;
  readonly new: RetentionPeriod | null;
}

export interface PolicyDiff {
  /** The versions as records are stamped with them: declared version and content hash, `2026-12-02.1+3f9a2c1d`. */
  readonly oldVersion: string;
  readonly newVersion: string;
  /** The versions the files declare, `2026-12-02.1`. */
  readonly oldDeclared: string;
  readonly newDeclared: string;
  /** Both files declare one version but their contents differ: one of them must get a new version. */
  readonly versionReused: boolean;
  readonly purposes: readonly PurposeChange[];
  /** Purposes declarable under both policies whose scope changes, in the new policy's order. */
  readonly scopes: readonly ScopeChange[];
  readonly cells: readonly CellChange[];
  /** Categories whose retention period changes, in the new policy's category order. */
  readonly retention: readonly RetentionChange[];
}

/** DENY → MASK → ALLOW: more is disclosed further right. */
const RANK: Record<Decision, number> = { DENY: 0, MASK: 1, ALLOW: 2 };

/** How a cell changes from `a` to `b`, or null when it does not. */
export function compareOutcomes(a: CellOutcome, b: CellOutcome): CellChangeKind | null {
  if (RANK[b.decision] > RANK[a.decision]) return 'widens';
  if (RANK[b.decision] < RANK[a.decision]) return 'narrows';
  return a.decision === 'MASK' && a.mask !== b.mask ? 'changes mask' : null;
}

const NOTHING: CellOutcome = Object.freeze({ decision: 'DENY', mask: null });

function outcomeIn(policy: CompiledPolicy, purpose: string, category: string): CellOutcome | null {
  if (!resolvePurpose(policy, purpose).ok || !policy.categories.includes(category as Category)) return null;
  const cell = describeCell(policy, purpose as Purpose, category as Category);
  return { decision: cell.decision, mask: cell.mask };
}

function union<T>(a: readonly T[], b: readonly T[]): T[] {
  return [...new Set([...a, ...b])];
}

/** Changes to what can be declared and on which basis: a purpose that stops resting on consent discloses more. */
function purposeChanges(before: CompiledPolicy, after: CompiledPolicy): PurposeChange[] {
  const out: PurposeChange[] = [];
  for (const purpose of union(before.purposes, after.purposes)) {
    const a = resolvePurpose(before, purpose);
    const b = resolvePurpose(after, purpose);
    if (!a.ok && b.ok) out.push({ purpose, change: 'added', old: null, new: b.basis });
    else if (a.ok && !b.ok) out.push({ purpose, change: 'removed', old: a.basis, new: null });
    else if (a.ok && b.ok) {
      if (a.basis !== b.basis) {
        const wasConsent = isConsentBased(before, a.purpose);
        const isConsent = isConsentBased(after, b.purpose);
        const change = wasConsent === isConsent ? 'changes basis' : isConsent ? 'now needs consent' : 'no longer needs consent';
        out.push({ purpose, change, old: a.basis, new: b.basis });
      }
      if (a.caseRefRequired !== b.caseRefRequired) {
        out.push({ purpose, change: b.caseRefRequired ? 'now needs a case reference' : 'no longer needs a case reference', old: String(a.caseRefRequired), new: String(b.caseRefRequired) });
      }
    }
  }
  return out;
}

/** Scope changes of the purposes both policies can declare (one added or removed is a purpose change). */
export function scopeChanges(before: CompiledPolicy, after: CompiledPolicy): ScopeChange[] {
  const out: ScopeChange[] = [];
  for (const purpose of union(after.purposes, before.purposes)) {
    const a = resolvePurpose(before, purpose);
    const b = resolvePurpose(after, purpose);
    if (!a.ok || !b.ok) continue;
    const from = scopeOf(before, a.purpose);
    const to = scopeOf(after, b.purpose);
    const change = compareScopes(from, to);
    if (change !== 'same') out.push({ purpose, change, old: from, new: to, otherSubjects: from !== 'all' && to !== 'all' });
  }
  return out;
}

function periodIn(policy: CompiledPolicy, category: string): RetentionPeriod | null {
  const rule = policy.retention[category as Category];
  return rule ? { days: rule.days, from: `${rule.entity}.${rule.field}` } : null;
}

/** Categories whose retention period is added, removed or changed. */
export function retentionChanges(before: CompiledPolicy, after: CompiledPolicy): RetentionChange[] {
  const out: RetentionChange[] = [];
  for (const category of union(after.categories, before.categories)) {
    const a = periodIn(before, category);
    const b = periodIn(after, category);
    if (a === null && b === null) continue;
    if (a !== null && b !== null && a.days === b.days && a.from === b.from) continue;
    const widens = b === null || (a !== null && (b.days > a.days || b.from !== a.from));
    out.push({ category, change: widens ? 'widens' : 'narrows', old: a, new: b });
  }
  return out;
}

/**
 * Every (purpose, category) cell whose decision or mask differs between two policies, in
 * the new policy's purpose and category order. A purpose or category that exists on one
 * side only counts as DENY on the other: it could not be disclosed there.
 */
export function diffPolicies(before: CompiledPolicy, after: CompiledPolicy): PolicyDiff {
  const cells: CellChange[] = [];
  for (const purpose of union(after.purposes, before.purposes)) {
    for (const category of union(after.categories, before.categories)) {
      const a = outcomeIn(before, purpose, category);
      const b = outcomeIn(after, purpose, category);
      const change = compareOutcomes(a ?? NOTHING, b ?? NOTHING);
      if (change) cells.push({ purpose, category, change, old: a, new: b });
    }
  }
  return {
    oldVersion: before.version, newVersion: after.version, oldDeclared: before.declaredVersion, newDeclared: after.declaredVersion,
    versionReused: before.declaredVersion === after.declaredVersion && before.hash !== after.hash,
    purposes: purposeChanges(before, after), scopes: scopeChanges(before, after), cells, retention: retentionChanges(before, after),
  };
}
