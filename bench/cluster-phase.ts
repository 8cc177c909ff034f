import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { openStore } from '../src/db/data-source';
import { User } from '../src/db/entities';
import { loadDemoData } from '../seeds/demo';
import { generateUsers } from '../seeds/generate';
import { table } from './stats';
import { REPO_ROOT, ServerProcess, spawnServer } from './server-process';
import type { BenchStore } from './store';

/**
 * `BENCH_PHASES=cluster` (off by default; needs GALERA_URLS, so run under .ci/with-galera):
 * workload 4 (100 users × 10 categorised fields, 1 000 audit records a response) over HTTP
 * against 1, 2 and 3 gateway replicas on the three-node Galera cluster, one replica per node,
 * and against one replica on the single MariaDB of DATABASE_URL, in the same run. Each replica
 * is `node dist/src/server.js` in its own process, loaded by its own autocannon with
 * BENCH_CLUSTER_CONNECTIONS connections for BENCH_CLUSTER_SECONDS. Reported: requests/s (2xx),
 * audit records committed per second (audit_batches' record counts, read from the store before
 * and after), the ratio to one replica on the cluster and per added replica, and the CPU seconds
 * each process used (gateways and mariadbd, from /proc; read only — the single server is not touched).
 */
const TICKS = 100; // USER_HZ on Linux

function startReplica(databaseUrl: string): Promise<ServerProcess> {
  return spawnServer({ ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'error', PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_SECOND: '0', DATABASE_URL: databaseUrl, PSEUDONYM_SECRET: process.env.PSEUDONYM_SECRET ?? 'bench-pseudonym-secret-0123456789' });
}

/** utime + stime of a process, in seconds (null if it is not readable). */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

async function sql<T>(url: string, statement: string): Promise<T> {
  const u = new URL(url);
  const c = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) || undefined });
  try {
    return (await c.query(statement))[0] as T;
  } finally {
    await c.end();
  }
}

const committedRecords = async (url: string) => Number((await sql<{ n: number | null }[]>(url, 'SELECT COALESCE(SUM(record_count), 0) AS n FROM audit_batches'))[0].n);

