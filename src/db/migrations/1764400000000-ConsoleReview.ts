import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * The review console's stores (SPEC §9):
 * - audit_activity_hours / audit_activity_progress: hourly counts of the audit per client,
 *   decision, category and reason (and chain), counted from each chain's records up to its head
 *   (src/review/activity-rollup.ts). The Clients view adds up a month of a client from its primary
 *   key range (client_id, hour, …) instead of grouping every record. Per chain, so that retention,
 *   which removes whole chains, removes their counts with `DELETE … WHERE chain_id = ?`.
 * - console_downloads: single-use, short-lived download tokens (hashes only), so that a plain
 *   link can stream a subject's records without the auditor's key in a URL.
 */
export class ConsoleReview1764400000000 implements MigrationInterface {
  name = 'ConsoleReview1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const big = q.connection.options.type === 'mysql' ? 'bigint' : 'integer';
    const str = (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: false, ...extra });
    const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });

    await q.createTable(new Table({
      name: 'audit_activity_hours',
      columns: [
        // Primary key order = the read's order: one client's hours, then what was decided.
        str('client_id', 64, { isPrimary: true }), { ...ms('hour'), isPrimary: true }, str('decision', 8, { isPrimary: true }),
        str('category', 64, { isPrimary: true }), str('reason', 32, { isPrimary: true }), str('chain_id', 32, { isPrimary: true }),
        { name: 'n', type: big, isNullable: false },
      ],
    }));
    await q.createTable(new Table({
      name: 'audit_activity_progress',
      columns: [str('chain_id', 32, { isPrimary: true }), { name: 'rolled_seq', type: big, isNullable: false }],
    }));
    await q.createTable(new Table({
      name: 'console_downloads',
      columns: [
        str('token_hash', 64, { isPrimary: true }), str('client_id', 64), { name: 'subject_id', type: 'int', isNullable: false },
        str('format', 8), ms('created_at'), ms('expires_at'), ms('used_at', true),
      ],
      indices: [new TableIndex({ name: 'idx_console_downloads_expires', columnNames: ['expires_at'] })],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('console_downloads');
    await q.dropTable('audit_activity_progress');
    await q.dropTable('audit_activity_hours');
  }
}
