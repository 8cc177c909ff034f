import { closeSync, fdatasync, fstatSync, openSync } from 'node:fs';

/**
 * Making an SQLite audit commit durable off the event loop.
 *
 * The gateway's connection runs in WAL mode with `synchronous = NORMAL`: a commit writes its
 * pages to the `-wal` file (into the OS page cache) and returns without a sync, so a power cut
 * could lose it. The audit's commits must be durable before a response leaves, so after each
 * one the writer syncs the log file itself, with `fdatasync` on libuv's thread pool: the event
 * loop goes on meanwhile (Apollo serialises the response), and the response waits for the sync.
 *
 * Why this is as durable as SQLite's own `synchronous = FULL` commit:
 * - fdatasync flushes every page of the file written before the call, whichever descriptor
 *   wrote it, so the commit's frames (written by SQLite's descriptor) are on disk when it returns;
 * - the frames cannot be overwritten before that without being safe elsewhere: SQLite restarts
 *   the log only after a checkpoint has copied them into the database file, and at NORMAL a
 *   checkpoint syncs the log before it copies and the database file after;
 * - the file is the one SQLite writes: it is opened by path after a commit, and SQLite removes
 *   the log only when the last connection to the database closes (the gateway's stays open), or
 *   leaves WAL mode, which needs every other connection closed. Should the file be gone all the
 *   same (removed from outside), the sync sees its descriptor unlinked and fails, so the commit
 *   fails closed (AUDIT_UNAVAILABLE) rather than be reported durable.
 */

/** Flush a file's data to stable storage (fdatasync); another one can be given to the SQLite adapter (tests: hold or fail a sync). */
export type LogSync = (fd: number) => Promise<void>;

/** fdatasync on libuv's thread pool. */
export const threadPoolSync: LogSync = (fd) => new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));

export class WalFileGoneError extends Error {
  readonly code = 'AUDIT_WAL_GONE';
}

/** A database's write-ahead log, opened read-only (nothing here ever writes to it) for syncing. */
export class WalFile {
  private fd: number | null = null;

  constructor(readonly path: string, private readonly syncFile: LogSync = threadPoolSync) {}

  /** Resolves once everything written to the log before the call is on stable storage. */
  async sync(): Promise<void> {
    if (this.fd === null) this.fd = openSync(this.path, 'r');
    const fd = this.fd;
    await this.syncFile(fd);
    if (this.fd !== fd) throw new WalFileGoneError(`${this.path} was closed while it was being synced`);
    if (fstatSync(fd).nlink === 0) {
      this.close();
      throw new WalFileGoneError(`${this.path} was removed: the commit cannot be made durable`);
    }
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}
