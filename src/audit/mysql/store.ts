import type { DataSource } from 'typeorm';
import { BatchContent, DEFLATE_FROM_CHARS, sealBatches } from '../batch';
import { RECORD_CHARS_PER_INSERT } from '../columns';
import { AppendResult, appendStatements, AuditStore, AuditStoreError, ChainState, HEAD_SQL, headOf, MOVE_HEAD_SQL, probeTables } from '../store';

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
export class MysqlAuditStore implements AuditStore {
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

