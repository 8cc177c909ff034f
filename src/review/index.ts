/** The security team's review, beyond SPEC §6: aggregates per client, chain status and verification, subject state, downloads. */
export { ACTIVITY_SQL, clientActivity, chooseBucket, decisionTotals, HOURLY_UP_TO_MS, MAX_RANGE_MS } from './activity';
export { ACTIVITY_FOLLOWER, chainGroupsSql, HOUR_SQL, rollUpActivity, rollupBatch, startActivityRollup } from './activity-rollup';
export type { ClientActivity, ClientDecisionTotals, DecisionCounts, TimeBucket } from './activity';
export { ChainVerifications } from './verification';
export type { VerificationJob, VerificationState } from './verification';
export { issueDownload, redeemDownload, DOWNLOAD_TTL_MS } from './downloads';
export type { DownloadGrant } from './downloads';
export { subjectState } from './subject';
export type { SubjectState } from './subject';
export { logReview } from './review-log';
