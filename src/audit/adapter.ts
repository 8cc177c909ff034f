import type { ProjectionBackend, ProjectionFollower } from './projection-sql';
import type { AuditStore } from './store';

/**
 * What one database kind brings to the store-neutral audit (src/audit/sqlite, src/audit/mysql):
 * its append transaction and its projection steps. Built once per Audit (createAudit) or per
 * reader (createProjection); whatever the store's writer and its projection share (SQLite's
 * lock hand-over) lives in the adapter, never in a registry.
 */
export interface AuditAdapter {
  readonly kind: 'mysql' | 'sqlite';
  /** The tables that follow the projection (ProjectionFollower), whose statements its steps run. */
  readonly followers: readonly ProjectionFollower[];
  /** Records per projection step by default. */
  readonly stepRecords: number;
  /** The writer's append transaction (one store per writer). */
  createStore(): AuditStore;
  /** The projection's steps in this thread (MySQL: on the server; SQLite: on the event loop). */
  readonly inline: ProjectionBackend;
  /** Starts the projection's steps off the event loop if the store has a way (SQLite: a worker thread on the file); null otherwise. */
  startWorker(): (ProjectionBackend & { readonly failed: Error | null }) | null;
}

/** Whatever the audit reads after a response: read-your-writes for audit_events (AuditProjection.settled). */
export interface AuditReads {
  /** Resolves once every batch committed so far on the database (by any process) is in audit_events; rejects if the projection cannot get there. */
  settled(): Promise<void>;
}
