import { decideField, isMinorOn, subjectFacts } from '../../src/policy';
import type { ConsentFact, Purpose, SubjectFacts } from '../../src/policy';
import { projectPolicy } from './fixtures';

const policy = projectPolicy();
const day = (iso: string): Date => new Date(iso);

describe('isMinorOn: under 14 on the UTC date of the request', () => {
  it.each<[string | null, string, boolean]>([
    ['2012-11-25', '2026-11-25T00:00:00Z', false], // the 14th birthday itself
    ['2012-11-25', '2026-11-24T23:59:59Z', true], // the day before
    ['2012-11-26', '2026-11-25T12:00:00Z', true],
    ['2012-12-01', '2026-11-30T12:00:00Z', true], // month decides before day
    ['2012-10-30', '2026-11-01T12:00:00Z', false],
    ['2014-03-09', '2026-11-25T12:00:00Z', true], // lily
    ['2013-08-21', '2026-11-25T12:00:00Z', true], // tom
    ['1990-05-17', '2026-11-25T12:00:00Z', false], // alice
    ['2012-11-25', '2026-11-24T20:00:00-08:00', false], // already the 25th in UTC
    ['2012-11-25', '2026-11-25T07:00:00+09:00', true], // still the 24th in UTC
    ['2012-02-29', '2026-02-28T12:00:00Z', true], // a leap-day birthday comes on 1 March
    ['2012-02-29', '2026-03-01T00:00:00Z', false],
    ['2030-01-01', '2026-11-25T12:00:00Z', true], // not born yet
    [null, '2026-11-25T12:00:00Z', false], // unknown: not known to be a minor
    ['2012-13-01', '2026-11-25T12:00:00Z', true], // unreadable: fail closed
    ['2013-02-30', '2026-11-25T12:00:00Z', true],
    ['25/11/2012', '2026-11-25T12:00:00Z', true],
    ['', '2026-11-25T12:00:00Z', true],
    ['1990-05-17', 'not a date', true],
  ])('born %s, on %s: %s', (birthDate, today, minor) => {
    expect(isMinorOn(birthDate, day(today))).toBe(minor);
  });
});

describe('subjectFacts', () => {
  const today = day('2026-11-25T10:00:00Z');
  type Subject = { erased: boolean; birthDate: string | null };
  const adult: Subject = { erased: false, birthDate: '1990-05-17' };
  const child: Subject = { erased: false, birthDate: '2014-03-09' };
  const consent = (over: Partial<ConsentFact> & { id: string }): ConsentFact => ({
    purpose: 'personalization',
    clientId: null,
    byGuardian: false,
    withdrawnAt: null,
    ...over,
  });
  const facts = (subject: Subject, consents: ConsentFact[], purpose: Purpose = 'personalization', clientId = 'mall-app'): SubjectFacts =>
    subjectFacts(subject, consents, purpose, clientId, today, policy);

  it.each<[string, Subject, ConsentFact[], Purpose, string, SubjectFacts]>([
    ['an all-client consent', adult, [consent({ id: 'c1' })], 'personalization', 'mall-app', { erased: false, minor: false, consentId: 'c1', consentByGuardian: false }],
    ['a consent to the caller', adult, [consent({ id: 'c1', clientId: 'mall-app' })], 'personalization', 'mall-app', { erased: false, minor: false, consentId: 'c1', consentByGuardian: false }],
    ['a consent to another client', adult, [consent({ id: 'c1', clientId: 'other-app' })], 'personalization', 'mall-app', { erased: false, minor: false, consentId: null, consentByGuardian: false }],
    ['a withdrawn consent', adult, [consent({ id: 'c1', withdrawnAt: day('2026-11-25T09:59:00Z') })], 'personalization', 'mall-app', { erased: false, minor: false, consentId: null, consentByGuardian: false }],
    ['a withdrawn consent next to an active one', adult, [consent({ id: 'c1', withdrawnAt: day('2026-11-01T00:00:00Z') }), consent({ id: 'c2' })], 'personalization', 'mall-app', { erased: false, minor: false, consentId: 'c2', consentByGuardian: false }],
    ['a consent for another purpose', adult, [consent({ id: 'c1', purpose: 'analytics' })], 'personalization', 'mall-app', { erased: false, minor: false, consentId: null, consentByGuardian: false }],
    ['a consent for the parent purpose', adult, [consent({ id: 'c1', purpose: 'marketing' })], 'marketing.push', 'mall-app', { erased: false, minor: false, consentId: 'c1', consentByGuardian: false }],
    ['a consent for a sibling-like prefix', adult, [consent({ id: 'c1', purpose: 'market' })], 'marketing.push', 'mall-app', { erased: false, minor: false, consentId: null, consentByGuardian: false }],
    ['a minor consenting alone', child, [consent({ id: 'c1' })], 'personalization', 'mall-app', { erased: false, minor: true, consentId: 'c1', consentByGuardian: false }],
    ['a guardian consent preferred', child, [consent({ id: 'c1' }), consent({ id: 'c2', byGuardian: true, clientId: 'mall-app' }), consent({ id: 'c3' })], 'personalization', 'mall-app', { erased: false, minor: true, consentId: 'c2', consentByGuardian: true }],
    ['a withdrawn guardian consent', child, [consent({ id: 'c1' }), consent({ id: 'c2', byGuardian: true, withdrawnAt: today })], 'personalization', 'mall-app', { erased: false, minor: true, consentId: 'c1', consentByGuardian: false }],
    ['a non-consent purpose relies on no consent', adult, [consent({ id: 'c1', purpose: 'service' })], 'service.fulfilment', 'mall-app', { erased: false, minor: false, consentId: null, consentByGuardian: false }],
    ['an erased subject', { erased: true, birthDate: null }, [consent({ id: 'c1' })], 'personalization', 'mall-app', { erased: true, minor: false, consentId: 'c1', consentByGuardian: false }],
  ])('%s', (_case, subject, consents, purpose, clientId, expected) => {
    expect(facts(subject, consents, purpose, clientId)).toEqual(expected);
  });

  it.each<[string, Subject, ConsentFact[], string]>([
    ['alice, consented', adult, [consent({ id: 'c1' })], 'ALLOW'],
    ['bob, no consent', { erased: false, birthDate: '1985-11-02' }, [], 'CONSENT_MISSING'],
    ['lily, consented alone', child, [consent({ id: 'c1' })], 'GUARDIAN_CONSENT_MISSING'],
    ['tom, consent by a guardian', { erased: false, birthDate: '2013-08-21' }, [consent({ id: 'c1', byGuardian: true })], 'ALLOW'],
    ['erin, erased', { erased: true, birthDate: '1992-01-30' }, [consent({ id: 'c1' })], 'SUBJECT_ERASED'],
  ])('the demo users under personalization: %s → %s', (_case, subject, consents, outcome) => {
    const decision = decideField(policy, 'personalization', 'profile.basic', facts(subject, consents));
    expect(decision.reason === 'POLICY_ALLOWS' ? decision.decision : decision.reason).toBe(outcome);
  });
});
