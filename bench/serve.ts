import 'reflect-metadata';
import { openGateway, serveGateway } from '../src/app';
import { loadConfig } from '../src/config';
import { statementCounter } from '../src/db/statement-counter';
import { startPlainServer } from './plain-server';
import { GatewayVariant, servingFor } from './variants';

/**
 * The gateway as the HTTP benchmark runs it, in its own process (so that the load generator
 * does not share its event loop): BENCH_VARIANT=A as shipped, E enforced without audit, B with
 * enforcement and audit off, S the graphql-shield peer (those four with GRAPHQL_EXECUTOR=graphql-js,
 * whatever the default), J the shipped gateway with GRAPHQL_EXECUTOR=jit, each assembled from the
 * gateway's own blocks (bench/variants.ts), C plain graphql-js behind node's http server
 * (bench/plain-server.ts).
 * Answers the parent's IPC "stats" with SQL statements so far, RSS and the audit commit time; "settle"
 * once audit_events holds every record committed so far.
 */
async function main(): Promise<void> {
  const variant = process.env.BENCH_VARIANT ?? 'A';
  // J is the shipped gateway with GRAPHQL_EXECUTOR=jit; every other variant executes with graphql-js, whatever the default.
  const executor = variant === 'J' ? 'jit' : 'graphql-js';
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', PORT: '0', RATE_LIMIT_PER_SECOND: '0', PSEUDONYM_SECRET: 'bench-pseudonym-secret-0123456789', CLIENT_CACHE_MS: '60000', GRAPHQL_EXECUTOR: executor });
  // A bench that dies (or is stopped) takes its gateways with it.
  process.once('disconnect', () => process.exit(0));
  if (variant === 'C') {
    const plain = await startPlainServer(config);
    process.on('message', (m) => {
      if (m === 'stats') process.send?.({ statements: statementCounter.total, rss: process.memoryUsage().rss, commitMs: 0, commits: 0 });
      if (m === 'settle') process.send?.({ settled: true });
      if (m === 'stop') void plain.close().then(() => process.exit(0));
    });
    process.send?.({ url: plain.url });
    return;
  }
  if (!['A', 'E', 'B', 'S', 'J'].includes(variant)) throw new Error(`unknown BENCH_VARIANT ${variant}`);
  const core = await openGateway(config);
  const gateway = await serveGateway(core, servingFor(variant as GatewayVariant, core));
  // The gateway's own audit commit histogram (accepted → durable), as /metrics shows it.
  const commitTime = async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*outcome="committed"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    return { commitMs: value('purposegate_audit_commit_seconds_sum') * 1000, commits: value('purposegate_audit_commit_seconds_count') };
  };
  process.on('message', (m) => {
    if (m === 'stats') void commitTime().then((c) => process.send?.({ statements: statementCounter.total, rss: process.memoryUsage().rss, ...c }));
    if (m === 'settle') void gateway.audit.settled().then(() => process.send?.({ settled: true }));
    if (m === 'stop') void gateway.close().then(() => process.exit(0));
  });
  process.send?.({ url: gateway.url });
}

main().catch((e) => {
  process.stderr.write(`bench server failed: ${(e as Error).message}\n`);
  process.exit(1);
});
