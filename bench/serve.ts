import 'reflect-metadata';
import { startGateway } from '../src/app';
import { loadConfig } from '../src/config';
import { statementCounter } from '../src/db/statement-counter';

/**
 * The gateway as the HTTP benchmark runs it, in its own process (so that the load generator
 * does not share its event loop): BENCH_VARIANT=A as shipped, B with enforcement and audit off.
 * Answers the parent's IPC "stats" with SQL statements so far and RSS.
 */
async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', PORT: '0', RATE_LIMIT_PER_SECOND: '0', PSEUDONYM_SECRET: 'bench-pseudonym-secret-0123456789', CLIENT_CACHE_MS: '60000' });
  const gateway = await startGateway(config, { benchmarkWithoutEnforcement: process.env.BENCH_VARIANT === 'B' });
  process.on('message', (m) => {
    if (m === 'stats') process.send?.({ statements: statementCounter.total, rss: process.memoryUsage().rss });
    if (m === 'stop') void gateway.close().then(() => process.exit(0));
  });
  process.send?.({ url: gateway.url });
}

main().catch((e) => {
  process.stderr.write(`bench server failed: ${(e as Error).message}\n`);
  process.exit(1);
});
