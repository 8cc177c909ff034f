import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The built gateway (`node dist/src/server.js`, as `npm start` runs it) in a process of its own:
 * what the bench's cluster phase and the tests that need a real process (two writers on one
 * store, SIGKILL under load, a Galera cluster, `npm start` itself) start and stop alike.
 */

/** The repository's root, from this file's source (bench/) or its build (dist/bench/). */
export const REPO_ROOT = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
})();

export const SERVER_SCRIPT = path.join(REPO_ROOT, 'dist', 'src', 'server.js');

/** The line a started gateway logs: where it serves. */
const SERVING = /serving (http:\/\/[\d.]+:\d+)\/graphql/;

export interface ServerProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port>, without a path. */
  url: string;
  /** The exit code once the process and its output have ended (null: ended by a signal). */
  exited: Promise<number | null>;
  /** What it has written so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM (unless it has ended), SIGKILL if it is still running `killAfterMs` later; its exit code. */
  stop(killAfterMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  /** The script to run (SERVER_SCRIPT). */
  script?: string;
  /** How long it may take to say where it serves before it is killed and the start fails (60 s). */
  startTimeoutMs?: number;
}

/**
 * Start the gateway with exactly `env` (PORT 0 lets it pick a port) and resolve once it logs where
 * it serves. If it exits or times out first, the start fails with everything it wrote.
 */
export function spawnServer(env: NodeJS.ProcessEnv, options: SpawnOptions = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [options.script ?? SERVER_SCRIPT], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const stop = async (killAfterMs = 30_000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the gateway did not start: ${out}${err}`));
    }, options.startTimeoutMs ?? 60_000);
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = SERVING.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], exited, stdout: () => out, stderr: () => err, stop });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code}: ${out}${err}`));
    });
  });
}
