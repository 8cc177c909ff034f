import { readFileSync } from 'node:fs';
import {
  compilePolicy, decideField, defaultPolicyPath, describeCell, parsePolicy, PolicyValidationError, RETENTION_CLOCKS, retentionExpired, retentionFor,
} from '../../src/policy';
import type { Category, CompiledPolicy, Purpose, RetentionRule, SubjectFacts } from '../../src/policy';
import { CONSENTING_ADULT, projectPolicy } from './fixtures';

/** SPEC §7 retention in the policy file: parsed and validated with the line at fault, compiled, and decided in SPEC §4's order. */

const DAY = 86_400_000;

/** A small policy of its own, `retention` lines appended (block style, so that each key has its own line). */
function smallPolicy(retention: string[] | null): string {
  return [
    'version: "retention-1"', //                                               1
    'bases: [contract, consent]', //                                           2
    'masks: [PHONE]', //                                                       3
    'categories: { c.one: one, c.two: two, c.three: three }', //                4
    'purposes:', //                                                            5
    '  shop: { basis: contract, description: shop, scope: all }', //          6
    '  ads: { basis: consent, description: ads, scope: all }', //             7
    'rules:', //                                                               8
    '  shop: { c.one: A, c.two: "M:PHONE", c.three: D }', //                  9
    '  ads: { c.one: A, c.two: D }', //                                       10
    ...(retention === null ? [] : ['retention:', ...retention]), //          11…
  ].join('\n');
}
const parse = (retention: string[] | null) => parsePolicy(smallPolicy(retention), 'small.yaml', { checkVocabulary: false });

/** The PolicyValidationError that parsing throws, or a failure. */
function failure(retention: string[]): PolicyValidationError {
  try {
    parse(retention);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyValidationError);
    return e as PolicyValidationError;
  }
  throw new Error('parsed without error');
}

describe('parsing `retention:`', () => {
  it('reads a valid section: category, whole days, the clock, and the line of each entry', () => {
    const doc = parse([
      '  c.one:', //                  12
      '    days: 30', //              13
      '    from: Device.lastSeenAt', // 14
      '  c.two: { days: 1, from: Order.createdAt }', // 15
    ]);
    expect(doc.retention).toEqual([
      { category: 'c.one', days: 30, from: 'Device.lastSeenAt', line: 12 },
      { category: 'c.two', days: 1, from: 'Order.createdAt', line: 15 },
    ]);
    expect(Object.isFrozen(doc.retention)).toBe(true);
  });

  it('a file without `retention:` keeps everything: no periods', () => {
    expect(parse(null).retention).toEqual([]);
    expect(compilePolicy(parse(null)).retention).toEqual({});
  });

  it('the clocks are the stores\' own: Device.lastSeenAt and Order.createdAt', () => {
    expect([...RETENTION_CLOCKS]).toEqual(['Device.lastSeenAt', 'Order.createdAt']);
  });

  it('reads the project policy\'s periods, each at its line in schema/policy.yaml', () => {
    const text = readFileSync(defaultPolicyPath(), 'utf8');
    const lines = text.split('\n');
    const lineOf = (category: string) => lines.findIndex((l, i) => i > lines.indexOf('retention:') && l.startsWith(`  ${category}:`)) + 1;
    const doc = parsePolicy(text, 'schema/policy.yaml');
    expect(doc.retention.map((r) => [r.category, r.days, r.from])).toEqual([
      ['location.precise', 90, 'Device.lastSeenAt'],
      ['location.network', 180, 'Device.lastSeenAt'],
      ['device.identifier', 365, 'Device.lastSeenAt'],
      ['device.info', 365, 'Device.lastSeenAt'],
      ['location.coarse', 365, 'Device.lastSeenAt'],
      ['identity.name', 1095, 'Order.createdAt'],
      ['contact.phone', 1095, 'Order.createdAt'],
      ['contact.address', 1095, 'Order.createdAt'],
    ]);
    for (const r of doc.retention) expect([r.category, r.line]).toEqual([r.category, lineOf(r.category)]);
  });

  // Each bad section, the line the error must name, and the problem.
  it.each<[string, string[], number, RegExp]>([
    ['an unknown category', ['  c.one: { days: 5, from: Device.lastSeenAt }', '  c.four: { days: 5, from: Device.lastSeenAt }'], 13, /unknown category "c\.four" in retention/],
    ['days 0', ['  c.one:', '    days: 0', '    from: Device.lastSeenAt'], 13, /retention of c\.one must be a whole number of days, at least 1/],
    ['days 0.5', ['  c.one:', '    from: Device.lastSeenAt', '    days: 0.5'], 14, /whole number of days, at least 1/],
    ['days 1.5', ['  c.one:', '    days: 1.5', '    from: Device.lastSeenAt'], 13, /whole number of days/],
    ['days "ten"', ['  c.one:', '    days: ten', '    from: Device.lastSeenAt'], 13, /whole number of days/],
    ['days quoted "10"', ['  c.one:', '    days: "10"', '    from: Device.lastSeenAt'], 13, /whole number of days/],
    ['days negative', ['  c.one:', '    days: -30', '    from: Device.lastSeenAt'], 13, /whole number of days/],
    ['days empty', ['  c.one:', '    days:', '    from: Device.lastSeenAt'], 13, /whole number of days/],
    ['days a list', ['  c.one:', '    days: [30]', '    from: Device.lastSeenAt'], 13, /whole number of days/],
    ['an unknown from', ['  c.one:', '    days: 30', '    from: Device.lastSeen'], 14, /unknown from "Device\.lastSeen" in the retention of c\.one \(expected Device\.lastSeenAt, Order\.createdAt\)/],
    ['a from of another store', ['  c.two: { days: 30, from: User.createdAt }'], 12, /unknown from "User\.createdAt"/],
    ['an unknown key', ['  c.one:', '    days: 30', '    from: Device.lastSeenAt', '    purpose: shop'], 15, /unknown key "purpose" in the retention of c\.one \(expected days, from\)/],
    ['a misspelt key', ['  c.one:', '    day: 30', '    from: Device.lastSeenAt'], 13, /unknown key "day"/],
    ['missing days', ['  c.two: { days: 3, from: Order.createdAt }', '  c.one:', '    from: Device.lastSeenAt'], 13, /the retention of c\.one has no days/],
    ['missing from', ['  c.one:', '    days: 30'], 12, /the retention of c\.one has no from \(one of Device\.lastSeenAt, Order\.createdAt\)/],
    ['a period that is not a mapping', ['  c.one: 30'], 12, /retention of c\.one must be a mapping/],
    ['a section that is not a mapping', ['  - c.one'], 12, /retention must be a mapping/],
    ['a category given twice', ['  c.one: { days: 5, from: Device.lastSeenAt }', '  c.one: { days: 9, from: Device.lastSeenAt }'], 13, /unique/i],
  ])('%s: PolicyValidationError at its line', (_name, retention, line, problem) => {
    const e = failure(retention);
    expect(e.file).toBe('small.yaml');
    expect(e.line).toBe(line);
    expect(e.problem).toMatch(problem);
    expect(e.message).toBe(`small.yaml:${line}: ${e.problem}`);
  });
});

