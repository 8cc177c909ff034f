import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { AuditReads } from '../audit/adapter';
import { bearerKey } from '../callers/keys';
import type { ClientRegistry } from '../callers/registry';
import { enforceSchema } from '../enforcement/enforce-schema';
import type { DisclosureCommit } from '../enforcement/plugin';
import { rowId } from '../graphql/context';
import { log } from '../log';
import { clientMayDeclare, CompiledPolicy, Purpose } from '../policy';
import { AccessCopyError, buildAccessCopy, copyCounts } from '../rights/access-copy';
import { RightsError } from '../rights/errors';
import { sendError } from './respond';

export interface SubjectCopyRouteDeps {
  ds: DataSource;
  registry: ClientRegistry;
  policy: CompiledPolicy;
  /** The gateway's schema before enforcement: the route enforces it itself, whatever the gateway serves. */
  schema: GraphQLSchema;
  pseudonymSecret: string;
  /** The gateway's audit commit (measured like any request's). */
  commit: DisclosureCommit;
  /** The gateway's audit reads (the copy's disclosure report). */
  audit: AuditReads;
}

/**
 * GET /console/subject-copy?request=<id>: the portable copy of an ACCESS request's subject
 * (src/rights/access-copy.ts, docs/access-copy.md) as a JSON attachment, for the review console.
 * `Authorization: Bearer <key>` of an auditor registered for `audit.review`: no or an unknown key
 * 401 UNAUTHENTICATED, any other client 403 FORBIDDEN. A request id that names no ACCESS request
 * (or a refused one) 400 BAD_USER_INPUT with the reason (UNKNOWN_REQUEST, WRONG_KIND,
 * REQUEST_CLOSED); an audit that cannot commit the reading 503 AUDIT_UNAVAILABLE, and no copy.
 * The copy is read as the auditor's client under `account`, so its audit records name the
 * console's client as the one that read the subject's data for them.
 */
export function subjectCopyRoute(deps: SubjectCopyRouteDeps) {
  const enforcedSchema = enforceSchema(deps.schema, { policy: deps.policy, pseudonymSecret: deps.pseudonymSecret });
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'GET') return sendError(res, 'METHOD_NOT_ALLOWED', 'Use GET', { allow: 'GET' });
    const key = bearerKey(req.headers.authorization);
    const caller = key ? await deps.registry.authenticate(key) : null;
    if (!caller) return sendError(res, 'UNAUTHENTICATED', key ? 'Unknown or revoked client key' : 'Send "Authorization: Bearer <auditor key>"', { 'www-authenticate': 'Bearer' });
    if (caller.role !== 'auditor' || !clientMayDeclare(deps.policy, caller.purposes, 'audit.review' as Purpose)) {
      return sendError(res, 'FORBIDDEN', 'A subject copy is for auditors registered for "audit.review"');
    }
    const raw = url.searchParams.get('request') ?? '';
    const started = Date.now();
    try {
      const copy = await buildAccessCopy({ ds: deps.ds, policy: deps.policy, enforcedSchema, commit: deps.commit, audit: deps.audit }, { requestId: rowId(raw), rawRequestId: raw }, caller);
      const text = JSON.stringify(copy, null, 2);
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="subject-${copy.request.userId}-access-copy-${copy.request.id}.json"`,
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
      });
      res.end(text);
      log.info({ client: caller.id, purpose: 'account', action: 'subjectCopy', subjectRequest: copy.request.id, userId: copy.request.userId, auditRequestId: copy.audit.requestId, ...copyCounts(copy), ms: Date.now() - started }, 'subject copy issued');
    } catch (e) {
      if (e instanceof RightsError) return sendError(res, 'BAD_USER_INPUT', e.message, {}, { argument: 'request', reason: e.code });
      if (e instanceof AccessCopyError && e.code === 'AUDIT_UNAVAILABLE') return sendError(res, 'AUDIT_UNAVAILABLE', e.message, { 'retry-after': '5' });
      log.error({ client: caller.id, action: 'subjectCopy', err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, 'subject copy failed');
      return sendError(res, 'INTERNAL', 'The copy could not be built');
    }
  };
}
