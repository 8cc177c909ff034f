import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * The erasure follow-up (src/onboarding/erasure-follow-up.ts) asks every few seconds which
 * subjects were erased in the last minutes: one range of this index, empty nearly always,
 * instead of a scan of users.
 */
export class ErasedUsersIndex1765000000001 implements MigrationInterface {
  name = 'ErasedUsersIndex1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('users', new TableIndex({ name: 'idx_users_erased_at', columnNames: ['erased_at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('users', 'idx_users_erased_at');
  }
}
