import { AsyncResource } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { now } from '../clock';
import type { Disclosure } from '../enforcement/disclosure';
import { log } from '../log';
import { BatchContent, batchContent, ChainHead, deflateRecords, EMPTY_HEAD } from './batch';
import type { AuditStore, ChainState } from './store';

export interface AuditWriterOptions {
  /** Records accepted and not yet committed; beyond it requests wait for room. */
  maxQueue?: number;
  /** How long a request waits for room in a full queue before it fails with AUDIT_UNAVAILABLE. */
  maxWaitMs?: number;
  /** Records per transaction (a request's records are never split, so one large request may exceed it). */
  maxBatchRecords?: number;
  /** How long the first request of a batch waits for others to join it (0: none when idle, the rest of this event-loop turn when busy). */
  lingerMs?: number;
  /** A request's longest wait, from acceptance to commit, before it fails with AUDIT_UNAVAILABLE. */
  commitTimeoutMs?: number;
  /** Encodings at least this long are stored deflated (deflateRecords); by default the store's own threshold. */
  deflateFromChars?: number;
}

// lingerMs 0: an idle writer starts at once (within the request's own commit call); under load,
// batches form anyway while the previous transaction runs, which is where group commit pays.
/** A writer with no transaction ended in this long is idle (see schedule). */
const IDLE_MS = 10;
/** How long a request waits for its commit before it is refused AUDIT_UNAVAILABLE (default). */
export const COMMIT_TIMEOUT_MS = 10_000;

const DEFAULTS: Required<Omit<AuditWriterOptions, 'deflateFromChars'>> = { maxQueue: 50_000, maxWaitMs: 1_000, maxBatchRecords: 5_000, lingerMs: 0, commitTimeoutMs: COMMIT_TIMEOUT_MS };

/** Why a disclosure was not committed; the caller answers AUDIT_UNAVAILABLE whatever the reason. */
export class AuditUnavailableError extends Error {
  readonly code = 'AUDIT_UNAVAILABLE';
  constructor(readonly reason: 'queue-full' | 'commit-failed' | 'timeout' | 'closed', options?: { cause?: unknown }) {
    super(`audit unavailable: ${reason}`, options);
  }
}

/** One request's records, encoded as its batch, waiting for their commit. */
interface Pending {
  content: BatchContent;
  size: number;
  state: 'queued' | 'writing' | 'settled';
  resolve(): void;
  reject(e: AuditUnavailableError): void;
  timer: NodeJS.Timeout;
}

/** A request waiting for room in a full queue. */
interface Admission {
  size: number;
  admit(): void;
  refuse(e: AuditUnavailableError): void;
  timer: NodeJS.Timeout;
}

function newChainId(): string {
  return randomBytes(12).toString('hex');
}

const month = (iso: string) => iso.slice(0, 7);

/**
 * The audit's group commit. Requests hand over their records (encoded as one batch per request)
 * and wait; one transaction at a time takes everything queued (up to maxBatchRecords), seals the
 * batches onto this writer's chain and commits them, then resolves every request in it. While a
 * transaction runs, the next one gathers, so the cost per request falls as load rises. Nothing is dropped: a request whose
 * records cannot be committed (queue full past maxWaitMs, database failure, timeout) is
 * rejected, and its caller withholds the response.
 */
export class AuditWriter {
  private readonly options: Required<AuditWriterOptions>;
  private readonly queue: Pending[] = [];
  private readonly admissions: Admission[] = [];
  /** Records accepted and not yet settled (queued or being written). */
  private depth = 0;
  /** Records queued and not yet taken by a transaction. */
  private queued = 0;
  /** Cancels the scheduled start of the next transaction, if one is scheduled. */
  private timer: (() => void) | null = null;
  private running: Promise<void> | null = null;
  /** When the last transaction ended (performance.now()). */
  private lastWriteEnd = -Infinity;
  private closed = false;
  private chain: ChainState;
  /** After a failed transaction the head in the database is the truth: it may or may not have moved. */
  private headKnown = true;
  private failing = false;
  private chainsStarted = 0;
  private committed = 0;
  /** Flushes run outside the async context of whichever request scheduled them: nothing keyed on a request follows the work into the background. */
  private readonly scope = new AsyncResource('AuditWriter');

