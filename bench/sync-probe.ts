import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { BenchStore } from './store';

/** What one durable commit costs at the least on this store, measured beside the gateway in the same run. */
export interface SyncProbe {
  /** What was timed, in words, for the report. */
  what: string;
  /** ms per sync (the limit a durable audit commit cannot go below). */
  latencies: number[];
  /** MariaDB only: an empty transaction (START TRANSACTION; COMMIT), which flushes nothing: one round trip. */
  emptyTransaction?: number[];
}

const BYTES = 16 * 1024; // about one 1 000-record audit batch as SQLite stores it
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SQLite: `fdatasync` of a file on the store's own file system (beside bench.sqlite) after
 * appending 16 KiB, on the event loop, paced like the one client of the audit target (`rate`
 * per second: after an idle gap a sync costs more than back to back).
 */
async function fileSync(dir: string, samples: number, rate: number): Promise<SyncProbe> {
  const file = path.join(dir, 'sync-probe.bin');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(BYTES, 7);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      await pause(1000 / rate);
      writeSync(fd, block);
      const t0 = performance.now();
      fdatasyncSync(fd);
      latencies.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return { what: `fdatasync after a 16 KiB append, on the store's file system, paced at ${rate}/s`, latencies };
}

/**
 * MariaDB: the smallest transaction that commits durably, a one-row autocommit UPDATE of an
 * InnoDB table (one redo-log write and flush, `innodb_flush_log_at_trx_commit = 1`), on a
 * connection of its own, paced like the one client. An empty transaction is timed beside it: it
 * writes no redo, so it is the round trip alone.
 */
async function innodbCommit(databaseUrl: string, samples: number, rate: number): Promise<SyncProbe> {
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ uri: databaseUrl, multipleStatements: true });
  const latencies: number[] = [];
  const emptyTransaction: number[] = [];
  try {
    await conn.query('CREATE TABLE IF NOT EXISTS bench_sync_probe (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB');
    await conn.query('INSERT IGNORE INTO bench_sync_probe (id, n) VALUES (1, 0)');
    for (let i = 0; i < samples; i++) {
      await pause(1000 / rate);
      let t0 = performance.now();
      await conn.query('UPDATE bench_sync_probe SET n = n + 1 WHERE id = 1');
      latencies.push(performance.now() - t0);
      await pause(1000 / rate);
      t0 = performance.now();
      await conn.query('START TRANSACTION; COMMIT');
      emptyTransaction.push(performance.now() - t0);
    }
    await conn.query('DROP TABLE bench_sync_probe');
  } finally {
    await conn.end();
  }
  return { what: `a one-row autocommit UPDATE of an InnoDB table (one redo-log flush), own connection, paced at ${rate}/s`, latencies, emptyTransaction };
}

export function probeSync(store: BenchStore, samples: number, rate: number): Promise<SyncProbe> {
  return store.databaseUrl ? innodbCommit(store.databaseUrl, samples, rate) : fileSync(path.dirname(store.sqliteFile), samples, rate);
}
