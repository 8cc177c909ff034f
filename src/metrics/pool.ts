import type { DataSource } from 'typeorm';

export interface PoolUse {
  inUse: number;
  idle: number;
  max: number;
  waiting: number;
}

interface Mysql2Pool {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}

/**
 * Connections of the store's pool. mysql2 exposes no public counters, so its pool's queues are
 * read directly (stable across mysql2 2.x and 3.x); the embedded SQLite store is one connection.
 */
export function databasePoolUse(ds: DataSource): PoolUse {
  if (ds.options.type !== 'mysql') return { inUse: 0, idle: ds.isInitialized ? 1 : 0, max: 1, waiting: 0 };
  const pool = (ds.driver as unknown as { pool?: Mysql2Pool }).pool;
  const all = pool?._allConnections?.length ?? 0;
  const free = pool?._freeConnections?.length ?? 0;
  return { inUse: all - free, idle: free, max: pool?.config?.connectionLimit ?? 0, waiting: pool?._connectionQueue?.length ?? 0 };
}
