import type { Database } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { Worker } from 'node:worker_threads';
import { sqliteConnection } from '../db/data-source';
import { rollupAlongside } from '../review/activity-sql';
import { storedRecordsJson } from './batch';
import { PendingChain, ProjectionBackend, ProjectionError, ProjectionProgress, ProjectionSql, SQLITE_PROJECTION_SQL } from './projection-sql';

/**
 * The SQLite projection. better-sqlite3 is synchronous, so inserting a thousand rows into a table
 * with seven indexes blocks its thread for ~10 ms: in the gateway that thread is a worker with
 * its own connection to the file (WAL: readers are never blocked), not the event loop. The
 * audit writer's commits take the write lock between the worker's steps (see sqliteWriterGate).
 */

interface SqliteProjector {
  step(chainId: string, maxRecords: number): ProjectionProgress | null;
  rollUp(chainId: string, maxRecords: number): number;
  pending(): PendingChain[];
}

/**
 * One step: read the progress, pick the next batches (contiguous, up to maxRecords records),
 * unfold them into audit_events, move the progress, and count what the console's hourly
 * counts have not counted yet up to there (at most rollupRecords records: a step also catches
 * up on counts left behind) — one IMMEDIATE transaction.
 * Self-contained (no imports, nothing from module scope): its source also runs in the worker.
 */
export function createSqliteProjector(db: Database, sql: ProjectionSql, recordsJson: (stored: string) => string, rollupRecords: (maxRecords: number) => number): SqliteProjector {
  if (sql.recordsFunction) db.function(sql.recordsFunction, { deterministic: true }, recordsJson);
  const progress = db.prepare(sql.progress);
  const nextBatches = db.prepare(sql.nextBatches);
  const project = db.prepare(sql.project);
  const advance = db.prepare(sql.advance);
  const pending = db.prepare(sql.pending);
  const rollup = { rolled: db.prepare(sql.rollup.rolled), count: db.prepare(sql.rollup.count), progress: db.prepare(sql.rollup.progress) };
  const fail = (message: string, code: string) => Object.assign(new Error(message), { code });
  /** Counts the chain's records after its counted progress, up to projectedSeq and at most limit of them. */
  const count = (chainId: string, projectedSeq: number, limit: number): number => {
    const rolled = Number((rollup.rolled.get(chainId) as { rolled_seq: number } | undefined)?.rolled_seq ?? 0);
    const upTo = Math.min(projectedSeq, rolled + limit);
    if (upTo <= rolled) return 0;
    rollup.count.run(chainId, rolled, upTo);
    rollup.progress.run(chainId, upTo);
    return upTo - rolled;
  };
  const rollUp = db.transaction((chainId: string, limit: number): number => {
    const p = progress.get(chainId) as { projected_seq: number } | undefined;
    return p ? count(chainId, Number(p.projected_seq), limit) : 0;
  });
  const step = db.transaction((chainId: string, maxRecords: number): ProjectionProgress | null => {
    const p = progress.get(chainId) as { projected_batch: number; projected_seq: number } | undefined;
    if (!p) return null;
    const from = Number(p.projected_batch);
    let to = from;
    let seq = Number(p.projected_seq);
    let records = 0;
    for (const b of nextBatches.all(chainId, from, maxRecords) as { seq: number; first_seq: number; record_count: number }[]) {
      if (records > 0 && records + Number(b.record_count) > maxRecords) break;
      if (Number(b.seq) !== to + 1 || Number(b.first_seq) !== seq + 1) {
        if (records > 0) break; // project up to the gap; the next step stops at it
        throw fail(`chain ${chainId}: batch ${b.seq} (first record ${b.first_seq}) does not follow batch ${to} (record ${seq})`, 'AUDIT_PROJECTION_GAP');
      }
      to = Number(b.seq);
      seq += Number(b.record_count);
      records += Number(b.record_count);
    }
    if (to === from) return { batch: from, seq, records: 0 };
    const inserted = project.run(chainId, from, to).changes;
    if (inserted !== records) throw fail(`chain ${chainId}: batches ${from + 1}..${to} unfold into ${inserted} records, not ${records}`, 'AUDIT_PROJECTION_COUNT');
    if (advance.run(to, seq, chainId, from).changes !== 1) return { batch: from, seq: Number(p.projected_seq), records: -1 };
    count(chainId, seq, rollupRecords(maxRecords));
    return { batch: to, seq, records };
  });
  return {
    step: (chainId, maxRecords) => step.immediate(chainId, maxRecords),
    rollUp: (chainId, maxRecords) => rollUp.immediate(chainId, maxRecords),
    pending: () => (pending.all() as { chain_id: string; head_batch: number }[]).map((r) => ({ chainId: String(r.chain_id), headBatch: Number(r.head_batch) })),
  };
}

