import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * The audit's write-ahead batch log (src/audit/README.md): audit_batches, one row per request
 * with its records encoded, hash-chained per writer — the durable record the response waits
 * for — and, on audit_chains, the batch head and the progress of the audit_events projection.
 * audit_events keeps its columns and indexes; it is now filled from the batches.
 *
 * Chains written before this migration hold their records as audit_events rows, chained record
 * by record: they are marked projected to their end (head_batch stays 0: verify walks them as
 * before).
 */
export class AuditBatches1764500000000 implements MigrationInterface {
  name = 'AuditBatches1764500000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql';
    // SQLite's rowid alias must be spelled INTEGER; MySQL's INT would run out at 2^31 rows.
    const big = mysql ? 'bigint' : 'integer';
    const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });

    await q.createTable(new Table({
      name: 'audit_batches',
      columns: [
        { name: 'id', type: big, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        str('chain_id', 32), { name: 'seq', type: big, isNullable: false }, { name: 'first_seq', type: big, isNullable: false },
        str('request_id', 64), { name: 'at', type: 'datetime', precision: 3, isNullable: false }, str('client_id', 64), str('purpose', 64),
        str('case_ref', 64, true), str('policy_version', 64), { name: 'record_count', type: 'int', isNullable: false },
        // A 6 000-record response is ~100 KB encoded: past TEXT's 64 KB on MySQL.
        { name: 'records', type: mysql ? 'mediumtext' : 'text', isNullable: false },
        str('prev_hash', 64), str('hash', 64),
      ],
      // The chain in order: the append's head check, the projection and verify all read by it.
      indices: [new TableIndex({ name: 'uq_audit_batches_chain_seq', columnNames: ['chain_id', 'seq'], isUnique: true })],
    }));
    await q.addColumns('audit_chains', [
      new TableColumn({ name: 'head_batch', type: big, isNullable: false, default: 0 }),
      new TableColumn({ name: 'projected_batch', type: big, isNullable: false, default: 0 }),
      new TableColumn({ name: 'projected_seq', type: big, isNullable: false, default: 0 }),
    ]);
    await q.query('UPDATE audit_chains SET projected_seq = head_seq WHERE head_batch = 0');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumns('audit_chains', ['projected_seq', 'projected_batch', 'head_batch']);
    await q.dropTable('audit_batches');
  }
}
