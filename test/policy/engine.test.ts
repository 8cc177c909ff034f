import {
  CATEGORIES,
  PURPOSES,
  clientMayDeclare,
  compilePolicy,
  decideField,
  describeCell,
  isConsentBased,
  isRegistrablePurpose,
  judgePurpose,
  parsePolicy,
  purposeCovers,
  registeredScopes,
  resolvePurpose,
  scopeOf,
} from '../../src/policy';
import type { Category, CompiledPolicy, Purpose, Reason, SubjectFacts } from '../../src/policy';
import { CONSENTING_ADULT, SPEC_BASES, projectPolicy, specCells } from './fixtures';

const policy = projectPolicy();

function expected(cell: string): { decision: string; mask: string | null; reason: Reason } {
  if (cell === 'A') return { decision: 'ALLOW', mask: null, reason: 'POLICY_ALLOWS' };
  if (cell === 'D') return { decision: 'DENY', mask: null, reason: 'PURPOSE_FORBIDS' };
  return { decision: 'MASK', mask: cell.slice(2), reason: 'POLICY_MASKS' };
}

describe('the policy matrix of SPEC §4', () => {
  const cells = specCells();

  it('covers every declarable purpose and category of the vocabulary', () => {
    expect(new Set(cells.map((c) => c.purpose))).toEqual(new Set(PURPOSES));
    expect(new Set(cells.map((c) => c.category))).toEqual(new Set(CATEGORIES));
    expect(cells).toHaveLength(PURPOSES.length * CATEGORIES.length);
    expect(policy.purposes).toEqual(PURPOSES);
    expect(policy.categories).toEqual(CATEGORIES);
  });

  it.each(cells.map((c) => [c.purpose, c.category, c.cell, c.definedAt] as const))(
    '%s / %s is %s (rule on %s)',
    (purpose, category, cell, definedAt) => {
      expect(decideField(policy, purpose, category, CONSENTING_ADULT)).toEqual({
        ...expected(cell),
        basis: SPEC_BASES[purpose],
        rule: `${definedAt}/${category}`,
      });
    },
  );
});

