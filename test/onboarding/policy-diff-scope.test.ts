import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAudit, createProjection } from '../../src/audit';
import { policyDiffProgram } from '../../src/cli/policy-diff';
import { fixedClock, useClock } from '../../src/clock';
import { AppAuthorization, LegalCase } from '../../src/db/entities';
import { Disclosure, FieldRecord } from '../../src/enforcement/disclosure';
import { diffPolicies } from '../../src/onboarding/policy-diff';
import { replayAudit } from '../../src/onboarding/policy-impact';
import { Category, compilePolicy, defaultPolicyPath, describeCell, loadPolicy, parsePolicy, Purpose, resolvePurpose } from '../../src/policy';
import { loadDemoData } from '../../seeds/demo';
import { TEST_TODAY } from '../helpers/gateway';
import { createTestStore, TestStore } from '../helpers/store';

/** SPEC §10 `policy:diff` and SPEC §11: a purpose's scope change is reviewed, and its impact judged from today's relationship facts. */
const CURRENT = defaultPolicyPath();
const current = readFileSync(CURRENT, 'utf8');
/** The current policy as it was written before relationship scope: no `scope:` keys at all. */
const preScope = current.replace(/^version: .*$/m, 'version: "2026-11-01.1"').replace(/^ {4}scope: \S+\n/gm, '');

/** The current policy with some purposes' `scope:` replaced (each purpose must set one itself). */
function rescope(text: string, scopes: Record<string, string>): string {
  let out = text;
  for (const [purpose, scope] of Object.entries(scopes)) {
    const before = out;
    out = out.replace(new RegExp(`(\\n  ${purpose.replace(/\./g, '\\.')}:\\n(?: {4}\\S.*\\n)*? {4}scope: )\\S+`), `$1${scope}`);
    if (out === before) throw new Error(`no scope set on ${purpose}`);
  }
  return out;
}

let store: TestStore;
let dir: string;
let restoreClock: () => void;
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
beforeAll(async () => {
  restoreClock = useClock(fixedClock(TEST_TODAY));
  store = await createTestStore();
  await loadDemoData(store.ds);
  dir = mkdtempSync(path.join(tmpdir(), 'purposegate-policy-scope-'));
});
afterAll(async () => {
  await store?.drop();
  rmSync(dir, { recursive: true, force: true });
  restoreClock?.();
});

async function policyDiff(...args: string[]): Promise<string> {
  let out = '';
  const program = policyDiffProgram({ withStore: (fn) => fn(store.ds), out: (t) => void (out += t), progress: null });
  program.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await program.parseAsync(['node', 'policy:diff', ...args]);
  return out;
}

/** The rows of the Markdown section that starts with `heading`. */
function section(out: string, heading: string): string[] {
  const start = out.indexOf(`\n${heading}\n`);
  if (start < 0) return [];
  const end = out.indexOf('\n## ', start + 1);
  return out.slice(start, end < 0 ? undefined : end).split('\n').filter((l) => l.startsWith('| `'));
}