  /**
   * `onCommitted` hears of every chain head this writer committed (the projection's cue); it runs
   * after the requests of the transaction are resolved and must not throw.
   */
  constructor(private readonly store: AuditStore, options: AuditWriterOptions = {}, private readonly onCommitted?: (chainId: string, head: ChainHead) => void) {
    this.options = { ...DEFAULTS, deflateFromChars: store.deflateFromChars, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    this.chain = this.newChain();
  }

  /** Resolves once the disclosure's records are committed; rejects with AuditUnavailableError otherwise. */
  commit(d: Disclosure): Promise<void> {
    const size = d.records.length;
    if (size === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new AuditUnavailableError('closed'));
    let content: BatchContent;
    try {
      content = batchContent(d);
      // Stored deflated where it pays (MySQL/MariaDB, see deflateRecords): ~4.5 KB instead of ~12 KB for 1 000 records.
      if (content.records.length >= this.options.deflateFromChars) content.stored = deflateRecords(content.records);
    } catch (e) {
      // A value the audit cannot hold as is (never expected: ids, names from the schema and policy).
      log.error({ err: { name: (e as Error)?.name, message: (e as Error)?.message } }, 'audit batch could not be encoded');
      return Promise.reject(new AuditUnavailableError('commit-failed', { cause: e }));
    }
    if (this.admissions.length === 0 && this.fits(size)) return this.enqueue(content);
    return new Promise<void>((resolve, reject) => {
      const a: Admission = {
        size,
        admit: () => this.enqueue(content).then(resolve, reject),
        refuse: reject,
        timer: setTimeout(() => {
          this.admissions.splice(this.admissions.indexOf(a), 1);
          log.warn({ records: size, queueDepth: this.depth }, 'audit queue full: request refused');
          reject(new AuditUnavailableError('queue-full'));
        }, this.options.maxWaitMs),
      };
      this.admissions.push(a);
    });
  }

  stats(): { queueDepth: number; chains: number; committedRecords: number } {
    return { queueDepth: this.depth, chains: this.chainsStarted, committedRecords: this.committed };
  }

  /** Throws while this writer cannot commit: closed, saturated, or the audit tables out of reach. */
  async check(): Promise<void> {
    if (this.closed) throw new AuditUnavailableError('closed');
    if (this.admissions.length > 0) throw new AuditUnavailableError('queue-full');
    // Probed even after a failed commit: once the tables answer again the gateway takes traffic,
    // and the next commit is the real test (it retries by itself; nothing needs a restart).
    await this.store.probe();
  }

  /** Whether the last transaction failed (and none has succeeded since). */
  get isFailing(): boolean {
    return this.failing;
  }

  /** Accept nothing more, commit what is queued, and resolve once the writer is idle. */
  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.admissions.splice(0)) {
      clearTimeout(a.timer);
      a.refuse(new AuditUnavailableError('closed'));
    }
    while (this.running || this.timer) {
      if (this.timer) {
        this.timer();
        this.timer = null;
        this.start();
      }
      await this.running;
    }
    await this.store.close?.();
  }

  private fits(size: number): boolean {
    // A request larger than the whole queue still goes through, alone.
    return this.depth + size <= this.options.maxQueue || this.depth === 0;
  }

  /** Let waiting requests in, in arrival order, while they fit. */
  private admit(): void {
    while (this.admissions.length && this.fits(this.admissions[0].size)) {
      const a = this.admissions.shift()!;
      clearTimeout(a.timer);
      a.admit(); // enqueues at once, so the next one sees the room it took
    }
  }

  private enqueue(content: BatchContent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const p: Pending = {
        content,
        size: content.recordCount,
        state: 'queued',
        resolve,
        reject,
        timer: setTimeout(() => this.expire(p), this.options.commitTimeoutMs),
      };
      this.queue.push(p);
      this.queued += p.size;
      this.depth += p.size;
      this.schedule();
    });
  }

  /** A request that waited too long fails now; if it is not being written yet, it leaves the queue. */
  private expire(p: Pending): void {
    if (p.state === 'settled') return;
    if (p.state === 'queued') {
      this.queue.splice(this.queue.indexOf(p), 1);
      this.queued -= p.size;
      this.depth -= p.size;
      this.admit();
    }
    p.state = 'settled';
    p.reject(new AuditUnavailableError('timeout'));
  }

  private schedule(): void {
    if (this.running) return;
    if (this.timer) {
      // A full batch does not wait out the linger.
      if (this.queued < this.options.maxBatchRecords) return;
      this.timer();
      this.timer = null;
    }
    const delay = this.queued >= this.options.maxBatchRecords || this.closed ? 0 : this.options.lingerMs;
    if (delay === 0 && performance.now() - this.lastWriteEnd > IDLE_MS) {
      // Idle: start now, not on a later turn of the event loop. The request's transaction is
      // then under way (MySQL: sent) while its response is serialised. A writer busy a moment
      // ago waits for the end of this turn instead, so that the requests finishing in it share
      // the transaction (measured at 16 connections on MariaDB: starting at once then costs more).
      this.start();
      return;
    }
    const go = () => {
      this.timer = null;
      this.start();
    };
    this.timer = this.scope.runInAsyncScope(() => {
      if (delay > 0) {
        const t = setTimeout(go, delay);
        return () => clearTimeout(t);
      }
      const i = setImmediate(go);
      return () => clearImmediate(i);
    });
  }

  private start(): void {
    if (this.running) return;
    this.running = this.scope.runInAsyncScope(() => this.drain()).finally(() => {
      this.running = null;
      if (this.queue.length) this.schedule();
    });
  }

  /** Commit batches until the queue is empty: each batch is whatever gathered during the last one. */
  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.takeBatch();
      await this.write(batch);
    }
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let records = 0;
    while (this.queue.length && (batch.length === 0 || records + this.queue[0].size <= this.options.maxBatchRecords)) {
      const p = this.queue.shift()!;
      p.state = 'writing';
      this.queued -= p.size;
      records += p.size;
      batch.push(p);
    }
    return batch;
  }

  private async write(batch: Pending[]): Promise<void> {
    const size = batch.reduce((n, p) => n + p.size, 0);
    this.rotateMonthly();
    const { chainId, startedAt } = this.chain;
    let committed: ChainHead | null = null;
    try {
      const known = this.headKnown ? { registered: this.chain.registered, head: this.chain.head } : null;
      const { head } = await this.store.append(chainId, startedAt, known, batch.map((p) => p.content));
      committed = head;
      if (!this.chain.registered) this.chainsStarted++;
      this.chain = { ...this.chain, registered: true, head };
      this.headKnown = true;
      this.committed += size;
      if (this.failing) log.info({ chainId }, 'audit store writable again');
      this.failing = false;
      this.settle(batch, null);
    } catch (e) {
      // The in-memory head stays at the last commit this writer saw; the next append rereads it
      // from the database, where it moved only if this commit did land after all.
      this.headKnown = false;
      if (!this.failing) log.error({ chainId, records: size, err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, 'audit commit failed');
      this.failing = true;
      this.settle(batch, new AuditUnavailableError('commit-failed', { cause: e }));
    }
    this.depth -= size;
    this.lastWriteEnd = performance.now();
    this.admit();
    if (committed) this.onCommitted?.(chainId, committed);
  }

  private settle(batch: Pending[], error: AuditUnavailableError | null): void {
    for (const p of batch) {
      clearTimeout(p.timer);
      if (p.state === 'settled') continue;
      p.state = 'settled';
      if (error) p.reject(error);
      else p.resolve();
    }
  }

  /**
   * A new chain each calendar month (UTC): retention then moves whole chains, and what stays
   * still verifies from its first record.
   */
  private rotateMonthly(): void {
    const today = now().toISOString();
    if (this.chain.registered && month(this.chain.startedAt) !== month(today)) this.chain = this.newChain();
  }

  private newChain(): ChainState {
    this.headKnown = true;
    return { chainId: newChainId(), startedAt: now().toISOString(), registered: false, head: EMPTY_HEAD };
  }

  /** This writer's current chain (tests, diagnostics). */
  get chainId(): string {
    return this.chain.chainId;
  }
}
