import type { Database } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { Worker } from 'node:worker_threads';
import { sqliteConnection } from '../../db/data-source';
import { storedRecordsJson } from '../batch';
import { asProjectionError, FollowLimit, isRead, PendingChain, PENDING_SQL, ProjectionBackend, ProjectionFollower, ProjectionProgress, stepStatements, unfoldSql } from '../projection-sql';
import { projectionSteps } from '../projection-step';
import { RECORD_COLUMNS } from '../record';
import type { SqliteGate } from './gate';

/**
 * The SQLite projection. better-sqlite3 is synchronous, so inserting a thousand rows into a table
 * with seven indexes blocks its thread for ~10 ms: in the gateway that thread is a worker with
 * its own connection to the file (WAL: readers are never blocked), not the event loop. The
 * audit writer's commits take the write lock between the worker's steps (see SqliteGate).
 */

/** The SQL function the projection registers on its connection to read stored records (storedRecordsJson). */
export const SQLITE_RECORDS_FUNCTION = 'pg_audit_records';

// The groups are materialised first: reading a group's fields once per record would parse the
// group's JSON (all its entries) once per record, quadratic in the group's size.
const BATCH_FIELDS = ['first_seq', ...RECORD_COLUMNS.filter((c) => c.from === 'batch').map((c) => c.column)];
const GROUP_FIELDS = RECORD_COLUMNS.filter((c) => c.from === 'group');
const ENTRIES_AT = GROUP_FIELDS.length;

/** (chain_id, after batch seq, up to batch seq): the batches (after, upTo] of one chain, unfolded with json_each. */
export const SQLITE_PROJECT_SQL = unfoldSql(
  {
    batch: (column) => `g.${column}`,
    group: (at) => `g.g${at}`,
    entry: (at) => `e.value ->> ${at}`,
    text: (expr) => `CAST(${expr} AS TEXT)`,
  },
  `  FROM g, json_each(g.entries) e\n ORDER BY g.batch, e.value ->> 0`,
  `WITH g AS MATERIALIZED (
  SELECT b.seq AS batch, ${BATCH_FIELDS.map((c) => `b.${c}`).join(', ')},
         ${GROUP_FIELDS.map((c) => `j.value ->> ${c.at} AS g${c.at}`).join(', ')}, j.value -> ${ENTRIES_AT} AS entries
    FROM audit_batches b, json_each(${SQLITE_RECORDS_FUNCTION}(b.records)) j
   WHERE b.chain_id = ? AND b.seq > ? AND b.seq <= ?)
`,
);

interface SqliteProjector {
  step(chainId: string, maxRecords: number, followers: readonly FollowLimit[]): ProjectionProgress | null;
  catchUp(chainId: string, f: FollowLimit): number;
  pending(): PendingChain[];
}

/**
 * The step of projection-step.ts on this connection, synchronously, each in one IMMEDIATE
 * transaction. Self-contained (no imports, nothing from module scope): its source also runs in
 * the worker, handed `steps` (projectionSteps) and the statements.
 */
export function createSqliteProjector(
  db: Database,
  sql: { statements: Record<string, string>; reads: string[]; pending: string; recordsFunction: string },
  recordsJson: (stored: string) => string,
  steps: ReturnType<typeof import('../projection-step').projectionSteps>,
): SqliteProjector {
  db.function(sql.recordsFunction, { deterministic: true }, recordsJson);
  const statements = new Map(Object.entries(sql.statements).map(([name, text]) => [name, { stmt: db.prepare(text), read: sql.reads.includes(name) }]));
  const pending = db.prepare(sql.pending);
  const moved = new Error('moved');
  /** Runs a step's statements here, in order; the generator's outcome. */
  const run = <T>(g: Generator<[string, unknown[]], T, unknown>): T => {
    for (let r = g.next(); ; ) {
      if (r.done) return r.value;
      const [name, params] = r.value;
      const s = statements.get(name);
      if (!s) throw new Error(`no statement ${name} for the SQLite projection`);
      r = g.next(s.read ? s.stmt.all(...params) : s.stmt.run(...params).changes);
    }
  };
  const step = db.transaction((chainId: string, maxRecords: number, followers: readonly FollowLimit[]) => {
    const result = run(steps.step(chainId, maxRecords, followers));
    if (result && result.records < 0) throw Object.assign(moved, { result }); // rolled back
    return result;
  });
  const catchUp = db.transaction((chainId: string, f: FollowLimit) => run(steps.catchUp(chainId, f)));
  return {
    step(chainId, maxRecords, followers) {
      try {
        return step.immediate(chainId, maxRecords, followers);
      } catch (e) {
        if (e === moved) return (moved as Error & { result: ProjectionProgress }).result;
        throw e;
      }
    },
    catchUp: (chainId, f) => catchUp.immediate(chainId, f),
    pending: () => (pending.all() as { chain_id: string; head_batch: number }[]).map((r) => ({ chainId: String(r.chain_id), headBatch: Number(r.head_batch) })),
  };
}

/** The SQL a SQLite projector prepares, for these followers. */
function projectorSql(followers: readonly ProjectionFollower[]) {
  const statements = stepStatements(SQLITE_PROJECT_SQL, followers, 'sqlite');
  return { statements, reads: Object.keys(statements).filter(isRead), pending: PENDING_SQL, recordsFunction: SQLITE_RECORDS_FUNCTION };
}

/** On the DataSource's own connection, in this thread: for CLIs and stores without a file (:memory:). */
export class SqliteInlineBackend implements ProjectionBackend {
  readonly onEventLoop = true;
  private readonly projectors = new WeakMap<Database, SqliteProjector>();

  constructor(private readonly ds: DataSource, private readonly followers: readonly ProjectionFollower[]) {}

  private async projector(): Promise<SqliteProjector> {
    // A TypeORM transaction open on the shared connection: wait for it rather than join it.
    for (let i = 0; i < 2500 && sqliteConnection(this.ds).inTransaction; i++) await new Promise((r) => setTimeout(r, 2));
    const db = sqliteConnection(this.ds);
    let p = this.projectors.get(db);
    if (!p) this.projectors.set(db, (p = createSqliteProjector(db, projectorSql(this.followers), storedRecordsJson, projectionSteps())));
    return p;
  }

  async step(chainId: string, maxRecords: number, followers: readonly FollowLimit[]): Promise<ProjectionProgress | null> {
    const p = await this.projector();
    try {
      return p.step(chainId, maxRecords, followers);
    } catch (e) {
      throw asProjectionError(e);
    }
  }

  async catchUp(chainId: string, f: FollowLimit): Promise<number> {
    return (await this.projector()).catchUp(chainId, f);
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
const projector = (${createSqliteProjector.toString()})(db, workerData.sql, ${storedRecordsJson.toString()}, (${projectionSteps.toString()})());
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
      reply = { id: m.id, result: m.type === 'pending' ? projector.pending() : m.type === 'step' ? projector.step(m.chainId, m.maxRecords, m.followers) : projector.catchUp(m.chainId, m.follower) };
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

  constructor(file: string, gate: SqliteGate, followers: readonly ProjectionFollower[]) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file, sql: projectorSql(followers), gate: gate.shared, checkpointRecords: WORKER_CHECKPOINT_RECORDS },
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

  step(chainId: string, maxRecords: number, followers: readonly FollowLimit[]): Promise<ProjectionProgress | null> {
    return this.call({ type: 'step', chainId, maxRecords, followers });
  }

  catchUp(chainId: string, follower: FollowLimit): Promise<number> {
    return this.call({ type: 'catchUp', chainId, follower });
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
