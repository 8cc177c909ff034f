import autocannon from 'autocannon';
import { ChildProcess, fork } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sqliteConnection } from '../src/db/data-source';
import { pacedLatencies } from './paced-client';
import { mean, quantile, rotation, table } from './stats';
import type { BenchStore } from './store';
import { probeSync, SyncProbe } from './sync-probe';

type Stats = { statements: number; rss: number; commitMs: number; commits: number };
/**
 * A as shipped; E enforced without audit; B with enforcement and audit off; S the graphql-shield
 * peer and J the graphql-jit executor inside the gateway; C plain graphql-js (bench/serve.ts).
 */
type Variant = 'A' | 'E' | 'B' | 'S' | 'J' | 'C';

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

const document = (file: string, variables?: Record<string, unknown>) => JSON.stringify({ query: readFileSync(path.resolve(__dirname, '..', '..', 'bench', 'documents', file), 'utf8'), ...(variables ? { variables } : {}) });

const KEYS = { w1: 'demo-risk-key', w2: 'demo-alipay-key', w3: 'demo-alipay-key', w4: 'demo-risk-key' } as const;
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
  const rate = Number(process.env.BENCH_RATE ?? 20);
  // The physical limit, measured in the same run: half before the rounds, half after.
  const syncSamples = Number(process.env.BENCH_SYNC_SAMPLES ?? 200);
  const syncs: SyncProbe[] = [await probeSync(store, Math.ceil(syncSamples / 2), rate)];
  for (let round = 0; round < rounds; round++) {
    for (const variant of (round % 2 ? ['E', 'A'] : ['A', 'E']) as ('A' | 'E')[]) {
      const server = await serve(variant, store);
      const url = `${server.url}/graphql`;
      await autocannon({ url, method: 'POST', body, headers, connections: 1, amount: 200 }); // warm-up (JIT, caches)
      await server.settle(); // the warm-up's records projected: one client's steady state, not a backlog
      const before = await server.stats();
      const r = await pacedLatencies(url, body, headers, rate, seconds);
      const after = await server.stats();
      await server.stop();
      samples[variant].push(...r.latencies);
      failed += r.failed;
      if (variant === 'A') commit.push({ ...after, commitMs: after.commitMs - before.commitMs, commits: after.commits - before.commits });
    }
  }
  syncs.push(await probeSync(store, Math.floor(syncSamples / 2), rate));
  const sync = syncs.flatMap((p) => p.latencies);
  const empty = syncs.flatMap((p) => p.emptyTransaction ?? []);
  const addedMs = (q: number) => quantile(samples.A, q) - quantile(samples.E, q);
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
    `**Against the limit**: one sync = ${syncs[0].what}, ${sync.length} samples in this run: p50 ${quantile(sync, 0.5).toFixed(3)} ms, p90 ${quantile(sync, 0.9).toFixed(3)} ms, p99 ${quantile(sync, 0.99).toFixed(3)} ms` +
      (empty.length ? `; an empty transaction (one round trip, no redo flush): p50 ${quantile(empty, 0.5).toFixed(3)} ms, p90 ${quantile(empty, 0.9).toFixed(3)} ms.` : '.'),
    '',
    table(['one paced client', 'A − E, ms', '× one sync (same quantile)', '× one sync at p50 (goal ≤ 1.5 at p50)'], [
      ['p50', addedMs(0.5).toFixed(3), (addedMs(0.5) / quantile(sync, 0.5)).toFixed(2), (addedMs(0.5) / quantile(sync, 0.5)).toFixed(2)],
      ['p90', addedMs(0.9).toFixed(3), (addedMs(0.9) / quantile(sync, 0.9)).toFixed(2), (addedMs(0.9) / quantile(sync, 0.5)).toFixed(2)],
    ]),
    '',
    '16 connections (autocannon, two runs each, A E E A):\n',
    table(['variant', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'non-2xx'], loaded),
    '',
    `Audit adds at 16 connections: ${((meanLatency.A / meanLatency.E - 1) * 100).toFixed(0)} % on mean latency (target: less than at one client); ` +
      `${((meanLatency.A - meanLatency.E) / 2).toFixed(2)} ms, ${((meanLatency.A - meanLatency.E) / 2 / quantile(sync, 0.5)).toFixed(2)} × one sync at p50 (goal < 1: group commit amortises it; autocannon's mean, whole-ms samples).`,
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

