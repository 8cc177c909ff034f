import type { Database, Statement } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { isMysql, sqliteConnection } from '../db/data-source';
import { BatchContent, ChainHead, DEFLATE_FROM_CHARS, EMPTY_HEAD, SealedBatch, sealBatches, storedRecords } from './batch';
import { BATCH_COLUMNS, batchInsertSql, batchParams, BATCHES_PER_INSERT, RECORD_CHARS_PER_INSERT, toDbTime } from './columns';
import { GATE_STEPPING, GATE_WAITING, sqliteWriterGate } from './projection-sqlite';
import { WalFile } from './wal';

/** What one append knows about its chain before it starts. */
export interface ChainState {
  chainId: string;
  /** ISO time the chain was started (stamped on its audit_chains row at registration). */
  startedAt: string;
  /** Whether audit_chains already has the row; false until the first append commits. */
  registered: boolean;
  head: ChainHead;
}

export interface AppendResult {
  head: ChainHead;
  batches: SealedBatch[];
}

/**
 * The audit's write path for one database kind. `append` runs one transaction: (re)read the
 * chain head if asked, seal the batches after it (one per request), insert them with one
 * multi-row INSERT, and move the head (or register the chain) — all committed together or not
 * at all. Nothing else: audit_events is filled afterwards by the projection.
 */
export interface AuditStore {
  /** `chain` null: the last outcome is unknown (a failed commit may have landed), so read the head first. */
  append(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, batches: readonly BatchContent[]): Promise<AppendResult>;
  /** Throws while the tables the append writes cannot be reached. */
  probe(): Promise<void>;
  /** Release what the store holds open (called once the writer is idle and closed). */
  close?(): Promise<void>;
  /** Encodings at least this long are worth storing deflated here (Infinity: never). */
  readonly deflateFromChars: number;
}

export class AuditStoreError extends Error {}

const HEAD_SQL = 'SELECT head_batch, head_seq, head_hash FROM audit_chains WHERE chain_id = ?';
const MOVE_HEAD_SQL = 'UPDATE audit_chains SET head_batch = ?, head_seq = ?, head_hash = ? WHERE chain_id = ? AND head_batch = ?';
const REGISTER_SQL = 'INSERT INTO audit_chains (chain_id, started_at, head_batch, head_seq, head_hash, projected_batch, projected_seq) VALUES (?, ?, ?, ?, ?, 0, 0)';

function headOf(row: Record<string, unknown> | undefined): { registered: boolean; head: ChainHead } {
  return row ? { registered: true, head: { batch: Number(row.head_batch), seq: Number(row.head_seq), hash: String(row.head_hash) } } : { registered: false, head: EMPTY_HEAD };
}

/** The statements of one append, in order, each with its parameters. */
function appendStatements(chainId: string, startedAt: string, registered: boolean, before: ChainHead, sealed: AppendResult): [string, unknown[]][] {
  const out: [string, unknown[]][] = [];
  const { batches, head } = sealed;
  for (let i = 0; i < batches.length;) {
    const params: unknown[] = [];
    let n = 0;
    let chars = 0;
    while (i < batches.length && n < BATCHES_PER_INSERT) {
      const size = storedRecords(batches[i]).length;
      if (n > 0 && chars + size > RECORD_CHARS_PER_INSERT) break;
      chars += size;
      batchParams(batches[i++], params);
      n++;
    }
    out.push([batchInsertSql(n), params]);
  }
  out.push(registered ? [MOVE_HEAD_SQL, [head.batch, head.seq, head.hash, chainId, before.batch]] : [REGISTER_SQL, [chainId, toDbTime(startedAt), head.batch, head.seq, head.hash]]);
  return out;
}

export function createAuditStore(ds: DataSource): AuditStore {
  return isMysql(ds) ? new MysqlAuditStore(ds) : new SqliteAuditStore(ds);
}

async function probeTables(ds: DataSource): Promise<void> {
  await ds.query('SELECT id FROM audit_batches WHERE 1 = 0');
  await ds.query('SELECT chain_id FROM audit_chains WHERE 1 = 0');
}

