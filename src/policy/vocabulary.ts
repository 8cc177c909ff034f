// GENERATED from schema/policy.yaml by src/cli/policy-types.ts: do not edit.
// After changing names in the policy, run `node dist/src/cli/policy-types.js`; a test fails while this file is stale.

/** Purposes a request can declare: the declarable nodes of the purpose tree. */
export const PURPOSES = [
  'account',
  'service.fulfilment',
  'service.payment',
  'service.after-sales',
  'security.risk-control',
  'personalization',
  'marketing.push',
  'analytics',
  'third-party-app',
  'research',
  'legal.state-security',
  'legal.public-safety',
  'legal.criminal-investigation',
  'legal.vital-interests',
  'audit.review',
] as const;
export type Purpose = (typeof PURPOSES)[number];

/** Categories of personal data that a field can carry. */
export const CATEGORIES = [
  'profile.basic',
  'profile.extended',
  'identity.name',
  'identity.birthdate',
  'contact.phone',
  'contact.address',
  'financial.account',
  'financial.card',
  'transaction.order',
  'device.info',
  'device.identifier',
  'location.network',
  'location.precise',
  'location.coarse',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Masks a rule can apply (src/policy/masks). */
export const MASK_KINDS = [
  'PHONE',
  'NAME',
  'ACCOUNT',
  'LAST4',
  'YEAR',
  'CITY',
  'COARSE',
  'IP_PREFIX',
  'PSEUDONYM',
] as const;
export type MaskKind = (typeof MASK_KINDS)[number];

/** Legal bases of processing. */
export const LEGAL_BASES = [
  'contract',
  'consent',
  'legitimate-interest',
  'legal-obligation',
  'legal-exception',
] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];