describe('scope changes in the diff', () => {
  it('are widens or narrows, by compareScopes; between two scopes other than all, widens', () => {
    const before = compilePolicy(parsePolicy(current, 'old.yaml'));
    const after = compilePolicy(parsePolicy(rescope(current, { 'service.payment': 'all', 'third-party-app': 'orders', research: 'orders' }), 'new.yaml'));
    expect(diffPolicies(before, after).scopes).toEqual([
      { purpose: 'service.payment', change: 'widens', old: 'provider', new: 'all', otherSubjects: false },
      { purpose: 'third-party-app', change: 'widens', old: 'authorized', new: 'orders', otherSubjects: true },
      { purpose: 'research', change: 'narrows', old: 'all', new: 'orders', otherSubjects: false },
    ]);
    // Inherited: legal's scope is every legal purpose's.
    const legal = compilePolicy(parsePolicy(rescope(current, { legal: 'all' }), 'new.yaml'));
    expect(diffPolicies(before, legal).scopes.map((c) => [c.purpose, c.change, c.old, c.new])).toEqual(
      ['legal.state-security', 'legal.public-safety', 'legal.criminal-investigation', 'legal.vital-interests'].map((p) => [p, 'widens', 'case', 'all']),
    );
  });

  it('a policy file written before scopes reads as all-all: the current file narrows every scoped purpose', async () => {
    const out = await policyDiff(file('pre-scope.yaml', preScope), CURRENT);
    expect(out.split('\n')[0]).toBe('# Policy change: `2026-11-01.1` → `2026-12-02.1`');
    expect(out).toContain('**0 scopes widen, 8 scopes narrow.**');
    expect(out).toContain('No (purpose, category) cell changes.');
    // Only narrowing: no notice needed.
    expect(out).not.toContain('must be notified');
    expect(section(out, '## Scopes')).toEqual([
      '| `service.fulfilment` | **narrows** | `all` | `orders` | `mall-app` |',
      '| `service.payment` | **narrows** | `all` | `provider` | `pay-alipay`, `pay-unionpay`, `pay-wechat` |',
      '| `service.after-sales` | **narrows** | `all` | `orders` | `mall-app` |',
      '| `third-party-app` | **narrows** | `all` | `authorized` | `docs-app` |',
      '| `legal.state-security` | **narrows** | `all` | `case` | `legal-desk` |',
      '| `legal.public-safety` | **narrows** | `all` | `case` | `legal-desk` |',
      '| `legal.criminal-investigation` | **narrows** | `all` | `case` | `legal-desk` |',
      '| `legal.vital-interests` | **narrows** | `all` | `case` | `legal-desk` |',
    ]);
    expect(out).toContain("- `provider`: payment accounts of the client's registered providers, the orders paid with them, and their owners.");
    expect(out).toContain('- `all`: every subject and row.');
    // Points at the project's own docs, not at a specification a reader does not have.
    expect(out).toContain('(docs/api.md, "Purposes, categories, masks and scopes")');
    expect(out).not.toMatch(/\bSPEC\b/);
  });

  it('a widening scope asks for the notice, and a change between two scopes says that other subjects become visible', async () => {
    const back = await policyDiff(CURRENT, file('pre-scope-new.yaml', preScope));
    expect(back).toContain('**8 scopes widen, 0 scopes narrow.**');
    expect(back).toContain('data subjects must be notified, prominently, before it takes effect');
    const swapped = await policyDiff(CURRENT, file('swapped.yaml', rescope(current, { 'third-party-app': 'orders' })));
    expect(section(swapped, '## Scopes')).toEqual([
      '| `third-party-app` | **widens**: other subjects become visible (and others stop being) | `authorized` | `orders` | `docs-app` |',
    ]);
    expect(swapped).toContain('**1 scope widens, 0 scopes narrow.**');
    expect(swapped).toContain('must be notified');
  });

  it('the new file is still validated: an unknown scope is refused', async () => {
    await expect(policyDiff(CURRENT, file('bad-scope.yaml', rescope(current, { 'service.payment': 'everyone' })))).rejects.toThrow(/bad-scope\.yaml:\d+: unknown scope "everyone" in purpose service\.payment/);
  });
});