function asProjectionError(e: unknown): unknown {
  const code = (e as { code?: unknown })?.code;
  return code === 'AUDIT_PROJECTION_GAP' || code === 'AUDIT_PROJECTION_COUNT' ? new ProjectionError((e as Error).message, code) : e;
}

const gates = new WeakMap<DataSource, Int32Array>();

/** Slots of the gate: commits waiting for the lock; whether the worker is in a step (holds, or is taking, the lock). */
export const GATE_WAITING = 0;
export const GATE_STEPPING = 1;

/**
 * Between this process's audit commits and its projection worker, in shared memory (so that it
 * costs neither a message nor a turn of either event loop): [GATE_WAITING] how many commits are
 * waiting for the write lock (the worker checks it before each step and lets them through
 * first); [GATE_STEPPING] 1 while the worker runs a step (a waiting commit is woken the moment
 * it ends, rather than polling).
 */
export function sqliteWriterGate(ds: DataSource): Int32Array {
  let gate = gates.get(ds);
  if (!gate) gates.set(ds, (gate = new Int32Array(new SharedArrayBuffer(8))));
  return gate;
}

/** On the DataSource's own connection, in this thread: for CLIs and stores without a file (:memory:). */
export class SqliteInlineBackend implements ProjectionBackend {
  readonly onEventLoop = true;
  private readonly projectors = new WeakMap<Database, SqliteProjector>();

  constructor(private readonly ds: DataSource) {}

  private async projector(): Promise<SqliteProjector> {
    // A TypeORM transaction open on the shared connection: wait for it rather than join it.
    for (let i = 0; i < 2500 && sqliteConnection(this.ds).inTransaction; i++) await new Promise((r) => setTimeout(r, 2));
    const db = sqliteConnection(this.ds);
    let p = this.projectors.get(db);
    if (!p) this.projectors.set(db, (p = createSqliteProjector(db, SQLITE_PROJECTION_SQL, storedRecordsJson, rollupAlongside)));
    return p;
  }

  async step(chainId: string, maxRecords: number): Promise<ProjectionProgress | null> {
    const p = await this.projector();
    try {
      return p.step(chainId, maxRecords);
    } catch (e) {
      throw asProjectionError(e);
    }
  }

  async rollUp(chainId: string, maxRecords: number): Promise<number> {
    return (await this.projector()).rollUp(chainId, maxRecords);
  }

  async pending(): Promise<PendingChain[]> {
    return (await this.projector()).pending();
  }

  async close(): Promise<void> {}
}

/**
 * The projection's worker checkpoints the write-ahead log itself, before a step, once its steps
 * since the last checkpoint projected this many records (about half a log page each in the
 * bench's store, measured: some 500 pages, under SQLite's own default of 1 000); it never does
 * so automatically after a commit.
 *
 * Why: the first commit to write after a complete checkpoint restarts the log, and a restart
 * syncs the log's new header right there, in that commit (SQLite's wal.c, sqlite3WalFrames).
 * With SQLite's automatic checkpoint after the worker's commits, that next writer was in most
 * cases the gateway's next audit commit: an fsync on the event loop, in about one request of
 * two at one client (measured: the commit took 0.45–0.5 ms instead of 0.06–0.09 ms), and the
 * gateway's connection ran some checkpoints itself, on the event loop (5–15 ms). Checkpointing
 * just before its own step makes that step the next writer, so the worker pays both, off the
 * event loop. The gateway's connection keeps a larger automatic limit as a backstop
 * (GATEWAY_AUTOCHECKPOINT_PAGES in src/db/data-source.ts) for a log that grows without the worker.
 */