/** A connection as mysql2 creates it (callback API). */
interface RawMysqlConnection {
  query(sql: string, params: unknown[], cb: (err: (Error & { code?: string; fatal?: boolean }) | null, result: unknown) => void): void;
  on(event: 'error', listener: (e: Error) => void): void;
  end(cb: (err?: Error | null) => void): void;
  destroy(): void;
  stream?: { ref(): void; unref(): void };
}

/** How many times an append that failed with a deadlock (Galera: certification failure) is run again, after a jittered pause: a chain row updated from other nodes under load (projection, verification) can fail several attempts in a row. */
export const DEADLOCK_RETRIES = 8;

/** ER_LOCK_DEADLOCK (1213): the transaction was rolled back whole (InnoDB deadlock, or a Galera certification failure / brute-force abort). */
export function isDeadlock(e: unknown): boolean {
  const err = e as { code?: unknown; errno?: unknown };
  return err?.code === 'ER_LOCK_DEADLOCK' || err?.errno === 1213;
}

/** Guarded head move for the one-round-trip commit: a head that moved makes head_batch NULL, which strict mode refuses (error 1048), so COMMIT is never reached. */
const MOVE_HEAD_GUARDED_SQL = 'UPDATE audit_chains SET head_batch = IF(head_batch = ?, ?, NULL), head_seq = ?, head_hash = ? WHERE chain_id = ?';

/**
 * MySQL/MariaDB: one connection of the writer's own (not the pool's, so that no other statement
 * of the gateway can run inside the audit transaction), opened with multiple statements allowed,
 * so that a commit is ONE round trip: START TRANSACTION; INSERT …; UPDATE head; COMMIT. Every
 * value is a placeholder (escaped by the driver); nothing else ever runs on this connection.
 * If any statement fails, the ones after it (COMMIT included) do not run, and the connection
 * is dropped, which rolls the transaction back; the next append opens a new one.
 */
class MysqlAuditStore implements AuditStore {
  /** InnoDB moves a row past ~8 KB to an overflow page, which costs each commit ~0.45 ms (measured); deflated, 1 000 records stay in-row. */
  readonly deflateFromChars = DEFLATE_FROM_CHARS;
  private conn: Promise<RawMysqlConnection> | null = null;
  /** Transactions run again after a deadlock (diagnostics, tests). */
  deadlocksRetried = 0;

  constructor(private readonly ds: DataSource) {}

  private open(): Promise<RawMysqlConnection> {
    const url = (this.ds.options as { url?: string }).url;
    const mysql = (this.ds.driver as unknown as { mysql: { createConnection(o: Record<string, unknown>): RawMysqlConnection } }).mysql;
    return new Promise((resolve, reject) => {
      const c = mysql.createConnection({ uri: url, charset: 'utf8mb4', timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false, connectTimeout: 5000, multipleStatements: true });
      c.on('error', () => this.drop(c)); // a connection killed while idle: the next append opens another
      // Idle, it keeps nothing alive (the pool's connections close with the DataSource; this one
      // is the writer's, closed by its close(), and must not hold a process that forgot to).
      c.stream?.unref();
      // Strict mode on this session whatever the server's default: the guarded head move relies on it.
      c.query("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'", [], (err) => {
        if (err) {
          c.destroy();
          reject(err);
        } else resolve(c);
      });
    });
  }

  private connection(): Promise<RawMysqlConnection> {
    if (!this.ds.isInitialized) return Promise.reject(new AuditStoreError('the audit store is closed'));
    if (!this.conn) {
      const opening = this.open();
      this.conn = opening;
      opening.catch(() => {
        if (this.conn === opening) this.conn = null;
      });
    }
    return this.conn;
  }

  /** Forget a connection (destroying it rolls back whatever it had open). */
  private drop(c?: RawMysqlConnection): void {
    const current = this.conn;
    if (!current) return;
    void current.then((open) => {
      if (c && open !== c) return;
      if (this.conn === current) this.conn = null;
      open.destroy();
    }, () => undefined);
  }

