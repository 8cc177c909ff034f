import type { DataSource } from 'typeorm';
import type { Disclosure } from '../enforcement/disclosure';
import { createAuditStore } from './store';
import { AuditWriter, AuditWriterOptions } from './writer';

/**
 * The sharing audit (SPEC §6), as the gateway uses it: `commit` before a response leaves
 * (fail-closed), a readiness check for /readyz, counters for /metrics.
 */
export interface Audit {
  /** Resolves only once d.records are durably committed (at once when there are none); a rejection means AUDIT_UNAVAILABLE. */
  commit(d: Disclosure): Promise<void>;
  /** Throws while the audit store cannot be written. */
  readiness: { name: 'audit'; check(): Promise<void> };
  stats(): { queueDepth: number; chains: number; committedRecords: number };
  /** Commit what is queued, then stop (call before the DataSource is destroyed). */
  close(): Promise<void>;
}

export type AuditOptions = AuditWriterOptions;

/** One writer, with its own hash chain, over the given (migrated) store. */
export function createAudit(ds: DataSource, options: AuditOptions = {}): Audit {
  const writer = new AuditWriter(createAuditStore(ds), options);
  return {
    commit: (d) => writer.commit(d),
    readiness: { name: 'audit', check: () => writer.check() },
    stats: () => writer.stats(),
    close: () => writer.close(),
  };
}

export { AuditUnavailableError } from './writer';
export type { AuditWriterOptions } from './writer';
export { verifyChains } from './verify';
export type { ChainReport, VerifyProgress } from './verify';
export { exportRecords, countRecords } from './export';
export type { ExportFormat } from './encode';
export { parseAuditFilter } from './filter';
export type { AuditFilterInput, AuditQuery } from './filter';
