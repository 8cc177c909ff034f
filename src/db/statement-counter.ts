import type { Logger, QueryRunner } from 'typeorm';

/** Counts the SQL statements TypeORM runs, for the statement-count tests and the benchmark. */
export class StatementCounter implements Logger {
  total = 0;

  logQuery(_query: string, _parameters?: unknown[], _runner?: QueryRunner): void {
    this.total++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export const statementCounter = new StatementCounter();