describe('compiling and looking up periods', () => {
  const small = compilePolicy(parse(['  c.one: { days: 2, from: Device.lastSeenAt }', '  c.two: { days: 7, from: Order.createdAt }']));
  const project = projectPolicy();

  it('compiles a period to its entity, field and milliseconds', () => {
    expect(small.retention['c.one']).toEqual({ category: 'c.one', days: 2, entity: 'Device', field: 'lastSeenAt', ms: 2 * DAY });
    expect(small.retention['c.two']).toEqual({ category: 'c.two', days: 7, entity: 'Order', field: 'createdAt', ms: 7 * DAY });
    expect(small.retention['c.three']).toBeUndefined();
  });

  it.each<[string, string, [number, string, string] | null]>([
    ['location.precise', 'Device', [90, 'Device', 'lastSeenAt']],
    ['location.network', 'Device', [180, 'Device', 'lastSeenAt']],
    ['device.identifier', 'Device', [365, 'Device', 'lastSeenAt']],
    ['location.coarse', 'Device', [365, 'Device', 'lastSeenAt']],
    ['location.coarse', 'User', null], // a user's city is no device's
    ['contact.phone', 'Order', [1095, 'Order', 'createdAt']],
    ['identity.name', 'Order', [1095, 'Order', 'createdAt']],
    ['contact.address', 'Order', [1095, 'Order', 'createdAt']],
    ['contact.phone', 'User', null], // the account's own phone is kept with the account
    ['identity.name', 'User', null],
    ['identity.name', 'PaymentAccount', null],
    ['location.precise', 'Order', null],
    ['profile.basic', 'User', null], // no period at all
    ['financial.card', 'PaymentAccount', null],
    ['transaction.order', 'Order', null],
  ])('retentionFor(%s on %s)', (category, entity, expected) => {
    const rule = retentionFor(project, category as Category, entity);
    expect(rule && [rule.days, rule.entity, rule.field]).toEqual(expected);
    if (rule) expect(rule.ms).toBe(rule.days * DAY);
  });

  it('matches the entity exactly (no prefix or case folding)', () => {
    expect(retentionFor(small, 'c.one' as Category, 'Device')).not.toBeNull();
    for (const entity of ['device', 'Devices', 'Dev', '']) expect(retentionFor(small, 'c.one' as Category, entity)).toBeNull();
  });
});

