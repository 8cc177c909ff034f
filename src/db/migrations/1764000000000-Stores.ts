import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

const id: TableColumnOptions = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
const str = (name: string, length: number, nullable = true): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const int = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'int', isNullable: nullable });
const time = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', isNullable: nullable });
const bool = (name: string): TableColumnOptions => ({ name, type: 'boolean', isNullable: false, default: false });

/** The user, order and device stores, consents and the client registry. Portable across SQLite and MySQL/MariaDB. */
export class Stores1764000000000 implements MigrationInterface {
  name = 'Stores1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: 'users',
      columns: [id, str('username', 64, false), str('nickname', 64), str('avatar_url', 255), str('gender', 16), str('signature', 255),
        str('real_name', 128), str('birth_date', 10), str('phone', 32), str('city', 64), time('erased_at', true),
        { ...time('created_at'), default: 'CURRENT_TIMESTAMP' }],
      indices: [new TableIndex({ name: 'uq_users_username', columnNames: ['username'], isUnique: true })],
    }));
    await q.createTable(new Table({
      name: 'payment_accounts',
      columns: [id, int('user_id'), str('provider', 16, false), str('account_no', 128), str('holder_name', 128), str('card_expiry', 5)],
      indices: [new TableIndex({ name: 'idx_payment_accounts_user', columnNames: ['user_id'] })],
    }));
    await q.createTable(new Table({
      name: 'orders',
      columns: [id, str('order_no', 32, false), int('user_id'), int('payment_account_id', true), str('status', 16, false),
        int('total_amount', true), str('currency', 3), str('recipient_name', 128), str('recipient_phone', 32),
        str('shipping_address', 255), time('created_at')],
      indices: [
        new TableIndex({ name: 'uq_orders_order_no', columnNames: ['order_no'], isUnique: true }),
        new TableIndex({ name: 'idx_orders_user', columnNames: ['user_id'] }),
        new TableIndex({ name: 'idx_orders_payment_account', columnNames: ['payment_account_id'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'order_items',
      columns: [id, int('order_id'), str('sku', 32, false), str('name', 128, false), int('quantity'), int('unit_price')],
      indices: [new TableIndex({ name: 'idx_order_items_order', columnNames: ['order_id'] })],
    }));
    await q.createTable(new Table({
      name: 'devices',
      columns: [id, int('user_id'), str('model', 64), str('os_version', 32), str('device_id', 64), str('mac_address', 17),
        str('ip_address', 45), { name: 'lat', type: 'double', isNullable: true }, { name: 'lng', type: 'double', isNullable: true },
        int('accuracy_m', true), str('wifi_bssid', 17), str('city', 64), time('last_seen_at', true)],
      indices: [new TableIndex({ name: 'idx_devices_user', columnNames: ['user_id'] })],
    }));
    await q.createTable(new Table({
      name: 'consents',
      columns: [id, int('user_id'), str('purpose', 64, false), str('client_id', 64), bool('by_guardian'), time('granted_at'), time('withdrawn_at', true)],
      indices: [
        new TableIndex({ name: 'idx_consents_user_purpose', columnNames: ['user_id', 'purpose'] }),
        new TableIndex({ name: 'idx_consents_client', columnNames: ['client_id'] }),
      ],
    }));
    await q.createTable(new Table({
      name: 'clients',
      columns: [{ name: 'id', type: 'varchar', length: '64', isPrimary: true }, str('display_name', 128, false), str('kind', 16, false),
        str('role', 16, false), { name: 'purposes', type: 'text', isNullable: false }, bool('trusted_documents_only'),
        int('rate_limit_per_second', true), time('created_at'), time('disabled_at', true)],
    }));
    await q.createTable(new Table({
      name: 'api_keys',
      columns: [id, str('client_id', 64, false), str('key_hash', 64, false),
        str('key_prefix', 12, false), time('created_at'), time('revoked_at', true)],
      indices: [
        new TableIndex({ name: 'uq_api_keys_hash', columnNames: ['key_hash'], isUnique: true }),
        new TableIndex({ name: 'idx_api_keys_client', columnNames: ['client_id'] }),
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['api_keys', 'clients', 'consents', 'devices', 'order_items', 'orders', 'payment_accounts', 'users']) {
      await q.dropTable(t);
    }
  }
}
