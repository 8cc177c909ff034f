import type { DataSource } from 'typeorm';
import type { AuditAdapter } from '../adapter';
import type { ProjectionFollower } from '../projection-sql';
import { SqliteGate } from './gate';
import { SqliteInlineBackend, SqliteWorkerBackend } from './projection';
import { SqliteAuditStore } from './store';
import type { LogSync } from './wal';

export interface SqliteAdapterOptions {
  /** How the write-ahead log is synced after each audit commit (default fdatasync on libuv's pool; tests pass theirs). */
  logSync?: LogSync;
  /** Project in a worker thread (default true for a database file). */
  worker?: boolean;
}

/**
 * SQLite: the append as one synchronous transaction on the gateway's connection, made durable by
 * a sync of the log off the event loop; the projection in a worker thread with its own
 * connection. One gate between this adapter's writer and its worker (SqliteGate).
 */
export function sqliteAdapter(ds: DataSource, followers: readonly ProjectionFollower[] = [], options: SqliteAdapterOptions = {}): AuditAdapter {
  const gate = new SqliteGate();
  return {
    kind: 'sqlite',
    followers,
    stepRecords: 1000,
    createStore: () => new SqliteAuditStore(ds, gate, options.logSync),
    inline: new SqliteInlineBackend(ds, followers),
    startWorker() {
      const file = (ds.options as { database?: unknown }).database;
      if (options.worker === false || typeof file !== 'string' || file === '' || file === ':memory:') return null;
      return new SqliteWorkerBackend(file, gate, followers);
    },
  };
}

export { SqliteAuditStore } from './store';
export { WORKER_CHECKPOINT_RECORDS } from './projection';
export type { LogSync } from './wal';
