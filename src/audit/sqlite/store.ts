import type { Database, Statement } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { sqliteConnection } from '../../db/data-source';
import { lruGet } from '../../lru';
import { BatchContent, sealBatches } from '../batch';
import { BATCH_COLUMNS, batchInsertSql } from '../columns';
import { AppendResult, appendStatements, AuditStore, AuditStoreError, ChainState, HEAD_SQL, headOf, MOVE_HEAD_SQL, probeTables, REGISTER_PROGRESS_SQL, REGISTER_SQL } from '../store';
import { SqliteGate } from './gate';
import { LogSync, WalFile } from './wal';

interface SqliteStatements {
  /**
   * The connection's own settings, read once (the gateway sets them as it opens the connection):
   * `synchronous` (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA) and `busy_timeout` (ms).
   */
  synchronous: number;
  busyTimeout: number;
  head: Statement;
  moveHead: Statement;
  inserts: Map<number, Statement>;
}

/**
 * SQLite: TypeORM's better-sqlite3 driver shares one connection between every query runner, so
 * a TypeORM transaction here could swallow (or be swallowed by) another request's writes. The
 * append therefore runs as one synchronous better-sqlite3 transaction: nothing else can run
 * between its BEGIN and COMMIT. While another transaction is open on the connection, it waits;
 * while another connection (the projection's worker, another process) holds the write lock, it
 * retries without blocking the event loop (busy_timeout 0 for its own BEGIN), up to busyWaitMs.
 */
export class SqliteAuditStore implements AuditStore {
  /** Measured: deflating (~0.2 ms on the request's path) costs more than the smaller WAL write saves. */
  readonly deflateFromChars = Infinity;
  private readonly statements = new WeakMap<Database, SqliteStatements>();
  /**
   * The current connection's write-ahead log, if it has one (a database file in WAL mode; see
   * ./wal.ts): set when the connection's statements are prepared, closed when it changes and at close.
   */
  private wal: WalFile | null = null;

  constructor(
    private readonly ds: DataSource,
    /** Shared with this Audit's projection worker (see SqliteGate). */
    private readonly gate: SqliteGate = new SqliteGate(),
    /** How the write-ahead log is synced after a commit (fdatasync; tests hold or fail it). */
    private readonly logSync?: LogSync,
    private readonly busyWaitMs = 5000,
  ) {}

  /** The shared connection (sqliteConnection); closed, an AuditStoreError, whose name the writer's log shows. */
  private connection(): Database {
    try {
      return sqliteConnection(this.ds);
    } catch {
      throw new AuditStoreError('the audit store is closed');
    }
  }

  private prepared(db: Database): SqliteStatements {
    let s = this.statements.get(db);
    if (!s) {
      this.wal?.close(); // a new connection (the DataSource was reopened): the old one's log is done with
      const mode = db.memory ? 'memory' : String(db.pragma('journal_mode', { simple: true })).toLowerCase();
      this.wal = mode === 'wal' ? new WalFile(`${db.name}-wal`, this.logSync) : null;
      s = {
        synchronous: Number(db.pragma('synchronous', { simple: true })), busyTimeout: Number(db.pragma('busy_timeout', { simple: true })),
        head: db.prepare(HEAD_SQL), moveHead: db.prepare(MOVE_HEAD_SQL), inserts: new Map(),
      };
      this.statements.set(db, s);
    }
    return s;
  }

  /** The multi-row INSERT for this many batches (the sizes of group commits recur under load; a few are kept). */
  private insert(db: Database, s: SqliteStatements, rows: number): Statement {
    return lruGet(s.inserts, rows, () => db.prepare(batchInsertSql(rows)), 16);
  }

  async append(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, contents: readonly BatchContent[]): Promise<AppendResult> {
    const { sealed, unsynced } = await this.commit(chainId, startedAt, chain, contents);
    // Committed without a sync of its own (the connection's NORMAL): durable once the log is synced, off the event loop.
    if (unsynced) await unsynced.sync();
    return sealed;
  }

  /** The append's transaction, retried while another connection holds the write lock; `unsynced`: the log still to sync for it to be durable. */
  private async commit(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, contents: readonly BatchContent[]): Promise<{ sealed: AppendResult; unsynced: WalFile | null }> {
    const deadline = Date.now() + this.busyWaitMs;
    let waiting = false;
    try {
      for (;;) {
        const db = this.connection();
        if (!db.inTransaction) {
          const committed = this.tryAppend(db, chainId, startedAt, chain, contents);
          if (committed) return committed;
          // Ask the projection's worker to leave the lock to this commit between its steps.
          if (!waiting) this.gate.waiting();
          waiting = true;
        }
        if (Date.now() > deadline) throw new AuditStoreError('the audit store stayed busy');
        await this.gate.released(deadline);
      }
    } finally {
      if (waiting) {
        this.gate.done();
      }
    }
  }

  /** One attempt; null if another connection holds the write lock. */
  private tryAppend(db: Database, chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, contents: readonly BatchContent[]): { sealed: AppendResult; unsynced: WalFile | null } | null {
    const s = this.prepared(db);
    const log = (sql: string, params?: unknown[]) => this.ds.logger.logQuery(sql, params);
    const run = db.transaction(() => {
      log('BEGIN IMMEDIATE');
      const known = chain ?? headOf(s.head.get(chainId) as Record<string, unknown> | undefined);
      const sealed = sealBatches(chainId, known.head, contents);
      for (const [sql, params] of appendStatements(chainId, startedAt, known.registered, known.head, sealed)) {
        log(sql, params);
        if (sql === MOVE_HEAD_SQL) {
          if (s.moveHead.run(params).changes !== 1) throw new AuditStoreError('the chain head moved under this writer');
        } else if (sql === REGISTER_SQL || sql === REGISTER_PROGRESS_SQL) {
          db.prepare(sql).run(params); // once per chain
        } else {
          this.insert(db, s, params.length / BATCH_COLUMNS.length).run(params);
        }
      }
      return sealed;
    });
    // "Durably committed": in WAL mode with synchronous=NORMAL (the gateway's setting) a commit
    // can be lost to a power cut. Such a commit is followed by a sync of the log off the event
    // loop (append; ./wal.ts). Without a log to sync (another journal mode, or synchronous=OFF),
    // the append's own commit syncs (FULL). The group commit amortises the sync either way.
    // Settings go through db.pragma(), which compiles the statement each time: SQLite applies a
    // PRAGMA when it compiles it, so a prepared PRAGMA statement run again sets nothing (and one
    // that reads a setting returns its value as it was when compiled).
    const unsynced = s.synchronous === 1 ? this.wal : null;
    const syncHere = s.synchronous < 2 && !unsynced;
    if (syncHere) db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 0'); // its BEGIN never blocks the event loop: append() retries instead
    try {
      const sealed = run.immediate();
      log('COMMIT');
      return { sealed, unsynced };
    } catch (e) {
      if ((e as { code?: unknown }).code === 'SQLITE_BUSY') return null;
      throw e;
    } finally {
      db.pragma(`busy_timeout = ${s.busyTimeout}`);
      if (syncHere) db.pragma(`synchronous = ${s.synchronous}`);
    }
  }

  probe(): Promise<void> {
    return probeTables(this.ds);
  }

  async close(): Promise<void> {
    this.wal?.close();
    this.wal = null;
  }
}
