import { createHash } from 'node:crypto';
import type { PolicyDocument } from './load';

/** Hex characters of the SHA-256 kept as a policy's fingerprint: enough to tell a policy's edits apart, short enough to stamp on every record. */
export const FINGERPRINT_LENGTH = 8;

/** `<declared version>+<fingerprint>`, as disclosures and audit records carry it. */
const VERSIONED = new RegExp(`^(.*)\\+([0-9a-f]{${FINGERPRINT_LENGTH}})$`);

/** Compares code units, never the locale: the order must be the same on every machine. */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The policy's meaning, and nothing else, as one canonical JSON text: every list sorted, every
 * object's keys in a fixed order; the version itself, the file name, line numbers, comments and
 * the order of the YAML's keys left out. Purposes carry their effective case-reference
 * requirement and scope (what the gateway enforces), so moving `scope:` from a parent onto each
 * child changes nothing. Changing this form changes every fingerprint, and a store's ledger then
 * refuses every known version: keep it as it is.
 */
export function canonicalPolicy(doc: PolicyDocument): string {
  return JSON.stringify({
    bases: [...doc.bases].sort(byString),
    masks: [...doc.masks].sort(byString),
    categories: [...doc.categories].sort((a, b) => byString(a.name, b.name)).map((c) => [c.name, c.description]),
    purposes: [...doc.purposes]
      .sort((a, b) => byString(a.name, b.name))
      .map((p) => [p.name, p.parent, p.basis, p.description, p.declarable, p.caseRefRequired, p.scope]),
    rules: [...doc.rules]
      .sort((a, b) => byString(a.purpose, b.purpose) || byString(a.category, b.category))
      .map((r) => [r.purpose, r.category, r.decision, r.mask]),
    retention: [...doc.retention].sort((a, b) => byString(a.category, b.category)).map((r) => [r.category, r.days, r.from]),
  });
}

/**
 * The first 8 hex characters of the SHA-256 of the canonical policy: the same for two files
 * that say the same thing (comments, key order aside), different as soon as any purpose,
 * category, rule, mask, basis or retention period differs.
 */
export function policyFingerprint(doc: PolicyDocument): string {
  return createHash('sha256').update(canonicalPolicy(doc)).digest('hex').slice(0, FINGERPRINT_LENGTH);
}

/** The version a policy is stamped with: its declared version and its fingerprint, `2026-12-02.1+3f9a2c1d`. */
export function stampedVersion(declared: string, hash: string): string {
  return `${declared}+${hash}`;
}

/**
 * A stamped version read back (from an audit record): its declared part and its fingerprint, or
 * `hash: null` for a record written before versions carried one.
 */
export function parseStampedVersion(version: string): { declared: string; hash: string | null } {
  const m = VERSIONED.exec(version);
  return m ? { declared: m[1], hash: m[2] } : { declared: version, hash: null };
}
