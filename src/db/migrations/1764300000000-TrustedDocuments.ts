import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Trusted documents per client (SPEC §10). Portable across SQLite and MySQL/MariaDB. */
export class TrustedDocuments1764300000000 implements MigrationInterface {
  name = 'TrustedDocuments1764300000000';

  async up(q: QueryRunner): Promise<void> {
    // A MySQL TEXT holds 64 KB; a document and its check may be larger (SQLite's text has no such limit).
    const long = q.connection.options.type === 'mysql' ? 'mediumtext' : 'text';
    await q.createTable(new Table({
      name: 'trusted_documents',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'client_id', type: 'varchar', length: '64', isNullable: false },
        { name: 'sha256', type: 'varchar', length: '64', isNullable: false },
        { name: 'document', type: long, isNullable: false },
        { name: 'operation_names', type: 'text', isNullable: false },
        { name: 'check_json', type: long, isNullable: false },
        { name: 'created_at', type: 'datetime', isNullable: false },
      ],
      indices: [new TableIndex({ name: 'uq_trusted_documents_client_sha256', columnNames: ['client_id', 'sha256'], isUnique: true })],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('trusted_documents');
  }
}
