import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * What the rights follow-up (src/rights/follow-up.ts) reads every few seconds, each one index
 * range, empty nearly always:
 * - idx_users_erased_at: the subjects erased in the last minutes;
 * - subject_corrections: one row per correction that changed something (its request, subject,
 *   the categories it changed, and when), written in the correction's transaction, read by
 *   corrected_at.
 */
export class RightsFollowUp1765000000001 implements MigrationInterface {
  name = 'RightsFollowUp1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('users', new TableIndex({ name: 'idx_users_erased_at', columnNames: ['erased_at'] }));
    await q.createTable(new Table({
      name: 'subject_corrections',
      columns: [
        { name: 'request_id', type: 'int', isPrimary: true, isNullable: false },
        { name: 'user_id', type: 'int', isNullable: false },
        { name: 'categories', type: 'text', isNullable: false },
        { name: 'corrected_at', type: 'datetime', precision: 3, isNullable: false },
      ],
      indices: [new TableIndex({ name: 'idx_subject_corrections_at', columnNames: ['corrected_at'] })],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('subject_corrections');
    await q.dropIndex('users', 'idx_users_erased_at');
  }
}
