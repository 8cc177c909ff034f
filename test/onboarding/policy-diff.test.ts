import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAudit, createProjection } from '../../src/audit';
import { policyDiffProgram } from '../../src/cli/policy-diff';
import { fixedClock, useClock } from '../../src/clock';
import { Disclosure, FieldRecord } from '../../src/enforcement/disclosure';
import { diffPolicies } from '../../src/onboarding/policy-diff';
import { redecide, replayAudit } from '../../src/onboarding/policy-impact';
import { Category, compilePolicy, CompiledPolicy, defaultPolicyPath, loadPolicy, parsePolicy, Purpose, resolvePurpose } from '../../src/policy';
import { loadDemoData } from '../../seeds/demo';
import { TEST_TODAY } from '../helpers/gateway';
import { createTestStore, TestStore } from '../helpers/store';

/** SPEC §10 `policy:diff`: the cells that change between two policy files, and the audit replayed under the new one. */
const CURRENT = defaultPolicyPath();
const current = readFileSync(CURRENT, 'utf8');

/** The current policy with some cells of one purpose's rules replaced. */
function edit(text: string, purpose: string, cells: Record<string, string>): string {
  const start = text.indexOf(`\n  ${purpose}:\n`, text.indexOf('\nrules:'));
  const end = text.indexOf('\n\n', start + 1);
  let block = text.slice(start, end === -1 ? undefined : end);
  for (const [category, value] of Object.entries(cells)) block = block.replace(new RegExp(`(\\n    ${category.replace('.', '\\.')}: )\\S+`), `$1${value}`);
  return text.slice(0, start) + block + (end === -1 ? '' : text.slice(end));
}

// service.payment gets masked phones (widens); fulfilment gets only the address's city (narrows).
let proposed = current.replace(/^version: .*$/m, 'version: "2026-12-03.1"');
proposed = edit(proposed, 'service.payment', { 'contact.phone': 'M:PHONE' });
proposed = edit(proposed, 'service.fulfilment', { 'contact.address': 'M:CITY' });

let store: TestStore;
let dir: string;
let restoreClock: () => void;
beforeAll(async () => {
  restoreClock = useClock(fixedClock(TEST_TODAY));
  store = await createTestStore();
  await loadDemoData(store.ds);
  dir = mkdtempSync(path.join(tmpdir(), 'purposegate-policy-'));
  writeFileSync(path.join(dir, 'proposed.yaml'), proposed);
  writeFileSync(path.join(dir, 'same.yaml'), current);
});
afterAll(async () => {
  await store?.drop();
  rmSync(dir, { recursive: true, force: true });
  restoreClock?.();
});

async function policyDiff(...args: string[]): Promise<{ out: string; progress: string; warned: string }> {
  let out = '';
  let progress = '';
  let warned = '';
  const sink = { write: (chunk: string) => ((progress += chunk), true), isTTY: false } as unknown as NodeJS.WritableStream;
  const program = policyDiffProgram({ withStore: (fn) => fn(store.ds), out: (t) => void (out += t), progress: sink, warn: (t) => void (warned += t) });
  program.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await program.parseAsync(['node', 'policy:diff', ...args]);
  return { out, progress, warned };
}

const WIDENS = '| `service.payment` | `contact.phone` | **widens** | DENY | MASK PHONE | `pay-alipay`, `pay-unionpay`, `pay-wechat` |';
const NARROWS = '| `service.fulfilment` | `contact.address` | **narrows** | ALLOW | MASK CITY | `mall-app` |';

