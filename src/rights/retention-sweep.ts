import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import { sensitiveFields } from '../enforcement/sensitive-fields';
import type { CompiledPolicy, RetentionRule } from '../policy';

/**
 * Retention (SPEC §7, the privacy policy's §3(3) "only for as long as necessary"): values past
 * their category's period are already denied RETENTION_EXPIRED by enforcement; the sweep removes
 * them from the stores. For each rule of the policy's `retention:`, the rows of the rule's entity
 * whose timestamp is past the period (as `retentionExpired` decides: more than `days` before the
 * sweep's clock reading) have the columns of that entity's fields of the rule's category set to
 * NULL. Which fields carry which category comes from the schema's @sensitive metadata, as for
 * enforcement (a field with a card category has no retention there, so none here either); where
 * they are stored, from the TypeORM metadata. Rows without the timestamp are kept, as enforcement
 * keeps them. Erased subjects' rows are swept like any other (they are denied anyway).
 */

/** A schema field stored in more than one column (its own name is no column). */
const COMPOSITE_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'Device.location': ['lat', 'lng', 'accuracyM'],
});

/** One field of a rule: its name in the schema and the columns holding its value. */
export interface SweptField {
  readonly field: string;
  readonly columns: readonly string[];
}

/** What the sweep does for one retention rule. */
export interface SweepTarget {
  readonly rule: RetentionRule;
  readonly table: string;
  readonly idColumn: string;
  readonly timestampColumn: string;
  readonly fields: readonly SweptField[];
}

export class RetentionSweepError extends Error {
  override readonly name = 'RetentionSweepError';
}

/**
 * The sweep's plan: per retention rule, the table, its timestamp column and the columns of the
 * rule's category on that entity. A rule whose fields are not stored in columns of its entity
 * (the sweep could not remove them) is an error, not a silent skip.
 */
export function sweepPlan(ds: DataSource, policy: CompiledPolicy, schema: GraphQLSchema): SweepTarget[] {
  const fields = [...sensitiveFields(schema).values()];
  const out: SweepTarget[] = [];
  for (const rule of Object.values(policy.retention).filter((r): r is RetentionRule => r !== undefined)) {
    if (!ds.hasMetadata(rule.entity)) throw new RetentionSweepError(`retention of ${rule.category}: no stored entity ${rule.entity}`);
    const meta = ds.getMetadata(rule.entity);
    const column = (property: string, what: string) => {
      const c = meta.findColumnWithPropertyName(property);
      if (!c) throw new RetentionSweepError(`retention of ${rule.category}: ${what} is not a column of ${meta.tableName}, so the sweep cannot remove it`);
      return c.databaseName;
    };
    const swept = fields
      .filter((f) => f.typeName === rule.entity && f.category === rule.category && f.cardCategory === null)
      .map((f) => ({ field: f.fieldName, columns: (COMPOSITE_FIELDS[`${f.typeName}.${f.fieldName}`] ?? [f.fieldName]).map((p) => column(p, `${f.typeName}.${f.fieldName}`)) }));
    if (!swept.length) continue; // the category has no field on that entity: nothing is stored there to expire
    const primary = meta.primaryColumns;
    if (primary.length !== 1) throw new RetentionSweepError(`retention of ${rule.category}: ${meta.tableName} has no single id column`);
    out.push({ rule, table: meta.tableName, idColumn: primary[0].databaseName, timestampColumn: column(rule.field, `${rule.entity}.${rule.field}`), fields: swept });
  }
  return out;
}

/** What one rule removed (or, in a dry run, would remove): counts only. */
export interface CategorySweep {
  category: string;
  entity: string;
  days: number;
  /** Rows past the period that held at least one such value. */
  rows: number;
  /** Values removed: a field of one row counts once, however many columns it has. */
  values: number;
  /** Values removed per field. */
  byField: Record<string, number>;
}

export interface SweepReport {
  at: string;
  dryRun: boolean;
  categories: CategorySweep[];
}

export interface SweepOptions {
  /** The sweep's clock reading (the periods run up to it). */
  at: Date;
  /** Rows per SELECT and UPDATE. */
  batchSize: number;
  /** Count, write nothing. */
  dryRun?: boolean;
  /** Once, before the first batch: how many rows there are to go through. */
  onStart?(totalRows: number): void;
  /** After each batch: rows gone through so far. */
  onProgress?(doneRows: number): void;
}

