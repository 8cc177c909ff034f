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

function describe(r: ChainReport): string {
  const b = r.firstBad!;
  return `chain ${r.chainId}: ${nameFirstBad(b)} ${b.problem}: ${b.detail}`;
}

/**
 * The verification jobs of one store in this process. One runs at a time: a second "verify now"
 * while one runs joins it. Finished jobs are kept briefly for polling; the lasting result is
 * stamped on each chain (audit_chains.last_verified_*) by verifyChains itself.
 */
export class ChainVerifications {
  private readonly jobs = new Map<string, VerificationJob>();
  private running: VerificationJob | null = null;
  /** Called after each page checked (tests, diagnostics). */
  onProgress: ((job: Readonly<VerificationJob>) => void) | null = null;

  constructor(private readonly ds: DataSource, private readonly options: { pageSize?: number } = {}) {}

  start(startedBy: string): VerificationJob {
    if (this.running) return this.running;
    const job: VerificationJob = {
      id: randomUUID(), startedBy, state: 'RUNNING', checked: 0, total: 0,
      startedAt: now().toISOString(), finishedAt: null, ok: null, detail: null, chains: [],
    };
    this.running = job;
    this.jobs.set(job.id, job);
    for (const id of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - KEEP))) this.jobs.delete(id);
    void this.run(job);
    return job;
  }

  get(id: string): VerificationJob | null {
    return this.jobs.get(id) ?? null;
  }

  private async run(job: VerificationJob): Promise<void> {
    try {
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
      job.finishedAt = now().toISOString();
      if (this.running === job) this.running = null;
    }
  }
}

const perStore = new WeakMap<DataSource, ChainVerifications>();

/** The jobs of a store (one registry per DataSource, so that gateways in one process stay apart). */
export function chainVerifications(ds: DataSource): ChainVerifications {
  let v = perStore.get(ds);
  if (!v) perStore.set(ds, (v = new ChainVerifications(ds)));
  return v;
}