interface MatrixWorkload { name: string; file: string; key: string; variants: Variant[]; variables?: Record<string, unknown> }

/** The lead table's workloads (2 and 4) for every variant; workloads 1 and 3 for A against S. */
const MATRIX: MatrixWorkload[] = [
  { name: '1 one user', file: 'w1-user.graphql', key: KEYS.w1, variants: ['A', 'S'], variables: { id: '1' } },
  { name: '2 users(100)', file: 'w2-users.graphql', key: KEYS.w2, variants: ['A', 'E', 'B', 'C', 'S', 'J'] },
  { name: '3 users(100) + orders', file: 'w3-users-orders.graphql', key: KEYS.w3, variants: ['A', 'S'] },
  { name: '4 users(100) × 10 fields', file: 'w4-users-ten-fields.graphql', key: KEYS.w4, variants: ['A', 'E', 'B', 'C', 'S', 'J'] },
];

interface Answer { status: number; data: string; errors: string; disclosure: string }

async function answer(url: string, body: string, key: string): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', body, headers: headersFor(key) });
  const j = (await res.json()) as { data?: unknown; errors?: { path?: unknown; message: string; extensions?: Record<string, unknown> }[]; extensions?: { disclosure?: Record<string, unknown> } };
  const errors = (j.errors ?? []).map((e) => JSON.stringify([e.path, e.extensions?.code, e.extensions?.reason, e.extensions?.category, e.message])).sort();
  const { requestId: _id, ...counts } = j.extensions?.disclosure ?? {};
  return { status: res.status, data: JSON.stringify(j.data ?? null), errors: JSON.stringify(errors), disclosure: JSON.stringify(counts) };
}

/**
 * Before timing, over HTTP: E, S and J answer exactly as A (the same data, masked values and
 * nulls, the same errors, the same disclosure counts, i.e. as many audit records); B and C
 * answer with no error.
 */
function agree(w: MatrixWorkload, v: Variant, got: Answer, reference: Answer): void {
  if (got.status !== 200) throw new Error(`HTTP ${w.name}: ${v} answered ${got.status}`);
  if (v === 'B' || v === 'C') {
    if (got.errors !== '[]' || got.data === 'null') throw new Error(`HTTP ${w.name}: ${v} answered with errors or no data`);
    return;
  }
  for (const k of ['data', 'errors', 'disclosure'] as const) {
    if (got[k] !== reference[k]) throw new Error(`HTTP ${w.name}: ${v} and A differ in ${k}`);
  }
}

interface Cell { variant: Variant; workload: string; one: { rps: number; p50: number; p99: number }; sixteen: { rps: number; p50: number; p99: number; non2xx: number }; rss: number; statements: number }

/**
 * Every variant over HTTP, a fresh gateway process per workload and variant (rotating order):
 * one connection back to back (our own client, µs resolution) and 16 connections (autocannon),
 * `seconds` each after a warm-up; the audit's projection settled between the two.
 */
