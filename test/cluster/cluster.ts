import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { REPO_ROOT, ServerProcess, spawnServer } from '../../bench/server-process';

/**
 * The private three-node Galera cluster that .ci/with-galera started (GALERA_* variables), and
 * gateways on it as processes (`node dist/src/server.js`, as `npm start` runs it).
 */
export const ROOT = REPO_ROOT;
export const VERIFY = path.join(ROOT, 'dist', 'src', 'cli', 'audit-verify.js');

function list(name: string): string[] {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run test/cluster under .ci/with-galera`);
  const out = v.split(',');
  if (out.length !== 3) throw new Error(`${name} must name three nodes`);
  return out;
}

/** mysql://root@127.0.0.1:<port> of nodes 1..3 (index 0..2). */
export const SERVERS = list('GALERA_SERVER_URLS');
const DEFAULTS = list('GALERA_DEFAULTS');
const PID_FILES = list('GALERA_PID_FILES');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function onNode<T>(node: number, fn: (c: import('mysql2/promise').Connection) => Promise<T>): Promise<T> {
  const u = new URL(SERVERS[node]);
  const c = await createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), connectTimeout: 3000 });
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

export async function wsrepStatus(node: number, name: string): Promise<string | null> {
  try {
    return await onNode(node, async (c) => {
      const [rows] = await c.query(`SHOW GLOBAL STATUS LIKE '${name}'`);
      return (rows as { Value: string }[])[0]?.Value ?? null;
    });
  } catch {
    return null;
  }
}

/** Until node is Synced in a cluster of `size`. */
export async function waitSynced(node: number, size = 3, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await wsrepStatus(node, 'wsrep_local_state_comment')) === 'Synced' && (await wsrepStatus(node, 'wsrep_cluster_size')) === String(size)) return;
    if (Date.now() > deadline) throw new Error(`node ${node + 1} not Synced in a cluster of ${size} after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** Until every node has applied all that node `from` had committed when called (reads on them then see it). */
export async function caughtUp(from = 0, timeoutMs = 60_000): Promise<void> {
  const target = Number(await wsrepStatus(from, 'wsrep_last_committed'));
  const deadline = Date.now() + timeoutMs;
  for (let n = 0; n < 3; n++) {
    while (Number(await wsrepStatus(n, 'wsrep_last_committed')) < target) {
      if (Date.now() > deadline) throw new Error(`node ${n + 1} did not catch up with node ${from + 1}`);
      await sleep(100);
    }
  }
}

/** A database of its own on the cluster (DDL is replicated in total order: every node has it on return); its URL per node. */
export async function clusterDatabase(prefix = 'pgc'): Promise<{ name: string; urls: string[]; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await onNode(0, (c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`));
  await caughtUp(0); // DDL runs in total order, but each node applies it in its own time
  return {
    name,
    urls: SERVERS.map((s) => `${s}/${name}`),
    drop: async () => {
      for (let n = 0; n < 3; n++) {
        try {
          await onNode(n, (c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``));
          return;
        } catch { /* that node is down: another */ }
      }
    },
  };
}

function nodePid(node: number): number {
  const pid = Number(readFileSync(PID_FILES[node], 'utf8').trim());
  // Only a mariadbd of this cluster: never another server on the machine.
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  if (!cmdline.includes(`--defaults-file=${DEFAULTS[node]}`)) throw new Error(`pid ${pid} is not node ${node + 1} of the test cluster`);
  return pid;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z';
  } catch {
    return false;
  }
};

/** SIGKILL a node's mariadbd; resolves once it is gone. */
export async function killNode(node: number): Promise<void> {
  const pid = nodePid(node);
  process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
}

/** Start a node again (after a crash it recovers its position and rejoins by IST: .ci/with-galera node-start). */
export async function startNode(node: number): Promise<void> {
  await promisify(execFile)('bash', [path.join(ROOT, '.ci', 'with-galera'), 'node-start', String(node + 1)], { cwd: ROOT, env: process.env, timeout: 120_000 });
}

export type Gateway = ServerProcess;

export function gatewayEnv(databaseUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', PSEUDONYM_SECRET: 'test-pseudonym-secret-0123456789',
    RATE_LIMIT_PER_SECOND: '0', DATABASE_URL: databaseUrl,
  };
}

/** `node dist/src/server.js` on one node's database; resolves once it serves. */
export function startGateway(databaseUrl: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Gateway> {
  return spawnServer({ ...gatewayEnv(databaseUrl), ...extraEnv });
}

export async function readyz(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return 0;
  }
}

/** `npm run audit:verify` against one node: its stdout, and whether it exited 0. */
export async function verifyOn(databaseUrl: string): Promise<{ ok: boolean; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [VERIFY], { cwd: ROOT, env: gatewayEnv(databaseUrl), timeout: 120_000 });
    return { ok: true, stdout };
  } catch (e) {
    return { ok: false, stdout: `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}` };
  }
}
