import type { DataSource } from 'typeorm';
import { toDbTime } from '../audit/columns';
import type { AuditReads } from '../audit';
import { now } from '../clock';
import { scopeFilter, ScopedEntity } from '../loaders/scope-sql';
import { caseValidFor, Category, CompiledPolicy, decideField, resolvePurpose, retentionFor, rowScope, Scope, SubjectFacts } from '../policy';
import { caseLookup } from '../relationships/cases';
import { CellOutcome, compareOutcomes } from './policy-diff';

/** The facts an audit record keeps about one decision: enough to decide it again under another policy. */
export interface RecordedDecision {
  readonly purpose: string;
  readonly category: string;
  readonly decision: CellOutcome['decision'];
  readonly mask: string | null;
  readonly reason: string;
  /** The type of the row the field was on (`Device`): where a category's retention period runs. */
  readonly entity?: string;
}

const DENIED: CellOutcome = Object.freeze({ decision: 'DENY', mask: null });
const ERASED: SubjectFacts = Object.freeze({ erased: true, minor: false, consentId: null, consentByGuardian: false });
const NO_CONSENT: SubjectFacts = Object.freeze({ erased: false, minor: false, consentId: null, consentByGuardian: false });
const MINOR_WITHOUT_GUARDIAN: SubjectFacts = Object.freeze({ erased: false, minor: true, consentId: 'recorded', consentByGuardian: false });
// Any other record passed the subject conditions of its own purpose; where that purpose did not
// ask for consent, the replay assumes it was there (an upper bound on what the new policy discloses).
const CONDITIONS_MET: SubjectFacts = Object.freeze({ erased: false, minor: false, consentId: 'recorded', consentByGuardian: true });

/**
 * A recorded decision decided again under `policy` with decideField, from the subject facts
 * the record's reason implies: an erased subject, a missing consent or a minor's missing
 * guardian consent stay what they were (and deny again wherever the new policy still asks for them).
 * A value that was past its retention stays past it wherever the new policy still keeps a period
 * for its category on its row's type (the record does not say by how much it was past: a longer
 * period is reported in the diff's retention changes, not here); without one, it is decided by
 * the new table.
 */
export function redecide(policy: CompiledPolicy, r: Pick<RecordedDecision, 'purpose' | 'category' | 'reason' | 'entity'>): CellOutcome {
  const resolved = resolvePurpose(policy, r.purpose);
  if (!resolved.ok || !policy.categories.includes(r.category as Category)) return DENIED;
  const facts = r.reason === 'SUBJECT_ERASED' ? ERASED : r.reason === 'CONSENT_MISSING' ? NO_CONSENT : r.reason === 'GUARDIAN_CONSENT_MISSING' ? MINOR_WITHOUT_GUARDIAN : CONDITIONS_MET;
  const category = r.category as Category;
  const expired = r.reason === 'RETENTION_EXPIRED' && (r.entity === undefined ? policy.retention[category] !== undefined : retentionFor(policy, category, r.entity) !== null);
  const d = decideField(policy, resolved.purpose, category, facts, expired);
  return d.decision === 'DENY' ? DENIED : { decision: d.decision, mask: d.mask };
}

export interface ImpactRow {
  readonly clientId: string;
  readonly category: string;
  /** Records of this client and category in the window. */
  records: number;
  /** Of those, decided differently under the new policy. */
  changed: number;
  widens: number;
  narrows: number;
  masks: number;
  /** Of the narrowing ones, disclosures (ALLOW, MASK) whose row the new scope of their purpose refuses. */
  outOfScope: number;
}

export interface PolicyImpact {
  readonly since: Date;
  readonly until: Date;
  readonly records: number;
  readonly changed: number;
  readonly widens: number;
  readonly narrows: number;
  readonly masks: number;
  readonly outOfScope: number;
  /** The purposes whose disclosures were judged against a new scope, with that scope. */
  readonly scopes: readonly { readonly purpose: string; readonly scope: Scope }[];
  /** Client and category pairs with at least one changed record, most changes first. */
  readonly rows: readonly ImpactRow[];
}

export interface ReplayOptions {
  readonly days: number;
  /** End of the window (exclusive); default now. */
  readonly until?: Date;
  readonly pageSize?: number;
  /** Called once with the number of records in the window, then after every page with the number done. */
  readonly onTotal?: (total: number) => void;
  readonly onProgress?: (done: number) => void;
  /**
   * Purposes whose scope the new policy changes to one that is not `all` (SPEC §11), with that
   * scope: each of their disclosures is judged against it from the relationship facts in the store
   * now (order channels, registered providers, active app authorisations, legal case subjects).
   */
  readonly scopes?: ReadonlyMap<string, Scope>;
  /** The clients' registered payment providers (the `provider` scope); a client not listed has none. */
  readonly clients?: readonly { readonly id: string; readonly providers: readonly string[] }[];
}