describe('retentionExpired', () => {
  const rule: RetentionRule = { category: 'location.precise', days: 90, entity: 'Device', field: 'lastSeenAt', ms: 90 * DAY };
  const at = new Date('2026-11-25T12:00:00.000Z');
  const edge = at.getTime() - rule.ms; // 2026-08-27T12:00:00.000Z

  it.each<[string, Date | string | null | undefined, boolean]>([
    ['exactly `days` old (Date)', new Date(edge), false],
    ['one ms more (Date)', new Date(edge - 1), true],
    ['one ms less (Date)', new Date(edge + 1), false],
    ['a year old', new Date(edge - 365 * DAY), true],
    ['seen just now', at, false],
    ['seen in the future', new Date(at.getTime() + DAY), false],
    ['exactly `days` old (ISO, Z)', '2026-08-27T12:00:00.000Z', false],
    ['one ms more (ISO, Z)', '2026-08-27T11:59:59.999Z', true],
    ['exactly, SQLite text (UTC, no zone)', '2026-08-27 12:00:00.000', false],
    ['one ms more, SQLite text', '2026-08-27 11:59:59.999', true],
    ['one second more, SQLite text without ms', '2026-08-27 11:59:59', true],
    ['exactly, with an offset', '2026-08-27T20:00:00.000+08:00', false],
    ['one ms more, with an offset', '2026-08-27T19:59:59.999+08:00', true],
    ['null: a device never seen, nothing to run from', null, false],
    ['undefined', undefined, false],
    ['unreadable text: fail closed', 'not a date', true],
    ['empty text: fail closed', '', true],
    ['an invalid Date: fail closed', new Date(NaN), true],
  ])('%s → expired %s', (_name, timestamp, expired) => {
    expect(retentionExpired(rule, timestamp, at)).toBe(expired);
  });

  it('counts in whole milliseconds of the period, not calendar days (a 1-day period)', () => {
    const day: RetentionRule = { ...rule, days: 1, ms: DAY };
    expect(retentionExpired(day, '2026-11-24T12:00:00.000Z', at)).toBe(false);
    expect(retentionExpired(day, '2026-11-24T11:59:59.999Z', at)).toBe(true);
  });
});

describe('decideField: erased > retention > consent > table', () => {
  const policy: CompiledPolicy = projectPolicy();
  const facts = (f: Partial<SubjectFacts>): SubjectFacts => ({ ...CONSENTING_ADULT, ...f });
  const NO_CONSENT = { consentId: null };
  const MINOR_NO_GUARDIAN = { minor: true, consentByGuardian: false };

  it.each<[Purpose, Category, Partial<SubjectFacts>, boolean, string, string | null]>([
    // legitimate interest, allowed: erased, then retention.
    ['security.risk-control', 'location.precise', {}, false, 'ALLOW', null],
    ['security.risk-control', 'location.precise', {}, true, 'DENY', 'RETENTION_EXPIRED'],
    ['security.risk-control', 'location.precise', { erased: true }, true, 'DENY', 'SUBJECT_ERASED'],
    ['security.risk-control', 'location.precise', { erased: true }, false, 'DENY', 'SUBJECT_ERASED'],
    // consent basis, masked: erased, retention, consent, guardian consent.
    ['personalization', 'location.precise', {}, false, 'MASK', null],
    ['personalization', 'location.precise', {}, true, 'DENY', 'RETENTION_EXPIRED'],
    ['personalization', 'location.precise', NO_CONSENT, true, 'DENY', 'RETENTION_EXPIRED'],
    ['personalization', 'location.precise', NO_CONSENT, false, 'DENY', 'CONSENT_MISSING'],
    ['personalization', 'location.precise', MINOR_NO_GUARDIAN, true, 'DENY', 'RETENTION_EXPIRED'],
    ['personalization', 'location.precise', MINOR_NO_GUARDIAN, false, 'DENY', 'GUARDIAN_CONSENT_MISSING'],
    ['personalization', 'location.precise', { erased: true, consentId: null }, true, 'DENY', 'SUBJECT_ERASED'],
    // consent basis, the table denies: the conditions come first, the table last.
    ['analytics', 'contact.phone', NO_CONSENT, true, 'DENY', 'RETENTION_EXPIRED'],
    ['analytics', 'contact.phone', NO_CONSENT, false, 'DENY', 'CONSENT_MISSING'],
    ['analytics', 'contact.phone', {}, false, 'DENY', 'PURPOSE_FORBIDS'],
    ['analytics', 'contact.phone', { erased: true }, true, 'DENY', 'SUBJECT_ERASED'],
    // contract basis: consent never asked; retention before the table's denial.
    ['service.fulfilment', 'contact.phone', NO_CONSENT, false, 'ALLOW', null],
    ['service.fulfilment', 'contact.phone', NO_CONSENT, true, 'DENY', 'RETENTION_EXPIRED'],
    ['service.fulfilment', 'location.precise', {}, false, 'DENY', 'PURPOSE_FORBIDS'],
    ['service.fulfilment', 'location.precise', {}, true, 'DENY', 'RETENTION_EXPIRED'],
    ['legal.criminal-investigation', 'location.network', {}, true, 'DENY', 'RETENTION_EXPIRED'],
    ['account', 'contact.address', {}, true, 'DENY', 'RETENTION_EXPIRED'],
  ])('%s / %s, facts %j, expired %s → %s %s', (purpose, category, f, expired, decision, reason) => {
    const d = decideField(policy, purpose, category, facts(f), expired);
    expect(d.decision).toBe(decision);
    if (reason) expect(d.reason).toBe(reason);
    else expect(d.reason).toBe(decision === 'ALLOW' ? 'POLICY_ALLOWS' : 'POLICY_MASKS');
  });

  it('a retention denial carries the purpose\'s basis and the cell\'s rule, no mask', () => {
    const d = decideField(policy, 'personalization', 'location.precise', CONSENTING_ADULT, true);
    const table = decideField(policy, 'personalization', 'location.precise', CONSENTING_ADULT);
    expect(d).toEqual({ decision: 'DENY', mask: null, reason: 'RETENTION_EXPIRED', basis: 'consent', rule: table.rule });
    expect(table).toMatchObject({ decision: 'MASK', mask: 'COARSE' });
    // The default (no `expired` argument) is "not expired".
    expect(decideField(policy, 'security.risk-control', 'location.precise', CONSENTING_ADULT)).toMatchObject({ decision: 'ALLOW' });
  });
});