  /** One round trip; the connection holds the process only while it is under way. */
  private static run<T>(c: RawMysqlConnection, sql: string, params: unknown[]): Promise<T> {
    c.stream?.ref();
    return new Promise((resolve, reject) => c.query(sql, params, (err, result) => {
      c.stream?.unref();
      if (err) reject(err);
      else resolve(result as T);
    }));
  }

  /**
   * One transaction; on a deadlock (1213) — under Galera a certification failure, another node's
   * commit touched a row of this transaction first (in practice audit_chains, whose projection
   * columns another node's projector may advance) — the server rolled the whole transaction back,
   * nothing of it landed, so it is run again from a reread head, up to DEADLOCK_RETRIES times;
   * then the error goes to the writer, whose requests answer AUDIT_UNAVAILABLE. The one case where
   * the writer's "nothing retried behind the caller's back" does not apply: nothing was written.
   */
  async append(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, contents: readonly BatchContent[]): Promise<AppendResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.appendOnce(chainId, startedAt, attempt === 0 ? chain : null, contents);
      } catch (e) {
        if (!isDeadlock(e) || attempt >= DEADLOCK_RETRIES) throw e;
        this.deadlocksRetried++;
        await new Promise((resolve) => setTimeout(resolve, 2 + Math.floor(Math.random() * 8) * (attempt + 1)));
      }
    }
  }

  private async appendOnce(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, contents: readonly BatchContent[]): Promise<AppendResult> {
    const c = await this.connection();
    try {
      const known = chain ?? headOf((await MysqlAuditStore.run<Record<string, unknown>[]>(c, HEAD_SQL, [chainId]))[0]);
      const sealed = sealBatches(chainId, known.head, contents);
      const statements = appendStatements(chainId, startedAt, known.registered, known.head, sealed).map(([sql, params]): [string, unknown[]] =>
        sql === MOVE_HEAD_SQL ? [MOVE_HEAD_GUARDED_SQL, [known.head.batch, sealed.head.batch, sealed.head.seq, sealed.head.hash, chainId]] : [sql, params]);
      // Packets of at most ~RECORD_CHARS_PER_INSERT characters (within max_allowed_packet); one in practice.
      const packets: { sql: string[]; params: unknown[]; chars: number }[] = [{ sql: ['START TRANSACTION'], params: [], chars: 0 }];
      for (const [sql, params] of statements) {
        const chars = params.reduce<number>((n, p) => n + (typeof p === 'string' ? p.length : 8), sql.length);
        let last = packets[packets.length - 1];
        if (last.chars > 0 && last.chars + chars > RECORD_CHARS_PER_INSERT) packets.push((last = { sql: [], params: [], chars: 0 }));
        last.sql.push(sql);
        last.params.push(...params);
        last.chars += chars;
      }
      packets[packets.length - 1].sql.push('COMMIT');
      let moved = 0;
      for (const packet of packets) {
        for (const sql of packet.sql) this.ds.logger.logQuery(sql); // the statement log counts each
        const results = await MysqlAuditStore.run<unknown>(c, packet.sql.join(';\n'), packet.params);
        const list = (Array.isArray(results) ? results : [results]) as { affectedRows?: number }[];
        packet.sql.forEach((sql, i) => {
          if (sql === MOVE_HEAD_GUARDED_SQL) moved = list[i]?.affectedRows ?? 0;
        });
      }
      // The head row gone (it is never deleted by the gateway): the batches are committed, but the
      // chain's registration is not what this writer knows; verify will name it. Refuse, and reread.
      if (known.registered && moved !== 1) throw new AuditStoreError('the chain head row is missing');
      return sealed;
    } catch (e) {
      this.drop(c);
      throw e;
    }
  }

  probe(): Promise<void> {
    return probeTables(this.ds);
  }

  async close(): Promise<void> {
    const current = this.conn;
    this.conn = null;
    const c = await current?.catch(() => null);
    if (c) await new Promise<void>((resolve) => c.end(() => resolve()));
  }
}

