import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { nameFirstBad, verifyChains } from '../audit/verify';
import type { ChainReport } from '../audit/verify';
import { now } from '../clock';
import { log } from '../log';

export type VerificationState = 'RUNNING' | 'PASSED' | 'FAILED' | 'ERROR';

/** A "verify now" from the console: the same check as `npm run audit:verify`, run in the background and polled. */
export interface VerificationJob {
  id: string;
  startedBy: string;
  state: VerificationState;
  checked: number;
  total: number;
  startedAt: string;
  finishedAt: string | null;
  ok: boolean | null;
  /** The first break found (chain, record, what), or why the job could not run. */
  detail: string | null;
  chains: ChainReport[];
}

const KEEP = 20;
/** How often the replica running a job moves its heartbeat (and progress) in the store. */
export const HEARTBEAT_MS = 2_000;
/** A RUNNING job whose heartbeat is older than this: its replica stopped; read as ERROR. */
export const STALE_MS = 30_000;
/** Finished jobs are deleted from the store after this long (the lasting result is on audit_chain_verifications). */
const FORGET_MS = 7 * 24 * 3600_000;

function describe(r: ChainReport): string {
  const b = r.firstBad!;
  return `chain ${r.chainId}: ${nameFirstBad(b)} ${b.problem}: ${b.detail}`;
}

interface JobRow {
  id: string; started_by: string; state: string; checked: number | string; total: number | string; started_at: string; finished_at: string | null;
  ok: number | string | null; detail: string | null; chains: string | null; heartbeat_at: number | string;
}

const COLUMNS = 'id, started_by, state, checked, total, started_at, finished_at, ok, detail, chains, heartbeat_at';

function fromRow(r: JobRow): VerificationJob {
  const job: VerificationJob = {
    id: r.id, startedBy: r.started_by, state: r.state as VerificationState, checked: Number(r.checked), total: Number(r.total),
    startedAt: r.started_at, finishedAt: r.finished_at, ok: r.ok === null ? null : Number(r.ok) === 1, detail: r.detail,
    chains: r.chains ? (JSON.parse(r.chains) as ChainReport[]) : [],
  };
  if (job.state === 'RUNNING' && Number(r.heartbeat_at) < Date.now() - STALE_MS) {
    return { ...job, state: 'ERROR', detail: 'the gateway running this verification stopped before it finished', finishedAt: null };
  }
  return job;
}

/**
 * The verification jobs of one store. A job runs in the replica that started it; its state and
 * progress are written to `verification_jobs` (every HEARTBEAT_MS while it runs, and when it
 * ends), so that any replica behind the load balancer answers a poll for it. One runs at a time:
 * a second "verify now" while one runs — here or, through the store, on another replica — joins
 * it (two replicas started in the same instant may each run one: harmless, both stamp the same
 * result). The lasting result is stamped on each chain (audit_chain_verifications) by
 * verifyChains itself.
 */
export class ChainVerifications {
  /** This replica's jobs, live (the running one mutates as it goes); the store has everyone's. */
  private readonly jobs = new Map<string, VerificationJob>();
  private readonly stored = new Map<string, Promise<void>>();
  private running: VerificationJob | null = null;
  /** Called after each page checked (tests, diagnostics). */
  onProgress: ((job: Readonly<VerificationJob>) => void) | null = null;

  constructor(private readonly ds: DataSource, private readonly options: { pageSize?: number } = {}) {}