describe('--impact of a narrowing scope', () => {
  const policy = compilePolicy(loadPolicy(CURRENT));
  const ago = (days: number) => new Date(new Date(TEST_TODAY).getTime() - days * 86_400_000);
  type Rec = [entity: string, entityId: number, subjectId: number, category: Category];

  /** Commits one request's records through the audit writer, as the gateway would, each decided by the policy's cell. */
  async function audited(clientId: string, purpose: string, caseRef: string | null, records: Rec[]) {
    const resolved = resolvePurpose(policy, purpose);
    if (!resolved.ok) throw new Error(purpose);
    const d = new Disclosure(`req-${Math.random()}`, clientId, purpose as Purpose, resolved.basis, caseRef, policy, ago(1), false);
    for (const [entity, entityId, subjectId, category] of records) {
      const { decision, mask, reason } = describeCell(policy, resolved.purpose, category);
      d.records.push({ subjectId, entity, entityId: String(entityId), field: 'f', category, decision, mask, reason, basis: resolved.basis, consentId: null } as FieldRecord);
    }
    const audit = createAudit(store.ds);
    await audit.commit(d);
    await audit.close();
  }

  beforeAll(async () => {
    // Demo facts (SPEC §11): only Alice (1) holds an Alipay account (1; her account 2 is a bank card);
    // order 1 was paid with it, order 2 with Bob's WeChat Pay account 3. Every order came through
    // mall-app but Tom's (order 4, user 4), placed through docs-app. Alice and Lily (3) authorised
    // docs-app. Case GA-2026-0117 (legal.criminal-investigation) names Alice and Bob.
    await audited('pay-alipay', 'service.payment', null, [
      ['User', 1, 1, 'identity.name'], // in scope
      ['User', 2, 2, 'identity.name'], // refused: Bob has no Alipay account
      ['User', 2, 2, 'contact.phone'], // denied anyway: not counted
      ['PaymentAccount', 1, 1, 'financial.account'], // in scope
      ['PaymentAccount', 2, 1, 'financial.card'], // refused: Alice's bank card
      ['Order', 1, 1, 'transaction.order'], // in scope: paid with Alipay
      ['Order', 2, 2, 'transaction.order'], // refused: paid with WeChat Pay
      ['Device', 2, 2, 'device.identifier'], // refused: its owner is Bob
    ]);
    await audited('mall-app', 'service.fulfilment', null, [
      ['Order', 1, 1, 'contact.address'], // in scope
      ['Order', 4, 4, 'contact.address'], // refused: docs-app's order
      ['User', 4, 4, 'contact.phone'], // refused: Tom placed no mall-app order
      ['Device', 1, 1, 'location.coarse'], // in scope
      ['Order', 999, 1, 'contact.address'], // refused: the row no longer exists (fail closed)
    ]);
    await audited('docs-app', 'third-party-app', null, [
      ['User', 2, 2, 'profile.basic'], // refused
      ['User', 3, 3, 'profile.basic'], // in scope
    ]);
    // Each record is judged against its own case reference.
    await audited('legal-desk', 'legal.criminal-investigation', 'GA-2026-0117', [
      ['User', 1, 1, 'contact.phone'], // in scope
      ['User', 3, 3, 'contact.phone'], // refused: Lily is not named in the case
    ]);
    await audited('legal-desk', 'legal.criminal-investigation', 'GA-UNREGISTERED-1', [['User', 1, 1, 'contact.phone']]); // refused
    // A purpose whose scope does not change is not judged: Tom stays in the risk engine's scope.
    await audited('risk-engine', 'security.risk-control', null, [['User', 4, 4, 'contact.phone']]);
  });

  // Most changes first, then by client and category.
  const IMPACT = [
    '| `legal-desk` | `contact.phone` | 3 | 2 | 0 | 2 | 0 | 2 |',
    '| `mall-app` | `contact.address` | 3 | 2 | 0 | 2 | 0 | 2 |',
    '| `docs-app` | `profile.basic` | 2 | 1 | 0 | 1 | 0 | 1 |',
    '| `mall-app` | `contact.phone` | 1 | 1 | 0 | 1 | 0 | 1 |',
    '| `pay-alipay` | `device.identifier` | 1 | 1 | 0 | 1 | 0 | 1 |',
    '| `pay-alipay` | `financial.card` | 1 | 1 | 0 | 1 | 0 | 1 |',
    '| `pay-alipay` | `identity.name` | 2 | 1 | 0 | 1 | 0 | 1 |',
    '| `pay-alipay` | `transaction.order` | 2 | 1 | 0 | 1 | 0 | 1 |',
  ];

  it('counts per client and category the disclosures the new scope refuses, and says they are judged from today\'s facts', async () => {
    const out = await policyDiff(file('pre-scope.yaml', preScope), CURRENT, '--impact', '--days', '30');
    expect(out).toContain('judged against the new scope from **today\'s relationship facts**');
    expect(out).toContain('not those at the time of each disclosure');
    expect(out).toContain('10 disclosures would have been refused as out of scope (OUT_OF_SCOPE).');
    expect(out).toContain('**10 disclosures would have been decided differently**: 0 would disclose more, 10 less, 0 with another mask.');
    expect(out).toContain('| client | category | records | changed | widens | narrows | changes mask | out of scope |');
    expect(section(out, '## Impact on the last 30 days of audit')).toEqual(IMPACT);
  });

  it('reads the relationships as they are now: an authorisation revoked since turns its disclosures out of scope', async () => {
    const after = compilePolicy(loadPolicy(CURRENT));
    const before = compilePolicy(parsePolicy(preScope, 'pre-scope.yaml', { requireScopes: false }));
    const scopes = new Map(diffPolicies(before, after).scopes.map((c) => [c.purpose, c.new]));
    const clients = [{ id: 'pay-alipay', providers: ['ALIPAY'] }];
    const docs = async () => (await replayAudit(createProjection(store.ds), store.ds, after, { days: 30, scopes, clients })).rows.find((r) => r.clientId === 'docs-app');
    expect(await docs()).toMatchObject({ records: 2, outOfScope: 1 });
    const lily = { userId: 3, clientId: 'docs-app' };
    await store.ds.getRepository(AppAuthorization).update(lily, { revokedAt: new Date(TEST_TODAY) });
    try {
      expect(await docs()).toMatchObject({ records: 2, outOfScope: 2 });
    } finally {
      await store.ds.getRepository(AppAuthorization).update(lily, { revokedAt: null });
    }
    // A client registered for another provider today sees other rows: pay-alipay registered for bank cards too.
    const wider = await replayAudit(createProjection(store.ds), store.ds, after, { days: 30, scopes, clients: [{ id: 'pay-alipay', providers: ['ALIPAY', 'BANK_CARD'] }] });
    expect(wider.rows.find((r) => r.clientId === 'pay-alipay' && r.category === 'financial.card')).toBeUndefined();
  });

  it('reads the case as it is now: a case closed or expired since, or no longer for the purpose, refuses every disclosure made under it', async () => {
    const after = compilePolicy(loadPolicy(CURRENT));
    const before = compilePolicy(parsePolicy(preScope, 'pre-scope.yaml', { requireScopes: false }));
    const scopes = new Map(diffPolicies(before, after).scopes.map((c) => [c.purpose, c.new]));
    const legal = async () => (await replayAudit(createProjection(store.ds), store.ds, after, { days: 30, scopes })).rows.find((r) => r.clientId === 'legal-desk');
    // Open: Lily (not named) and the unregistered case are refused; Alice, named in the case, is not.
    expect(await legal()).toMatchObject({ records: 3, outOfScope: 2 });
    const repo = store.ds.getRepository(LegalCase);
    const original = (await repo.findOneByOrFail({ caseRef: 'GA-2026-0117' }));
    const changes: [string, Partial<LegalCase>][] = [
      ['closed', { closedAt: ago(2) }],
      ['expired', { expiresAt: ago(1) }],
      ['for other purposes', { purposes: ['legal.state-security'] }],
    ];
    for (const [what, change] of changes) {
      await repo.update({ caseRef: 'GA-2026-0117' }, change);
      try {
        expect([what, await legal()]).toEqual([what, expect.objectContaining({ records: 3, outOfScope: 3 })]);
      } finally {
        await repo.update({ caseRef: 'GA-2026-0117' }, { closedAt: original.closedAt, expiresAt: original.expiresAt, purposes: original.purposes });
      }
    }
    expect(await legal()).toMatchObject({ records: 3, outOfScope: 2 });
  });

  it('any page size gives the same counts (each page judged on its own id range)', async () => {
    const after = compilePolicy(loadPolicy(CURRENT));
    const scopes = new Map<string, 'provider' | 'orders' | 'authorized' | 'case'>([['service.payment', 'provider'], ['service.fulfilment', 'orders'], ['third-party-app', 'authorized'], ['legal.criminal-investigation', 'case']]);
    const clients = [{ id: 'pay-alipay', providers: ['ALIPAY'] }];
    const small = await replayAudit(createProjection(store.ds), store.ds, after, { days: 30, scopes, clients, pageSize: 3 });
    const large = await replayAudit(createProjection(store.ds), store.ds, after, { days: 30, scopes, clients });
    expect(small).toEqual(large);
    expect(large).toMatchObject({ records: 19, outOfScope: 10 });
  });

  it('a change to scope all refuses nothing: no scope is judged', async () => {
    const out = await policyDiff(CURRENT, file('pre-scope-new.yaml', preScope), '--impact', '--days', '30');
    expect(out).not.toContain('relationship facts');
    expect(out).toContain('No disclosure would have been decided differently.');
  });
});