interface SqliteStatements {
  /**
   * The connection's own settings, read once (the gateway sets them as it opens the connection):
   * `synchronous` (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA) and `busy_timeout` (ms).
   */
  synchronous: number;
  busyTimeout: number;
  head: Statement;
  moveHead: Statement;
  register: Statement;
  inserts: Map<number, Statement>;
}

/** A statement prepared once per key; the `limit` most recently used are kept. */
function cachedStatement<K>(db: Database, cache: Map<K, Statement>, key: K, sql: () => string, limit: number): Statement {
  let stmt = cache.get(key);
  if (stmt) {
    cache.delete(key); // most recently used last
  } else {
    stmt = db.prepare(sql());
    if (cache.size >= limit) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, stmt);
  return stmt;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Atomics.waitAsync (Node 16+; not in the ES2022 lib typings). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/**
 * Until the projection worker's step ends (woken at once, not polled), or 1 ms when something
 * else holds the lock (another process, a CLI).
 */
async function lockReleased(gate: Int32Array, deadline: number): Promise<void> {
  if (Atomics.load(gate, GATE_STEPPING) === 1) {
    const r = waitAsync(gate, GATE_STEPPING, 1, Math.max(1, deadline - Date.now()));
    if (r.async) await r.value;
    // The lock is free now; the worker may have been refused its next step by the gate.
    return;
  }
  await sleep(1);
}

/**
 * SQLite: TypeORM's better-sqlite3 driver shares one connection between every query runner, so
 * a TypeORM transaction here could swallow (or be swallowed by) another request's writes. The
 * append therefore runs as one synchronous better-sqlite3 transaction: nothing else can run
 * between its BEGIN and COMMIT. While another transaction is open on the connection, it waits;
 * while another connection (the projection's worker, another process) holds the write lock, it
 * retries without blocking the event loop (busy_timeout 0 for its own BEGIN), up to busyWaitMs.
 */
class SqliteAuditStore implements AuditStore {
  /** Measured: deflating (~0.2 ms on the request's path) costs more than the smaller WAL write saves. */
  readonly deflateFromChars = Infinity;
  private readonly statements = new WeakMap<Database, SqliteStatements>();
  /**
   * The current connection's write-ahead log, if it has one (a database file in WAL mode; see
   * ./wal.ts): set when the connection's statements are prepared, closed when it changes and at close.
   */
  private wal: WalFile | null = null;

  constructor(private readonly ds: DataSource, private readonly busyWaitMs = 5000) {}

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
      this.wal = mode === 'wal' ? new WalFile(`${db.name}-wal`) : null;
      s = {
        synchronous: Number(db.pragma('synchronous', { simple: true })), busyTimeout: Number(db.pragma('busy_timeout', { simple: true })),
        head: db.prepare(HEAD_SQL), moveHead: db.prepare(MOVE_HEAD_SQL), register: db.prepare(REGISTER_SQL), inserts: new Map(),
      };
      this.statements.set(db, s);
    }
    return s;
  }

  /** The multi-row INSERT for this many batches (the sizes of group commits recur under load; a few are kept). */
  private insert(db: Database, s: SqliteStatements, rows: number): Statement {
    return cachedStatement(db, s.inserts, rows, () => batchInsertSql(rows), 16);
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
    const gate = sqliteWriterGate(this.ds);
    let waiting = false;
    try {
      for (;;) {
        const db = this.connection();
        if (!db.inTransaction) {
          const committed = this.tryAppend(db, chainId, startedAt, chain, contents);
          if (committed) return committed;
          // Ask the projection's worker to leave the lock to this commit between its steps.
          if (!waiting) Atomics.add(gate, GATE_WAITING, 1);
          waiting = true;
        }
        if (Date.now() > deadline) throw new AuditStoreError('the audit store stayed busy');
        await lockReleased(gate, deadline);
      }
    } finally {
      if (waiting) {
        Atomics.sub(gate, GATE_WAITING, 1);
        Atomics.notify(gate, GATE_WAITING);
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
        } else if (sql === REGISTER_SQL) {
          s.register.run(params);
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
