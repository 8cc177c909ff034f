import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { now } from '../clock';
import { log } from '../log';
import { countOverdue } from '../rights/requests';
import { databasePoolUse } from './pool';

/** What the audit writer reports about its queue (SPEC §9: audit queue depth). */
export interface AuditQueueStats {
  /** Records accepted and not yet durably committed. */
  queueDepth: number;
  /** Records committed by this process and not yet projected into audit_events. */
  unprojectedRecords: number;
}

export interface MetricsSources {
  ds: DataSource;
  /** The audit writer's `stats()`; absent until an audit writer is wired in. */
  auditStats?: () => AuditQueueStats;
}

/**
 * The operators' series (SPEC §9), one registry per gateway. Labels carry only bounded,
 * non-personal values: route names, error codes, client ids, purposes, decisions. Never a
 * subject id, a key or a field value.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Requests by route and outcome code (`OK` or the error code the client received). */
  readonly requests: Counter<'route' | 'code'>;
  /** Field decisions by client, purpose and decision (ALLOW, MASK, DENY). */
  readonly fieldDecisions: Counter<'client' | 'purpose' | 'decision'>;
  /** How long a response waited for its audit records to be durably committed. */
  readonly auditCommitSeconds: Histogram<'outcome'>;
}

export function createMetrics(sources: MetricsSources): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'purposegate_requests_total',
    help: 'Requests by route and outcome code (OK, or the error code sent to the client)',
    labelNames: ['route', 'code'] as const,
    registers: [registry],
  });
  const fieldDecisions = new Counter({
    name: 'purposegate_field_decisions_total',
    help: 'Categorised field decisions by client, purpose and decision',
    labelNames: ['client', 'purpose', 'decision'] as const,
    registers: [registry],
  });
  const auditCommitSeconds = new Histogram({
    name: 'purposegate_audit_commit_seconds',
    help: 'Time a response waited for its audit records to be durably committed',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'purposegate_audit_queue_depth',
    help: 'Audit records accepted and not yet durably committed',
    registers: [registry],
    collect() {
      if (sources.auditStats) this.set(sources.auditStats().queueDepth);
    },
  });
  new Gauge({
    name: 'purposegate_audit_unprojected_records',
    help: 'Audit records committed by this process and not yet in audit_events (the review index; it runs behind while requests are in flight)',
    registers: [registry],
    collect() {
      if (sources.auditStats) this.set(sources.auditStats().unprojectedRecords);
    },
  });
  new Gauge({
    name: 'purposegate_db_pool_connections',
    help: 'Database connections by state (in_use, idle, max; SQLite is one embedded connection)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const use = databasePoolUse(sources.ds);
      this.set({ state: 'in_use' }, use.inUse);
      this.set({ state: 'idle' }, use.idle);
      this.set({ state: 'max' }, use.max);
    },
  });
  new Gauge({
    name: 'purposegate_db_pool_waiting',
    help: 'Queries waiting for a free database connection',
    registers: [registry],
    collect() {
      this.set(databasePoolUse(sources.ds).waiting);
    },
  });
  new Gauge({
    name: 'purposegate_subject_requests_overdue',
    help: 'Data-subject requests still open past their due date (opened + 30 days: the privacy policy\'s reply period)',
    registers: [registry],
    async collect() {
      try {
        this.set(await countOverdue(sources.ds, now()));
      } catch (e) {
        // A scrape while the database is down still shows the pool and the audit queue; this gauge keeps its last value.
        log.warn({ err: { name: (e as Error)?.name, code: (e as { code?: unknown })?.code } }, 'overdue subject requests not counted');
      }
    },
  });
  return { registry, requests, fieldDecisions, auditCommitSeconds };
}
