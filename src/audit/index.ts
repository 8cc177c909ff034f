import type { DataSource } from 'typeorm';
import type { Disclosure } from '../enforcement/disclosure';
import { log } from '../log';
import { auditProjection } from './projection';
import type { RequestActivity } from './request-activity';
import { createAuditStore } from './store';
import { AuditWriter, AuditWriterOptions } from './writer';

/**
 * The sharing audit (SPEC §6), as the gateway uses it: `commit` before a response leaves
 * (fail-closed), a readiness check for /readyz, counters for /metrics, and `settled` for
 * whatever reads audit_events right after a response (the rows are projected from the
 * committed batches in the background).
 */
export interface Audit {
  /** Resolves only once d.records are durably committed (at once when there are none); a rejection means AUDIT_UNAVAILABLE. */
  commit(d: Disclosure): Promise<void>;
  /** Throws while the audit store cannot be written. */
  readiness: { name: 'audit'; check(): Promise<void> };
  /** `unprojectedRecords`: committed by this process, not yet in audit_events. */
  stats(): { queueDepth: number; chains: number; committedRecords: number; unprojectedRecords: number };
  /** Resolves once everything committed so far on this database is in audit_events (see auditSettled). */
  settled(): Promise<void>;
  /** Commit what is queued and project it, then stop (call before the DataSource is destroyed). */
  close(): Promise<void>;
}

export interface AuditOptions extends AuditWriterOptions {
  /** The gateway's requests in flight: the projection into audit_events waits for them (bounded lag). */
  activity?: RequestActivity;
}

/** One writer, with its own hash chain, over the given (migrated) store. */
export function createAudit(ds: DataSource, options: AuditOptions = {}): Audit {
  const projection = auditProjection(ds);
  const { activity, ...writerOptions } = options;
  const release = projection.acquire(activity);
  const writer = new AuditWriter(createAuditStore(ds), writerOptions, (chainId, head) => projection.committed(chainId, head));
  return {
    commit: (d) => writer.commit(d),
    readiness: { name: 'audit', check: () => writer.check() },
    stats: () => ({ ...writer.stats(), unprojectedRecords: projection.lag() }),
    settled: () => projection.settle(),
    async close() {
      await writer.close();
      try {
        await projection.settle();
      } catch (e) {
        // The batches are committed: the next start (or any reader's settle) projects them.
        log.warn({ err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, 'audit projection not finished at close');
      }
      await release();
    },
  };
}

export { AuditUnavailableError } from './writer';
export { RequestActivity } from './request-activity';
export type { AuditWriterOptions } from './writer';
export { auditSettled } from './projection';
export { verifyChains } from './verify';
export type { ChainReport, VerifyProgress } from './verify';
export { exportRecords, countRecords } from './export';
export type { ExportFormat } from './encode';
export { parseAuditFilter } from './filter';
export type { AuditFilterInput, AuditQuery } from './filter';
