import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * The ledger of policy versions (issue #22, "policyVersion cannot lie"): each declared version a
 * gateway started with and the fingerprint of its content (src/db/entities/PolicyVersion.ts).
 * The version is the primary key, so that of several gateways starting together one records it
 * (Galera needs a primary key on every table too); compared byte for byte on MySQL/MariaDB.
 */
export class PolicyLedger1764900000000 implements MigrationInterface {
  name = 'PolicyLedger1764900000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql';
    await q.createTable(new Table({
      name: 'policy_versions',
      columns: [
        { name: 'version', type: 'varchar', length: '64', isPrimary: true, isNullable: false, ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}) },
        { name: 'hash', type: 'varchar', length: '64', isNullable: false },
        { name: 'first_seen_at', type: 'datetime', precision: 3, isNullable: false },
        { name: 'file', type: 'varchar', length: '255', isNullable: true },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('policy_versions');
  }
}
