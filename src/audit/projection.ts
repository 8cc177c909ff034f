import { AsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { isMysql } from '../db/data-source';
import { log } from '../log';
import { countRecordsMysql, rollupAlongside } from '../review/activity-sql';
import type { ChainHead } from './batch';
import type { RequestActivity } from './request-activity';
import { SharedSignal } from './signal';
import { MYSQL_PROJECTION_SQL, PendingChain, ProjectionBackend, ProjectionError, ProjectionProgress } from './projection-sql';
import { SqliteInlineBackend, SqliteWorkerBackend, sqliteWriterGate } from './projection-sqlite';
import { isDeadlock } from './store';

/**
 * The audit_events projection: after each commit of the batch log, the batches are unfolded
 * into one audit_events row per record, in the same process but off the requests' path, in
 * steps of up to maxRecords records per transaction. Each step moves the chain's progress
 * (audit_chains.projected_batch / projected_seq) in the same transaction as its rows, and only
 * if nobody moved it first, so a step is all-or-nothing and never applied twice, whoever runs it
 * (this process, another gateway process, a CLI). Each step also adds the records it unfolds to
 * the console's hourly counts, in its transaction (src/review/activity-sql.ts), so that counting
 * never needs a pass of its own on the requests' thread. Nothing here can lose a record: the batches
 * are the record; a projection that stops (database gone) resumes from its progress.
 *
 * One projection per DataSource, shared by every Audit on it. settle() is read-your-writes for
 * the review paths: it returns once every batch committed so far — by any process, including
 * one that stopped before projecting — is in audit_events.
 */

/** A pooled MySQL connection as mysql2 hands it out (callback API, as TypeORM creates the pool). */
interface PoolConnection {
  query(sql: string, params: unknown[], cb: (err: (Error & { code?: string }) | null, result: unknown) => void): void;
  release(): void;
  destroy(): void;
}

/**
 * MySQL/MariaDB: the server unfolds the batches (JSON_TABLE); the gateway sends one INSERT …
 * SELECT per step. READ COMMITTED, so that reading the batches takes no gap lock that would
 * hold up the writer appending the next ones. On a pooled connection of its own, outside
 * TypeORM's statement log: the statements of a request are those it runs itself.
 */
class MysqlProjectionBackend implements ProjectionBackend {
  /** Chains whose activity progress row this process has seen exist (it is created outside the step's transaction). */
  private readonly counted = new Set<string>();

  constructor(private readonly ds: DataSource) {}

  private async connection(): Promise<PoolConnection> {
    if (!this.ds.isInitialized) throw new Error('the audit store is closed');
    return (this.ds.driver as unknown as { obtainMasterConnection(): Promise<PoolConnection> }).obtainMasterConnection();
  }

  private static run<T>(conn: PoolConnection, sql: string, params: unknown[] = []): Promise<T> {
    return new Promise((resolve, reject) => conn.query(sql, params, (err, result) => (err ? reject(err) : resolve(result as T))));
  }

  async step(chainId: string, maxRecords: number): Promise<ProjectionProgress | null> {
    const sql = MYSQL_PROJECTION_SQL;
    const conn = await this.connection();
    const q = <T>(s: string, p?: unknown[]) => MysqlProjectionBackend.run<T>(conn, s, p);
    let reusable = false;
    try {
      if (!this.counted.has(chainId)) {
        await q(sql.rollup.ensure!, [chainId]); // outside the transaction: inside, its shared lock and the FOR UPDATE below could deadlock with another step's
        this.counted.add(chainId);
      }
      await q('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await q('START TRANSACTION');
      const [p] = await q<{ projected_batch: number; projected_seq: number }[]>(sql.progress, [chainId]);
      let result: ProjectionProgress | null = null;
      if (p) {
        const from = Number(p.projected_batch);
        let to = from;
        let seq = Number(p.projected_seq);
        let records = 0;
        for (const b of await q<{ seq: number; first_seq: number; record_count: number }[]>(sql.nextBatches, [chainId, from, maxRecords])) {
          if (records > 0 && records + Number(b.record_count) > maxRecords) break;
          if (Number(b.seq) !== to + 1 || Number(b.first_seq) !== seq + 1) {
            if (records > 0) break; // project up to the gap; the next step stops at it
            throw new ProjectionError(`chain ${chainId}: batch ${b.seq} (first record ${b.first_seq}) does not follow batch ${to} (record ${seq})`, 'AUDIT_PROJECTION_GAP');
          }
          to = Number(b.seq);
          seq += Number(b.record_count);
          records += Number(b.record_count);
        }
        result = { batch: from, seq, records: 0 };
        if (to > from) {
          const inserted = (await q<{ affectedRows: number }>(sql.project, [chainId, from, to])).affectedRows;
          if (inserted !== records) throw new ProjectionError(`chain ${chainId}: batches ${from + 1}..${to} unfold into ${inserted} records, not ${records}`, 'AUDIT_PROJECTION_COUNT');
          // The console's counts, before the chain's row is locked by the advance (the writer moves its head on that row).
          await countRecordsMysql(q, chainId, seq, rollupAlongside(maxRecords));
          const moved = (await q<{ affectedRows: number }>(sql.advance, [to, seq, chainId, from])).affectedRows === 1;
          result = moved ? { batch: to, seq, records } : { batch: from, seq: Number(p.projected_seq), records: -1 };
          if (!moved) {
            await q('ROLLBACK');
            reusable = true;
            return result;
          }
        }
      }
      await q('COMMIT');
      reusable = true;
      return result;
    } catch (e) {
      await q('ROLLBACK').then(() => { reusable = true; }, () => undefined);
      // Another projector inserted the same rows first (it holds or held the progress), or, under
      // Galera, another node's commit won certification on a row of this step (1213: rolled back whole): read again.
      if ((e as { code?: string }).code === 'ER_DUP_ENTRY' || isDeadlock(e)) return { batch: 0, seq: 0, records: -1 };
      throw e;
    } finally {
      if (reusable) conn.release();
      else conn.destroy();
    }
  }

  async pending(): Promise<PendingChain[]> {
    const conn = await this.connection();
    try {
      const rows = await MysqlProjectionBackend.run<{ chain_id: string; head_batch: number }[]>(conn, MYSQL_PROJECTION_SQL.pending);
      conn.release();
      return rows.map((r) => ({ chainId: String(r.chain_id), headBatch: Number(r.head_batch) }));
    } catch (e) {
      conn.destroy();
      throw e;
    }
  }

  async close(): Promise<void> {}
}

export interface ProjectionOptions {
  /** Records per projection transaction (a batch is never split, so one large request may exceed it). */
  maxRecords?: number;
  /** SQLite: project in a worker thread (default true for a database file). */
  worker?: boolean;
  /**
   * While requests are in flight, the background projection waits for them to finish, unless
   * this many committed records are waiting to be projected (then it runs alongside them)...
   */
  maxLagRecords?: number;
  /** ...or the oldest of them has waited this long (ms). Review reads never wait for this: they project what they need at once. */
  maxLagMs?: number;
  /**
   * Running alongside requests while the gateway is saturated (its event loop at least
   * SATURATED busy since the step before), the projection's steps take at most this share of
   * the time: each is followed by a pause (nine times its length at 0.1) that ends early once no
   * request is in flight. Not saturated, it runs step after step. Under a load above the
   * projection's rate it falls behind whatever its share (the batches hold everything meanwhile,
   * and a review read projects what it needs at once); its share is what it takes from the requests.
   */
  busyShare?: number;
}

interface ChainProgress {
  /** The last batch (and record) committed that this process knows of. */
  target: number;
  targetSeq: number;
  /** The last batch (and record) known to be projected. */
  projected: number;
  projectedSeq: number;
  /** The steps running for this chain in this process (one at a time). */
  running: Promise<void> | null;
}

/** The gateway is saturated when its event loop was busy this share of the time (see busyShare). */
const SATURATED = 0.9;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const errorFields = (e: unknown) => ({ name: (e as Error)?.name, code: (e as { code?: unknown })?.code, message: (e as Error)?.message });

export class AuditProjection {
  private readonly chains = new Map<string, ChainProgress>();
  private readonly options: Required<ProjectionOptions>;
  private users = 0;
  /** The requests the background projection yields to (one per gateway on this store). */
  private readonly activities = new Set<RequestActivity>();
  /** When the projection last fell behind (a commit it had not projected yet); null when caught up. */
  private behindSince: number | null = null;
  /** Until when (performance.now()) a background step running alongside requests leaves them the time (busyShare). */
  private pauseUntil = 0;
  /** The event loop's use when the last background step ended (whether the gateway is saturated). */
  private loopMark = performance.eventLoopUtilization();
  /** Reads waiting for the projection (settle): while any is, nothing yields. */
  private urgent = 0;
  /** Wakes the background runs waiting in yieldToRequests. */
  private readonly wakeSignal = new SharedSignal();
  private worker: SqliteWorkerBackend | null = null;
  private readonly inline: ProjectionBackend;
  private pumping: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | null = null;
  private retryMs = 0;
  private failing = false;
  /** Records this process has projected (tests, the benchmark). */
  projectedRecords = 0;
  /** Background work runs outside the async context of the request that triggered it: nothing keyed on a request follows the work into the background. */
  private readonly scope = new AsyncResource('AuditProjection');

  constructor(private readonly ds: DataSource, options: ProjectionOptions = {}) {
    const mysql = isMysql(ds);
    this.options = { maxRecords: options.maxRecords ?? (mysql ? 5000 : 1000), worker: options.worker ?? !mysql, maxLagRecords: options.maxLagRecords ?? 100_000, maxLagMs: options.maxLagMs ?? 1_000, busyShare: Math.min(1, Math.max(0.01, options.busyShare ?? 0.1)) };
    this.inline = mysql ? new MysqlProjectionBackend(ds) : new SqliteInlineBackend(ds);
  }

  /**
   * A writer starts using the projection: on SQLite the worker starts with the first one, and
   * every chain left with unprojected batches (a stopped process's too) is caught up. The
   * returned release stops the worker after the last one. `activity`: the writer's gateway's
   * requests, which the background projection lets go first.
   */
  acquire(activity?: RequestActivity): () => Promise<void> {
    if (activity) this.activities.add(activity);
    if (this.users++ === 0) {
      this.startWorker();
      this.scope.runInAsyncScope(() => this.catchUp());
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (activity) this.activities.delete(activity);
      this.wakeSignal.fire();
      if (--this.users > 0) return;
      if (this.retry) clearTimeout(this.retry);
      this.retry = null;
      await this.pumping?.catch(() => undefined);
      const worker = this.worker;
      this.worker = null;
      await worker?.close();
    };
  }

  /** A writer committed its chain up to `head`: project it soon. */
  committed(chainId: string, head: ChainHead): void {
    const c = this.chain(chainId);
    if (head.batch > c.target) {
      c.target = head.batch;
      c.targetSeq = head.seq;
    }
    this.behindSince ??= Date.now();
    this.schedule(0);
  }

  /**
   * Resolves once every batch committed before the call, by any process, is projected; rejects
   * if the projection cannot get there (the database is unreachable, a batch is damaged).
   */
  async settle(): Promise<void> {
    this.urgent++;
    this.wakeSignal.fire(); // a background run waiting for requests to finish would hold this read up
    try {
      const targets = new Map<string, number>();
      for (const [chainId, c] of this.chains) if (c.target > c.projected) targets.set(chainId, c.target);
      for (const p of await this.backend().pending()) targets.set(p.chainId, Math.max(targets.get(p.chainId) ?? 0, p.headBatch));
      for (const [chainId, target] of targets) await this.project(chainId, target);
    } finally {
      this.urgent--;
    }
  }

  /**
   * SQLite: one step of the console's hourly counts for a chain (src/review/activity-rollup.ts),
   * where the projection runs (its worker thread: off the event loop); null on MySQL/MariaDB,
   * whose rollup runs on a connection of its own.
   */
  async rollUp(chainId: string, maxRecords: number): Promise<number | null> {
    if (!this.backend().rollUp) return null;
    // Catching up goes after the requests in flight (readers add what is not counted yet), for a second at most.
    const busy = this.busyActivities();
    if (busy.length > 0) await AuditProjection.idleOr(busy, 1000);
    const backend = this.backend();
    return backend.rollUp ? backend.rollUp(chainId, maxRecords) : null;
  }

  /** Records this process committed and has not seen projected yet. */
  lag(): number {
    let n = 0;
    for (const c of this.chains.values()) n += Math.max(0, c.targetSeq - c.projectedSeq);
    return n;
  }

  private chain(chainId: string): ChainProgress {
    let c = this.chains.get(chainId);
    if (!c) this.chains.set(chainId, (c = { target: 0, targetSeq: 0, projected: 0, projectedSeq: 0, running: null }));
    return c;
  }

  private backend(): ProjectionBackend {
    if (this.worker?.failed) {
      log.warn({ err: errorFields(this.worker.failed) }, 'audit projection worker failed; projecting in the main thread');
      this.worker = null;
    }
    return this.worker ?? this.inline;
  }

  private startWorker(): void {
    const file = (this.ds.options as { database?: unknown }).database;
    if (!this.options.worker || isMysql(this.ds) || typeof file !== 'string' || file === '' || file === ':memory:') return;
    try {
      this.worker = new SqliteWorkerBackend(file, sqliteWriterGate(this.ds));
    } catch (e) {
      log.warn({ err: errorFields(e) }, 'audit projection worker could not start; projecting in the main thread');
    }
  }

  /**
   * Background steps go after the requests in flight: wait until none is, unless a read is
   * waiting for the projection, or it is too far behind (records or time); then a step runs
   * alongside them after the pause of the one before (busyShare).
   */
  private async yieldToRequests(): Promise<void> {
    for (;;) {
      const busy = this.busyActivities();
      if (busy.length === 0 || this.urgent > 0 || this.users === 0) return;
      const overdue = this.behindSince === null ? 0 : this.behindSince + this.options.maxLagMs - Date.now();
      const wait = overdue <= 0 || this.lag() >= this.options.maxLagRecords ? this.pauseUntil - performance.now() : overdue;
      if (wait <= 0) return;
      await AuditProjection.idleOr(busy, wait, this.wakeSignal.wait());
    }
  }

  /**
   * The pause a background step leaves the requests in flight (yieldToRequests ignores it once
   * none is): none while the gateway has time to spare, (1 / busyShare - 1) × the step's length
   * while its event loop is saturated. A step that ran on the event loop itself (`onEventLoop`)
   * does not count as the requests' use of it.
   */
  private pauseAfter(started: number, onEventLoop: boolean): void {
    const ended = performance.now();
    const loop = performance.eventLoopUtilization(this.loopMark);
    this.loopMark = performance.eventLoopUtilization();
    // The requests' share of the time since the last step (the step itself, if it ran here, is not theirs).
    const requests = Math.max(0, loop.active - (onEventLoop ? ended - started : 0));
    const use = loop.active + loop.idle > 0 ? requests / (loop.active + loop.idle) : 0;
    this.pauseUntil = use >= SATURATED ? ended + (ended - started) * (1 / this.options.busyShare - 1) : ended;
  }

  private busyActivities(): RequestActivity[] {
    return [...this.activities].filter((a) => a.busy);
  }

  /** Until every one of `busy` is over, or `ms` have passed, or `wake` (if given) resolves. */
  private static async idleOr(busy: RequestActivity[], ms: number, wake?: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([Promise.all(busy.map((a) => a.idle())), timeout, ...(wake ? [wake] : [])]);
    clearTimeout(timer);
  }

  /**
   * Steps until the chain is projected up to batch `target`; one run per chain at a time.
   * `background`: each step first yields to the requests in flight (yieldToRequests).
   */
  private project(chainId: string, target: number, background = false): Promise<void> {
    const c = this.chain(chainId);
    const run = async (): Promise<void> => {
      let conflicts = 0;
      while (c.projected < target) {
        if (background) await this.yieldToRequests();
        const backend = this.backend();
        const started = performance.now();
        const r = await backend.step(chainId, this.options.maxRecords);
        if (background) this.pauseAfter(started, backend.onEventLoop === true);
        if (!r) return; // not registered: nothing to project
        if (r.records < 0) {
          // Another projector moved it first (its step commits soon), or rows are in the way that no
          // progress accounts for (verify names them): give up after ~10 s of the latter.
          if (++conflicts > 100) throw new ProjectionError(`chain ${chainId}: its next records are already in audit_events, past its projection progress`, 'AUDIT_PROJECTION_CONFLICT');
          await sleep(Math.min(5 * conflicts, 100));
          continue;
        }
        conflicts = 0;
        if (r.batch > c.projected) {
          c.projected = r.batch;
          c.projectedSeq = r.seq;
          if (c.projected > c.target) {
            c.target = c.projected;
            c.targetSeq = c.projectedSeq;
          }
        }
        if (r.records === 0) {
          if (c.projected < target) throw new ProjectionError(`chain ${chainId}: batches ${c.projected + 1}..${target} are committed but were not found`, 'AUDIT_PROJECTION_GAP');
          return;
        }
        this.projectedRecords += r.records;
        if (this.lag() === 0) this.behindSince = null;
        await nextTurn(); // let requests in between steps
      }
    };
    const next = (c.running ?? Promise.resolve()).then(run, run);
    c.running = next;
    void next.then(
      () => { if (c.running === next) c.running = null; },
      () => { if (c.running === next) c.running = null; },
    );
    return next;
  }

  private schedule(delayMs: number): void {
    if (this.pumping) {
      this.again = true; // the running pump goes round once more
      return;
    }
    if (this.retry) return; // already due (at once, or after a back-off while failing)
    this.scope.runInAsyncScope(() => {
      this.retry = setTimeout(() => {
        this.retry = null;
        this.pump();
      }, delayMs);
      if (delayMs > 0) this.retry.unref();
    });
  }

  /** Project every chain this process committed to, until nothing is behind; on failure, back off and retry. */
  private pump(): void {
    this.pumping = (async () => {
      do {
        this.again = false;
        for (const [chainId, c] of this.chains) if (c.target > c.projected) await this.project(chainId, c.target, true);
      } while (this.again);
    })();
    this.pumping.then(
      () => {
        this.pumping = null;
        if (this.failing) log.info('audit projection running again');
        this.failing = false;
        this.retryMs = 0;
      },
      (e: unknown) => {
        this.pumping = null;
        if (!this.failing) log.error({ err: errorFields(e) }, 'audit projection failed; retrying (the batches are committed; review reads wait for it)');
        this.failing = true;
        this.retryMs = Math.min(Math.max(this.retryMs * 2, 100), 5000);
        if (this.users > 0) this.schedule(this.retryMs);
      },
    );
  }

  /** At start: every chain with batches not yet projected, whoever wrote them. */
  private catchUp(): void {
    void this.settle().catch((e: unknown) => {
      if (!this.failing) log.error({ err: errorFields(e) }, 'audit projection catch-up failed; retrying');
      this.failing = true;
      if (this.users > 0) setTimeout(() => this.scope.runInAsyncScope(() => this.users > 0 && this.catchUp()), 1000).unref();
    });
  }
}

const projections = new WeakMap<DataSource, AuditProjection>();

/**
 * The projection of a store (one per DataSource, shared by its writers and readers). Given a
 * transaction's EntityManager in place of a DataSource (as the erasure flow passes one), its
 * DataSource's: the projection runs on connections of its own, never inside the caller's.
 */
export function auditProjection(store: DataSource): AuditProjection {
  const ds = (store as unknown as { dataSource?: DataSource }).dataSource ?? store;
  let p = projections.get(ds);
  if (!p) projections.set(ds, (p = new AuditProjection(ds)));
  return p;
}

/**
 * Read-your-writes for whatever reads audit_events: resolves once every audit batch committed
 * so far on this database (by any process) is projected into audit_events.
 */
export function auditSettled(ds: DataSource): Promise<void> {
  return auditProjection(ds).settle();
}
