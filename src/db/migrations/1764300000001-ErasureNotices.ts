import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Erasure notices, one per (erased subject, recipient client) (SPEC §10). Portable across SQLite and MySQL/MariaDB. */
export class ErasureNotices1764300000001 implements MigrationInterface {
  name = 'ErasureNotices1764300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: 'erasure_notices',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'user_id', type: 'int', isNullable: false },
        { name: 'client_id', type: 'varchar', length: '64', isNullable: false },
        { name: 'status', type: 'varchar', length: '16', isNullable: false },
        { name: 'opened_at', type: 'datetime', isNullable: false },
        { name: 'acknowledged_at', type: 'datetime', isNullable: true },
        { name: 'acknowledged_request_id', type: 'varchar', length: '64', isNullable: true },
      ],
      indices: [
        new TableIndex({ name: 'uq_erasure_notices_user_client', columnNames: ['user_id', 'client_id'], isUnique: true }),
        new TableIndex({ name: 'idx_erasure_notices_client_status', columnNames: ['client_id', 'status'] }),
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('erasure_notices');
  }
}
