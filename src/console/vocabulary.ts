/** The decisions of SPEC §4; purposes and categories come from the gateway's policy (consoleSession). */
export const DECISIONS = ['ALLOW', 'MASK', 'DENY'] as const;
