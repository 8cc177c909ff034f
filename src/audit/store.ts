import type { Database, Statement } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { isMysql } from '../db/data-source';
import { BatchContent, ChainHead, EMPTY_HEAD, SealedBatch, sealBatches } from './batch';
import { BATCH_COLUMNS, batchInsertSql, batchParams, BATCHES_PER_INSERT, RECORD_CHARS_PER_INSERT, toDbTime } from './columns';
import { sqliteWriterGate } from './projection-sqlite';

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
    while (i < batches.length && n < BATCHES_PER_INSERT && (n === 0 || chars + batches[i].records.length <= RECORD_CHARS_PER_INSERT)) {
      chars += batches[i].records.length;
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

/**
 * MySQL/MariaDB: a pooled connection of its own per append, so that no other statement of the
 * gateway can run inside the audit transaction.
 */
class MysqlAuditStore implements AuditStore {
  constructor(private readonly ds: DataSource) {}

  async append(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, contents: readonly BatchContent[]): Promise<AppendResult> {
    if (!this.ds.isInitialized) throw new AuditStoreError('the audit store is closed');
    const qr = this.ds.createQueryRunner('master');
    try {
      await qr.connect();
      await qr.startTransaction();
      const known = chain ?? headOf((await qr.query(HEAD_SQL, [chainId]))[0]);
      const sealed = sealBatches(chainId, known.head, contents);
      for (const [sql, params] of appendStatements(chainId, startedAt, known.registered, known.head, sealed)) {
        const result = await qr.query(sql, params, true);
        if (sql === MOVE_HEAD_SQL && result.affected !== 1) throw new AuditStoreError('the chain head moved under this writer');
      }
      await qr.commitTransaction();
      return sealed;
    } catch (e) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw e;
    } finally {
      await qr.release().catch(() => undefined);
    }
  }

  probe(): Promise<void> {
    return probeTables(this.ds);
  }
}

interface SqliteStatements {
  head: Statement;
  moveHead: Statement;
  register: Statement;
  inserts: Map<number, Statement>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SQLite: TypeORM's better-sqlite3 driver shares one connection between every query runner, so
 * a TypeORM transaction here could swallow (or be swallowed by) another request's writes. The
 * append therefore runs as one synchronous better-sqlite3 transaction: nothing else can run
 * between its BEGIN and COMMIT. While another transaction is open on the connection, it waits;
 * while another connection (the projection's worker, another process) holds the write lock, it
 * retries without blocking the event loop (busy_timeout 0 for its own BEGIN), up to busyWaitMs.
 */
class SqliteAuditStore implements AuditStore {
  private readonly statements = new WeakMap<Database, SqliteStatements>();

  constructor(private readonly ds: DataSource, private readonly busyWaitMs = 5000) {}

  private connection(): Database {
    const db = this.ds.isInitialized ? (this.ds.driver as unknown as { databaseConnection?: Database }).databaseConnection : undefined;
    if (!db || !db.open) throw new AuditStoreError('the audit store is closed');
    return db;
  }

  private prepared(db: Database): SqliteStatements {
    let s = this.statements.get(db);
    if (!s) {
      s = { head: db.prepare(HEAD_SQL), moveHead: db.prepare(MOVE_HEAD_SQL), register: db.prepare(REGISTER_SQL), inserts: new Map() };
      this.statements.set(db, s);
    }
    return s;
  }

  private insert(db: Database, s: SqliteStatements, rows: number): Statement {
    let stmt = s.inserts.get(rows);
    if (stmt) {
      s.inserts.delete(rows); // most recently used last
    } else {
      stmt = db.prepare(batchInsertSql(rows));
      // The sizes of group commits recur under load; keep a few.
      if (s.inserts.size >= 16) s.inserts.delete(s.inserts.keys().next().value!);
    }
    s.inserts.set(rows, stmt);
    return stmt;
  }

  async append(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, contents: readonly BatchContent[]): Promise<AppendResult> {
    const deadline = Date.now() + this.busyWaitMs;
    const gate = sqliteWriterGate(this.ds);
    let waiting = false;
    try {
      for (;;) {
        const db = this.connection();
        if (!db.inTransaction) {
          const sealed = this.tryAppend(db, chainId, startedAt, chain, contents);
          if (sealed) return sealed;
          // Ask the projection's worker to leave the lock to this commit between its steps.
          if (!waiting) Atomics.add(gate, 0, 1);
          waiting = true;
        }
        if (Date.now() > deadline) throw new AuditStoreError('the audit store stayed busy');
        await sleep(1);
      }
    } finally {
      if (waiting) {
        Atomics.sub(gate, 0, 1);
        Atomics.notify(gate, 0);
      }
    }
  }

  /** One attempt; null if another connection holds the write lock. */
  private tryAppend(db: Database, chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, contents: readonly BatchContent[]): AppendResult | null {
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
    // "Durably committed": in WAL mode with synchronous=NORMAL a commit can be lost to a power
    // cut, so the audit's own commits sync the log (the group commit amortises the fsync).
    const previousSync = db.pragma('synchronous', { simple: true }) as number;
    const previousBusy = db.pragma('busy_timeout', { simple: true }) as number;
    if (previousSync < 2) db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 0');
    try {
      const sealed = run.immediate();
      log('COMMIT');
      return sealed;
    } catch (e) {
      if ((e as { code?: unknown }).code === 'SQLITE_BUSY') return null;
      throw e;
    } finally {
      db.pragma(`busy_timeout = ${previousBusy}`);
      if (previousSync < 2) db.pragma(`synchronous = ${previousSync}`);
    }
  }

  probe(): Promise<void> {
    return probeTables(this.ds);
  }
}
