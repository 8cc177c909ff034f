import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions } from 'typeorm';

/**
 * A chain's row is its writer's alone (docs/scale-out.md): the projection's progress and the
 * last verification's outcome move off audit_chains into rows of their own, so that a projector
 * or a verification on another Galera node never touches the row a writer's commit moves (each
 * such touch failed that commit's certification, and the commit ran again; enough in a row gave
 * its requests AUDIT_UNAVAILABLE).
 *
 * - audit_projection_progress: one row per chain, written at registration by the chain's writer
 *   (in its first commit), then only by the projection (optimistically, projected_batch guarded).
 * - audit_chain_verifications: one row per verified chain, written only by `npm run audit:verify`
 *   and the console's verification jobs.
 */
export class AuditChainMarks1765000000000 implements MigrationInterface {
  name = 'AuditChainMarks1765000000000';

  async up(q: QueryRunner): Promise<void> {
    const big = q.connection.options.type === 'mysql' ? 'bigint' : 'integer';
    const chainId: TableColumnOptions = { name: 'chain_id', type: 'varchar', length: '32', isPrimary: true, isNullable: false };
    await q.createTable(new Table({
      name: 'audit_projection_progress',
      columns: [chainId, { name: 'projected_batch', type: big, isNullable: false, default: 0 }, { name: 'projected_seq', type: big, isNullable: false, default: 0 }],
    }));
    await q.createTable(new Table({
      name: 'audit_chain_verifications',
      columns: [
        chainId, { name: 'last_verified_at', type: 'datetime', precision: 3, isNullable: false }, { name: 'last_verified_ok', type: 'boolean', isNullable: false },
        { name: 'last_verified_detail', type: 'varchar', length: '255', isNullable: false },
      ],
    }));
    await q.query('INSERT INTO audit_projection_progress (chain_id, projected_batch, projected_seq) SELECT chain_id, projected_batch, projected_seq FROM audit_chains');
    await q.query(`INSERT INTO audit_chain_verifications (chain_id, last_verified_at, last_verified_ok, last_verified_detail)
                   SELECT chain_id, last_verified_at, last_verified_ok, COALESCE(last_verified_detail, '') FROM audit_chains WHERE last_verified_at IS NOT NULL AND last_verified_ok IS NOT NULL`);
    await q.dropColumns('audit_chains', ['projected_batch', 'projected_seq', 'last_verified_at', 'last_verified_ok', 'last_verified_detail']);
  }

  async down(q: QueryRunner): Promise<void> {
    const big = q.connection.options.type === 'mysql' ? 'bigint' : 'integer';
    await q.addColumns('audit_chains', [
      { name: 'projected_batch', type: big, isNullable: false, default: 0 }, { name: 'projected_seq', type: big, isNullable: false, default: 0 },
      { name: 'last_verified_at', type: 'datetime', precision: 3, isNullable: true }, { name: 'last_verified_ok', type: 'boolean', isNullable: true },
      { name: 'last_verified_detail', type: 'varchar', length: '255', isNullable: true },
    ].map((c) => new TableColumn(c)));
    const from = (table: string, column: string) => `(SELECT x.${column} FROM ${table} x WHERE x.chain_id = audit_chains.chain_id)`;
    await q.query(`UPDATE audit_chains SET projected_batch = COALESCE(${from('audit_projection_progress', 'projected_batch')}, 0),
                   projected_seq = COALESCE(${from('audit_projection_progress', 'projected_seq')}, 0)`);
    await q.query(`UPDATE audit_chains SET last_verified_at = ${from('audit_chain_verifications', 'last_verified_at')},
                   last_verified_ok = ${from('audit_chain_verifications', 'last_verified_ok')}, last_verified_detail = ${from('audit_chain_verifications', 'last_verified_detail')}`);
    await q.dropTable('audit_chain_verifications');
    await q.dropTable('audit_projection_progress');
  }
}
