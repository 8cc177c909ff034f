import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * The console's "verify now" jobs (SPEC §9, Integrity), in the store rather than in a process's
 * memory, so that with several gateway replicas behind a load balancer any of them answers a
 * poll for a job another started (src/review/verification.ts). `heartbeat_at` (ms since the
 * epoch) is moved by the replica running the job; a RUNNING job whose heartbeat stopped is read
 * as ERROR (its replica stopped). Primary key: the job's UUID (Galera needs one on every table).
 */
export class VerificationJobs1764800000000 implements MigrationInterface {
  name = 'VerificationJobs1764800000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql';
    const big = mysql ? 'bigint' : 'integer';
    const str = (name: string, length: number, nullable = false, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable, ...extra });
    await q.createTable(new Table({
      name: 'verification_jobs',
      columns: [
        str('id', 36, false, { isPrimary: true }), str('started_by', 64), str('state', 8),
        { name: 'checked', type: big, isNullable: false }, { name: 'total', type: big, isNullable: false },
        // ISO strings, as the API returns them (no time zone conversion either way).
        str('started_at', 32), str('finished_at', 32, true),
        { name: 'ok', type: 'smallint', isNullable: true }, str('detail', 1000, true),
        // The per-chain reports as JSON (a few hundred bytes a chain).
        { name: 'chains', type: mysql ? 'mediumtext' : 'text', isNullable: true },
        { name: 'heartbeat_at', type: big, isNullable: false },
      ],
      indices: [
        new TableIndex({ name: 'idx_verification_jobs_state', columnNames: ['state', 'heartbeat_at'] }),
        new TableIndex({ name: 'idx_verification_jobs_started', columnNames: ['started_at'] }),
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('verification_jobs');
  }
}
