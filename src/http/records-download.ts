import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import type { AuditReads } from '../audit/adapter';
import { CONTENT_TYPES } from '../audit/encode';
import { exportRecords } from '../audit/export';
import { parseAuditFilter } from '../audit/filter';
import type { ClientRegistry } from '../callers/registry';
import { log } from '../log';
import { redeemDownload } from '../review';
import { sendError } from '../request/respond';

/** Wait for the socket to take more, or fail if the client went away meanwhile. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const drain = () => { res.off('close', close); resolve(); };
    const close = () => { res.off('drain', drain); reject(new Error('download aborted by the client')); };
    res.once('drain', drain);
    res.once('close', close);
  });
}

/**
 * GET /console/records?token=…: one subject's audit records as CSV or NDJSON, streamed page by
 * page from the store with back-pressure (nothing is built in memory or in the browser). The
 * token comes from the auditor-only `createRecordsDownload` mutation: single use, one minute, and
 * only while its client is still an enabled auditor.
 */
export function recordsDownloadRoute(deps: { ds: DataSource; audit: AuditReads; registry: ClientRegistry }) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'GET') return sendError(res, 'METHOD_NOT_ALLOWED', 'Use GET', { allow: 'GET' });
    const grant = await redeemDownload(deps.ds, url.searchParams.get('token') ?? '');
    if (!grant) return sendError(res, 'NOT_FOUND', 'This download link is unknown, already used or expired: start the download again from the console');
    const client = await deps.registry.get(grant.clientId);
    if (!client || client.role !== 'auditor') return sendError(res, 'FORBIDDEN', 'The client that asked for this download is no longer an auditor');

    const filter = parseAuditFilter({ subjectId: grant.subjectId });
    const ext = grant.format === 'csv' ? 'csv' : 'ndjson';
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[grant.format],
      'content-disposition': `attachment; filename="subject-${grant.subjectId}-audit-records.${ext}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
    const started = Date.now();
    try {
      const written = await exportRecords(deps.audit, deps.ds, filter, grant.format, async (chunk) => {
        if (res.destroyed) throw new Error('download aborted by the client');
        if (!res.write(chunk)) await drained(res);
      });
      res.end();
      log.info({ client: grant.clientId, purpose: 'audit.review', action: 'recordsDownload', subjectId: grant.subjectId, format: grant.format, records: written, ms: Date.now() - started }, 'audit review');
    } catch (e) {
      // The status is sent; a cut connection is how a broken stream shows (the file is incomplete).
      log.error({ client: grant.clientId, action: 'recordsDownload', subjectId: grant.subjectId, err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, 'records download failed');
      res.destroy();
    }
  };
}
