import { gatewayError } from '../errors';
import type { GatewayContext } from '../request/context';
import type { Disclosure } from './disclosure';

/**
 * For API fields that are not categorised personal fields but belong to one purpose
 * (consent management under `account`, the audit review under `audit.review`):
 * anyone who did not declare that purpose (or lacks the role) gets FORBIDDEN.
 */
export function requirePurpose(ctx: GatewayContext, purpose: string, role?: 'auditor'): Disclosure {
  const d = ctx.request.disclosure;
  if (!d || d.purpose !== purpose || (role && ctx.caller.role !== role)) throw forbidden(purpose, role);
  return d;
}

/** FORBIDDEN: a field only for clients (with `role`) declaring `purpose`; `field` names it when the whole operation is refused for it. */
export function forbidden(purpose: string, role?: 'auditor', field?: string): Error {
  return gatewayError('FORBIDDEN', `${field ?? 'This field'} is only for clients${role ? ` with role "${role}"` : ''} declaring purpose "${purpose}"`);
}

/** An auditor declaring `audit.review`: who may see every client's notices and the request queue, not only its own. */
export function isReviewer(ctx: GatewayContext): boolean {
  return ctx.caller.role === 'auditor' && ctx.request.disclosure?.purpose === 'audit.review';
}