/** mariadbd's pid of a server (its pid_file, read only). */
async function serverPid(url: string): Promise<number | null> {
  try {
    const [{ Value }] = await sql<{ Value: string }[]>(url, "SHOW GLOBAL VARIABLES LIKE 'pid_file'");
    return Number(readFileSync(Value, 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

async function seed(url: string, users: number): Promise<void> {
  const ds = await openStore({ databaseUrl: url, sqliteFile: '' });
  try {
    await loadDemoData(ds);
    const have = await ds.getRepository(User).count();
    if (have < users + 5) await generateUsers(ds, users + 5 - have, { ordersPerUser: 1 });
  } finally {
    await ds.destroy();
  }
}

interface Measured { label: string; replicas: number; rps: number; recordsPerSecond: number; non2xx: number; cpu: { name: string; seconds: number }[]; seconds: number }

async function measure(label: string, urls: string[], dbServers: { name: string; url: string }[], seconds: number, connections: number): Promise<Measured> {
  const body = JSON.stringify({ query: readFileSync(path.join(REPO_ROOT, 'bench', 'documents', 'w4-users-ten-fields.graphql'), 'utf8') });
  const headers = { 'content-type': 'application/json', authorization: 'Bearer demo-risk-key' };
  const replicas = await Promise.all(urls.map((u) => startReplica(u)));
  try {
    // Warm-up (JIT, caches, connection pools), then the measured run, all replicas at once.
    await Promise.all(replicas.map((r) => autocannon({ url: `${r.url}/graphql`, method: 'POST', body, headers, connections: 2, duration: 2 })));
    const pids = [
      ...replicas.map((r, i) => ({ name: `gateway ${i + 1}`, pid: r.child.pid! })),
      ...(await Promise.all(dbServers.map(async (s) => ({ name: s.name, pid: await serverPid(s.url) })))).filter((p): p is { name: string; pid: number } => p.pid !== null),
    ];
    const cpuBefore = pids.map((p) => cpuSeconds(p.pid) ?? 0);
    const recordsBefore = await committedRecords(urls[0]);
    const t0 = Date.now();
    const results = await Promise.all(replicas.map((r) => autocannon({ url: `${r.url}/graphql`, method: 'POST', body, headers, connections, duration: seconds })));
    const elapsed = (Date.now() - t0) / 1000;
    const cpu = pids.map((p, i) => ({ name: p.name, seconds: (cpuSeconds(p.pid) ?? 0) - cpuBefore[i] }));
    // Every commit is durable before its response; on the cluster it is applied on node 1 within milliseconds.
    await new Promise((r) => setTimeout(r, 500));
    const records = (await committedRecords(urls[0])) - recordsBefore;
    const ok = results.reduce((n, r) => n + r['2xx'], 0);
    return { label, replicas: urls.length, rps: ok / elapsed, recordsPerSecond: records / elapsed, non2xx: results.reduce((n, r) => n + r.non2xx, 0), cpu, seconds: elapsed };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

export async function runClusterPhase(store: BenchStore): Promise<string> {
  const galera = (process.env.GALERA_URLS ?? '').split(',').filter(Boolean);
  if (galera.length !== 3) throw new Error('the cluster phase needs GALERA_URLS (three nodes): run `BENCH_PHASES=cluster .ci/with-galera npm run bench`');
  const seconds = Number(process.env.BENCH_CLUSTER_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CLUSTER_CONNECTIONS ?? 4);
  const users = Number(process.env.BENCH_CLUSTER_USERS ?? 200);
  process.stderr.write(`cluster phase: seeding ${users} users on the cluster…\n`);
  await seed(galera[0], users);
  const nodes = galera.map((url, i) => ({ name: `mariadbd node ${i + 1}`, url }));
  const runs: Measured[] = [];
  if (store.databaseUrl) runs.push(await measure('single MariaDB', [store.databaseUrl], [{ name: 'mariadbd (single)', url: store.databaseUrl }], seconds, connections));
  for (const n of [1, 2, 3]) runs.push(await measure(`Galera, ${n} replica${n > 1 ? 's' : ''}`, galera.slice(0, n), nodes, seconds, connections));
  const base = runs.find((r) => r.label.startsWith('Galera, 1'))!;
  const rows = runs.map((r, i) => {
    const prev = i > 0 && r.label.startsWith('Galera') && runs[i - 1].label.startsWith('Galera') ? runs[i - 1] : null;
    return [
      r.label, r.rps.toFixed(1), Math.round(r.recordsPerSecond).toLocaleString('en'), r.label.startsWith('Galera') ? (r.rps / base.rps).toFixed(2) : '—',
      prev ? (r.rps / prev.rps).toFixed(2) : '—', String(r.non2xx),
      r.cpu.map((c) => `${c.name} ${(c.seconds / r.seconds * 100).toFixed(0)} %`).join(', '),
    ];
  });
  return [
    '## Cluster: workload 4 over HTTP, 1–3 gateway replicas on a three-node Galera cluster vs one replica on a single MariaDB\n',
    `Each replica its own process on its own node (DATABASE_URL per node), ${connections} connections each, ${seconds} s; records/s = audit records committed (audit_batches); CPU = share of one core over the run (/proc utime+stime).` +
      (store.databaseUrl ? '' : ' (No single-MariaDB row: run with DATABASE_URL=mysql://…:3306/pg_bench for it.)') + '\n',
    table(['setup', 'requests/s', 'records/s', '× 1 replica', '× previous', 'non-2xx', 'CPU per process'], rows),
    '',
    `Cores on this machine: ${require('node:os').cpus().length}. All processes (gateways, mariadbd nodes, load generators) share them: on a small machine the ratio per added replica shows the cost of replication, not the capacity a replica on its own host adds.`,
  ].join('\n');
}