describe('subject conditions, applied after the table in SPEC order', () => {
  const adult = (over: Partial<SubjectFacts> = {}): SubjectFacts => ({ ...CONSENTING_ADULT, ...over });
  const noConsent = { consentId: null };
  const minorSelf = { minor: true, consentByGuardian: false };

  it.each<[string, Purpose, Category, SubjectFacts, Reason]>([
    ['erased beats an allowed cell', 'account', 'contact.phone', adult({ erased: true }), 'SUBJECT_ERASED'],
    ['erased beats a masked cell', 'service.after-sales', 'contact.phone', adult({ erased: true }), 'SUBJECT_ERASED'],
    ['erased beats a legal exception', 'legal.criminal-investigation', 'identity.name', adult({ erased: true }), 'SUBJECT_ERASED'],
    ['erased beats a missing consent', 'analytics', 'device.info', adult({ erased: true, ...noConsent }), 'SUBJECT_ERASED'],
    ['erased beats a missing guardian consent', 'personalization', 'profile.basic', adult({ erased: true, ...minorSelf }), 'SUBJECT_ERASED'],
    ['erased beats a table denial', 'research', 'contact.phone', adult({ erased: true }), 'SUBJECT_ERASED'],
    ['consent missing on an allowed cell', 'analytics', 'device.info', adult(noConsent), 'CONSENT_MISSING'],
    ['consent missing on a masked cell', 'personalization', 'location.precise', adult(noConsent), 'CONSENT_MISSING'],
    ['consent missing before the table denial', 'analytics', 'profile.basic', adult(noConsent), 'CONSENT_MISSING'],
    ['consent missing before the guardian check', 'marketing.push', 'device.info', adult({ ...noConsent, ...minorSelf }), 'CONSENT_MISSING'],
    ['a minor consenting alone', 'personalization', 'profile.basic', adult(minorSelf), 'GUARDIAN_CONSENT_MISSING'],
    ['guardian check before the table denial', 'analytics', 'profile.basic', adult(minorSelf), 'GUARDIAN_CONSENT_MISSING'],
    ['the table denial once consent holds', 'analytics', 'profile.basic', adult(), 'PURPOSE_FORBIDS'],
    ['the table denial with a guardian consent', 'personalization', 'contact.phone', adult({ minor: true, consentByGuardian: true }), 'PURPOSE_FORBIDS'],
    ['a guardian consent lets a minor through', 'personalization', 'profile.basic', adult({ minor: true, consentByGuardian: true }), 'POLICY_ALLOWS'],
    ['a guardian consent lets a mask through', 'personalization', 'identity.birthdate', adult({ minor: true, consentByGuardian: true }), 'POLICY_MASKS'],
    ['contract purposes need no consent', 'service.fulfilment', 'contact.phone', adult(noConsent), 'POLICY_ALLOWS'],
    ['contract purposes ignore minority', 'service.fulfilment', 'contact.phone', adult({ ...noConsent, ...minorSelf }), 'POLICY_ALLOWS'],
    ['legitimate interest needs no consent', 'security.risk-control', 'identity.birthdate', adult(noConsent), 'POLICY_MASKS'],
    ['legal exceptions need no consent', 'legal.vital-interests', 'location.precise', adult({ ...noConsent, ...minorSelf }), 'POLICY_ALLOWS'],
  ])('%s: %s / %s', (_case, purpose, category, facts, reason) => {
    const decision = decideField(policy, purpose, category, facts);
    expect(decision.reason).toBe(reason);
    expect(decision.decision).toBe(reason === 'POLICY_ALLOWS' ? 'ALLOW' : reason === 'POLICY_MASKS' ? 'MASK' : 'DENY');
    if (decision.decision === 'DENY') expect(decision.mask).toBeNull();
    expect(decision.basis).toBe(SPEC_BASES[purpose]);
  });

  it('keeps the cell rule on a condition denial, for the audit and the explanation', () => {
    expect(decideField(policy, 'legal.public-safety', 'contact.phone', adult({ erased: true })).rule).toBe('legal/contact.phone');
    expect(decideField(policy, 'analytics', 'device.info', adult(noConsent)).rule).toBe('analytics/device.info');
  });
});

describe('decision objects', () => {
  it('are frozen and shared: a decision allocates nothing', () => {
    const first = decideField(policy, 'service.payment', 'identity.name', CONSENTING_ADULT);
    const again = decideField(policy, 'service.payment', 'identity.name', { ...CONSENTING_ADULT, consentId: 'other' });
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const erased = decideField(policy, 'service.payment', 'identity.name', { ...CONSENTING_ADULT, erased: true });
    expect(decideField(policy, 'service.payment', 'identity.name', { ...CONSENTING_ADULT, erased: true })).toBe(erased);
    expect(Object.isFrozen(erased)).toBe(true);
  });

  it('cost well under a microsecond', () => {
    const facts = { ...CONSENTING_ADULT, minor: true, consentByGuardian: true };
    const run = (n: number): number => {
      let masked = 0;
      for (let i = 0; i < n; i++) {
        for (const category of CATEGORIES) if (decideField(policy, 'personalization', category, facts).mask !== null) masked++;
      }
      return masked;
    };
    run(10_000);
    const rounds = 50_000;
    const start = process.hrtime.bigint();
    expect(run(rounds)).toBe(rounds * 4);
    const nsPerDecision = Number(process.hrtime.bigint() - start) / (rounds * CATEGORIES.length);
    // Generous bound for a loaded CI machine; a lookup takes tens of nanoseconds.
    expect(nsPerDecision).toBeLessThan(500);
  });

  it('refuses purposes that cannot be declared, instead of guessing', () => {
    expect(() => decideField(policy, 'legal' as Purpose, 'contact.phone', CONSENTING_ADULT)).toThrow(/not declarable/);
    expect(() => decideField(policy, 'account', 'contact.fax' as Category, CONSENTING_ADULT)).toThrow(/not in policy/);
  });
});

