import type { DataSource } from 'typeorm';
import { toDbTime } from '../audit/columns';
import { auditSettled } from '../audit/projection';
import { now } from '../clock';
import { Category, CompiledPolicy, decideField, resolvePurpose, SubjectFacts } from '../policy';
import { CellOutcome, compareOutcomes } from './policy-diff';

/** The facts an audit record keeps about one decision: enough to decide it again under another policy. */
export interface RecordedDecision {
  readonly purpose: string;
  readonly category: string;
  readonly decision: CellOutcome['decision'];
  readonly mask: string | null;
  readonly reason: string;
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
 */
export function redecide(policy: CompiledPolicy, r: Pick<RecordedDecision, 'purpose' | 'category' | 'reason'>): CellOutcome {
  const resolved = resolvePurpose(policy, r.purpose);
  if (!resolved.ok || !policy.categories.includes(r.category as Category)) return DENIED;
  const facts = r.reason === 'SUBJECT_ERASED' ? ERASED : r.reason === 'CONSENT_MISSING' ? NO_CONSENT : r.reason === 'GUARDIAN_CONSENT_MISSING' ? MINOR_WITHOUT_GUARDIAN : CONDITIONS_MET;
  const d = decideField(policy, resolved.purpose, r.category as Category, facts);
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
}

export interface PolicyImpact {
  readonly since: Date;
  readonly until: Date;
  readonly records: number;
  readonly changed: number;
  readonly widens: number;
  readonly narrows: number;
  readonly masks: number;
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
}

type Row = { id: number | string; client_id: string; purpose: string; category: string; decision: CellOutcome['decision']; mask: string | null; reason: string };

/**
 * Replays the audit of the last `days` days under `policy` (SPEC §10 `policy:diff --impact`):
 * one pass over the window in keyset pages by id, so memory holds one page and one counter
 * per client and category whatever the window's size.
 */
export async function replayAudit(ds: DataSource, policy: CompiledPolicy, options: ReplayOptions): Promise<PolicyImpact> {
  const until = options.until ?? now();
  const since = new Date(until.getTime() - options.days * 86_400_000);
  const window = [toDbTime(since.toISOString()), toDbTime(until.toISOString())];
  const pageSize = options.pageSize ?? 5000;
  // audit_events is projected from the committed batches: project what is pending first (in
  // `policy:diff --impact`'s own process, it does so itself), so that the replay covers them.
  await auditSettled(ds);

  const [{ n }] = (await ds.query('SELECT COUNT(*) AS n FROM audit_events WHERE at >= ? AND at < ?', window)) as { n: number | string }[];
  options.onTotal?.(Number(n));
  // Start at the window's first id (found on the time index) rather than scanning older records page by page.
  const [{ first }] = (await ds.query('SELECT MIN(id) AS first FROM audit_events WHERE at >= ? AND at < ?', window)) as { first: number | string | null }[];

  const memo = new Map<string, CellOutcome>();
  const counters = new Map<string, ImpactRow>();
  const totals = { records: 0, changed: 0, widens: 0, narrows: 0, masks: 0 };
  let last = first === null ? null : Number(first) - 1;
  while (last !== null) {
    const rows = (await ds.query(
      `SELECT id, client_id, purpose, category, decision, mask, reason FROM audit_events WHERE id > ? AND at >= ? AND at < ? ORDER BY id LIMIT ${pageSize}`,
      [last, ...window],
    )) as Row[];
    for (const r of rows) {
      const key = `${r.purpose}\u0000${r.category}\u0000${r.reason}`;
      let next = memo.get(key);
      if (!next) memo.set(key, (next = redecide(policy, r)));
      const counterKey = `${r.client_id}\u0000${r.category}`;
      let row = counters.get(counterKey);
      if (!row) counters.set(counterKey, (row = { clientId: r.client_id, category: r.category, records: 0, changed: 0, widens: 0, narrows: 0, masks: 0 }));
      row.records++;
      totals.records++;
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
  return { since, until, ...totals, rows };
}
