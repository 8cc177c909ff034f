/** Prometheus metrics for operators (SPEC §9): the registry, its HTTP route and the hooks that feed it. */
export { createMetrics } from './registry';
export type { GatewayMetrics, MetricsSources, AuditQueueStats } from './registry';
export { countOutcomes, outcomeCode } from './outcomes';
export { measuredCommit } from './audit-commit';
export { metricsRoute } from './route';
export { databasePoolUse } from './pool';
