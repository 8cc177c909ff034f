import type { DataSource } from 'typeorm';
import { toDbTime } from '../audit/columns';
import type { AuditReads } from '../audit';
import { isMysql, sqliteConnection } from '../db/data-source';
import { chainGroupsSql } from './activity-rollup';

export type TimeBucket = 'HOUR' | 'DAY';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Up to three days are drawn by the hour (at most 72 bars); longer ranges by the day. */
export const HOURLY_UP_TO_MS = 3 * DAY;
/** The longest range one call may aggregate. */
export const MAX_RANGE_MS = 400 * DAY;

export interface DecisionCounts {
  allow: number;
  mask: number;
  deny: number;
}

export interface ClientActivity {
  clientId: string;
  /** The range counted: the one asked for, widened to whole hours. */
  from: string;
  to: string;
  bucket: TimeBucket;
  /** Every bucket of the range in time order, empty ones included; `start` is its first instant (UTC). */
  buckets: (DecisionCounts & { start: string })[];
  /** Categories decided for the client in the range, most released first. */
  categories: (DecisionCounts & { category: string })[];
  /** Its most frequent denial reasons, most frequent first. */
  denialReasons: { reason: string; count: number }[];
  /** Rows refused because they were outside the client's relationship scope (SPEC §11): its OUT_OF_SCOPE denials, counted whatever their rank. */
  outOfScope: number;
}

/** The audit reason of a row refused by relationship scope (one record per entity, field `*`). */
export const OUT_OF_SCOPE = 'OUT_OF_SCOPE';

export function chooseBucket(from: Date, to: Date): TimeBucket {
  return to.getTime() - from.getTime() <= HOURLY_UP_TO_MS ? 'HOUR' : 'DAY';
}

/** The SQL of one read: counted hours from audit_activity_hours, and each chain's records past its progress. */
export const ACTIVITY_SQL = {
  chains: `SELECT g.chain_id, g.projected_seq AS head_seq, p.rolled_seq
             FROM audit_projection_progress g LEFT JOIN audit_activity_progress p ON p.chain_id = g.chain_id`,
  series: `SELECT hour, decision, SUM(n) AS n FROM audit_activity_hours
            WHERE client_id = ? AND hour >= ? AND hour < ? GROUP BY hour, decision`,
  categories: `SELECT category, decision, SUM(n) AS n FROM audit_activity_hours
                WHERE client_id = ? AND hour >= ? AND hour < ? GROUP BY category, decision`,
  denialReasons: `SELECT reason, SUM(n) AS n FROM audit_activity_hours
                   WHERE client_id = ? AND hour >= ? AND hour < ? AND decision = 'DENY' GROUP BY reason`,
  /** Several clients at once, each read by its primary key range: `?` per client id in the IN list. */
  totals: (clients: number) => `SELECT client_id, decision, SUM(n) AS n FROM audit_activity_hours
            WHERE client_id IN (${Array(clients).fill('?').join(', ')}) AND hour >= ? AND hour < ? GROUP BY client_id, decision`,
};

type Row = Record<string, unknown>;

/**
 * What one read adds up: statements over audit_activity_hours, and the filter (with its
 * parameters) that picks each chain's records not yet counted, grouped as the counts are
 * (client, hour, decision, category, reason).
 */
interface ReadPlan {
  statements: Record<string, { sql: string; params: unknown[] }>;
  tail: { filter: string; params: unknown[] };
}

interface Reads {
  rows: Record<string, Row[]>;
  tail: Row[];
}

function tailRanges(chains: Row[]): { chainId: string; from: number; to: number }[] {
  return chains
    .map((c) => ({ chainId: String(c.chain_id), from: Number(c.rolled_seq ?? 0), to: Number(c.head_seq) }))
    .filter((c) => c.to > c.from);
}

/** Every read in one consistent snapshot, so that a count committed meanwhile is neither missed nor added twice. */
async function readMysql(ds: DataSource, plan: ReadPlan): Promise<Reads> {
  const qr = ds.createQueryRunner('master');
  try {
    await qr.connect();
    await qr.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    try {
      const chains: Row[] = await qr.query(ACTIVITY_SQL.chains);
      const rows: Record<string, Row[]> = {};
      for (const [name, { sql, params }] of Object.entries(plan.statements)) rows[name] = await qr.query(sql, params);
      const tail: Row[] = [];
      for (const c of tailRanges(chains)) tail.push(...(await qr.query(chainGroupsSql(ds, plan.tail.filter), [c.chainId, c.from, c.to, ...plan.tail.params])));
      return { rows, tail };
    } finally {
      await qr.query('COMMIT').catch(() => undefined);
    }
  } finally {
    await qr.release().catch(() => undefined);
  }
}

function readSqlite(ds: DataSource, plan: ReadPlan): Reads {
  const db = sqliteConnection(ds);
  const read = () => {
    const all = (sql: string, p: unknown[] = []) => db.prepare(sql).all(...p) as Row[];
    const chains = all(ACTIVITY_SQL.chains);
    const tail: Row[] = [];
    for (const c of tailRanges(chains)) tail.push(...all(chainGroupsSql(ds, plan.tail.filter), [c.chainId, c.from, c.to, ...plan.tail.params]));
    const rows: Record<string, Row[]> = {};
    for (const [name, { sql, params }] of Object.entries(plan.statements)) rows[name] = all(sql, params);
    return { rows, tail };
  };
  ds.logger.logQuery('client activity', plan.tail.params);
  // Inside a transaction already (the audit writer's, synchronously): the reads are consistent as they are.
  return db.inTransaction ? read() : db.transaction(read)();
}

