import type { DataSource } from 'typeorm';
import type { AuditAdapter } from '../adapter';
import type { ProjectionFollower } from '../projection-sql';
import { MysqlProjectionBackend } from './projection';
import { MysqlAuditStore } from './store';

/** MySQL/MariaDB: the writer's own connection, one round trip a commit; the projection's steps run in mysqld, 5 000 records each. */
export function mysqlAdapter(ds: DataSource, followers: readonly ProjectionFollower[] = []): AuditAdapter {
  return {
    kind: 'mysql',
    followers,
    stepRecords: 5000,
    createStore: () => new MysqlAuditStore(ds),
    inline: new MysqlProjectionBackend(ds, followers),
    startWorker: () => null,
  };
}

export { DEADLOCK_RETRIES, isDeadlock, MysqlAuditStore } from './store';
