/** The decisions of SPEC §4; purposes and categories come from the gateway's policy (consoleSession). */
export const DECISIONS = ['ALLOW', 'MASK', 'DENY'] as const;

/** Data-subject requests (SPEC §7): the rights of the privacy policy's §6, a request's states, and its §6(6) refusal grounds. */
export const REQUEST_KINDS = ['ACCESS', 'CORRECTION', 'ERASURE', 'CONSENT_CHANGE', 'EXPLANATION'] as const;
export const REQUEST_STATES = ['OPEN', 'DONE', 'REFUSED'] as const;
