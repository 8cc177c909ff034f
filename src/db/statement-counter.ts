import type { DataSource, Logger, QueryRunner } from 'typeorm';

/** The mark of a query runner whose statements are background work (see backgroundQueryRunner). */
const BACKGROUND = 'purposegate.background';

const isBackground = (runner?: QueryRunner): boolean => (runner?.data as Record<string, unknown> | undefined)?.[BACKGROUND] === true;

/**
 * Counts the SQL statements TypeORM runs, for the statement-count tests and the benchmark.
 * Statements of background work (a loop of the gateway's own, not a request's: query runners
 * from backgroundQueryRunner) are counted apart, so that what a request costs is not blurred by
 * whatever the background ran meanwhile.
 */
export class StatementCounter implements Logger {
  /** Statements run on behalf of requests, CLIs and tests. */
  total = 0;
  /** Statements of background work. */
  background = 0;

  logQuery(query: string, _parameters?: unknown[], runner?: QueryRunner): void {
    if (isBackground(runner)) this.background++;
    else this.count(query);
  }
  /** One statement of whatever is running in the foreground (what the statement-count tests watch). */
  count(_query: string): void {
    this.total++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export const statementCounter = new StatementCounter();

/**
 * A query runner for background work on MySQL/MariaDB: its statements are logged as such
 * (release it after use). Not on SQLite, whose driver hands out one runner shared by everything.
 */
export function backgroundQueryRunner(ds: DataSource, mode?: 'master' | 'slave'): QueryRunner {
  if (ds.options.type === 'better-sqlite3') throw new Error('SQLite has one shared query runner: log background work with logBackground');
  const runner = ds.createQueryRunner(mode);
  runner.data = { ...(runner.data as object | undefined), [BACKGROUND]: true };
  return runner;
}

/** Log a unit of background work that is not a TypeORM statement (as the statement log's other entries). */
export function logBackground(ds: DataSource, what: string, parameters?: unknown[]): void {
  ds.logger.logQuery(what, parameters, { data: { [BACKGROUND]: true } } as unknown as QueryRunner);
}