describe('describeCell(...).conditions', () => {
  const policy = projectPolicy();
  const retained = new Set(parsePolicy(readFileSync(defaultPolicyPath(), 'utf8'), 'schema/policy.yaml').retention.map((r) => r.category));

  it.each<[Purpose, Category, string[]]>([
    ['security.risk-control', 'location.precise', ['SUBJECT_ERASED', 'RETENTION_EXPIRED']],
    ['security.risk-control', 'profile.basic', ['SUBJECT_ERASED']],
    ['personalization', 'location.precise', ['SUBJECT_ERASED', 'RETENTION_EXPIRED', 'CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING']],
    ['personalization', 'profile.basic', ['SUBJECT_ERASED', 'CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING']],
    ['service.fulfilment', 'contact.phone', ['SUBJECT_ERASED', 'RETENTION_EXPIRED']],
    ['service.fulfilment', 'location.precise', []], // denied by the table: nothing left to deny it
    ['account', 'financial.account', ['SUBJECT_ERASED']],
  ])('%s / %s: %j', (purpose, category, conditions) => {
    expect(describeCell(policy, purpose, category).conditions).toEqual(conditions);
  });

  it('every cell the table does not deny lists RETENTION_EXPIRED exactly when its category has a period, right after SUBJECT_ERASED', () => {
    let withRetention = 0;
    for (const purpose of policy.purposes) {
      for (const category of policy.categories) {
        const cell = describeCell(policy, purpose, category);
        if (cell.decision === 'DENY') {
          expect(cell.conditions).toEqual([]);
          continue;
        }
        expect([purpose, category, cell.conditions.includes('RETENTION_EXPIRED')]).toEqual([purpose, category, retained.has(category)]);
        if (retained.has(category)) {
          expect(cell.conditions.slice(0, 2)).toEqual(['SUBJECT_ERASED', 'RETENTION_EXPIRED']);
          withRetention++;
        }
      }
    }
    expect(withRetention).toBeGreaterThan(20);
  });

  it('a policy without periods never lists RETENTION_EXPIRED', () => {
    const none = compilePolicy(parse(null));
    for (const purpose of none.purposes) for (const category of none.categories) expect(describeCell(none, purpose, category).conditions).not.toContain('RETENTION_EXPIRED');
    const some = compilePolicy(parse(['  c.one: { days: 2, from: Device.lastSeenAt }']));
    expect(describeCell(some, 'shop' as Purpose, 'c.one' as Category).conditions).toEqual(['SUBJECT_ERASED', 'RETENTION_EXPIRED']);
    expect(describeCell(some, 'shop' as Purpose, 'c.two' as Category).conditions).toEqual(['SUBJECT_ERASED']);
    expect(describeCell(some, 'ads' as Purpose, 'c.one' as Category).conditions).toEqual(['SUBJECT_ERASED', 'RETENTION_EXPIRED', 'CONSENT_MISSING', 'GUARDIAN_CONSENT_MISSING']);
  });
});