describe('the diff', () => {
  it('lists exactly the changed cells, widening first, with the clients registered for each purpose', async () => {
    const { out } = await policyDiff(CURRENT, path.join(dir, 'proposed.yaml'));
    expect(out.split('\n')[0]).toBe('# Policy change: `2026-12-02.1` → `2026-12-03.1`');
    expect(out).toContain('**1 cell widens, 1 cell narrows, 0 cells change mask.**');
    expect(out).toContain('under §9 of the privacy policy (amendments and notices), data subjects must be notified, prominently, before it takes effect');
    const rows = out.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toEqual([WIDENS, NARROWS]);
    expect(out).not.toContain('## Impact');
    // No scope changes: no scope section.
    expect(out).not.toContain('## Scopes');
    expect(out).not.toMatch(/scopes? (widen|narrow)/);
  });

  it('titles the declared versions; its table gives the versions records are stamped with (declared + content hash)', async () => {
    const { out, warned } = await policyDiff(CURRENT, path.join(dir, 'proposed.yaml'));
    const [old, neu] = [CURRENT, path.join(dir, 'proposed.yaml')].map((f) => compilePolicy(loadPolicy(f)));
    expect(out.split('\n').slice(0, 6)).toEqual([
      '# Policy change: `2026-12-02.1` → `2026-12-03.1`',
      '',
      '|  | file | version |',
      '|---|---|---|',
      `| old | \`${CURRENT}\` | \`2026-12-02.1+${old.hash}\` |`,
      `| new | \`${path.join(dir, 'proposed.yaml')}\` | \`2026-12-03.1+${neu.hash}\` |`,
    ]);
    expect(out).not.toContain('⚠');
    expect(warned).toBe('');
  });

  it('says so when nothing changes, and asks for no notice', async () => {
    const { out } = await policyDiff(CURRENT, path.join(dir, 'same.yaml'));
    expect(out).toContain('No (purpose, category) cell changes.');
    expect(out).not.toContain('must be notified');
  });

  it('validates the new file as the gateway does at start', async () => {
    writeFileSync(path.join(dir, 'broken.yaml'), edit(current, 'service.payment', { 'contact.phone': 'M:SCRAMBLE' }));
    await expect(policyDiff(CURRENT, path.join(dir, 'broken.yaml'))).rejects.toThrow(/broken\.yaml:\d+: unknown mask "SCRAMBLE" in rule service\.payment\/contact\.phone/);
  });

  it('reports mask changes, purposes that stop needing consent, and purposes added or removed', () => {
    const before = compilePolicy(parsePolicy(current, 'old.yaml'));
    let text = edit(current, 'personalization', { 'location.precise': 'M:PSEUDONYM' }).replace(/(  personalization:\n    basis: )consent/, '$1legitimate-interest');
    text = text.replace(/  research:\n    basis: legitimate-interest\n    scope: all\n    description: (.*)\n/, '  research:\n    basis: legitimate-interest\n    scope: all\n    description: $1\n    declarable: false\n  research.open:\n    basis: legitimate-interest\n    description: Open data.\n');
    const after = compilePolicy(parsePolicy(text, 'new.yaml', { checkVocabulary: false }));
    const diff = diffPolicies(before, after);
    expect(diff.purposes).toEqual([
      { purpose: 'personalization', change: 'no longer needs consent', old: 'consent', new: 'legitimate-interest' },
      { purpose: 'research', change: 'removed', old: 'legitimate-interest', new: null },
      { purpose: 'research.open', change: 'added', old: null, new: 'legitimate-interest' },
    ]);
    expect(diff.cells.filter((c) => c.change === 'changes mask')).toEqual([
      { purpose: 'personalization', category: 'location.precise', change: 'changes mask', old: { decision: 'MASK', mask: 'COARSE' }, new: { decision: 'MASK', mask: 'PSEUDONYM' } },
    ]);
    // research (one M:YEAR cell) can no longer be declared; research.open inherits it.
    expect(diff.cells.filter((c) => c.purpose.startsWith('research'))).toEqual([
      { purpose: 'research.open', category: 'identity.birthdate', change: 'widens', old: null, new: { decision: 'MASK', mask: 'YEAR' } },
      { purpose: 'research', category: 'identity.birthdate', change: 'narrows', old: { decision: 'MASK', mask: 'YEAR' }, new: null },
    ]);
    // research.open inherits research's scope; a purpose added or removed is no scope change.
    expect(diff.scopes).toEqual([]);
    expect(diff.retention).toEqual([]);
  });

  it('reports retention periods removed, made longer or shorter, or added, and asks for the notice when values are kept longer', async () => {
    const text = current.replace(/version: .*\n/, 'version: "2026-12-03.2"\n')
      .replace(/\n  location\.precise: \{ days: 90, from: Device\.lastSeenAt \}/, '')
      .replace('device.identifier: { days: 365,', 'device.identifier: { days: 730,')
      .replace('contact.phone: { days: 1095,', 'contact.phone: { days: 365,');
    writeFileSync(path.join(dir, 'retention.yaml'), text);
    const diff = diffPolicies(compilePolicy(parsePolicy(current, 'old.yaml')), compilePolicy(parsePolicy(text, 'new.yaml')));
    expect(diff.cells).toEqual([]);
    // In the policy's category order.
    expect(diff.retention).toEqual([
      { category: 'contact.phone', change: 'narrows', old: { days: 1095, from: 'Order.createdAt' }, new: { days: 365, from: 'Order.createdAt' } },
      { category: 'device.identifier', change: 'widens', old: { days: 365, from: 'Device.lastSeenAt' }, new: { days: 730, from: 'Device.lastSeenAt' } },
      { category: 'location.precise', change: 'widens', old: { days: 90, from: 'Device.lastSeenAt' }, new: null },
    ]);
    const { out } = await policyDiff(CURRENT, path.join(dir, 'retention.yaml'));
    expect(out).toContain('**2 retention periods widen, 1 retention period narrows.**');
    expect(out).toContain('must be notified');
    expect(out).toContain('| `location.precise` | **widens** | 90 days from `Device.lastSeenAt` | kept without limit |');
    expect(out).toContain('| `contact.phone` | **narrows** | 1,095 days from `Order.createdAt` | 365 days from `Order.createdAt` |');
    // Only shorter periods: no notice.
    const shorter = current.replace(/version: .*\n/, 'version: "2026-12-03.3"\n').replace('contact.phone: { days: 1095,', 'contact.phone: { days: 365,');
    writeFileSync(path.join(dir, 'shorter.yaml'), shorter);
    expect((await policyDiff(CURRENT, path.join(dir, 'shorter.yaml'))).out).not.toContain('must be notified');
  });
});

