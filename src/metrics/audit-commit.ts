import type { DisclosureCommit } from '../enforcement/plugin';
import type { GatewayMetrics } from './registry';

/**
 * The request's audit commit, timed, with its field decisions counted by client, purpose and
 * decision. Decisions are counted whether or not the commit succeeds (a failed commit withholds
 * the data; `purposegate_audit_commit_seconds{outcome="failed"}` counts those).
 */
export function measuredCommit(metrics: GatewayMetrics, commit: DisclosureCommit): DisclosureCommit {
  return async (d) => {
    const labels = { client: d.clientId, purpose: d.purpose };
    if (d.allowed) metrics.fieldDecisions.inc({ ...labels, decision: 'ALLOW' }, d.allowed);
    if (d.masked) metrics.fieldDecisions.inc({ ...labels, decision: 'MASK' }, d.masked);
    if (d.denied) metrics.fieldDecisions.inc({ ...labels, decision: 'DENY' }, d.denied);
    const stop = metrics.auditCommitSeconds.startTimer();
    try {
      await commit(d);
      stop({ outcome: 'committed' });
    } catch (e) {
      stop({ outcome: 'failed' });
      throw e;
    }
  };
}
