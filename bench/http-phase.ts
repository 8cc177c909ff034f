import autocannon from 'autocannon';
import { ChildProcess, fork } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sqliteConnection } from '../src/db/data-source';
import { pacedLatencies } from './paced-client';
import { mean, quantile, table } from './stats';
import type { BenchStore } from './store';

type Stats = { statements: number; rss: number; commitMs: number; commits: number };
/** A as shipped; E enforced without audit; B with enforcement and audit off. */
type Variant = 'A' | 'E' | 'B';

function ask<T>(child: ChildProcess, message: string, pick: (m: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench server exited (${code})`));
    const onMessage = (m: Record<string, unknown>) => {
      const v = pick(m);
      if (v === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(v);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (message) child.send(message);
  });
}

interface Server { child: ChildProcess; url: string; stats(): Promise<Stats>; settle(): Promise<void>; stop(): Promise<void> }

/**
 * SQLite: each gateway of this phase runs on its own copy of the seeded store, removed when it
 * stops. Without it every run measured a store the runs before it had grown (an A run at 16
 * connections commits some two million audit records), so later rounds were slower than earlier
 * ones, and the store grew by gigabytes per bench run. (MySQL/MariaDB: the one database, as before.)
 */
function storeForRun(store: BenchStore): { env: Record<string, string>; remove(): void } {
  if (store.databaseUrl) return { env: { DATABASE_URL: store.databaseUrl }, remove: () => undefined };
  // Everything in the main file (the bench's own connection stays open, so its log would not be copied).
  sqliteConnection(store.ds).pragma('wal_checkpoint(TRUNCATE)');
  const file = path.join(path.dirname(store.sqliteFile), 'run.sqlite');
  const remove = () => {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  };
  remove();
  copyFileSync(store.sqliteFile, file);
  return { env: { DATA_DIR: path.dirname(file), SQLITE_FILE: path.basename(file) }, remove };
}

async function serve(variant: Variant, store: BenchStore): Promise<Server> {
  const run = storeForRun(store);
  const child = fork(path.join(__dirname, 'serve.js'), [], {
    env: { ...process.env, BENCH_VARIANT: variant, NODE_ENV: 'production', ...run.env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.once('exit', run.remove);
  const url = await ask(child, '', (m) => m.url as string | undefined);
  return {
    child,
    url,
    stats: () => ask<Stats>(child, 'stats', (m) => ('statements' in m ? (m as Stats) : undefined)),
    settle: async () => {
      await ask(child, 'settle', (m) => (m.settled === true ? true : undefined));
    },
    stop: async () => {
      child.send('stop');
      await new Promise((res) => child.once('exit', res));
    },
  };
}

const document = (file: string) => JSON.stringify({ query: readFileSync(path.resolve(__dirname, '..', '..', 'bench', 'documents', file), 'utf8') });

const KEYS = { w2: 'demo-alipay-key', w4: 'demo-risk-key' } as const;
const headersFor = (key: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });

/**
 * Issue 4's target, workload 4 (100 users × 10 categorised fields, 1 000 audit records): what
 * the audit adds to an enforced request, A (as shipped) against E (the same gateway committing
 * no audit). One client paced at 20 requests/s, timed by our own client to the µs, over
 * `rounds` alternating rounds (A E, E A, …: a fresh gateway process each); then 16 connections.
 */
async function auditTarget(store: BenchStore, seconds: number, rounds: number): Promise<string> {
  const body = document('w4-users-ten-fields.graphql');
  const headers = headersFor(KEYS.w4);
  const samples: Record<'A' | 'E', number[]> = { A: [], E: [] };
  const commit: Stats[] = [];
  let failed = 0;
  for (let round = 0; round < rounds; round++) {
    for (const variant of (round % 2 ? ['E', 'A'] : ['A', 'E']) as ('A' | 'E')[]) {
      const server = await serve(variant, store);
      const url = `${server.url}/graphql`;
      await autocannon({ url, method: 'POST', body, headers, connections: 1, amount: 200 }); // warm-up (JIT, caches)
      await server.settle(); // the warm-up's records projected: one client's steady state, not a backlog
      const before = await server.stats();
      const r = await pacedLatencies(url, body, headers, Number(process.env.BENCH_RATE ?? 20), seconds);
      const after = await server.stats();
      await server.stop();
      samples[variant].push(...r.latencies);
      failed += r.failed;
      if (variant === 'A') commit.push({ ...after, commitMs: after.commitMs - before.commitMs, commits: after.commits - before.commits });
    }
  }
  const row = (v: 'A' | 'E') => [v, samples[v].length, mean(samples[v]).toFixed(2), quantile(samples[v], 0.5).toFixed(2), quantile(samples[v], 0.9).toFixed(2), quantile(samples[v], 0.99).toFixed(2)];
  const added = (q: number) => `${((quantile(samples.A, q) / quantile(samples.E, q) - 1) * 100).toFixed(0)} %`;
  const commits = commit.reduce((n, s) => n + s.commits, 0);
  const commitMs = commit.reduce((n, s) => n + s.commitMs, 0);

  const loaded: (string | number)[][] = [];
  const meanLatency: Record<string, number> = {}; // summed over each variant's two runs
  for (const variant of ['A', 'E', 'E', 'A'] as const) {
    const server = await serve(variant, store);
    const opts = { url: `${server.url}/graphql`, method: 'POST' as const, body, headers, connections: 16 };
    await autocannon({ ...opts, duration: 2 });
    const r = await autocannon({ ...opts, duration: seconds });
    await server.stop();
    loaded.push([variant, r.requests.average.toFixed(1), r.latency.mean.toFixed(1), r.latency.p50, r.latency.p99, r.non2xx]);
    meanLatency[variant] = (meanLatency[variant] ?? 0) + r.latency.mean;
  }
  return [
    '## What the audit adds (issue 4 target): workload 4, 100 users × 10 categorised fields (1 000 records)\n',
    `One client paced at 20 requests/s, ${rounds} alternating rounds of ${seconds} s, latency in ms (our own client, µs resolution); A = as shipped, E = enforced without audit.\n`,
    table(['variant', 'requests', 'mean', 'p50', 'p90', 'p99'], [row('E'), row('A')]),
    '',
    `Audit adds at one client: ${added(0.5)} at p50, ${added(0.9)} at p90 (target < 30 %); non-2xx: ${failed}. The gateway's own commit time (accepted → durable): ${(commitMs / Math.max(1, commits)).toFixed(2)} ms on average over ${commits} commits.`,
    '',
    '16 connections (autocannon, two runs each, A E E A):\n',
    table(['variant', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'non-2xx'], loaded),
    '',
    `Audit adds at 16 connections: ${((meanLatency.A / meanLatency.E - 1) * 100).toFixed(0)} % on mean latency (target: less than at one client).`,
    '',
  ].join('\n');
}