  /** Start a job in this replica (or join the one it runs); the job object is live. */
  start(startedBy: string): VerificationJob {
    if (this.running) return this.running;
    const job: VerificationJob = {
      id: randomUUID(), startedBy, state: 'RUNNING', checked: 0, total: 0,
      startedAt: now().toISOString(), finishedAt: null, ok: null, detail: null, chains: [],
    };
    this.running = job;
    this.jobs.set(job.id, job);
    for (const id of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - KEEP))) this.jobs.delete(id);
    const stored = this.insert(job);
    this.stored.set(job.id, stored);
    void this.run(job, stored);
    return job;
  }

  /**
   * What the API calls: join a job running on any replica (its row in the store has a live
   * heartbeat), or start one here; returns once the job is in the store, so that a poll through
   * any replica finds it.
   */
  async startShared(startedBy: string): Promise<VerificationJob> {
    if (!this.running) {
      const [row] = await this.ds.query(`SELECT ${COLUMNS} FROM verification_jobs WHERE state = 'RUNNING' AND heartbeat_at >= ? ORDER BY started_at DESC LIMIT 1`, [Date.now() - STALE_MS]) as JobRow[];
      if (row) return fromRow(row);
    }
    const job = this.start(startedBy);
    await this.stored.get(job.id);
    return job;
  }

  /** A job this replica runs or ran recently (live), else as the store has it; null once forgotten. */
  async get(id: string): Promise<VerificationJob | null> {
    const mine = this.jobs.get(id);
    if (mine) return mine;
    const [row] = await this.ds.query(`SELECT ${COLUMNS} FROM verification_jobs WHERE id = ?`, [id]) as JobRow[];
    return row ? fromRow(row) : null;
  }

  private async insert(job: VerificationJob): Promise<void> {
    try {
      await this.ds.query('DELETE FROM verification_jobs WHERE started_at < ?', [new Date(Date.now() - FORGET_MS).toISOString()]);
    } catch { /* housekeeping only */ }
    await this.ds.query(`INSERT INTO verification_jobs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [job.id, job.startedBy, job.state, job.checked, job.total, job.startedAt, null, null, null, null, Date.now()]);
  }

  /** The job's row as it stands now (state, progress, heartbeat). Failures are logged, never thrown: the job goes on. */
  private async save(job: VerificationJob): Promise<void> {
    try {
      await this.ds.query('UPDATE verification_jobs SET state = ?, checked = ?, total = ?, finished_at = ?, ok = ?, detail = ?, chains = ?, heartbeat_at = ? WHERE id = ?', [
        job.state, job.checked, job.total, job.finishedAt, job.ok === null ? null : job.ok ? 1 : 0, job.detail,
        job.state === 'RUNNING' ? null : JSON.stringify(job.chains), Date.now(), job.id]);
    } catch (e) {
      log.warn({ job: job.id, err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, 'verification job not saved');
    }
  }

  private async run(job: VerificationJob, stored: Promise<void>): Promise<void> {
    let heartbeat: NodeJS.Timeout | null = null;
    try {
      await stored;
      heartbeat = setInterval(() => void this.save(job), HEARTBEAT_MS);
      heartbeat.unref();
      const reports = await verifyChains(this.ds, (p) => {
        job.checked = p.checked;
        job.total = p.total;
        this.onProgress?.(job);
      }, { pageSize: this.options.pageSize });
      const broken = reports.filter((r) => !r.ok);
      job.chains = reports;
      job.ok = broken.length === 0;
      job.total = Math.max(job.total, reports.reduce((n, r) => n + r.length, 0));
      if (job.ok) job.checked = job.total;
      job.state = job.ok ? 'PASSED' : 'FAILED';
      job.detail = broken.length ? broken.map(describe).join('; ').slice(0, 1000) : null;
      log[job.ok ? 'info' : 'warn']({ job: job.id, client: job.startedBy, chains: reports.length, broken: broken.length }, 'audit chains verified');
    } catch (e) {
      job.state = 'ERROR';
      job.detail = 'the audit store could not be read';
      log.error({ job: job.id, err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, 'audit chain verification failed');
    } finally {
      if (heartbeat) clearInterval(heartbeat);
      job.finishedAt = now().toISOString();
      if (this.running === job) this.running = null;
      this.stored.delete(job.id);
      await this.save(job);
    }
  }
}
