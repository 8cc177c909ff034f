import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

const id = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };

/**
 * Data-subject requests with their history, and correction notices (SPEC §7), on SQLite and
 * MySQL/MariaDB. Times keep milliseconds (DATETIME(3)), so a request reads back as it was answered.
 */
export class SubjectRequests1764700000000 implements MigrationInterface {
  name = 'SubjectRequests1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: 'subject_requests',
      columns: [
        id,
        { name: 'user_id', type: 'int', isNullable: false },
        { name: 'kind', type: 'varchar', length: '16', isNullable: false },
        { name: 'state', type: 'varchar', length: '16', isNullable: false },
        { name: 'note', type: 'varchar', length: '500', isNullable: true },
        { name: 'opened_at', type: 'datetime', precision: 3, isNullable: false },
        { name: 'due_at', type: 'datetime', precision: 3, isNullable: false },
        { name: 'closed_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'refusal_ground', type: 'varchar', length: '32', isNullable: true },
        { name: 'opened_by', type: 'varchar', length: '64', isNullable: false },
      ],
      indices: [
        new TableIndex({ name: 'idx_subject_requests_user', columnNames: ['user_id'] }),
        new TableIndex({ name: 'idx_subject_requests_state_due', columnNames: ['state', 'due_at'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'subject_request_events',
      columns: [
        id,
        { name: 'request_id', type: 'int', isNullable: false },
        { name: 'at', type: 'datetime', precision: 3, isNullable: false },
        { name: 'action', type: 'varchar', length: '32', isNullable: false },
        { name: 'client_id', type: 'varchar', length: '64', isNullable: false },
        { name: 'detail', type: 'varchar', length: '255', isNullable: true },
        { name: 'gateway_request_id', type: 'varchar', length: '64', isNullable: true },
      ],
      indices: [new TableIndex({ name: 'idx_subject_request_events_request', columnNames: ['request_id'] })],
    }));
    await q.createTable(new Table({
      name: 'correction_notices',
      columns: [
        id,
        { name: 'user_id', type: 'int', isNullable: false },
        { name: 'client_id', type: 'varchar', length: '64', isNullable: false },
        { name: 'request_id', type: 'int', isNullable: false },
        { name: 'categories', type: 'text', isNullable: false },
        { name: 'status', type: 'varchar', length: '16', isNullable: false },
        { name: 'opened_at', type: 'datetime', precision: 3, isNullable: false },
        { name: 'acknowledged_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'acknowledged_request_id', type: 'varchar', length: '64', isNullable: true },
      ],
      indices: [
        new TableIndex({ name: 'uq_correction_notices_request_client', columnNames: ['request_id', 'client_id'], isUnique: true }),
        new TableIndex({ name: 'idx_correction_notices_client_status', columnNames: ['client_id', 'status'] }),
        new TableIndex({ name: 'idx_correction_notices_user', columnNames: ['user_id'] }),
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('correction_notices');
    await q.dropTable('subject_request_events');
    await q.dropTable('subject_requests');
  }
}
