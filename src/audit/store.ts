import type { Database, Statement } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { isMysql } from '../db/data-source';
import { INSERT_COLUMNS, insertParams, insertSql, ROWS_PER_INSERT, toDbTime } from './columns';
import { ChainHead, EMPTY_HEAD, sealRecords } from './hash';
import type { AuditFacts, AuditRecord } from './record';

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
  records: AuditRecord[];
}

/**
 * The audit's write path for one database kind. `append` runs one transaction: (re)read the
 * chain head if asked, seal the records after it, insert them with multi-row INSERTs, and move
 * the head (or register the chain) — all committed together or not at all.
 */
export interface AuditStore {
  /** `chain` null: the last outcome is unknown (a failed commit may have landed), so read the head first. */
  append(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, facts: readonly AuditFacts[]): Promise<AppendResult>;
  /** Throws while the audit tables cannot be reached. */
  probe(): Promise<void>;
}

export class AuditStoreError extends Error {}

const HEAD_SQL = 'SELECT head_seq, head_hash FROM audit_chains WHERE chain_id = ?';
const MOVE_HEAD_SQL = 'UPDATE audit_chains SET head_seq = ?, head_hash = ? WHERE chain_id = ? AND head_seq = ?';
const REGISTER_SQL = 'INSERT INTO audit_chains (chain_id, started_at, head_seq, head_hash) VALUES (?, ?, ?, ?)';

function headOf(row: Record<string, unknown> | undefined): { registered: boolean; head: ChainHead } {
  return row ? { registered: true, head: { seq: Number(row.head_seq), hash: String(row.head_hash) } } : { registered: false, head: EMPTY_HEAD };
}

/** The statements of one append, in order, each with its parameters. */
function appendStatements(chainId: string, startedAt: string, registered: boolean, before: ChainHead, sealed: AppendResult): [string, unknown[]][] {
  const out: [string, unknown[]][] = [];
  const { records, head } = sealed;
  for (let i = 0; i < records.length; i += ROWS_PER_INSERT) {
    const chunk = records.slice(i, i + ROWS_PER_INSERT);
    const params: unknown[] = [];
    for (const r of chunk) insertParams(r, params);
    out.push([insertSql(chunk.length), params]);
  }
  out.push(registered ? [MOVE_HEAD_SQL, [head.seq, head.hash, chainId, before.seq]] : [REGISTER_SQL, [chainId, toDbTime(startedAt), head.seq, head.hash]]);
  return out;
}

export function createAuditStore(ds: DataSource): AuditStore {
  return isMysql(ds) ? new MysqlAuditStore(ds) : new SqliteAuditStore(ds);
}

async function probeTables(ds: DataSource): Promise<void> {
  await ds.query('SELECT id FROM audit_events WHERE 1 = 0');
  await ds.query('SELECT chain_id FROM audit_chains WHERE 1 = 0');
}

/**
 * MySQL/MariaDB: a pooled connection of its own per append, so that no other statement of the
 * gateway can run inside the audit transaction.
 */
class MysqlAuditStore implements AuditStore {
  constructor(private readonly ds: DataSource) {}

  async append(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, facts: readonly AuditFacts[]): Promise<AppendResult> {
    if (!this.ds.isInitialized) throw new AuditStoreError('the audit store is closed');
    const qr = this.ds.createQueryRunner('master');
    try {
      await qr.connect();
      await qr.startTransaction();
      const known = chain ?? headOf((await qr.query(HEAD_SQL, [chainId]))[0]);
      const sealed = sealRecords(chainId, known.head, facts);
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

/**
 * SQLite: TypeORM's better-sqlite3 driver shares one connection between every query runner, so
 * a TypeORM transaction here could swallow (or be swallowed by) another request's writes. The
 * append therefore runs as one synchronous better-sqlite3 transaction: nothing else can run
 * between its BEGIN and COMMIT. While another transaction is open on the connection, it waits.
 */
class SqliteAuditStore implements AuditStore {
  private readonly statements = new WeakMap<Database, SqliteStatements>();

  constructor(private readonly ds: DataSource) {}

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
      stmt = db.prepare(insertSql(rows));
      // The full chunk recurs under load, and so do the sizes of common requests; keep a few.
      if (s.inserts.size >= 16) s.inserts.delete(s.inserts.keys().next().value!);
    }
    s.inserts.set(rows, stmt);
    return stmt;
  }

  async append(chainId: string, startedAt: string, chain: Omit<ChainState, 'chainId' | 'startedAt'> | null, facts: readonly AuditFacts[]): Promise<AppendResult> {
    const deadline = Date.now() + 5000;
    let db = this.connection();
    while (db.inTransaction) {
      if (Date.now() > deadline) throw new AuditStoreError('the audit store stayed busy');
      await new Promise((resolve) => setTimeout(resolve, 2));
      db = this.connection();
    }
    const s = this.prepared(db);
    const log = (sql: string, params?: unknown[]) => this.ds.logger.logQuery(sql, params);
    const run = db.transaction(() => {
      const known = chain ?? headOf(s.head.get(chainId) as Record<string, unknown> | undefined);
      const sealed = sealRecords(chainId, known.head, facts);
      for (const [sql, params] of appendStatements(chainId, startedAt, known.registered, known.head, sealed)) {
        log(sql, params);
        if (sql === MOVE_HEAD_SQL) {
          if (s.moveHead.run(params).changes !== 1) throw new AuditStoreError('the chain head moved under this writer');
        } else if (sql === REGISTER_SQL) {
          s.register.run(params);
        } else {
          this.insert(db, s, params.length / INSERT_COLUMNS.length).run(params);
        }
      }
      return sealed;
    });
    // "Durably committed": in WAL mode with synchronous=NORMAL a commit can be lost to a power
    // cut, so the audit's own commits sync the log (the group commit amortises the fsync).
    const previous = db.pragma('synchronous', { simple: true }) as number;
    if (previous < 2) db.pragma('synchronous = FULL');
    try {
      log('BEGIN IMMEDIATE');
      const sealed = run.immediate();
      log('COMMIT');
      return sealed;
    } finally {
      if (previous < 2) db.pragma(`synchronous = ${previous}`);
    }
  }

  probe(): Promise<void> {
    return probeTables(this.ds);
  }
}