type Row = { id: number | string; client_id: string; purpose: string; case_ref: string | null; entity: string; category: string; decision: CellOutcome['decision']; mask: string | null; reason: string };

/** The rows an audit record can name (its `entity`, `entity_id` the row id as text), each joined under its own alias. */
const ENTITY_ROWS: readonly [ScopedEntity, string, string][] = [
  ['User', 'users', 'sc_eu'],
  ['Order', 'orders', 'sc_eo'],
  ['PaymentAccount', 'payment_accounts', 'sc_ep'],
  ['Device', 'devices', 'sc_ed'],
];

/**
 * The ids of the disclosures (ALLOW, MASK) in (lo, hi] of one client, purpose and case reference
 * whose row is out of `scope` for that client today: the scope's own SQL (src/loaders/scope-sql.ts)
 * over the row each record names. A row that no longer exists is out of scope (fail closed);
 * a record about any other entity is in scope, as it is at run time.
 */
async function refusedByScope(ds: DataSource, lo: number, hi: number, group: { clientId: string; providers: readonly string[]; purpose: string; caseRef: string | null }, scope: Scope): Promise<string[]> {
  const row = rowScope([scope], { id: group.clientId, providers: group.providers }, scope === 'case' ? group.caseRef : null);
  const params: Record<string, unknown> = { impactLo: lo, impactHi: hi, impactClient: group.clientId, impactPurpose: group.purpose, impactCase: group.caseRef ?? '' };
  const joins: string[] = [];
  const inScope: string[] = [];
  for (const [entity, table, alias] of ENTITY_ROWS) {
    const filter = scopeFilter(row, entity, alias);
    if (!filter) return [];
    Object.assign(params, filter.params);
    // The id as a number on both stores (SQLite reads SIGNED as NUMERIC), so that the row's primary key is used.
    joins.push(`LEFT JOIN ${table} ${alias} ON ae.entity = '${entity}' AND ${alias}.id = CAST(ae.entity_id AS SIGNED)`);
    inScope.push(`WHEN '${entity}' THEN CASE WHEN ${filter.sql} THEN 1 ELSE 0 END`);
  }
  const sql = `SELECT ae.id AS id FROM audit_events ae ${joins.join(' ')}
    WHERE ae.id > :impactLo AND ae.id <= :impactHi AND ae.client_id = :impactClient AND ae.purpose = :impactPurpose
      AND ${group.caseRef === null ? 'ae.case_ref IS NULL' : 'ae.case_ref = :impactCase'} AND ae.decision <> 'DENY'
      AND (CASE ae.entity ${inScope.join(' ')} ELSE 1 END) = 0`;
  const [query, values] = ds.driver.escapeQueryWithParameters(sql, params);
  return ((await ds.query(query, values)) as { id: number | string }[]).map((r) => String(r.id));
}

/** Whether a request declaring this case reference for this purpose would be let in now (run time: CASE_UNKNOWN otherwise). */
type CaseValid = (caseRef: string | null, purpose: string) => Promise<boolean>;

/** The disclosures of one page that the new scopes refuse, by record id. */
async function pageRefusedByScope(ds: DataSource, rows: readonly Row[], scopes: ReadonlyMap<string, Scope>, providers: ReadonlyMap<string, readonly string[]>, caseValid: CaseValid): Promise<ReadonlySet<string>> {
  const groups = new Map<string, { clientId: string; providers: readonly string[]; purpose: string; caseRef: string | null; scope: Scope }>();
  for (const r of rows) {
    const scope = scopes.get(r.purpose);
    if (scope === undefined || r.decision === 'DENY') continue;
    const key = `${r.client_id}\u0000${r.purpose}\u0000${r.case_ref ?? ''}\u0000${r.case_ref === null}`;
    if (!groups.has(key)) groups.set(key, { clientId: r.client_id, providers: providers.get(r.client_id) ?? [], purpose: r.purpose, caseRef: r.case_ref, scope });
  }
  const refused = new Set<string>();
  if (!groups.size) return refused;
  const lo = Number(rows[0].id) - 1;
  const hi = Number(rows[rows.length - 1].id);
  for (const g of groups.values()) {
    if (g.scope === 'case' && !(await caseValid(g.caseRef, g.purpose))) {
      // A case closed, expired or unregistered now: at run time the whole request is refused
      // (CASE_UNKNOWN), so every disclosure made under it would be.
      for (const r of rows) if (r.decision !== 'DENY' && r.client_id === g.clientId && r.purpose === g.purpose && r.case_ref === g.caseRef) refused.add(String(r.id));
      continue;
    }
    for (const id of await refusedByScope(ds, lo, hi, g, g.scope)) refused.add(id);
  }
  return refused;
}