export const WORKER_CHECKPOINT_RECORDS = 1000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
// FULL: the worker flushes its own commits to disk, here, off the requests' path. With NORMAL
// they would stay dirty in the shared WAL file until the audit writer's next commit synced it,
// and that request would wait for them too (measured: the commit's fsync 1.8 ms → 0.55 ms).
db.pragma('synchronous = FULL');
// The log's checkpoints are this worker's, made just before one of its own steps (see
// WORKER_CHECKPOINT_RECORDS); SQLite's automatic one would run after its commit instead.
db.pragma('wal_autocheckpoint = 0');
let sinceCheckpoint = 0;
const projector = (${createSqliteProjector.toString()})(db, workerData.sql, ${storedRecordsJson.toString()}, ${rollupAlongside.toString()});
const gate = new Int32Array(workerData.gate);
parentPort.on('message', (m) => {
  if (m.type === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let reply;
  try {
    if (m.type !== 'pending') {
      // Audit commits waiting for the write lock go first (they hold a response back); not for long.
      const until = Date.now() + 50;
      for (let v; (v = Atomics.load(gate, 0)) > 0 && Date.now() < until;) Atomics.wait(gate, 0, v, 5);
      Atomics.store(gate, 1, 1);
    }
    try {
      if (m.type !== 'pending' && sinceCheckpoint >= workerData.checkpointRecords) {
        sinceCheckpoint = 0;
        try {
          db.pragma('wal_checkpoint(PASSIVE)');
        } catch {
          // Tried again after as many records; the gateway's own connection checkpoints past its larger limit.
        }
      }
      reply = { id: m.id, result: m.type === 'pending' ? projector.pending() : projector[m.type](m.chainId, m.maxRecords) };
      if (m.type === 'step' && reply.result) sinceCheckpoint += Math.max(0, reply.result.records);
    } finally {
      Atomics.store(gate, 1, 0);
      Atomics.notify(gate, 1);
    }
  } catch (e) {
    reply = { id: m.id, error: { message: String((e && e.message) || e), code: e && e.code } };
  }
  parentPort.postMessage(reply);
});
`;

interface Call {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** In a worker thread with its own connection to the file: what the gateway uses on SQLite. */
export class SqliteWorkerBackend implements ProjectionBackend {
  private readonly worker: Worker;
  private readonly calls = new Map<number, Call>();
  private next = 1;
  private broken: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(file: string, gate: Int32Array) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file, sql: SQLITE_PROJECTION_SQL, gate: gate.buffer, checkpointRecords: WORKER_CHECKPOINT_RECORDS },
    });
    this.worker.unref(); // idle, it keeps nothing alive
    this.worker.on('message', (m: { id: number; result?: unknown; error?: { message: string; code?: unknown } }) => {
      const call = this.calls.get(m.id);
      if (!call) return;
      this.calls.delete(m.id);
      if (this.calls.size === 0) this.worker.unref();
      if (m.error) call.reject(asProjectionError(Object.assign(new Error(m.error.message), { code: m.error.code })));
      else call.resolve(m.result);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => {
      this.fail(new Error('the audit projection worker stopped'));
      resolve();
    }));
  }

  /** Whether the worker is gone (it failed to start or crashed): the caller falls back to the inline backend. */
  get failed(): Error | null {
    return this.broken;
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const call of this.calls.values()) call.reject(e);
    this.calls.clear();
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<T>((resolve, reject) => {
      const id = this.next++;
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (this.calls.size === 1) this.worker.ref(); // a caller awaits an answer
      this.worker.postMessage({ ...message, id });
    });
  }

  step(chainId: string, maxRecords: number): Promise<ProjectionProgress | null> {
    return this.call({ type: 'step', chainId, maxRecords });
  }

  rollUp(chainId: string, maxRecords: number): Promise<number> {
    return this.call({ type: 'rollUp', chainId, maxRecords });
  }

  pending(): Promise<PendingChain[]> {
    return this.call({ type: 'pending' });
  }

  async close(): Promise<void> {
    if (!this.broken) this.worker.postMessage({ type: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