describe('the purpose tree', () => {
  // A small policy of its own: rules on a parent, a child override, a grandchild and an unruled category.
  const tree = compilePolicy(
    parsePolicy(
      [
        'version: "tree-1"',
        'bases: [contract, consent]',
        'masks: [PHONE, CITY]',
        'categories: { c.one: one, c.two: two, c.three: three }',
        'purposes:',
        '  shop: { basis: contract, description: parent, declarable: false, scope: orders }',
        '  shop.deliver: { basis: contract, description: inherits }',
        '  shop.return: { basis: contract, description: overrides, scope: all }',
        '  shop.return.courier: { basis: consent, description: grandchild }',
        '  shop.audit: { basis: contract, description: denies on its own, caseRefRequired: true }',
        'rules:',
        '  shop: { c.one: A, c.two: "M:PHONE" }',
        '  shop.return: { c.two: D, c.three: "M:CITY" }',
        '  shop.audit: { c.one: D }',
      ].join('\n'),
      'tree.yaml',
      { checkVocabulary: false },
    ),
  );
  const at = (purpose: string, category: string) => decideField(tree, purpose as Purpose, category as Category, CONSENTING_ADULT);

  it.each([
    ['shop.deliver', 'c.one', 'ALLOW', 'shop/c.one'],
    ['shop.deliver', 'c.two', 'MASK', 'shop/c.two'],
    ['shop.deliver', 'c.three', 'DENY', 'default-deny/c.three'],
    ['shop.return', 'c.one', 'ALLOW', 'shop/c.one'],
    ['shop.return', 'c.two', 'DENY', 'shop.return/c.two'],
    ['shop.return', 'c.three', 'MASK', 'shop.return/c.three'],
    ['shop.return.courier', 'c.one', 'ALLOW', 'shop/c.one'],
    ['shop.return.courier', 'c.two', 'DENY', 'shop.return/c.two'],
    ['shop.return.courier', 'c.three', 'MASK', 'shop.return/c.three'],
    ['shop.audit', 'c.one', 'DENY', 'shop.audit/c.one'],
    ['shop.audit', 'c.two', 'MASK', 'shop/c.two'],
  ])('%s / %s is %s by %s', (purpose, category, decision, rule) => {
    const result = at(purpose, category);
    expect(result.decision).toBe(decision);
    expect(result.rule).toBe(rule);
    if (decision === 'DENY') expect(result.reason).toBe('PURPOSE_FORBIDS');
  });

  it('takes the basis from the declared purpose, not from where the rule is', () => {
    expect(at('shop.return.courier', 'c.one').basis).toBe('consent');
    expect(decideField(tree, 'shop.return.courier' as Purpose, 'c.one' as Category, { ...CONSENTING_ADULT, consentId: null }).reason).toBe('CONSENT_MISSING');
  });

  it('inherits a scope down the tree like a rule, unless a child sets its own (SPEC §11)', () => {
    expect(tree.purposes.map((p) => [p, scopeOf(tree, p)])).toEqual([
      ['shop.deliver', 'orders'], ['shop.return', 'all'], ['shop.return.courier', 'all'], ['shop.audit', 'orders'],
    ]);
  });

  it('gives an operation without a purpose the scopes of every purpose the client may declare', () => {
    expect(registeredScopes(tree, ['shop.deliver']).sort()).toEqual(['orders']);
    expect(registeredScopes(tree, ['shop']).sort()).toEqual(['all', 'orders']);
    expect(registeredScopes(tree, [])).toEqual([]);
  });

  it('compiles only declarable purposes', () => {
    expect(tree.purposes).toEqual(['shop.deliver', 'shop.return', 'shop.return.courier', 'shop.audit']);
    expect(resolvePurpose(tree, 'shop')).toEqual({ ok: false, code: 'PURPOSE_UNKNOWN' });
    expect(isRegistrablePurpose(tree, 'shop')).toBe(true);
  });
});

