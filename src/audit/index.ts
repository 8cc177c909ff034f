import type { DataSource } from 'typeorm';
import { isMysql } from '../db/data-source';
import type { Disclosure } from '../enforcement/disclosure';
import { log } from '../log';
import type { AuditAdapter, AuditReads } from './adapter';
import { mysqlAdapter } from './mysql';
import { AuditProjection, ProjectionOptions } from './projection';
import type { ProjectionFollower } from './projection-sql';
import type { RequestActivity } from './request-activity';
import type { AuditStore } from './store';
import { sqliteAdapter, SqliteAdapterOptions } from './sqlite';
import { AuditWriter, AuditWriterOptions } from './writer';

/**
 * The sharing audit (SPEC §6), as the gateway uses it: `commit` before a response leaves
 * (fail-closed), a readiness check for /readyz, counters for /metrics, and `settled` for
 * whatever reads audit_events right after a response (the rows are projected from the
 * committed batches in the background).
 */
export interface Audit extends AuditReads {
  /** Resolves only once d.records are durably committed (at once when there are none); a rejection means AUDIT_UNAVAILABLE. */
  commit(d: Disclosure): Promise<void>;
  /** Throws while the audit store cannot be written. */
  readiness: { name: 'audit'; check(): Promise<void> };
  /** `unprojectedRecords`: committed by this process, not yet in audit_events. */
  stats(): { queueDepth: number; chains: number; committedRecords: number; unprojectedRecords: number };
  /** The projection into audit_events (its followers' catch-up; settled() is its read-your-writes). */
  readonly projection: AuditProjection;
  /** Commit what is queued and project it, then stop (call before the DataSource is destroyed). */
  close(): Promise<void>;
}

export interface StoreOptions extends SqliteAdapterOptions {
  /** Tables that follow the projection (the console's hourly counts: src/review/activity-rollup.ts). */
  followers?: readonly ProjectionFollower[];
}

export interface AuditOptions extends AuditWriterOptions, ProjectionOptions, StoreOptions {
  /** The gateway's requests in flight: the projection into audit_events waits for them (bounded lag). */
  activity?: RequestActivity;
}

/** The adapter of the store's kind (src/audit/mysql, src/audit/sqlite): a writer's store and a projection built from one adapter share what they must (SQLite's lock hand-over). */
export function adapterFor(ds: DataSource, options: StoreOptions): AuditAdapter {
  return isMysql(ds) ? mysqlAdapter(ds, options.followers) : sqliteAdapter(ds, options.followers, options);
}

/**
 * A projection without a writer, for a process that only reads the audit (a CLI: audit:export,
 * policy:diff --impact…): its settled() projects whatever is pending, in this thread.
 */
export function createProjection(ds: DataSource, options: ProjectionOptions & StoreOptions = {}): AuditProjection {
  return new AuditProjection(adapterFor(ds, { worker: false, ...options }), options);
}

/** The append transaction of the store's kind, alone (a bare AuditWriter: tests, the benchmark's backlog). */
export function createAuditStore(ds: DataSource, options: StoreOptions = {}): AuditStore {
  return adapterFor(ds, options).createStore();
}

/** One writer, with its own hash chain and its own projection, over the given (migrated) store. */
export function createAudit(ds: DataSource, options: AuditOptions = {}): Audit {
  const { activity, maxQueue, maxWaitMs, maxBatchRecords, lingerMs, commitTimeoutMs, deflateFromChars, ...rest } = options;
  const adapter = adapterFor(ds, rest);
  const projection = new AuditProjection(adapter, rest);
  const release = projection.acquire(activity);
  const writer = new AuditWriter(adapter.createStore(), { maxQueue, maxWaitMs, maxBatchRecords, lingerMs, commitTimeoutMs, deflateFromChars }, (chainId, head) => projection.committed(chainId, head));
  return {
    commit: (d) => writer.commit(d),
    readiness: { name: 'audit', check: () => writer.check() },
    stats: () => ({ ...writer.stats(), unprojectedRecords: projection.lag() }),
    settled: () => projection.settled(),
    projection,
    async close() {
      await writer.close();
      try {
        await projection.settled();
      } catch (e) {
        // The batches are committed: the next start (or any reader's settle) projects them.
        log.warn({ err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, 'audit projection not finished at close');
      }
      await release();
    },
  };
}

export type { AuditReads } from './adapter';
export { AuditProjection } from './projection';
export type { ProjectionOptions } from './projection';
export type { FollowerSql, ProjectionFollower } from './projection-sql';
export { AuditUnavailableError, COMMIT_TIMEOUT_MS } from './writer';
export { RequestActivity } from './request-activity';
export type { AuditWriterOptions } from './writer';
export { verifyChains } from './verify';
export type { ChainReport, VerifyProgress } from './verify';
export { exportRecords, countRecords } from './export';
export type { ExportFormat } from './encode';
export { parseAuditFilter } from './filter';
export type { AuditFilterInput, AuditQuery } from './filter';
