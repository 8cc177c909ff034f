import { isConsentBased, purposeCovers } from './engine';
import type { CompiledPolicy, SubjectFacts } from './engine';
import { parseIsoDate } from './dates';
import type { Purpose } from './vocabulary';

/** A consent record as the policy needs it. */
export interface ConsentFact {
  readonly id: string;
  readonly purpose: string;
  /** The client the consent was given to; null means every client. */
  readonly clientId: string | null;
  readonly byGuardian: boolean;
  readonly withdrawnAt: Date | null;
}

/** Age below which consent counts only when a guardian gave it (SPEC §4, condition 3). */
export const MINOR_AGE = 14;

/**
 * True when the subject is under 14 on `today` (UTC date; 14 on the 14th birthday, and a
 * 29 February birthday comes on 1 March in other years). No birth date: not known to be a
 * minor. An unreadable birth date or request time counts as a minor (fail closed).
 */
export function isMinorOn(birthDate: string | null, today: Date): boolean {
  if (birthDate === null) return false;
  const birth = parseIsoDate(birthDate);
  if (birth === null || Number.isNaN(today.getTime())) return true;
  const { year, month, day } = birth;
  const nowMonth = today.getUTCMonth() + 1;
  const beforeBirthday = nowMonth < month || (nowMonth === month && today.getUTCDate() < day);
  const age = today.getUTCFullYear() - year - (beforeBirthday ? 1 : 0);
  return age < MINOR_AGE;
}

/**
 * Facts about one subject for the declared purpose and calling client. A consent matches when
 * active, given for the purpose or an ancestor of it, and to every client or to the caller;
 * a guardian's consent is preferred. Non-consent purposes rely on no consent (consentId null).
 */
export function subjectFacts(
  subject: { readonly erased: boolean; readonly birthDate: string | null },
  consents: readonly ConsentFact[],
  purpose: Purpose,
  clientId: string,
  today: Date,
  policy: CompiledPolicy,
): SubjectFacts {
  const minor = isMinorOn(subject.birthDate, today);
  let relied: ConsentFact | null = null;
  if (isConsentBased(policy, purpose)) {
    for (const consent of consents) {
      const matches =
        consent.withdrawnAt === null &&
        (consent.clientId === null || consent.clientId === clientId) &&
        purposeCovers(policy, consent.purpose, purpose);
      if (matches && (relied === null || (consent.byGuardian && !relied.byGuardian))) relied = consent;
    }
  }
  return { erased: subject.erased, minor, consentId: relied?.id ?? null, consentByGuardian: relied?.byGuardian ?? false };
}
