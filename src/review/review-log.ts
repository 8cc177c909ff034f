import type { GatewayContext } from '../request/context';
import { log } from '../log';

/**
 * Every auditor call beyond SPEC §6 is recorded in the operations log: who (client), which
 * request, what was asked (ids only: a subject id, a client id, a range). The sharing audit's
 * writer records field disclosures only, so a review call has no audit_events record of its own.
 */
export function logReview(ctx: GatewayContext, action: string, details: Record<string, string | number | boolean | null> = {}): void {
  log.info({ requestId: ctx.request.id, client: ctx.caller.id, purpose: 'audit.review', action, ...details }, 'audit review');
}
