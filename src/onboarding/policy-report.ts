import { clientMayDeclare, CompiledPolicy, Purpose, resolvePurpose, Scope, SCOPE_MEANING } from '../policy';
import type { CellOutcome, PolicyDiff, RetentionPeriod, ScopeChange } from './policy-diff';
import type { PolicyImpact } from './policy-impact';

export interface ReportInput {
  readonly diff: PolicyDiff;
  readonly before: CompiledPolicy;
  readonly after: CompiledPolicy;
  readonly files: { readonly old: string; readonly new: string };
  /** Registered clients: who is affected by each purpose's changes. */
  readonly clients: readonly { readonly id: string; readonly purposes: readonly string[] }[];
  readonly impact?: { readonly days: number; readonly result: PolicyImpact };
  /** The store's policy ledger, declared version → content hash (src/db/entities/PolicyVersion.ts), when one was read. */
  readonly ledger?: ReadonlyMap<string, string>;
}

const code = (s: string) => `\`${s}\``;
const cell = (o: CellOutcome | null) => (o === null ? 'not declarable' : o.decision === 'MASK' ? `MASK ${o.mask}` : o.decision);
const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const ORDER = { widens: 0, narrows: 1, 'changes mask': 2 } as const;

/** The clients that may declare a purpose under whichever policy defines it (the new one first). */
function registeredFor(input: ReportInput, purpose: string): string {
  const policy = resolvePurpose(input.after, purpose).ok ? input.after : input.before;
  const ids = input.clients.filter((c) => clientMayDeclare(policy, c.purposes, purpose as Purpose)).map((c) => code(c.id));
  return ids.length ? ids.join(', ') : 'none';
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/**
 * What makes a version lie, found before release (issue #22): both files declaring one version
 * for different contents, or a file whose declared version the store's ledger holds with other
 * content (the gateway would refuse to start with the new one; the old one is not what ran
 * under its version). Markdown, one sentence each; the CLI also writes them on stderr.
 */
export function policyWarnings(input: Pick<ReportInput, 'diff' | 'before' | 'after' | 'ledger'>): string[] {
  const { diff, before, after, ledger } = input;
  const out: string[] = [];
  if (diff.versionReused) {
    out.push(`⚠ both files declare version ${code(diff.newDeclared)} but their contents differ (hashes ${code(before.hash)} / ${code(after.hash)}): bump the version.`);
  }
  const recordedNew = ledger?.get(after.declaredVersion);
  if (recordedNew !== undefined && recordedNew !== after.hash) {
    out.push(`⚠ version ${code(after.declaredVersion)} is recorded in this store's policy ledger with hash ${code(recordedNew)}, but the new file hashes to ${code(after.hash)}: ` +
      'the gateway would refuse to start with it (POLICY_VERSION_CHANGED): bump the version.');
  }
  const recordedOld = ledger?.get(before.declaredVersion);
  if (before.declaredVersion !== after.declaredVersion && recordedOld !== undefined && recordedOld !== before.hash) {
    out.push(`⚠ version ${code(before.declaredVersion)} is recorded in this store's policy ledger with hash ${code(recordedOld)}, but the old file hashes to ${code(before.hash)}: ` +
      'it is not the policy the gateway ran under that version, so this diff is not against what is live.');
  }
  return out;
}

/**
 * The review of a policy change as Markdown, fit for the notice that the privacy policy's
 * amendment clause (its §9) requires before a widening change.
 */
export function policyReport(input: ReportInput): string {
  const { diff } = input;
  const widens = diff.cells.filter((c) => c.change === 'widens').length;
  const narrows = diff.cells.filter((c) => c.change === 'narrows').length;
  const masks = diff.cells.filter((c) => c.change === 'changes mask').length;
  const warnings = policyWarnings(input);
  // The title names the declared versions; the table, the versions records are stamped with (declared + content hash).
  const out: string[] = [
    `# Policy change: ${code(diff.oldDeclared)} → ${code(diff.newDeclared)}`,
    '',
    ...warnings.flatMap((w) => [`> ${w}`, '']),
    ...table(['', 'file', 'version'], [['old', code(input.files.old), code(diff.oldVersion)], ['new', code(input.files.new), code(diff.newVersion)]]),
    '',
    `**${count(widens, 'cell')} ${widens === 1 ? 'widens' : 'widen'}, ${count(narrows, 'cell')} ${narrows === 1 ? 'narrows' : 'narrow'}, ${count(masks, 'cell')} ${masks === 1 ? 'changes' : 'change'} mask.**`,
  ];
  if (diff.scopes.length) {
    const w = diff.scopes.filter((c) => c.change === 'widens').length;
    const n = diff.scopes.length - w;
    out.push('', `**${count(w, 'scope')} ${w === 1 ? 'widens' : 'widen'}, ${count(n, 'scope')} ${n === 1 ? 'narrows' : 'narrow'}.**`);
  }
  if (diff.retention.length) {
    const w = diff.retention.filter((c) => c.change === 'widens').length;
    const n = diff.retention.length - w;
    out.push('', `**${count(w, 'retention period')} ${w === 1 ? 'widens' : 'widen'}, ${count(n, 'retention period')} ${n === 1 ? 'narrows' : 'narrow'}.**`);
  }
  const widensPurpose = diff.purposes.some((p) => p.change === 'added' || p.change === 'no longer needs consent' || p.change === 'no longer needs a case reference');
  const widensScope = diff.scopes.some((c) => c.change === 'widens');
  const widensRetention = diff.retention.some((c) => c.change === 'widens');
  if (widens || widensPurpose || widensScope || widensRetention) {
    out.push('', 'This change discloses more personal data than the current policy: under §9 of the privacy policy (amendments and notices), data subjects must be notified, prominently, before it takes effect.');
  }

  if (diff.purposes.length) {
    out.push('', '## Purposes', '', ...table(['purpose', 'change', 'old', 'new', 'clients registered'],
      diff.purposes.map((p) => [code(p.purpose), p.change, p.old ?? '—', p.new ?? '—', registeredFor(input, p.purpose)])));
  }

  if (diff.scopes.length) out.push('', ...scopeSection(input, diff.scopes));

  if (diff.retention.length) {
    const period = (p: RetentionPeriod | null) => (p === null ? 'kept without limit' : `${count(p.days, 'day')} from ${code(p.from)}`);
    out.push('', '## Retention', '', 'How long a category\'s values are released and kept (the privacy policy\'s §3(3)); past it they are denied `RETENTION_EXPIRED` to every purpose.', '',
      ...table(['category', 'change', 'old', 'new'], diff.retention.map((c) => [code(c.category), `**${c.change}**`, period(c.old), period(c.new)])));
  }

  out.push('', '## Cells', '');
  if (!diff.cells.length) out.push('No (purpose, category) cell changes.');
  else {
    const cells = [...diff.cells].sort((a, b) => ORDER[a.change] - ORDER[b.change]);
    out.push(...table(['purpose', 'category', 'change', 'old', 'new', 'clients registered'],
      cells.map((c) => [code(c.purpose), code(c.category), c.change === 'changes mask' ? c.change : `**${c.change}**`, cell(c.old), cell(c.new), registeredFor(input, c.purpose)])));
  }

  if (input.impact) {
    out.push('', ...impactSection(input.impact.days, input.impact.result));
    const nowConsent = diff.purposes.filter((p) => p.change === 'now needs consent').map((p) => code(p.purpose));
    // Records of a purpose that did not ask for consent do not say whether the subject had one.
    if (nowConsent.length) out.push('', `Records of ${nowConsent.join(', ')}, which now needs consent, are replayed as if every subject had consented: an upper bound on what the new policy discloses.`);
  }
  return out.join('\n') + '\n';
}

/** `widens` when nothing but `all` was on one side; between two other scopes, what makes it a widening too. */
function scopeChangeText(c: ScopeChange): string {
  return c.otherSubjects ? `**${c.change}**: other subjects become visible (and others stop being)` : `**${c.change}**`;
}

function scopeSection(input: ReportInput, scopes: readonly ScopeChange[]): string[] {
  const used = [...new Set(scopes.flatMap((c) => [c.old, c.new]))] as Scope[];
  return [
    '## Scopes',
    '',
    'About whom each purpose releases anything at all (docs/api.md, "Purposes, categories, masks and scopes"): a row and subject outside the scope are never returned.',
    '',
    ...table(['purpose', 'change', 'old', 'new', 'clients registered'], scopes.map((c) => [code(c.purpose), scopeChangeText(c), code(c.old), code(c.new), registeredFor(input, c.purpose)])),
    '',
    ...used.map((s) => `- ${code(s)}: ${SCOPE_MEANING[s]}.`),
  ];
}

function impactSection(days: number, impact: PolicyImpact): string[] {
  const out = [
    `## Impact on the last ${count(days, 'day')} of audit`,
    '',
    `${count(impact.records, 'audit record')} from ${impact.since.toISOString()} to ${impact.until.toISOString()}, decided again under the new policy from the facts each record keeps ` +
      '(purpose, category, client, reason): a record denied because the subject was erased, or lacked a consent or a guardian\'s consent, stays denied wherever the new policy still asks for it, ' +
      'and one denied because its value was past retention stays denied wherever the new policy still keeps a period for that category (a longer one is under "Retention").',
    '',
  ];
  const scoped = impact.scopes.length > 0;
  if (scoped) {
    out.push(
      `Disclosures of ${impact.scopes.map((s) => `${code(s.purpose)} (now ${code(s.scope)})`).join(', ')} are judged against the new scope ` +
        'from **today\'s relationship facts** (order channels, the clients\' registered payment providers, app authorisations not revoked, the subjects of each record\'s legal case, and whether that case is still open, unexpired and for the purpose), ' +
        'not those at the time of each disclosure: a relationship that has ended since counts as absent, one begun since as present. ' +
        `${count(impact.outOfScope, 'disclosure')} would have been refused as out of scope (OUT_OF_SCOPE).`,
      '',
    );
  }
  if (!impact.changed) return [...out, 'No disclosure would have been decided differently.'];
  out.push(
    `**${count(impact.changed, 'disclosure')} would have been decided differently**: ${impact.widens.toLocaleString('en-US')} would disclose more, ` +
      `${impact.narrows.toLocaleString('en-US')} less, ${impact.masks.toLocaleString('en-US')} with another mask.`,
    '',
    ...table(['client', 'category', 'records', 'changed', 'widens', 'narrows', 'changes mask', ...(scoped ? ['out of scope'] : [])],
      impact.rows.map((r) => [code(r.clientId), code(r.category), String(r.records), String(r.changed), String(r.widens), String(r.narrows), String(r.masks), ...(scoped ? [String(r.outOfScope)] : [])])),
  );
  return out;
}