/** A stored time as both stores compare it with a datetime column (UTC; SQLite keeps TypeORM's text). */
function dbTime(d: Date): string {
  return d.toISOString().slice(0, 23).replace('T', ' ');
}

/** The SQL of one target, with identifiers quoted by the store's own driver (portable to SQLite and MySQL/MariaDB). */
function statements(ds: DataSource, t: SweepTarget) {
  const q = (name: string) => ds.driver.escape(name);
  const table = q(t.table);
  const id = q(t.idColumn);
  const ts = q(t.timestampColumn);
  const present = (f: SweptField) => f.columns.map((c) => `${q(c)} IS NOT NULL`).join(' OR ');
  const due = `${ts} < ? AND (${t.fields.map((f) => `(${present(f)})`).join(' OR ')})`;
  return {
    count: `SELECT COUNT(*) AS n FROM ${table} WHERE ${due}`,
    batch: (size: number) => `SELECT ${id} AS id, ${t.fields.map((f, i) => `CASE WHEN ${present(f)} THEN 1 ELSE 0 END AS f${i}`).join(', ')} FROM ${table} WHERE ${due} AND ${id} > ? ORDER BY ${id} LIMIT ${size}`,
    // The timestamp again: a row seen again since its batch was read keeps its values.
    update: (n: number) => `UPDATE ${table} SET ${t.fields.flatMap((f) => f.columns).map((c) => `${q(c)} = NULL`).join(', ')} WHERE ${id} IN (${new Array(n).fill('?').join(', ')}) AND ${ts} < ?`,
  };
}

/**
 * Sweeps every retention rule of the plan in batches of ids (SELECT … LIMIT, then UPDATE … WHERE
 * id IN (…)). Rows are read as flags, never as values: the sweep sees no personal value.
 */
export async function sweepRetention(ds: DataSource, plan: readonly SweepTarget[], options: SweepOptions): Promise<SweepReport> {
  const size = options.batchSize;
  if (!Number.isInteger(size) || size < 1 || size > 10_000) throw new RetentionSweepError('the batch size is a whole number from 1 to 10000');
  const work = plan.map((t) => ({ t, sql: statements(ds, t), cutoff: dbTime(new Date(options.at.getTime() - t.rule.ms)) }));
  let total = 0;
  for (const w of work) total += Number((await ds.query(w.sql.count, [w.cutoff]))[0].n);
  options.onStart?.(total);

  let done = 0;
  const categories: CategorySweep[] = [];
  for (const { t, sql, cutoff } of work) {
    const report: CategorySweep = { category: t.rule.category, entity: t.rule.entity, days: t.rule.days, rows: 0, values: 0, byField: Object.fromEntries(t.fields.map((f) => [f.field, 0])) };
    let after = 0;
    for (;;) {
      const rows: Record<string, unknown>[] = await ds.query(sql.batch(size), [cutoff, after]);
      if (!rows.length) break;
      const ids = rows.map((r) => Number(r.id));
      if (!options.dryRun) await ds.query(sql.update(ids.length), [...ids, cutoff]);
      for (const r of rows) {
        t.fields.forEach((f, i) => {
          if (Number(r[`f${i}`]) === 1) {
            report.byField[f.field]++;
            report.values++;
          }
        });
      }
      report.rows += rows.length;
      after = ids[ids.length - 1];
      done += rows.length;
      options.onProgress?.(Math.min(done, total));
      if (rows.length < size) break;
    }
    categories.push(report);
  }
  return { at: options.at.toISOString(), dryRun: !!options.dryRun, categories };
}

/** The report as the CLI prints it: one line per category, counts only. */
export function formatSweepReport(r: SweepReport): string {
  const lines = [`retention sweep at ${r.at}${r.dryRun ? ' (dry run: nothing removed)' : ''}`];
  const verb = r.dryRun ? 'would remove' : 'removed';
  for (const c of r.categories) {
    const fields = Object.entries(c.byField).map(([f, n]) => `${f} ${n}`).join(', ');
    lines.push(`${c.category.padEnd(20)} ${verb} ${c.values} values in ${c.rows} ${c.entity} rows (older than ${c.days} days): ${fields}`);
  }
  const values = r.categories.reduce((n, c) => n + c.values, 0);
  lines.push(`total: ${verb} ${values} values`);
  return lines.join('\n') + '\n';
}
