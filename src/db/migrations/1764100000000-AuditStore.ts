import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * The sharing audit's store (SPEC §6): audit_events, append-only and hash-chained per writer,
 * and audit_chains, one row per chain with its head. Portable across SQLite and MySQL/MariaDB;
 * on MySQL the ids and sequence numbers are BIGINT, since the audit grows by a record per
 * personal field served. Retention is an operator step: see src/audit/README.md.
 */
export class AuditStore1764100000000 implements MigrationInterface {
  name = 'AuditStore1764100000000';

  async up(q: QueryRunner): Promise<void> {
    // SQLite's rowid alias must be spelled INTEGER; MySQL's INT would run out at 2^31 records.
    const big = q.connection.options.type === 'mysql' ? 'bigint' : 'integer';
    const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });

    await q.createTable(new Table({
      name: 'audit_events',
      columns: [
        { name: 'id', type: big, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        str('chain_id', 32), { name: 'seq', type: big, isNullable: false }, str('request_id', 64), ms('at'),
        str('client_id', 64), str('purpose', 64), str('case_ref', 64, true), { name: 'subject_id', type: 'int', isNullable: true },
        str('entity', 32), str('entity_id', 64), str('field', 64), str('category', 64), str('decision', 8), str('mask', 16, true),
        str('reason', 32), str('basis', 32), str('policy_version', 64), str('consent_id', 64, true), str('prev_hash', 64), str('hash', 64),
      ],
      indices: [
        new TableIndex({ name: 'uq_audit_events_chain_seq', columnNames: ['chain_id', 'seq'], isUnique: true }),
        // Every review filter pages newest first by (at, id); each index ends in `at` and,
        // implicitly (InnoDB secondary keys, SQLite rowid), in id, so a page is one index range.
        new TableIndex({ name: 'idx_audit_events_subject', columnNames: ['subject_id', 'at'] }),
        new TableIndex({ name: 'idx_audit_events_client', columnNames: ['client_id', 'at'] }),
        new TableIndex({ name: 'idx_audit_events_purpose', columnNames: ['purpose', 'at'] }),
        new TableIndex({ name: 'idx_audit_events_at', columnNames: ['at'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'audit_chains',
      columns: [
        { ...str('chain_id', 32), isPrimary: true }, ms('started_at'), { name: 'head_seq', type: big, isNullable: false },
        str('head_hash', 64), ms('last_verified_at', true), { name: 'last_verified_ok', type: 'boolean', isNullable: true },
        str('last_verified_detail', 255, true),
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_chains');
    await q.dropTable('audit_events');
  }
}
