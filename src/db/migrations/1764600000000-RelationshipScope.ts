import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Relationship facts for SPEC §11's scopes, on SQLite and MySQL/MariaDB: an order's channel, a
 * client's payment providers, app authorisations and legal cases, with the indexes the scope's
 * EXISTS filters use. Orders that predate it get channel '' (no client's `orders` scope), and
 * clients no providers: scoped purposes see nothing of them until the facts are filled in.
 */
export class RelationshipScope1764600000000 implements MigrationInterface {
  name = 'RelationshipScope1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('orders', new TableColumn({ name: 'channel', type: 'varchar', length: '64', isNullable: false, default: "''" }));
    await q.createIndex('orders', new TableIndex({ name: 'idx_orders_user_channel', columnNames: ['user_id', 'channel'] }));
    await q.createIndex('payment_accounts', new TableIndex({ name: 'idx_payment_accounts_user_provider', columnNames: ['user_id', 'provider'] }));
    await q.addColumn('clients', new TableColumn({ name: 'providers', type: 'text', isNullable: true }));
    await q.query(`UPDATE clients SET providers = '[]' WHERE providers IS NULL`);
    await q.createTable(new Table({
      name: 'app_authorizations',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'user_id', type: 'int', isNullable: false },
        { name: 'client_id', type: 'varchar', length: '64', isNullable: false },
        { name: 'authorized_at', type: 'datetime', isNullable: false },
        { name: 'revoked_at', type: 'datetime', isNullable: true },
        { name: 'authorized_request_id', type: 'varchar', length: '64', isNullable: true },
        { name: 'revoked_request_id', type: 'varchar', length: '64', isNullable: true },
      ],
      indices: [
        new TableIndex({ name: 'idx_app_authorizations_user_client', columnNames: ['user_id', 'client_id', 'revoked_at'] }),
        new TableIndex({ name: 'idx_app_authorizations_client', columnNames: ['client_id'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'legal_cases',
      columns: [
        { name: 'case_ref', type: 'varchar', length: '64', isPrimary: true },
        { name: 'purposes', type: 'text', isNullable: false },
        { name: 'expires_at', type: 'datetime', isNullable: false },
        { name: 'opened_at', type: 'datetime', isNullable: false },
        { name: 'opened_by', type: 'varchar', length: '64', isNullable: false },
        { name: 'closed_at', type: 'datetime', isNullable: true },
      ],
    }));
    await q.createTable(new Table({
      name: 'legal_case_subjects',
      columns: [
        { name: 'case_ref', type: 'varchar', length: '64', isPrimary: true },
        { name: 'user_id', type: 'int', isPrimary: true },
      ],
      indices: [new TableIndex({ name: 'idx_legal_case_subjects_user', columnNames: ['user_id'] })],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('legal_case_subjects');
    await q.dropTable('legal_cases');
    await q.dropTable('app_authorizations');
    await q.dropColumn('clients', 'providers');
    await q.dropIndex('payment_accounts', 'idx_payment_accounts_user_provider');
    await q.dropIndex('orders', 'idx_orders_user_channel');
    await q.dropColumn('orders', 'channel');
  }
}