describe('a version that would lie (issue #22)', () => {
  // The proposed cells under the current version: the file was edited without a new version.
  const unbumped = () => {
    const f = path.join(dir, 'unbumped.yaml');
    writeFileSync(f, proposed.replace(/^version: .*$/m, 'version: "2026-12-02.1"'));
    return f;
  };

  it('warns at the top and on stderr when both files declare one version for different contents', async () => {
    const f = unbumped();
    const [a, b] = [CURRENT, f].map((x) => compilePolicy(loadPolicy(x)).hash);
    expect(a).not.toBe(b);
    const { out, warned } = await policyDiff(CURRENT, f);
    expect(out.split('\n').slice(0, 4)).toEqual([
      '# Policy change: `2026-12-02.1` → `2026-12-02.1`',
      '',
      `> ⚠ both files declare version \`2026-12-02.1\` but their contents differ (hashes \`${a}\` / \`${b}\`): bump the version.`,
      '',
    ]);
    expect(warned).toBe(`policy:diff: ⚠ both files declare version 2026-12-02.1 but their contents differ (hashes ${a} / ${b}): bump the version.\n`);
    // The review itself is still made.
    expect(out.split('\n').filter((l) => l.startsWith('| `'))).toEqual([WIDENS, NARROWS]);
  });

  it('does not warn for one version with the same content, however the file is written', async () => {
    const f = path.join(dir, 'recommented.yaml');
    writeFileSync(f, current.replace('\nrules:', '\n# read again, nothing changed\nrules:'));
    const { out, warned } = await policyDiff(CURRENT, f);
    expect(out).not.toContain('⚠');
    expect(warned).toBe('');
  });

  it('warns when the store\'s ledger holds a file\'s version with other content: the gateway would refuse the new file, the old one is not what ran', async () => {
    const [old, neu] = [CURRENT, path.join(dir, 'proposed.yaml')].map((f) => compilePolicy(loadPolicy(f)));
    await store.ds.query('INSERT INTO policy_versions (version, hash, first_seen_at, file) VALUES (?, ?, ?, ?), (?, ?, ?, ?)', [
      '2026-12-02.1', '0badc0de', new Date('2026-11-01T00:00:00Z').toISOString().replace('T', ' ').replace('Z', ''), null,
      '2026-12-03.1', 'feedf00d', new Date('2026-11-02T00:00:00Z').toISOString().replace('T', ' ').replace('Z', ''), null,
    ]);
    try {
      const { out, warned } = await policyDiff(CURRENT, path.join(dir, 'proposed.yaml'));
      const top = out.split('\n').slice(0, 6);
      expect(top).toEqual([
        '# Policy change: `2026-12-02.1` → `2026-12-03.1`',
        '',
        `> ⚠ version \`2026-12-03.1\` is recorded in this store's policy ledger with hash \`feedf00d\`, but the new file hashes to \`${neu.hash}\`: the gateway would refuse to start with it (POLICY_VERSION_CHANGED): bump the version.`,
        '',
        `> ⚠ version \`2026-12-02.1\` is recorded in this store's policy ledger with hash \`0badc0de\`, but the old file hashes to \`${old.hash}\`: it is not the policy the gateway ran under that version, so this diff is not against what is live.`,
        '',
      ]);
      expect(warned.split('\n').filter(Boolean)).toEqual(top.filter((l) => l.startsWith('> ')).map((l) => `policy:diff: ${l.slice(2).replace(/`/g, '')}`));
      // The ledger holding the versions with these very contents: nothing to say.
      await store.ds.query('UPDATE policy_versions SET hash = ? WHERE version = ?', [old.hash, '2026-12-02.1']);
      await store.ds.query('UPDATE policy_versions SET hash = ? WHERE version = ?', [neu.hash, '2026-12-03.1']);
      const again = await policyDiff(CURRENT, path.join(dir, 'proposed.yaml'));
      expect(again.out).not.toContain('⚠');
      expect(again.warned).toBe('');
    } finally {
      await store.ds.query('DELETE FROM policy_versions');
    }
  });
});

describe('--impact', () => {
  const policy = compilePolicy(loadPolicy(CURRENT));
  const DAY = 86_400_000;
  const ago = (days: number) => new Date(new Date(TEST_TODAY).getTime() - days * DAY);

  /** Commits one request's records through the audit writer, as the gateway would. */
  async function audited(clientId: string, purpose: string, at: Date, records: [Category, 'ALLOW' | 'MASK' | 'DENY', string | null, string, string?][]) {
    const resolved = resolvePurpose(policy, purpose);
    if (!resolved.ok) throw new Error(purpose);
    const d = new Disclosure(`req-${Math.random()}`, clientId, purpose as Purpose, resolved.basis, null, policy, at, false);
    for (const [category, decision, mask, reason, entity = 'User'] of records) {
      d.records.push({ subjectId: 1, entity, entityId: '1', field: 'f', category, decision, mask, reason, basis: resolved.basis, consentId: null } as FieldRecord);
    }
    const audit = createAudit(store.ds);
    await audit.commit(d);
    await audit.close();
  }

  beforeAll(async () => {
    await audited('pay-alipay', 'service.payment', ago(1), [
      ['contact.phone', 'DENY', null, 'PURPOSE_FORBIDS'], ['contact.phone', 'DENY', null, 'PURPOSE_FORBIDS'], ['contact.phone', 'DENY', null, 'PURPOSE_FORBIDS'],
      ['contact.phone', 'DENY', null, 'SUBJECT_ERASED'], ['identity.name', 'MASK', 'NAME', 'POLICY_MASKS'],
    ]);
    await audited('mall-app', 'service.fulfilment', ago(2), [
      ['contact.address', 'ALLOW', null, 'POLICY_ALLOWS'], ['contact.address', 'ALLOW', null, 'POLICY_ALLOWS'],
      ['contact.phone', 'ALLOW', null, 'POLICY_ALLOWS'], ['contact.phone', 'ALLOW', null, 'POLICY_ALLOWS'],
    ]);
    await audited('mall-app', 'personalization', ago(3), [['identity.birthdate', 'DENY', null, 'CONSENT_MISSING'], ['identity.birthdate', 'MASK', 'YEAR', 'POLICY_MASKS']]);
    // Outside a 30-day window, inside a 60-day one.
    await audited('mall-app', 'service.fulfilment', ago(40), [['contact.address', 'ALLOW', null, 'POLICY_ALLOWS']]);
  });

  it('counts per client and category the disclosures decided differently under the new file', async () => {
    const { out, progress } = await policyDiff(CURRENT, path.join(dir, 'proposed.yaml'), '--impact', '--days', '30');
    expect(out).toContain('## Impact on the last 30 days of audit');
    expect(out).toContain('11 audit records from 2026-10-26T12:00:00.000Z to 2026-11-25T12:00:00.000Z');
    expect(out).toContain('**5 disclosures would have been decided differently**: 3 would disclose more, 2 less, 0 with another mask.');
    // No scope changes: nothing judged against a scope, no scope column.
    expect(out).not.toContain('relationship facts');
    expect(out).toContain('| client | category | records | changed | widens | narrows | changes mask |');
    const impact = out.slice(out.indexOf('## Impact')).split('\n').filter((l) => l.startsWith('| `'));
    expect(impact).toEqual([
      '| `pay-alipay` | `contact.phone` | 4 | 3 | 3 | 0 | 0 |',
      '| `mall-app` | `contact.address` | 2 | 2 | 0 | 2 | 0 |',
    ]);
    expect(progress).toMatch(/audit records .* 11\/11 100%/);
  });

  it('--days sets the window', async () => {
    const { out } = await policyDiff(CURRENT, path.join(dir, 'proposed.yaml'), '--impact', '--days', '60');
    expect(out).toContain('| `mall-app` | `contact.address` | 3 | 3 | 0 | 3 | 0 |');
  });

  it('reads the window in keyset pages: any page size gives the same counts', async () => {
    const after = compilePolicy(parsePolicy(proposed, 'proposed.yaml'));
    const pages: number[] = [];
    const small = await replayAudit(createProjection(store.ds), store.ds, after, { days: 30, pageSize: 2, onProgress: (done) => pages.push(done) });
    const large = await replayAudit(createProjection(store.ds), store.ds, after, { days: 30 });
    expect(small).toEqual(large);
    expect(pages).toEqual([2, 4, 6, 8, 10, 11]);
  });

  it('a value denied past its retention stays denied while the new policy keeps a period for it, and is decided by the table once it does not', async () => {
    // Alone in its window, long before the others.
    await audited('risk-engine', 'security.risk-control', ago(300), [['location.precise', 'DENY', null, 'RETENTION_EXPIRED', 'Device'], ['location.precise', 'ALLOW', null, 'POLICY_ALLOWS', 'Device']]);
    const window = { days: 2, until: ago(299) };
    const same = await replayAudit(createProjection(store.ds), store.ds, policy, window);
    expect(same).toMatchObject({ records: 2, changed: 0, widens: 0 });
    const kept = compilePolicy(parsePolicy(current.replace(/\n  location\.precise: \{ days: 90, from: Device\.lastSeenAt \}/, ''), 'kept.yaml'));
    const unlimited = await replayAudit(createProjection(store.ds), store.ds, kept, window);
    expect(unlimited).toMatchObject({ records: 2, changed: 1, widens: 1 });
    expect(unlimited.rows).toEqual([{ clientId: 'risk-engine', category: 'location.precise', records: 2, changed: 1, widens: 1, narrows: 0, masks: 0, outOfScope: 0 }]);
  });

  it('an empty window replays nothing', async () => {
    const impact = await replayAudit(createProjection(store.ds), store.ds, policy, { days: 1, until: ago(100) });
    expect(impact).toMatchObject({ records: 0, changed: 0, rows: [] });
  });
});

describe('redecide: a recorded decision under another policy, from the facts the record keeps', () => {
  const base = compilePolicy(loadPolicy(CURRENT));
  const noConsent: CompiledPolicy = compilePolicy(parsePolicy(current.replace(/(  personalization:\n    basis: )consent/, '$1legitimate-interest'), 'p.yaml', { checkVocabulary: false }));
  it.each([
    ['an erased subject stays denied', base, 'service.fulfilment', 'contact.phone', 'SUBJECT_ERASED', 'DENY'],
    ['a missing consent stays denied while the purpose asks for consent', base, 'personalization', 'location.coarse', 'CONSENT_MISSING', 'DENY'],
    ['a missing guardian consent stays denied while the purpose asks for consent', base, 'personalization', 'location.coarse', 'GUARDIAN_CONSENT_MISSING', 'DENY'],
    ['a missing consent no longer denies once the purpose stops resting on consent', noConsent, 'personalization', 'location.coarse', 'CONSENT_MISSING', 'ALLOW'],
    ['an erased subject stays denied even then', noConsent, 'personalization', 'location.coarse', 'SUBJECT_ERASED', 'DENY'],
    ['a table denial is decided by the new table', base, 'service.payment', 'financial.card', 'PURPOSE_FORBIDS', 'ALLOW'],
    ['a purpose the policy no longer has discloses nothing', base, 'service.teleport', 'contact.phone', 'POLICY_ALLOWS', 'DENY'],
    ['a value past its retention stays denied while its category keeps a period', base, 'security.risk-control', 'location.precise', 'RETENTION_EXPIRED', 'DENY'],
  ])('%s', (_name, policy, purpose, category, reason, decision) => {
    expect(redecide(policy, { purpose, category, reason }).decision).toBe(decision);
  });

  it('a value past its retention is judged on its row\'s type: a period that runs on other rows no longer denies it', () => {
    const moved = compilePolicy(parsePolicy(current.replace('location.precise: { days: 90, from: Device.lastSeenAt }', 'location.precise: { days: 90, from: Order.createdAt }'), 'moved.yaml', { checkVocabulary: false }));
    expect(redecide(base, { purpose: 'security.risk-control', category: 'location.precise', reason: 'RETENTION_EXPIRED', entity: 'Device' }).decision).toBe('DENY');
    expect(redecide(moved, { purpose: 'security.risk-control', category: 'location.precise', reason: 'RETENTION_EXPIRED', entity: 'Device' }).decision).toBe('ALLOW');
  });
});