/**
 * Over HTTP with autocannon, the gateway in a child process: workload 2 at 1 connection
 * paced (latency), 1 and 16 connections unpaced (saturation), A (as shipped) and B (enforcement and audit off) alternately.
 */
async function enforcementOverHttp(store: BenchStore, seconds: number): Promise<string> {
  const body = document('w2-users.graphql');
  const rows: (string | number)[][] = [];
  // 1 connection paced at 20 req/s measures latency at one client; unpaced runs measure saturation.
  const loads: { label: string; connections: number; overallRate?: number }[] = [
    { label: '1 (paced 20/s)', connections: 1, overallRate: 20 },
    { label: '1', connections: 1 },
    { label: '16', connections: 16 },
  ];
  for (const { label, connections, overallRate } of loads) {
    for (const variant of ['A', 'B'] as const) {
      const server = await serve(variant, store);
      const opts = { url: `${server.url}/graphql`, method: 'POST' as const, body, headers: headersFor(KEYS.w2), ...(overallRate ? { overallRate } : {}) };
      await autocannon({ ...opts, connections, duration: 2 }); // warm-up
      const before = await server.stats();
      const r = await autocannon({ ...opts, connections, duration: seconds });
      const after = await server.stats();
      await server.stop();
      const done = r.requests.total || 1;
      rows.push([variant, label, r.requests.average.toFixed(1), r.latency.p50, r.latency.p99, `${r.non2xx}`, (after.rss / 2 ** 20).toFixed(0), ((after.statements - before.statements) / done).toFixed(1)]);
    }
  }
  return ['## Over HTTP (autocannon, workload 2, gateway in its own process)\n', table(['variant', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'RSS MiB', 'SQL statements/request'], rows), ''].join('\n');
}

export async function runHttpPhase(store: BenchStore): Promise<string> {
  const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_HTTP_ROUNDS ?? 4);
  const parts = (process.env.BENCH_HTTP_PARTS ?? 'audit,enforcement').split(',');
  const out: string[] = [];
  if (parts.includes('audit')) out.push(await auditTarget(store, seconds, rounds));
  if (parts.includes('enforcement')) out.push(await enforcementOverHttp(store, seconds));
  return out.join('\n');
}
