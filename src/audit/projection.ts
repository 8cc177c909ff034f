import { AsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { log } from '../log';
import type { AuditAdapter, AuditReads } from './adapter';
import type { ChainHead } from './batch';
import { FollowLimit, ProjectionBackend, ProjectionError } from './projection-sql';
import type { RequestActivity } from './request-activity';
import { SharedSignal } from './signal';

/**
 * The audit_events projection: after each commit of the batch log, the batches are unfolded
 * into one audit_events row per record, in the same process but off the requests' path, in
 * steps of up to maxRecords records per transaction. Each step moves the chain's progress
 * (audit_projection_progress.projected_batch / projected_seq: a row of its own, never the
 * chain's audit_chains row, which only its writer moves) in the same transaction as its rows, and only
 * if nobody moved it first, so a step is all-or-nothing and never applied twice, whoever runs it
 * (this process, another gateway process, a CLI). Each step also lets the tables that follow
 * the projection (ProjectionFollower: the console's hourly counts) catch up on the records it
 * unfolds, in its transaction, so that they never need a pass of their own on the requests'
 * thread. Nothing here can lose a record: the batches are the record; a projection that stops
 * (database gone) resumes from its progress. The steps themselves are projection-step.ts, run by
 * the store's adapter (src/audit/mysql, src/audit/sqlite); this is the one loop around them.
 *
 * Built once by whoever builds the audit (createAudit; readers without one: createProjection)
 * and handed to what reads audit_events. settled() is read-your-writes for the review paths: it
 * returns once every batch committed so far — by any process, including one that stopped before
 * projecting — is in audit_events. Two projections over one store (two gateways on one
 * DataSource, a CLI beside a gateway) are safe: steps are idempotent, and each commit its own.
 */

export interface ProjectionOptions {
  /** Records per projection transaction (a batch is never split, so one large request may exceed it). */
  maxRecords?: number;
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

export class AuditProjection implements AuditReads {
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
  private worker: (ProjectionBackend & { readonly failed: Error | null }) | null = null;
  /** Each follower's share of a step (FollowLimit). */
  private readonly follow: FollowLimit[];
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

  constructor(private readonly adapter: AuditAdapter, options: ProjectionOptions = {}) {
    this.options = { maxRecords: options.maxRecords ?? adapter.stepRecords, maxLagRecords: options.maxLagRecords ?? 100_000, maxLagMs: options.maxLagMs ?? 1_000, busyShare: Math.min(1, Math.max(0.01, options.busyShare ?? 0.1)) };
    this.inline = adapter.inline;
    this.follow = adapter.followers.map((f) => ({ name: f.name, limit: f.perStep(this.options.maxRecords) }));
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
      this.scope.runInAsyncScope(() => this.recover());
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
  async settled(): Promise<void> {
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
   * A follower alone catches up on a chain's projected records, at most maxRecords of them (its
   * own loop: src/review/activity-rollup.ts), where the projection runs (SQLite: its worker).
   * How many it counted. On SQLite it first lets the requests in flight go, for a second at most.
   */
  async catchUp(follower: string, chainId: string, maxRecords: number): Promise<number> {
    if (!this.follow.some((f) => f.name === follower)) throw new Error(`the audit projection has no follower ${follower}`);
    const busy = this.adapter.kind === 'sqlite' ? this.busyActivities() : [];
    if (busy.length > 0) await AuditProjection.idleOr(busy, 1000);
    return this.backend().catchUp(chainId, { name: follower, limit: maxRecords });
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
    try {
      this.worker = this.adapter.startWorker();
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
        const r = await backend.step(chainId, this.options.maxRecords, this.follow);
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
  private recover(): void {
    void this.settled().catch((e: unknown) => {
      if (!this.failing) log.error({ err: errorFields(e) }, 'audit projection catch-up failed; retrying');
      this.failing = true;
      if (this.users > 0) setTimeout(() => this.scope.runInAsyncScope(() => this.users > 0 && this.recover()), 1000).unref();
    });
  }
}
