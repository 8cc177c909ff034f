import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { toDbTime } from '../audit/columns';
import type { ExportFormat } from '../audit/encode';
import { now } from '../clock';

/** How long a download link stays valid: long enough to click, short enough not to matter if it leaks. */
export const DOWNLOAD_TTL_MS = 60_000;

export interface DownloadGrant {
  clientId: string;
  subjectId: number;
  format: ExportFormat;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A single-use, short-lived token for one subject's records, so that the browser can follow a
 * plain link to a streaming download without the auditor's key ever being in a URL. Only the
 * token's hash is stored (table console_downloads), so that every gateway process behind a load
 * balancer can redeem it, and a copy of the table redeems nothing.
 */
export async function issueDownload(ds: DataSource, grant: DownloadGrant): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  const at = now();
  const expiresAt = new Date(at.getTime() + DOWNLOAD_TTL_MS).toISOString();
  // Tokens past their time are useless; clear out those older than a day as new ones are issued.
  await ds.query('DELETE FROM console_downloads WHERE expires_at < ?', [toDbTime(new Date(at.getTime() - 86_400_000).toISOString())]);
  await ds.query(
    'INSERT INTO console_downloads (token_hash, client_id, subject_id, format, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, NULL)',
    [hash(token), grant.clientId, grant.subjectId, grant.format, toDbTime(at.toISOString()), toDbTime(expiresAt)],
  );
  return { token, expiresAt };
}

/** Redeem a token once: the grant it carries, or null if it is unknown, used or expired. */
export async function redeemDownload(ds: DataSource, token: string): Promise<DownloadGrant | null> {
  if (!TOKEN.test(token)) return null;
  const h = hash(token);
  const qr = ds.createQueryRunner();
  try {
    // The conditional UPDATE is the single use: of two concurrent redemptions, one changes the row.
    const result = await qr.query('UPDATE console_downloads SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?', [
      toDbTime(now().toISOString()), h, toDbTime(now().toISOString()),
    ], true);
    if (result.affected !== 1) return null;
  } finally {
    await qr.release();
  }
  const [row] = await ds.query('SELECT client_id, subject_id, format FROM console_downloads WHERE token_hash = ?', [h]);
  if (!row) return null;
  return { clientId: String(row.client_id), subjectId: Number(row.subject_id), format: String(row.format) as ExportFormat };
}