async function matrix(store: BenchStore, seconds: number): Promise<{ report: string; cells: Cell[] }> {
  const cells: Cell[] = [];
  const checks: string[] = [];
  for (const [i, w] of MATRIX.entries()) {
    const body = document(w.file, w.variables);
    let reference: Answer | null = null;
    // A first for the reference answer, then the others in rotating order.
    const order: Variant[] = ['A', ...rotation(w.variants.filter((v) => v !== 'A'), i)];
    const answers: Partial<Record<Variant, Answer>> = {};
    for (const variant of order) {
      const server = await serve(variant, store);
      const url = `${server.url}/graphql`;
      const got = await answer(server.url, body, w.key);
      reference ??= got;
      try {
        agree(w, variant, got, reference);
      } catch (e) {
        await server.stop();
        throw e;
      }
      answers[variant] = got;
      const opts = { url, method: 'POST' as const, body, headers: headersFor(w.key) };
      await autocannon({ ...opts, connections: 16, duration: 2 }); // warm-up (JIT, compiled documents, caches)
      await server.settle();
      const before = await server.stats();
      const one = await pacedLatencies(url, body, headersFor(w.key), 0, seconds);
      await server.settle();
      const r = await autocannon({ ...opts, connections: 16, duration: seconds });
      const after = await server.stats();
      await server.stop();
      const done = one.latencies.length + (r.requests.total || 0) || 1;
      cells.push({
        variant, workload: w.name,
        one: { rps: one.latencies.length / seconds, p50: quantile(one.latencies, 0.5), p99: quantile(one.latencies, 0.99) },
        sixteen: { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + one.failed },
        rss: after.rss, statements: (after.statements - before.statements) / done,
      });
    }
    const a = answers.A!;
    checks.push(`- ${w.name}: ${order.filter((v) => v !== 'B' && v !== 'C' && v !== 'A').join(', ')} answer as A (data, ${JSON.parse(a.errors).length} errors, disclosure ${a.disclosure})`);
  }
  const rows = cells.map((c) => [
    c.workload, c.variant,
    c.one.rps.toFixed(1), c.one.p50.toFixed(2), c.one.p99.toFixed(2),
    c.sixteen.rps.toFixed(1), c.sixteen.p50, c.sixteen.p99, c.sixteen.non2xx,
    (c.rss / 2 ** 20).toFixed(0), c.statements.toFixed(1),
  ]);
  const find = (w: string, v: Variant) => cells.find((c) => c.workload === w && c.variant === v);
  const ratios = MATRIX.map((w) => {
    const [a, s] = [find(w.name, 'A')!, find(w.name, 'S')!];
    // No S request may complete within a short window at 16 connections (workload 3 on a busy machine).
    const sixteen = s.sixteen.rps > 0 ? [(a.sixteen.rps / s.sixteen.rps).toFixed(2), (s.sixteen.p50 / Math.max(1, a.sixteen.p50)).toFixed(2)] : ['no S request completed', '—'];
    return [w.name, (a.one.rps / s.one.rps).toFixed(2), (s.one.p50 / a.one.p50).toFixed(2), ...sixteen];
  });
  return {
    cells,
    report: [
      `## Every variant over HTTP (a fresh gateway process per workload and variant; ${seconds} s per load)\n`,
      'A as shipped, E without audit, B without enforcement or audit, C plain graphql-js behind node:http, S graphql-shield 7 + graphql-middleware 6 (same decisions, same audit), J graphql-jit behind the same Apollo Server. 1 connection: back to back, our own client (ms, µs resolution); 16 connections: autocannon (whole ms).\n',
      table(['workload', 'variant', '1 conn req/s', 'p50 ms', 'p99 ms', '16 conn req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'RSS MiB', 'SQL statements/request'], rows),
      '',
      'A against S over HTTP:\n',
      table(['workload', 'A/S req/s, 1 conn', 'S/A p50, 1 conn', 'A/S req/s, 16 conn', 'S/A p50, 16 conn'], ratios),
      '',
      'Agreement checked over HTTP before timing:',
      ...checks,
      '',
    ].join('\n'),
  };
}

export async function runHttpPhase(store: BenchStore): Promise<string> {
  const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_HTTP_ROUNDS ?? 4);
  const parts = (process.env.BENCH_HTTP_PARTS ?? 'audit,matrix').split(',');
  const out: string[] = [];
  // Each part is shown as soon as it is measured (a later failure keeps what was measured before it).
  const say = (s: string) => { out.push(s); process.stderr.write(s + '\n'); };
  if (parts.includes('audit')) say(await auditTarget(store, seconds, rounds));
  if (parts.includes('matrix')) say((await matrix(store, Number(process.env.BENCH_MATRIX_SECONDS ?? seconds))).report);
  if (parts.includes('enforcement')) say(await enforcementOverHttp(store, seconds));
  return out.join('\n');
}