/** The plan's reads, once every committed batch is in audit_events (read-your-writes). */
async function readActivity(audit: AuditReads, ds: DataSource, plan: ReadPlan): Promise<Reads> {
  await audit.settled();
  return isMysql(ds) ? readMysql(ds, plan) : readSqlite(ds, plan);
}

/** A range widened to whole hours, as audit_activity_hours counts them. */
function wholeHours(from: Date, to: Date): { start: number; end: number; params: string[] } {
  const start = Math.floor(from.getTime() / HOUR) * HOUR;
  const end = Math.ceil(to.getTime() / HOUR) * HOUR;
  return { start, end, params: [toDbTime(new Date(start).toISOString()), toDbTime(new Date(end).toISOString())] };
}

function hourOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  return new Date(String(value).slice(0, 13).replace(' ', 'T') + ':00:00Z').getTime();
}

function add(counts: DecisionCounts, decision: unknown, n: number): void {
  if (decision === 'ALLOW') counts.allow += n;
  else if (decision === 'MASK') counts.mask += n;
  else if (decision === 'DENY') counts.deny += n;
}

const zero = (): DecisionCounts => ({ allow: 0, mask: 0, deny: 0 });

/**
 * One client's field decisions over [from, to), widened to whole hours: per time bucket and
 * decision, per category and decision, and its top denial reasons. The database adds up the
 * hourly counts (audit_activity_hours, by its primary key (client_id, hour, …)) and groups the
 * records not yet counted (each chain's records past its progress, by (chain_id, seq)); this
 * function only merges those few groups. Nothing is paged through.
 */
export async function clientActivity(audit: AuditReads, ds: DataSource, clientId: string, from: Date, to: Date, topReasons = 10): Promise<ClientActivity> {
  const { start, end, params: range } = wholeHours(from, to);
  const bucket = chooseBucket(new Date(start), new Date(end));
  const unit = bucket === 'HOUR' ? HOUR : DAY;
  const params = [clientId, ...range];
  const reads = await readActivity(audit, ds, {
    statements: { series: { sql: ACTIVITY_SQL.series, params }, categories: { sql: ACTIVITY_SQL.categories, params }, reasons: { sql: ACTIVITY_SQL.denialReasons, params } },
    tail: { filter: ' AND client_id = ? AND at >= ? AND at < ?', params },
  });

  const byStart = new Map<number, DecisionCounts>();
  for (let t = Math.floor(start / unit) * unit; t < end; t += unit) byStart.set(t, zero());
  const inBucket = (hour: number) => byStart.get(Math.floor(hour / unit) * unit);
  const byCategory = new Map<string, DecisionCounts>();
  const category = (c: unknown) => {
    const k = String(c);
    if (!byCategory.has(k)) byCategory.set(k, zero());
    return byCategory.get(k)!;
  };
  const byReason = new Map<string, number>();

  for (const r of reads.rows.series) {
    const counts = inBucket(hourOf(r.hour));
    if (counts) add(counts, r.decision, Number(r.n));
  }
  for (const r of reads.rows.categories) add(category(r.category), r.decision, Number(r.n));
  for (const r of reads.rows.reasons) byReason.set(String(r.reason), (byReason.get(String(r.reason)) ?? 0) + Number(r.n));
  for (const r of reads.tail) {
    const n = Number(r.n);
    const counts = inBucket(hourOf(r.hour));
    if (counts) add(counts, r.decision, n);
    add(category(r.category), r.decision, n);
    if (r.decision === 'DENY') byReason.set(String(r.reason), (byReason.get(String(r.reason)) ?? 0) + n);
  }

  return {
    clientId,
    from: new Date(start).toISOString(),
    to: new Date(end).toISOString(),
    bucket,
    buckets: [...byStart].map(([t, c]) => ({ start: new Date(t).toISOString(), ...c })),
    categories: [...byCategory]
      .map(([c, counts]) => ({ category: c, ...counts }))
      .sort((a, b) => b.allow + b.mask - (a.allow + a.mask) || b.deny - a.deny || (a.category < b.category ? -1 : 1)),
    denialReasons: [...byReason]
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1))
      .slice(0, Math.max(1, Math.floor(topReasons))),
    outOfScope: byReason.get(OUT_OF_SCOPE) ?? 0,
  };
}

/** One client's field decisions over a range (decisionTotals). */
export interface ClientDecisionTotals extends DecisionCounts {
  clientId: string;
}

/**
 * These clients' field decisions over [from, to), widened to whole hours, in one read (the same
 * counts as clientActivity's, added up per client): the clients with any, the most decisions
 * first, then by id. What the console's Clients view opens on (the busiest client).
 */
export async function decisionTotals(audit: AuditReads, ds: DataSource, clientIds: readonly string[], from: Date, to: Date): Promise<ClientDecisionTotals[]> {
  if (!clientIds.length) return [];
  const { params } = wholeHours(from, to);
  const reads = await readActivity(audit, ds, {
    statements: { totals: { sql: ACTIVITY_SQL.totals(clientIds.length), params: [...clientIds, ...params] } },
    tail: { filter: ' AND at >= ? AND at < ?', params },
  });
  const byClient = new Map<string, DecisionCounts>(clientIds.map((id) => [id, zero()]));
  for (const r of [...reads.rows.totals, ...reads.tail]) {
    const id = String(r.client_id);
    if (!byClient.has(id)) continue; // the uncounted records of clients not asked about
    add(byClient.get(id)!, r.decision, Number(r.n));
  }
  const total = (c: DecisionCounts) => c.allow + c.mask + c.deny;
  return [...byClient]
    .map(([clientId, counts]) => ({ clientId, ...counts }))
    .filter((c) => total(c) > 0)
    .sort((a, b) => total(b) - total(a) || (a.clientId < b.clientId ? -1 : 1));
}
