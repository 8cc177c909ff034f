import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger, QueryRunner } from 'typeorm';

/** Counts SQL statements, in total and per request (via AsyncLocalStorage), for tests and the benchmark. */
export class StatementCounter implements Logger {
  total = 0;
  private readonly scope = new AsyncLocalStorage<{ count: number }>();

  /** Run `fn` and report how many statements it issued, however they interleave with other requests. */
  async measure<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
    const store = { count: 0 };
    const result = await this.scope.run(store, fn);
    return { result, statements: store.count };
  }

  /** Start counting for the rest of the current async context (an HTTP request). */
  enter(): { count: number } {
    const store = { count: 0 };
    this.scope.enterWith(store);
    return store;
  }

  logQuery(_query: string, _parameters?: unknown[], _runner?: QueryRunner): void {
    this.total++;
    const store = this.scope.getStore();
    if (store) store.count++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export const statementCounter = new StatementCounter();
