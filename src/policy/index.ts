/** The policy layer: purposes, categories, the decision engine and masks. Pure; only loadPolicy reads a file. */
export { CATEGORIES, LEGAL_BASES, MASK_KINDS, PURPOSES } from './vocabulary';
export type { Category, LegalBasis, MaskKind, Purpose } from './vocabulary';
export { FINGERPRINT_LENGTH, canonicalPolicy, parseStampedVersion, policyFingerprint, stampedVersion } from './fingerprint';
export { PolicyValidationError, RETENTION_CLOCKS, defaultPolicyPath, loadPolicy, parsePolicy, projectRoot } from './load';
export type { CategoryDefinition, ParseOptions, PolicyDocument, PurposeDefinition, RetentionClock, RetentionDefinition, RuleDefinition } from './load';
export {
  clientMayDeclare,
  compilePolicy,
  decideField,
  describeCell,
  isConsentBased,
  isRegistrablePurpose,
  judgePurpose,
  purposeCovers,
  purposeRejectionMessage,
  registeredScopes,
  resolvePurpose,
  retentionExpired,
  retentionFor,
  scopeOf,
} from './engine';
export type { CellDescription, CompiledPolicy, Decision, FieldDecision, RetentionRule, PurposeJudgement, PurposeResolution, Reason, SubjectFacts } from './engine';
export { MINOR_AGE, isMinorOn, subjectFacts } from './subject';
export {
  NO_ROWS, PAYMENT_PROVIDERS, SCOPES, SCOPE_MEANING, SCOPE_RELATIONSHIP, UNRESTRICTED, caseValidFor, compareScopes, decideScope,
  isPaymentProvider, isScope, isUnrestricted, relationshipsOf, rowScope,
} from './scope';
export type { CaseFacts, PaymentProviderName, Relationship, RelationshipFacts, RowScope, Scope } from './scope';
export type { ConsentFact } from './subject';
export {
  COARSE_ACCURACY_M,
  REDACTED,
  applyMask,
  maskAccount,
  maskCity,
  maskCoarse,
  maskIpPrefix,
  maskLast4,
  maskName,
  maskPhone,
  maskPseudonym,
  maskYear,
} from './masks';
export type { GeoPoint, MaskContext } from './masks';
