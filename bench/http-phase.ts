import autocannon from 'autocannon';
import { ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { table } from './stats';
import type { BenchStore } from './store';

type Stats = { statements: number; rss: number };

function ask<T>(child: ChildProcess, message: string, pick: (m: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      const v = pick(m);
      if (v !== undefined) { child.off('message', onMessage); resolve(v); }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
    if (message) child.send(message);
  });
}

async function serve(variant: 'A' | 'B', store: BenchStore): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(path.join(__dirname, 'serve.js'), [], {
    env: { ...process.env, BENCH_VARIANT: variant, NODE_ENV: 'production', ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : { DATA_DIR: path.dirname(store.sqliteFile), SQLITE_FILE: path.basename(store.sqliteFile) }) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await ask(child, '', (m) => m.url as string | undefined);
  return { child, url };
}

/**
 * Over HTTP with autocannon, the gateway in a child process: workload 2 at 1 connection
 * paced (latency), 1 and 16 connections unpaced (saturation), A (as shipped) and B (enforcement and audit off) alternately.
 */
export async function runHttpPhase(store: BenchStore): Promise<string> {
  const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
  const query = readFileSync(path.resolve(__dirname, '..', '..', 'bench', 'documents', 'w2-users.graphql'), 'utf8');
  const body = JSON.stringify({ query });
  const rows: (string | number)[][] = [];
  // 1 connection paced at 20 req/s measures latency at one client; unpaced runs measure saturation.
  const loads: { label: string; connections: number; overallRate?: number }[] = [
    { label: '1 (paced 20/s)', connections: 1, overallRate: 20 },
    { label: '1', connections: 1 },
    { label: '16', connections: 16 },
  ];
  for (const { label, connections, overallRate } of loads) {
    for (const variant of ['A', 'B'] as const) {
      const { child, url } = await serve(variant, store);
      const opts = { url: `${url}/graphql`, method: 'POST' as const, body, headers: { 'content-type': 'application/json', authorization: 'Bearer demo-alipay-key' }, ...(overallRate ? { overallRate } : {}) };
      await autocannon({ ...opts, connections, duration: 2 }); // warm-up
      const before = await ask<Stats>(child, 'stats', (m) => ('statements' in m ? (m as Stats) : undefined));
      const r = await autocannon({ ...opts, connections, duration: seconds });
      const after = await ask<Stats>(child, 'stats', (m) => ('statements' in m ? (m as Stats) : undefined));
      child.send('stop');
      await new Promise((res) => child.once('exit', res));
      const done = r.requests.total || 1;
      rows.push([variant, label, r.requests.average.toFixed(1), r.latency.p50, r.latency.p99, `${r.non2xx}`, (after.rss / 2 ** 20).toFixed(0), ((after.statements - before.statements) / done).toFixed(1)]);
    }
  }
  return ['## Over HTTP (autocannon, workload 2, gateway in its own process)\n', table(['variant', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'RSS MiB', 'SQL statements/request'], rows), ''].join('\n');
}