/**
 * Replays the audit of the last `days` days under `policy` (SPEC §10 `policy:diff --impact`):
 * one pass over the window in keyset pages by id, so memory holds one page and one counter
 * per client and category whatever the window's size. A disclosure of a purpose in
 * `options.scopes` whose row the new scope refuses is denied (OUT_OF_SCOPE, SPEC §11), judged
 * from today's relationship facts, not those at the time of the disclosure; under the `case`
 * scope, so is every disclosure made under a case that a request could not declare at the
 * window's end (closed, expired, unregistered, or not for that purpose).
 */
export async function replayAudit(audit: AuditReads, ds: DataSource, policy: CompiledPolicy, options: ReplayOptions): Promise<PolicyImpact> {
  const until = options.until ?? now();
  const since = new Date(until.getTime() - options.days * 86_400_000);
  const window = [toDbTime(since.toISOString()), toDbTime(until.toISOString())];
  const pageSize = options.pageSize ?? 5000;
  // audit_events is projected from the committed batches: project what is pending first (in
  // `policy:diff --impact`'s own process, it does so itself), so that the replay covers them.
  await audit.settled();

  const [{ n }] = (await ds.query('SELECT COUNT(*) AS n FROM audit_events WHERE at >= ? AND at < ?', window)) as { n: number | string }[];
  options.onTotal?.(Number(n));
  // Start at the window's first id (found on the time index) rather than scanning older records page by page.
  const [{ first }] = (await ds.query('SELECT MIN(id) AS first FROM audit_events WHERE at >= ? AND at < ?', window)) as { first: number | string | null }[];

  const scopes = options.scopes ?? new Map<string, Scope>();
  // Each case read once per replay, judged as a request declaring it would be at the window's end.
  const lookup = caseLookup(ds);
  const cases = new Map<string, ReturnType<typeof lookup>>();
  const caseValid: CaseValid = async (caseRef, purpose) => {
    if (caseRef === null) return false;
    let found = cases.get(caseRef);
    if (!found) cases.set(caseRef, (found = lookup(caseRef)));
    return caseValidFor(await found, purpose, until);
  };
  const providers = new Map((options.clients ?? []).map((c) => [c.id, c.providers]));
  const memo = new Map<string, CellOutcome>();
  const counters = new Map<string, ImpactRow>();
  const totals = { records: 0, changed: 0, widens: 0, narrows: 0, masks: 0, outOfScope: 0 };
  let last = first === null ? null : Number(first) - 1;
  while (last !== null) {
    const rows = (await ds.query(
      `SELECT id, client_id, purpose, case_ref, entity, category, decision, mask, reason FROM audit_events WHERE id > ? AND at >= ? AND at < ? ORDER BY id LIMIT ${pageSize}`,
      [last, ...window],
    )) as Row[];
    const refused = scopes.size && rows.length ? await pageRefusedByScope(ds, rows, scopes, providers, caseValid) : null;
    for (const r of rows) {
      const key = `${r.purpose}\u0000${r.category}\u0000${r.reason}\u0000${r.entity}`;
      let next = memo.get(key);
      if (!next) memo.set(key, (next = redecide(policy, r)));
      const counterKey = `${r.client_id}\u0000${r.category}`;
      let row = counters.get(counterKey);
      if (!row) counters.set(counterKey, (row = { clientId: r.client_id, category: r.category, records: 0, changed: 0, widens: 0, narrows: 0, masks: 0, outOfScope: 0 }));
      row.records++;
      totals.records++;
      if (refused?.has(String(r.id))) {
        // Only disclosures are looked up: the new scope turns them into a denial of the row.
        next = DENIED;
        row.outOfScope++;
        totals.outOfScope++;
      }
      const change = compareOutcomes({ decision: r.decision, mask: (r.mask as CellOutcome['mask']) ?? null }, next);
      if (!change) continue;
      const field = change === 'widens' ? 'widens' : change === 'narrows' ? 'narrows' : 'masks';
      row.changed++;
      row[field]++;
      totals.changed++;
      totals[field]++;
    }
    options.onProgress?.(totals.records);
    last = rows.length === pageSize ? Number(rows[rows.length - 1].id) : null;
  }
  const rows = [...counters.values()].filter((r) => r.changed > 0).sort((a, b) => b.changed - a.changed || a.clientId.localeCompare(b.clientId) || a.category.localeCompare(b.category));
  return { since, until, ...totals, scopes: [...scopes].map(([purpose, scope]) => ({ purpose, scope })), rows };
}