describe('resolvePurpose', () => {
  it.each<[string, ReturnType<typeof resolvePurpose>]>([
    ['account', { ok: true, purpose: 'account', basis: 'contract', caseRefRequired: false }],
    ['service.fulfilment', { ok: true, purpose: 'service.fulfilment', basis: 'contract', caseRefRequired: false }],
    ['security.risk-control', { ok: true, purpose: 'security.risk-control', basis: 'legitimate-interest', caseRefRequired: false }],
    ['personalization', { ok: true, purpose: 'personalization', basis: 'consent', caseRefRequired: false }],
    ['marketing.push', { ok: true, purpose: 'marketing.push', basis: 'consent', caseRefRequired: false }],
    ['research', { ok: true, purpose: 'research', basis: 'legitimate-interest', caseRefRequired: false }],
    ['legal.state-security', { ok: true, purpose: 'legal.state-security', basis: 'legal-exception', caseRefRequired: true }],
    ['legal.public-safety', { ok: true, purpose: 'legal.public-safety', basis: 'legal-exception', caseRefRequired: true }],
    ['legal.criminal-investigation', { ok: true, purpose: 'legal.criminal-investigation', basis: 'legal-exception', caseRefRequired: true }],
    ['legal.vital-interests', { ok: true, purpose: 'legal.vital-interests', basis: 'legal-exception', caseRefRequired: true }],
    ['audit.review', { ok: true, purpose: 'audit.review', basis: 'legal-obligation', caseRefRequired: false }],
    ['service', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    ['security', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    ['marketing', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    ['legal', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    ['audit', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    ['legal.tax', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    ['Account', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    [' account', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    ['', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    ['__proto__', { ok: false, code: 'PURPOSE_UNKNOWN' }],
    ['service.fulfilment.extra', { ok: false, code: 'PURPOSE_UNKNOWN' }],
  ])('%j', (name, resolution) => {
    expect(resolvePurpose(policy, name)).toEqual(resolution);
  });
});

describe('clientMayDeclare', () => {
  it.each<[readonly string[], Purpose, boolean]>([
    [['service.fulfilment', 'service.after-sales', 'personalization'], 'service.fulfilment', true],
    [['service.fulfilment', 'service.after-sales', 'personalization'], 'personalization', true],
    [['service.fulfilment', 'service.after-sales', 'personalization'], 'service.payment', false],
    [['service.payment'], 'service.payment', true],
    [['legal'], 'legal.state-security', true],
    [['legal'], 'legal.criminal-investigation', true],
    [['legal'], 'audit.review', false],
    [['legal.public-safety'], 'legal.public-safety', true],
    [['legal.public-safety'], 'legal.vital-interests', false],
    [['service'], 'service.after-sales', true],
    [['marketing'], 'marketing.push', true],
    [['marketing.push'], 'analytics', false],
    [['audit.review'], 'audit.review', true],
    [['leg'], 'legal.state-security', false],
    [['legal.'], 'legal.state-security', false],
    [['service.fulfilment'], 'service.after-sales', false],
    [[], 'account', false],
  ])('%j may declare %s: %s', (registered, purpose, allowed) => {
    expect(clientMayDeclare(policy, registered, purpose)).toBe(allowed);
  });

  it('matches consents the same way', () => {
    expect(purposeCovers(policy, 'marketing', 'marketing.push')).toBe(true);
    expect(purposeCovers(policy, 'marketing.push', 'marketing.push')).toBe(true);
    expect(purposeCovers(policy, 'personalization', 'analytics')).toBe(false);
  });

  it('accepts registrations for any node of the tree', () => {
    for (const name of ['legal', 'service', 'audit', 'account', 'legal.public-safety']) expect(isRegistrablePurpose(policy, name)).toBe(true);
    for (const name of ['legal.tax', 'services', '']) expect(isRegistrablePurpose(policy, name)).toBe(false);
  });
});

describe('describeCell', () => {
  it.each<[Purpose, Category, string, string | null, readonly Reason[]]>([
    // Categories with a retention period (schema/policy.yaml `retention:`) can also expire.
    ['service.fulfilment', 'contact.phone', 'ALLOW', null, ['SUBJECT_ERASED', 'RETENTION_EXPIRED']],
    ['service.after-sales', 'contact.address', 'MASK', 'CITY', ['SUBJECT_ERASED', 'RETENTION_EXPIRED']],
    ['personalization', 'location.precise', 'MASK', 'COARSE', ['SUBJECT_ERASED', 'RETENTION_EXPIRED', 'CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING']],
    ['analytics', 'device.info', 'ALLOW', null, ['SUBJECT_ERASED', 'RETENTION_EXPIRED', 'CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING']],
    ['personalization', 'profile.extended', 'ALLOW', null, ['SUBJECT_ERASED', 'CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING']],
    ['legal.state-security', 'financial.card', 'ALLOW', null, ['SUBJECT_ERASED']],
    ['analytics', 'profile.basic', 'DENY', null, []],
    ['audit.review', 'contact.phone', 'DENY', null, []],
  ])('%s / %s: %s %s, conditions %j', (purpose, category, decision, mask, conditions) => {
    const cell = describeCell(policy, purpose, category);
    expect(cell).toMatchObject({ decision, mask, basis: SPEC_BASES[purpose], conditions });
    expect(cell.rule).toBe(`${purpose.startsWith('legal.') ? 'legal' : purpose}/${category}`);
  });

  it('agrees with decideField for a subject that meets every condition', () => {
    for (const purpose of PURPOSES) {
      for (const category of CATEGORIES) {
        const { decision, mask, reason, basis, rule } = describeCell(policy, purpose, category);
        expect(decideField(policy, purpose, category, CONSENTING_ADULT)).toEqual({ decision, mask, reason, basis, rule });
      }
    }
  });
});

describe('isConsentBased and version', () => {
  it.each(PURPOSES.map((p) => [p, ['personalization', 'marketing.push', 'analytics'].includes(p)] as const))('%s: %s', (purpose, consent) => {
    expect(isConsentBased(policy, purpose)).toBe(consent);
  });

  it('carries the policy version for the audit: the declared one and the content hash', () => {
    const compiled: CompiledPolicy = policy;
    expect(compiled.declaredVersion).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(compiled.hash).toMatch(/^[0-9a-f]{8}$/);
    expect(compiled.version).toBe(`${compiled.declaredVersion}+${compiled.hash}`);
  });
});

describe('judgePurpose: the order every entry point shares', () => {
  it('an unknown name is PURPOSE_UNKNOWN whatever the client is registered for', () => {
    expect(judgePurpose(policy, 'service.teleport', [])).toEqual({ ok: false, code: 'PURPOSE_UNKNOWN' });
    expect(judgePurpose(policy, 'legal', ['legal'])).toEqual({ ok: false, code: 'PURPOSE_UNKNOWN' }); // a parent is registrable, not declarable
  });
  it('a known purpose the client is not registered for is PURPOSE_NOT_PERMITTED, with the basis it would have had', () => {
    const resolved = resolvePurpose(policy, 'service.payment');
    expect(resolved.ok).toBe(true);
    expect(judgePurpose(policy, 'service.payment', ['service.fulfilment'])).toEqual({ ok: false, code: 'PURPOSE_NOT_PERMITTED', purpose: 'service.payment', basis: (resolved as { basis: string }).basis });
  });
  it('a purpose the client is registered for, or a child of one, is what resolvePurpose says', () => {
    expect(judgePurpose(policy, 'legal.criminal-investigation', ['legal'])).toEqual(resolvePurpose(policy, 'legal.criminal-investigation'));
    expect(judgePurpose(policy, 'legal.criminal-investigation', ['legal'])).toMatchObject({ ok: true, caseRefRequired: true });
  });
});
